import LumisCommandLine

LumisCommand.main()

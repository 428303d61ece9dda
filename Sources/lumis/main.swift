import LumisCommandLine

LumisCommand.runFromCommandLine()

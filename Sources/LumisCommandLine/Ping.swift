import ArgumentParser
import LumisCore
import LumisSimulation
import LumisTransport

extension LumisCommand {
    struct Ping: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Handshake with a simulator and print its model name.")

        @OptionGroup var connection: ConnectionOptions

        func run() throws {
            Console.installInterruptHandlers()
            let context = try ZMQContext()
            let clock = ContinuousClock()
            let settings = connection.launchSettings
            let process = try connection.launch.map { command in
                let directory = try PrivateDirectory()
                return try SimulatorProcess(
                    command: command, endpoint: directory.endpoint(worker: 0), output: settings.output,
                    logName: "simulator-0.log", directory: directory)
            }
            let endpoint = process?.endpoint ?? connection.endpoints[0]
            let simulator = try PPXSimulator(
                endpoint: endpoint, context: context, timeout: connection.timeoutDuration, process: process,
                startup: settings)
            let start = clock.now
            try simulator.connect()
            let elapsed = clock.now - start
            let milliseconds = (elapsed / .milliseconds(1) * 100).rounded() / 100
            print(
                "\(endpoint): model '\(simulator.modelName)', system '\(simulator.simulatorSystemName)',"
                    + " handshake \(milliseconds) ms")
        }
    }
}

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
            let process = try connection.launch.map { command in
                try SimulatorProcess(
                    command: command, endpoint: "ipc://@lumis-ping-\(UInt32.random(in: 0...UInt32.max))")
            }
            let endpoint = process?.endpoint ?? connection.endpoints[0]
            let simulator = try PPXSimulator(
                endpoint: endpoint, context: context, timeout: connection.timeoutDuration, process: process)
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

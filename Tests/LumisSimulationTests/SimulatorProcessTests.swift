import Foundation
import LumisCore
import LumisSimulation
import Testing

@Suite("SimulatorProcess", .serialized, .timeLimit(.minutes(2)))
struct SimulatorProcessTests {
    @Test("The endpoint replaces the placeholder and the process can be stopped")
    func launchAndTerminate() throws {
        let process = try SimulatorProcess(command: "sleep 30 # {endpoint}", endpoint: "ipc://@x")
        #expect(process.resolvedCommand == "sleep 30 # ipc://@x")
        #expect(process.isRunning)
        process.terminate()
        #expect(!process.isRunning)
        #expect(process.exitDescription == "was killed by signal 15")
    }

    @Test("An exit status is reported, and restart starts it again")
    func exitStatus() throws {
        let process = try SimulatorProcess(command: "sh -c 'exit 3' # {endpoint}", endpoint: "e")
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while process.isRunning && clock.now < deadline { usleep(10_000) }
        #expect(process.exitDescription == "exited with status 3")
        try process.restart()
        #expect(process.launchCount == 2)
    }
}

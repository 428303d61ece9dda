import Foundation
import LumisTransport
import Testing

@Suite("ZMQSocket", .serialized, .timeLimit(.minutes(1)))
struct ZMQSocketTests {
    static func endpoint(_ name: String) -> String { "ipc://@lumis-test-transport-\(getpid())-\(name)" }

    @Test("REQ/REP round trip carries bytes both ways")
    func roundTrip() throws {
        let context = try ZMQContext()
        let endpoint = Self.endpoint("roundtrip")
        let server = try ZMQSocket(context: context, kind: .reply)
        try server.bind(to: endpoint)
        let client = try ZMQSocket(context: context, kind: .request)
        try client.connect(to: endpoint)
        for size in [0, 1, 33, 4096, 100_000] {
            let request = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            try request.withUnsafeBytes { try client.send($0, timeout: .seconds(5)) }
            let received = try server.receive(timeout: .seconds(5)) { Array($0) }
            #expect(received == request)
            let reply = received.reversed() as [UInt8]
            try reply.withUnsafeBytes { try server.send($0, timeout: .seconds(5)) }
            let back = try client.receive(timeout: .seconds(5)) { Array($0) }
            #expect(back == reply)
        }
    }

    @Test("A silent peer gives a timeout, not a hang")
    func timeout() throws {
        let context = try ZMQContext()
        let client = try ZMQSocket(context: context, kind: .request)
        try client.connect(to: Self.endpoint("nobody"))
        try [UInt8(1)].withUnsafeBytes { try client.send($0, timeout: .seconds(1)) }
        let clock = ContinuousClock()
        let start = clock.now
        #expect(throws: ZMQSocket.WaitError.timedOut) {
            try client.receive(timeout: .milliseconds(300)) { _ in () }
        }
        // The wait honours its bound within the poll granularity (not a timing benchmark: a generous ceiling).
        #expect(clock.now - start < .seconds(5))
    }

    // The interrupt flag is process-wide, so this runs in a child process (an exit test): setting it here would
    // interrupt the other suites' sockets running in parallel.
    @Test("An interrupt request ends a blocked wait")
    func interrupt() async {
        await #expect(processExitsWith: .success) {
            let context = try ZMQContext()
            let client = try ZMQSocket(context: context, kind: .request)
            try client.connect(to: ZMQSocketTests.endpoint("interrupt"))
            try [UInt8(1)].withUnsafeBytes { try client.send($0, timeout: .seconds(1)) }
            Interrupt.request()
            do {
                try client.receive(timeout: .seconds(30)) { _ in () }
            } catch ZMQSocket.WaitError.interrupted {
                exit(0)
            }
            exit(1)
        }
    }

    @Test("Sending out of turn on a REQ socket is a ZMQError naming zmq_send")
    func outOfTurn() throws {
        let context = try ZMQContext()
        let client = try ZMQSocket(context: context, kind: .request)
        try client.connect(to: Self.endpoint("turn"))
        try [UInt8(1)].withUnsafeBytes { try client.send($0, timeout: .seconds(1)) }
        do {
            try [UInt8(2)].withUnsafeBytes { try client.send($0, timeout: .seconds(1)) }
            Issue.record("second send without a reply should fail")
        } catch let error as ZMQError {
            #expect(error.operation == "zmq_send")
            #expect(error.code == ZMQError.wrongStateCode)
        }
    }

    @Test("Binding a malformed endpoint throws")
    func badEndpoint() throws {
        let context = try ZMQContext()
        let server = try ZMQSocket(context: context, kind: .reply)
        #expect(throws: ZMQError.self) { try server.bind(to: "nonsense://x") }
    }
}

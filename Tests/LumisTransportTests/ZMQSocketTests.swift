import Foundation
import LumisTransport
import Testing

@Suite("ZMQSocket", .serialized, .timeLimit(.minutes(2)))
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

    @Test("The socket monitor reports connect, a peer that goes away, and refused reconnection attempts")
    func peerEvents() throws {
        let context = try ZMQContext()
        let endpoint = Self.endpoint("monitor")
        let client = try ZMQSocket(context: context, kind: .request, monitorsPeer: true)
        let initial = client.peerEvents()
        #expect(initial.isEmpty)
        do {
            let server = try ZMQSocket(context: context, kind: .reply)
            try server.bind(to: endpoint)
            try client.connect(to: endpoint)
            try [UInt8(1)].withUnsafeBytes { try client.send($0, timeout: .seconds(5)) }
            _ = try server.receive(timeout: .seconds(5)) { Array($0) }
            let connected = Self.waitForEvent(.connected, on: client)
            #expect(connected)
        }  // The server socket closes here: its end of the connection drops.
        let disconnected = Self.waitForEvent(.disconnected, on: client)
        #expect(disconnected)
        let retried = Self.waitForEvent(.connectRetried, on: client)  // libzmq keeps trying; nothing listens now
        #expect(retried)
        let unmonitored = try ZMQSocket(context: context, kind: .request)
        let none = unmonitored.peerEvents()
        #expect(none.isEmpty)
    }

    /// Polls `socket`'s monitor for up to 5 s until `event` shows up.
    static func waitForEvent(_ event: ZMQSocket.PeerEvent, on socket: borrowing ZMQSocket) -> Bool {
        for _ in 0..<500 {
            if socket.peerEvents().contains(event) { return true }
            usleep(10_000)
        }
        return false
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

import CZeroMQ

// The one file that calls libzmq: each function maps a -1 return into a ZMQError and retries on EINTR.

func zmqErrorText(_ code: Int32) -> String { String(cString: zmq_strerror(code)) }

private func lastError(_ operation: String) -> ZMQError { ZMQError(code: czmq_errno(), operation: operation) }

func zmqContextNew() throws(ZMQError) -> UnsafeMutableRawPointer {
    guard let context = zmq_ctx_new() else { throw lastError("zmq_ctx_new") }
    return context
}

func zmqContextTerminate(_ context: UnsafeMutableRawPointer) {
    while zmq_ctx_term(context) == -1 && czmq_errno() == EINTR {}
}

func zmqSocketNew(_ context: UnsafeMutableRawPointer, type: Int32) throws(ZMQError) -> UnsafeMutableRawPointer {
    guard let socket = zmq_socket(context, type) else { throw lastError("zmq_socket") }
    return socket
}

func zmqClose(_ socket: UnsafeMutableRawPointer) { _ = zmq_close(socket) }

func zmqSetOption(_ socket: UnsafeMutableRawPointer, _ option: Int32, _ value: Int32) throws(ZMQError) {
    var value = value
    guard zmq_setsockopt(socket, option, &value, MemoryLayout<Int32>.size) == 0 else {
        throw lastError("zmq_setsockopt")
    }
}

func zmqSetOption(_ socket: UnsafeMutableRawPointer, _ option: Int32, _ value: Int64) throws(ZMQError) {
    var value = value
    guard zmq_setsockopt(socket, option, &value, MemoryLayout<Int64>.size) == 0 else {
        throw lastError("zmq_setsockopt")
    }
}

func zmqConnect(_ socket: UnsafeMutableRawPointer, _ endpoint: String) throws(ZMQError) {
    guard zmq_connect(socket, endpoint) == 0 else { throw lastError("zmq_connect") }
}

func zmqBind(_ socket: UnsafeMutableRawPointer, _ endpoint: String) throws(ZMQError) {
    guard zmq_bind(socket, endpoint) == 0 else { throw lastError("zmq_bind") }
}

/// Sends one frame.
///
/// Returns `false` when the send timed out (EAGAIN).
func zmqSend(_ socket: UnsafeMutableRawPointer, _ bytes: UnsafeRawBufferPointer) throws(ZMQError) -> Bool {
    while true {
        if zmq_send(socket, bytes.baseAddress, bytes.count, 0) >= 0 { return true }
        let code = czmq_errno()
        if code == EINTR { continue }
        if code == EAGAIN { return false }
        throw ZMQError(code: code, operation: "zmq_send")
    }
}

func zmqMessageInit(_ message: UnsafeMutablePointer<zmq_msg_t>) { _ = zmq_msg_init(message) }
func zmqMessageClose(_ message: UnsafeMutablePointer<zmq_msg_t>) { _ = zmq_msg_close(message) }

/// Receives one frame into `message` (releasing its previous content).
///
/// Returns `false` on timeout (EAGAIN)
/// or when a signal interrupted the wait, so the caller can look at its deadline and the interrupt flag.
func zmqReceive(_ socket: UnsafeMutableRawPointer, into message: UnsafeMutablePointer<zmq_msg_t>) throws(ZMQError)
    -> Bool
{
    if zmq_msg_recv(message, socket, 0) >= 0 { return true }
    let code = czmq_errno()
    if code == EAGAIN || code == EINTR { return false }
    throw ZMQError(code: code, operation: "zmq_msg_recv")
}

func zmqMessageBytes(_ message: UnsafeMutablePointer<zmq_msg_t>) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: zmq_msg_data(message), count: zmq_msg_size(message))
}

func zmqMoreFrames(_ message: UnsafeMutablePointer<zmq_msg_t>) -> Bool { zmq_msg_more(message) != 0 }

/// Starts publishing `events` of `socket` on the inproc endpoint `monitor`.
func zmqSocketMonitor(_ socket: UnsafeMutableRawPointer, _ monitor: String, events: Int32) throws(ZMQError) {
    guard zmq_socket_monitor(socket, monitor, events) == 0 else { throw lastError("zmq_socket_monitor") }
}

/// Stops a socket's monitor (`zmq_socket_monitor` with no endpoint).
func zmqSocketMonitorStop(_ socket: UnsafeMutableRawPointer) { _ = zmq_socket_monitor(socket, nil, 0) }

/// Receives one pending monitor event without waiting: its event code, or `nil` when none is queued.
///
/// An event is two frames: 6 bytes (`uint16` event, `uint32` value, host order) and the peer's endpoint.
func zmqReceiveMonitorEvent(_ monitor: UnsafeMutableRawPointer) -> UInt16? {
    var frame = zmq_msg_t()
    zmq_msg_init(&frame)
    defer { zmq_msg_close(&frame) }
    guard zmq_msg_recv(&frame, monitor, ZMQ_DONTWAIT) >= 0 else { return nil }
    var event: UInt16? = nil
    if zmq_msg_size(&frame) >= 6, let data = zmq_msg_data(&frame) {
        event = data.loadUnaligned(as: UInt16.self)
    }
    while zmq_msg_more(&frame) != 0 {
        guard zmq_msg_recv(&frame, monitor, ZMQ_DONTWAIT) >= 0 else { break }
    }
    return event
}

let zmqPairType = ZMQ_PAIR
let zmqEventConnected = UInt16(ZMQ_EVENT_CONNECTED)
let zmqEventConnectRetried = UInt16(ZMQ_EVENT_CONNECT_RETRIED)
let zmqEventDisconnected = UInt16(ZMQ_EVENT_DISCONNECTED)
let zmqRequestType = ZMQ_REQ
let zmqReplyType = ZMQ_REP
let zmqLingerOption = ZMQ_LINGER
let zmqReceiveTimeoutOption = ZMQ_RCVTIMEO
let zmqSendTimeoutOption = ZMQ_SNDTIMEO
let zmqMaxMessageSizeOption = ZMQ_MAXMSGSIZE
let zmqWrongStateCode = EFSM

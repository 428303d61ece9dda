/// A failed libzmq call: the `errno` it reported and the C function that failed.
public struct ZMQError: Error, Equatable, CustomStringConvertible {
    /// The `errno` value reported by `zmq_errno()`.
    public var code: Int32
    /// The libzmq function that failed, for example `zmq_msg_recv`.
    public var operation: String

    /// Creates an error from a code and the failed operation.
    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// The code libzmq gives for an operation the socket's state does not allow (`EFSM`), such as a second send
    /// on a REQ socket before its reply.
    public static let wrongStateCode: Int32 = zmqWrongStateCode

    /// libzmq's text for the error code.
    public var description: String { "\(operation): \(zmqErrorText(code))" }
}

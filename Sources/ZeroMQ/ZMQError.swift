import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// An error reported by libzmq (or by a system call made on its behalf), keeping the errno
/// value and the name of the operation that failed.
public struct ZMQError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The errno value (libzmq-specific codes such as `ETERM` included).
    public let code: Int32
    /// The failing operation, e.g. `zmq_bind(ipc:///tmp/x)`.
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// `zmq_strerror` text for `code`.
    public var message: String { String(cString: zmq_strerror(code)) }

    public var description: String { "\(operation): \(message) (errno \(code))" }

    public var isAgain: Bool { code == EAGAIN }
    public var isTerminated: Bool { code == ZMQError.ETERM }
    public var isInterrupted: Bool { code == EINTR }
    public var isHostUnreachable: Bool { code == EHOSTUNREACH }

    /// libzmq's `ETERM` ("Context was terminated").
    public static let ETERM: Int32 = CZeroMQ.ETERM
    /// libzmq's `EFSM` ("Operation cannot be accomplished in current state").
    public static let EFSM: Int32 = CZeroMQ.EFSM

    /// The error for the calling thread's current `zmq_errno()`.
    static func last(_ operation: @autoclosure () -> String) -> ZMQError {
        let code = zmq_errno()
        return ZMQError(code: code, operation: operation())
    }
}

/// Errors of the socket wrapper itself (not produced by libzmq).
public enum ZMQSocketError: Error, Sendable, Equatable {
    /// The socket was closed (by `close()` or by dropping it) before or while the operation ran.
    case closed
    /// The deadline of `receive(timeout:)` / `request(...)` passed.
    case timeout
    /// The message (total of all frames, in bytes) exceeds the socket's `maxMessageSize`.
    case messageTooLarge(Int)
}

import CZeroMQ
import Dispatch
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// Who sent a message, as libzmq knows it.
public enum ZMQPeer: Sendable, Hashable, CustomStringConvertible {
    /// An inproc:// socket of this process.
    case thisProcess
    /// An ipc:// peer: the user id its process runs as (SO_PEERCRED, which the kernel vouches for).
    case unixUser(uid: UInt32)
    /// A tcp:// peer with the NULL mechanism: nothing says who it is. (CURVE between hosts, when
    /// it comes, identifies such a peer by its public key: a case of its own, answered by the ZAP
    /// handler like `unixUser`.)
    case unidentified

    public var description: String {
        switch self {
        case .thisProcess: "this process"
        case let .unixUser(uid): "uid \(uid)"
        case .unidentified: "an unidentified peer"
        }
    }
}

/// The context's ZAP handler (RFC 27). libzmq asks it about every new connection to a socket with
/// a ZAP domain (`SocketOptions.identifiesPeers`) and attaches its answer's User-Id to every
/// message from that connection. For an ipc:// peer libzmq passes the peer's credentials in the
/// address, "localhost:uid:gid:pid"; the answer names the uid. Every connection is accepted: what a peer
/// may do is the application's decision, per message.
enum ZAPHandler {
    static let endpoint = "inproc://zeromq.zap.01"
    static let domain = "peers"
    private static let userIDPrefix = "unix:"

    /// Binds the handler's REP socket on a thread of its own and answers until the context is
    /// shut down. Returns once the socket is bound, so no connection is accepted unasked.
    static func start(context: ContextHandle) throws {
        let started = DispatchSemaphore(value: 0)
        let failure = NIOLockedValueBox<ZMQError?>(nil)
        try spawnDetachedThread(name: "zmq-zap") {
            guard let socket = zmq_socket(context.pointer, ZMQ_REP) else {
                failure.withLockedValue { $0 = ZMQError.last("zmq_socket(ZAP handler)") }
                started.signal()
                return
            }
            var linger: Int32 = 0
            zmq_setsockopt(socket, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
            if zmq_bind(socket, endpoint) != 0 {
                failure.withLockedValue { $0 = ZMQError.last("zmq_bind(\(endpoint))") }
                zmq_close(socket)
                started.signal()
                return
            }
            started.signal()
            serve(socket)
            zmq_close(socket)
        }
        started.wait()
        if let error = failure.withLockedValue({ $0 }) { throw error }
    }

    /// Answers requests until the context terminates.
    private static func serve(_ socket: UnsafeMutableRawPointer) {
        var msg = zmq_msg_t()
        zmq_msg_init(&msg)
        defer { zmq_msg_close(&msg) }
        while true {
            var request: [[UInt8]] = []
            repeat {
                if zmq_msg_recv(&msg, socket, 0) < 0 {
                    if zmq_errno() == EINTR { continue }
                    return
                }
                let size = zmq_msg_size(&msg)
                request.append(size == 0 ? [] : [UInt8](UnsafeRawBufferPointer(start: zmq_msg_data(&msg), count: size)))
            } while zmq_msg_more(&msg) != 0
            let frames = reply(to: request)
            for (i, frame) in frames.enumerated() {
                let flags = i < frames.count - 1 ? ZMQ_SNDMORE : 0
                while frame.withUnsafeBytes({ zmq_send(socket, $0.baseAddress, $0.count, flags) }) < 0 {
                    if zmq_errno() != EINTR { return }
                }
            }
        }
    }

    /// The answer to one ZAP request: 200 for every well-formed request, with the unix peer's uid
    /// as the User-Id (none for any other peer).
    static func reply(to request: [[UInt8]]) -> [[UInt8]] {
        let requestID = request.count > 1 ? request[1] : []
        guard request.count >= 6, String(decoding: request[0], as: UTF8.self) == "1.0" else {
            return [Array("1.0".utf8), requestID, Array("400".utf8), Array("malformed ZAP request".utf8), [], []]
        }
        let address = String(decoding: request[3], as: UTF8.self)
        return [Array("1.0".utf8), requestID, Array("200".utf8), Array("OK".utf8), Array(userID(address: address).utf8), []]
    }

    /// "localhost:uid:gid:pid" (libzmq 4.3's form for a unix socket's peer; older ones leave out
    /// "localhost") -> "unix:uid"; anything else, a tcp peer's numeric IPv4 or IPv6 address
    /// included (which never starts with "localhost" or a single ':'), -> "".
    static func userID(address: String) -> String {
        let parts = address.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].isEmpty || parts[0] == "localhost",
              let uid = UInt32(parts[1]), UInt32(parts[2]) != nil, UInt32(parts[3]) != nil else { return "" }
        return userIDPrefix + String(uid)
    }

    /// The peer of a message read from a socket with a ZAP domain, from its properties.
    static func peer(userID: String?, hasPeerProperties: Bool) -> ZMQPeer {
        if let userID, userID.hasPrefix(userIDPrefix), let uid = UInt32(userID.dropFirst(userIDPrefix.count)) {
            return .unixUser(uid: uid)
        }
        // inproc:// messages carry no properties at all; network peers at least their Socket-Type.
        return hasPeerProperties ? .unidentified : .thisProcess
    }
}

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
    /// A CURVE client the server admitted: the name its public key was admitted under
    /// (`CurveAdmissions`). The handshake proved the peer holds that key's secret.
    case curveKey(name: String)
    /// A tcp:// peer with the NULL mechanism: nothing says who it is.
    case unidentified

    public var isCurveKey: Bool {
        if case .curveKey = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .thisProcess: "this process"
        case let .unixUser(uid): "uid \(uid)"
        case let .curveKey(name): "the CURVE key of \(name)"
        case .unidentified: "an unidentified peer"
        }
    }
}

/// The context's ZAP handler (RFC 27). libzmq asks it about every new connection to a socket with
/// a ZAP domain (`SocketOptions.identifiesPeers`) and attaches its answer's User-Id to every
/// message from that connection. For an ipc:// peer libzmq passes the peer's credentials in the
/// address, "localhost:uid:gid:pid"; the answer names the uid. Every such connection is accepted:
/// what a peer may do is the application's decision, per message.
///
/// A CURVE server socket has a ZAP domain of its own, with the client keys it admits
/// (`CurveAdmissions`): a key admitted is answered with its name, any other key with 400, and
/// libzmq drops that connection before a message is read. Without a handler Debian's libzmq would
/// admit every key, so the context starts the handler before its first CURVE server socket and
/// keeps it as long as the context lives.
enum ZAPHandler {
    static let endpoint = "inproc://zeromq.zap.01"
    static let domain = "peers"
    private static let userIDPrefix = "unix:"
    private static let curveUserIDPrefix = "curve:"

    /// Binds the handler's REP socket on a thread of its own and answers until the context is
    /// shut down. Returns once the socket is bound, so no connection is accepted unasked.
    static func start(context: ContextHandle, admissions: @escaping @Sendable (String) -> CurveAdmissions?) throws {
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
            serve(socket, admissions: admissions)
            zmq_close(socket)
        }
        started.wait()
        if let error = failure.withLockedValue({ $0 }) { throw error }
    }

    /// Answers requests until the context terminates.
    private static func serve(_ socket: UnsafeMutableRawPointer, admissions: (String) -> CurveAdmissions?) {
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
            let frames = reply(to: request, admissions: admissions)
            for (i, frame) in frames.enumerated() {
                let flags = i < frames.count - 1 ? ZMQ_SNDMORE : 0
                while frame.withUnsafeBytes({ zmq_send(socket, $0.baseAddress, $0.count, flags) }) < 0 {
                    if zmq_errno() != EINTR { return }
                }
            }
        }
    }

    /// The answer to one ZAP request. A CURVE client: 200 with the admitted key's name as the
    /// User-Id, 400 for a key the socket's domain does not admit (or a domain with no keys).
    /// Any other well-formed request: 200, with the unix peer's uid as the User-Id (none for any
    /// other peer).
    static func reply(to request: [[UInt8]], admissions: (String) -> CurveAdmissions? = { _ in nil }) -> [[UInt8]] {
        let requestID = request.count > 1 ? request[1] : []
        func answer(_ status: String, _ text: String, userID: String = "") -> [[UInt8]] {
            [Array("1.0".utf8), requestID, Array(status.utf8), Array(text.utf8), Array(userID.utf8), []]
        }
        guard request.count >= 6, String(decoding: request[0], as: UTF8.self) == "1.0" else {
            return answer("400", "malformed ZAP request")
        }
        let domain = String(decoding: request[2], as: UTF8.self)
        let mechanism = String(decoding: request[5], as: UTF8.self)
        let admitted = admissions(domain)
        guard mechanism == "CURVE" || admitted == nil else { return answer("400", "this socket takes CURVE clients only") }
        if mechanism == "CURVE" {
            guard let admitted else { return answer("400", "this socket admits no CURVE keys") }
            guard request.count >= 7, let key = try? CurveKey(bytes: request[6]), let name = admitted.name(of: key) else {
                return answer("400", "the client's key is not admitted")
            }
            return answer("200", "OK", userID: curveUserIDPrefix + name)
        }
        let address = String(decoding: request[3], as: UTF8.self)
        return answer("200", "OK", userID: userID(address: address))
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
        if let userID, userID.hasPrefix(curveUserIDPrefix) {
            return .curveKey(name: String(userID.dropFirst(curveUserIDPrefix.count)))
        }
        // inproc:// messages carry no properties at all; network peers at least their Socket-Type.
        return hasPeerProperties ? .unidentified : .thisProcess
    }
}

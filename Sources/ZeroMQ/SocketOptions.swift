import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

public enum SocketType: Sendable, Hashable, CustomStringConvertible {
    case req, rep, dealer, router, pub, sub, xpub, xsub, push, pull

    var zmqValue: Int32 {
        switch self {
        case .req: ZMQ_REQ
        case .rep: ZMQ_REP
        case .dealer: ZMQ_DEALER
        case .router: ZMQ_ROUTER
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        case .xpub: ZMQ_XPUB
        case .xsub: ZMQ_XSUB
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        }
    }

    public var description: String {
        switch self {
        case .req: "REQ"
        case .rep: "REP"
        case .dealer: "DEALER"
        case .router: "ROUTER"
        case .pub: "PUB"
        case .sub: "SUB"
        case .xpub: "XPUB"
        case .xsub: "XSUB"
        case .push: "PUSH"
        case .pull: "PULL"
        }
    }
}

/// Options applied (on the socket's own I/O thread) right after `zmq_socket`, before any bind/connect.
public struct SocketOptions: Sendable {
    /// ZMQ_LINGER. `.zero` discards unsent messages on close; a negative duration means infinite
    /// (only sensible for sockets that must flush; `ZMQContext.shutdown()` still never hangs).
    public var linger: Duration = .zero
    /// Maximum inbound message size in bytes; -1 = unlimited. Set as ZMQ_MAXMSGSIZE (libzmq checks
    /// each frame and disconnects a peer that exceeds it); in addition the wrapper drops inbound
    /// multipart messages whose *total* exceeds it and refuses to send such messages
    /// (`ZMQSocketError.messageTooLarge`).
    public var maxMessageSize: Int = 1 << 20
    /// ZMQ_SNDHWM (messages).
    public var sendHighWaterMark: Int32 = 10_000
    /// ZMQ_RCVHWM (messages).
    public var receiveHighWaterMark: Int32 = 10_000
    /// ZMQ_ROUTER_MANDATORY (ROUTER only): unroutable sends fail with EHOSTUNREACH instead of being dropped.
    public var routerMandatory: Bool = false
    /// ZMQ_ROUTING_ID.
    public var identity: [UInt8]? = nil
    /// SUB only: prefixes subscribed (ZMQ_SUBSCRIBE) before any connect.
    public var subscriptions: [[UInt8]] = []
    /// ZMQ_RECONNECT_IVL.
    public var reconnectInterval: Duration = .milliseconds(100)
    /// ZMQ_IMMEDIATE.
    public var immediate: Bool = false
    /// ROUTER (or any receiving socket): learn who sends each message. Sets a ZAP domain, so that
    /// the context's ZAP handler (started with the first such socket) is asked about every
    /// connection; read messages with `ZMQSocket.identifiedMessages`.
    public var identifiesPeers: Bool = false
    /// CURVE encryption and authentication (tcp:// between hosts); nil is ZeroMQ's NULL mechanism.
    /// A server's connections are admitted by the context's ZAP handler (started with the first
    /// such socket), and its messages name the admitted key (`identifiedMessages`).
    public var curve: CurveSecurity? = nil
    /// If set, `chmod`ed onto the socket file after a successful `bind` to an `ipc://` endpoint.
    public var ipcFilePermissions: mode_t? = nil
    /// REQ only: set ZMQ_REQ_RELAXED + ZMQ_REQ_CORRELATE, so that a new request can be sent after a
    /// timed-out one and stale replies are discarded by libzmq.
    public var requestRelaxed: Bool = true
    /// How many received messages may wait in memory for a consumer; beyond that the I/O thread
    /// stops reading and libzmq's receive high-water mark applies back-pressure.
    public var receiveQueueLimit: Int = 1_000

    public init() {}
}

import CZeroMQ

/// A libzmq socket owned by its own I/O thread. Every call is forwarded to that thread; the
/// socket is closed when `close()` is called, when the context shuts down, or when the last
/// reference (including a `messages` sequence) goes away.
public final class ZMQSocket: Sendable {
    let core: SocketCore

    init(core: SocketCore) { self.core = core }

    deinit { core.requestClose(ZMQSocketError.closed) }

    public var type: SocketType { core.type }
    public var label: String { core.label }
    public var options: SocketOptions { core.options }

    /// zmq_bind. Throws `ZMQError` (e.g. EPROTONOSUPPORT, EADDRINUSE, ENOENT) on failure.
    public func bind(_ endpoint: String) async throws {
        _ = try await core.bind(endpoint)
    }

    /// zmq_connect.
    public func connect(_ endpoint: String) async throws {
        try await core.connect(endpoint)
    }

    /// zmq_unbind.
    public func unbind(_ endpoint: String) async throws {
        try await core.unbind(endpoint)
    }

    /// zmq_disconnect.
    public func disconnect(_ endpoint: String) async throws {
        try await core.disconnect(endpoint)
    }

    /// Sends one multipart message; resumes once libzmq has accepted every frame. If libzmq would
    /// block (high-water mark, no peer yet) the message stays queued on the I/O thread and is
    /// retried when the socket becomes writable. Types that drop in mute state (PUB, XPUB, ROUTER
    /// without `routerMandatory`) never wait. Throws `ZMQError` (e.g. EHOSTUNREACH for an unroutable
    /// message on a ROUTER with `routerMandatory`, EFSM), `ZMQSocketError.messageTooLarge`,
    /// `ZMQSocketError.closed`, or `CancellationError` if cancelled before libzmq took a frame.
    public func send(_ frames: [[UInt8]]) async throws {
        try await core.send(frames)
    }

    /// ZMQ_SUBSCRIBE (SUB).
    public func subscribe(_ prefix: [UInt8]) async throws {
        try await core.setSubscription(true, prefix)
    }

    /// Testing only: blocks the socket's I/O thread for `duration`, as a wedged loop would be
    /// (its heartbeat stops). Returns at once; the thread blocks right after.
    public func debugStall(_ duration: Duration) async throws {
        try await core.stall(duration)
    }

    /// ZMQ_UNSUBSCRIBE (SUB).
    public func unsubscribe(_ prefix: [UInt8]) async throws {
        try await core.setSubscription(false, prefix)
    }

    /// Received messages, one element per multipart message. Meant for a single consumer; the
    /// sequence finishes when the socket is closed or its context shut down (and, for the
    /// iterating task, when that task is cancelled).
    public var messages: ZMQMessages { ZMQMessages(socket: self) { $0.frames } }

    /// Received messages with their senders; meant for a socket whose options set `identifiesPeers`
    /// (otherwise every peer is `.unidentified`). A single consumer, as for `messages`.
    public var identifiedMessages: ZMQMessageSequence<IdentifiedMessage> {
        ZMQMessageSequence(socket: self) { IdentifiedMessage(frames: $0.frames, peer: $0.peer ?? .unidentified) }
    }

    /// The next message, or `ZMQSocketError.timeout` when `timeout` passes first.
    public func receive(timeout: Duration) async throws -> [[UInt8]] {
        try await core.receive(deadline: .now + timeout).frames
    }

    /// The next message, waiting as long as it takes.
    public func receive() async throws -> [[UInt8]] {
        try await core.receive(deadline: nil).frames
    }

    /// Sends `frames` and waits for the next message received after libzmq accepted them, within
    /// `timeout` (counted from this call, including the time the send was queued).
    /// On REQ sockets (with `requestRelaxed`, the default) a reply to an earlier, timed-out request
    /// is never returned.
    public func request(_ frames: [[UInt8]], timeout: Duration) async throws -> [[UInt8]] {
        try await core.request(frames, deadline: .now + timeout).frames
    }

    /// Closes the socket on its I/O thread (respecting `linger`) and waits until it is closed.
    /// Pending operations fail with `ZMQSocketError.closed`. Idempotent.
    public func close() async {
        core.requestClose(ZMQSocketError.closed)
        await core.awaitClosed()
    }

    public var isClosed: Bool { core.isClosed }

    /// Last time the socket's I/O loop went round (at least every 500 ms while it runs).
    public var lastHeartbeat: ContinuousClock.Instant { core.lastHeartbeat }

    /// ZMQ_LAST_ENDPOINT after the most recent successful bind (resolves `tcp://*:0`, `ipc://*`).
    public var lastEndpoint: String? { core.lastEndpoint }

    /// Inbound messages dropped because their total size exceeded `maxMessageSize`.
    public var droppedOversizedMessages: Int { core.droppedOversizedMessages }
}

/// A received message and the peer that sent it (see `ZMQSocket.identifiedMessages`).
public struct IdentifiedMessage: Sendable {
    public let frames: [[UInt8]]
    public let peer: ZMQPeer
}

/// Received multipart messages, one element per message (see `ZMQSocket.messages`).
public typealias ZMQMessages = ZMQMessageSequence<[[UInt8]]>

/// `AsyncSequence` of received messages, each seen through `element`.
public struct ZMQMessageSequence<Element: Sendable>: AsyncSequence, Sendable {
    public typealias Failure = Never

    let socket: ZMQSocket
    let element: @Sendable (Inbound) -> Element

    public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        public typealias Failure = Never

        let socket: ZMQSocket
        let element: @Sendable (Inbound) -> Element
        var done = false

        public mutating func next() async -> Element? {
            if done { return nil }
            do {
                return element(try await socket.core.receive(deadline: nil))
            } catch {
                if !(error is CancellationError) { done = true }
                return nil
            }
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async -> Element? {
            await next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(socket: socket, element: element) }
}

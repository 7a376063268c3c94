import CivilTime
import CZeroMQ
import NIOConcurrencyHelpers
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

typealias Message = [[UInt8]]
typealias MessageContinuation = CheckedContinuation<Inbound, any Error>

/// A message as read from libzmq, with who sent it when the socket identifies its peers.
struct Inbound: Sendable {
    let frames: Message
    let peer: ZMQPeer?
}

/// What to do when the I/O thread has handed every frame of an outbound message to libzmq
/// (or failed to).
enum SendCompletion: Sendable {
    /// A plain `send`: resume the caller.
    case caller(CheckedContinuation<Void, any Error>)
    /// `request` on a queue-mode socket: arm the receiver with this id.
    case armReceiver(UInt64)
    /// `ZMQRequester`: on failure resume the pending request with this correlation id.
    case reply(String)
}

struct OutboundItem: Sendable {
    let id: UInt64
    let frames: Message
    let completion: SendCompletion
}

enum Command: Sendable {
    case bind(String, CheckedContinuation<String?, any Error>)
    case connect(String, CheckedContinuation<Void, any Error>)
    case unbind(String, CheckedContinuation<Void, any Error>)
    case disconnect(String, CheckedContinuation<Void, any Error>)
    case subscription(subscribe: Bool, [UInt8], CheckedContinuation<Void, any Error>)
    case send(OutboundItem)
    /// Remove the outbound item with this id if libzmq has not taken any of its frames yet, and
    /// fail its completion with CancellationError.
    case cancelSend(UInt64)
    /// Testing: block the owning thread for a while, as a wedged I/O loop would be.
    case stall(Duration, CheckedContinuation<Void, any Error>)
}

struct Receiver: Sendable {
    let id: UInt64
    let continuation: MessageContinuation
    let deadline: ContinuousClock.Instant?
    /// A `request` receiver is armed by the I/O thread only once its request has been sent,
    /// so that it can never be handed a message that was read before.
    var armed: Bool
}

struct PendingReply: Sendable {
    let id: UInt64
    let continuation: MessageContinuation
    let deadline: ContinuousClock.Instant
}

/// A FIFO with amortised O(1) pops.
struct FIFO<Element: Sendable>: Sendable {
    private var storage: [Element] = []
    private var head = 0

    var isEmpty: Bool { head == storage.count }
    var count: Int { storage.count - head }

    mutating func append(_ e: Element) { storage.append(e) }

    mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let e = storage[head]
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: storage.count < 4096)
            head = 0
        } else if head >= 1024 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return e
    }

    mutating func removeAll() { storage.removeAll(); head = 0 }
}

/// State shared between the async callers and the socket's I/O thread, always under `SocketCore.shared`.
struct SharedState: Sendable {
    // Commands for the I/O thread.
    var commands: [Command] = []
    var wakePending = false

    // Lifecycle.
    /// Set once a close has been requested (or the loop died); new operations fail with it.
    var terminalError: (any Error)? = nil
    var closeRequested = false
    var finished = false
    var closeWaiters: [CheckedContinuation<Void, Never>] = []
    var startupError: (any Error)? = nil

    // Inbound, queue mode.
    var inbox = FIFO<Inbound>()
    var receivers: [Receiver] = []
    var readerParked = false

    // Inbound, dispatch mode (ZMQRequester).
    var pending: [String: PendingReply] = [:]

    /// Lower bound of all receiver / pending deadlines.
    var earliestDeadline: ContinuousClock.Instant? = nil

    var lastEndpoint: String? = nil
    var droppedOversized = 0

    /// Records a new deadline; true if it is earlier than everything the I/O thread knows about
    /// (so it must be woken to shorten its poll timeout).
    mutating func noteDeadline(_ d: ContinuousClock.Instant) -> Bool {
        if let e = earliestDeadline, e <= d { return false }
        earliestDeadline = d
        return true
    }

    /// Marks that the I/O thread must be woken; returns whether the caller has to write the eventfd.
    mutating func needsWake() -> Bool {
        if wakePending { return false }
        wakePending = true
        return true
    }
}

/// Resumptions collected under the lock and performed after releasing it.
struct Resumptions {
    var messages: [(MessageContinuation, Result<Inbound, any Error>)] = []
    var voids: [CheckedContinuation<Void, Never>] = []

    mutating func fail(_ c: MessageContinuation, _ e: any Error) { messages.append((c, .failure(e))) }
    mutating func deliver(_ c: MessageContinuation, _ m: Inbound) { messages.append((c, .success(m))) }

    func run() {
        for (c, r) in messages { c.resume(with: r) }
        for c in voids { c.resume() }
    }
}

/// The Sendable half of a socket: everything the rest of the program may touch. The libzmq socket
/// itself lives only inside `IOLoop`, on the socket's own thread.
final class SocketCore: Sendable {
    let type: SocketType
    let options: SocketOptions
    let label: String
    let context: ZMQContext
    let eventFD: Int32
    /// Non-nil for a `ZMQRequester` socket: replies are routed to pending requests by this key.
    let router: (@Sendable (Message) -> String?)?
    let shared = NIOLockedValueBox(SharedState())
    /// The ZAP domain of a CURVE server socket: its own, so the handler knows whose keys to admit.
    let curveDomain = "curve.\(SocketCore.nextID())"

    private let heartbeatBase = ContinuousClock.now
    private let heartbeatNanos = Atomic<Int64>(0)
    private static let ids = Atomic<UInt64>(1)

    init(context: ZMQContext, type: SocketType, options: SocketOptions, label: String,
         router: (@Sendable (Message) -> String?)?) throws(ZMQError) {
        let fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        if fd < 0 { throw ZMQError(code: errno, operation: "eventfd") }
        self.eventFD = fd
        self.context = context
        self.type = type
        self.options = options
        self.label = label
        self.router = router
    }

    deinit { Glibc.close(eventFD) }

    var isCurveServer: Bool {
        if case .server? = options.curve { return true }
        return false
    }

    var displayName: String { label.isEmpty ? "\(type)" : "\(type) \(label)" }

    static func nextID() -> UInt64 { ids.add(1, ordering: .relaxed).newValue }

    // MARK: heartbeat

    func beat() {
        heartbeatNanos.store((ContinuousClock.now - heartbeatBase).nanoseconds, ordering: .relaxed)
    }

    var lastHeartbeat: ContinuousClock.Instant {
        heartbeatBase + .nanoseconds(heartbeatNanos.load(ordering: .relaxed))
    }

    // MARK: waking the I/O thread

    func wake() {
        var one: UInt64 = 1
        while true {
            let rc = write(eventFD, &one, 8)
            if rc >= 0 || errno != EINTR { return }
        }
    }

    func drainWakeups() {
        var value: UInt64 = 0
        while read(eventFD, &value, 8) > 0 {}
    }

    /// Queues a command, or returns the terminal error if the socket is closed.
    private func enqueue(_ command: Command) -> (any Error)? {
        let (error, wake) = shared.withLockedValue { s -> ((any Error)?, Bool) in
            if let e = s.terminalError { return (e, false) }
            s.commands.append(command)
            return (nil, s.needsWake())
        }
        if wake { self.wake() }
        return error
    }

    // MARK: commands

    func stall(_ duration: Duration) async throws {
        try await withCheckedThrowingContinuation { c in
            if let e = enqueue(.stall(duration, c)) { c.resume(throwing: e) }
        }
    }

    func bind(_ endpoint: String) async throws -> String? {
        try await withCheckedThrowingContinuation { c in
            if let e = enqueue(.bind(endpoint, c)) { c.resume(throwing: e) }
        }
    }

    func connect(_ endpoint: String) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            if let e = enqueue(.connect(endpoint, c)) { c.resume(throwing: e) }
        }
    }

    func unbind(_ endpoint: String) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            if let e = enqueue(.unbind(endpoint, c)) { c.resume(throwing: e) }
        }
    }

    func disconnect(_ endpoint: String) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            if let e = enqueue(.disconnect(endpoint, c)) { c.resume(throwing: e) }
        }
    }

    func setSubscription(_ subscribe: Bool, _ prefix: [UInt8]) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            if let e = enqueue(.subscription(subscribe: subscribe, prefix, c)) { c.resume(throwing: e) }
        }
    }

    func checkOutbound(_ frames: Message) throws {
        if frames.isEmpty { throw ZMQError(code: EINVAL, operation: "send(\(displayName)): empty message") }
        if options.maxMessageSize >= 0 {
            let total = frames.reduce(0) { $0 + $1.count }
            if total > options.maxMessageSize { throw ZMQSocketError.messageTooLarge(total) }
        }
    }

    func send(_ frames: Message) async throws {
        try checkOutbound(frames)
        let id = Self.nextID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let (error, wake) = shared.withLockedValue { s -> ((any Error)?, Bool) in
                    if let e = s.terminalError { return (e, false) }
                    if Task.isCancelled { return (CancellationError(), false) }
                    s.commands.append(.send(OutboundItem(id: id, frames: frames, completion: .caller(c))))
                    return (nil, s.needsWake())
                }
                if let error { c.resume(throwing: error) }
                if wake { self.wake() }
            }
        } onCancel: {
            _ = enqueue(.cancelSend(id))
        }
    }

    // MARK: receiving (queue mode)

    func receive(deadline: ContinuousClock.Instant?) async throws -> Inbound {
        let id = Self.nextID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: MessageContinuation) in
                var result: Result<Inbound, any Error>? = nil
                let wake = shared.withLockedValue { s -> Bool in
                    if let e = s.terminalError { result = .failure(e); return false }
                    if Task.isCancelled { result = .failure(CancellationError()); return false }
                    if let m = s.inbox.popFirst() {
                        result = .success(m)
                        return unparkIfNeeded(&s)
                    }
                    if let d = deadline, d <= .now { result = .failure(ZMQSocketError.timeout); return false }
                    s.receivers.append(Receiver(id: id, continuation: c, deadline: deadline, armed: true))
                    if let d = deadline { return s.noteDeadline(d) && s.needsWake() }
                    return false
                }
                if let result { c.resume(with: result) }
                if wake { self.wake() }
            }
        } onCancel: {
            cancelReceiver(id)
        }
    }

    /// Queue-mode request: the receiver is registered (unarmed) before the send is queued and armed
    /// by the I/O thread once libzmq accepted the request, so it only sees messages read afterwards.
    func request(_ frames: Message, deadline: ContinuousClock.Instant) async throws -> Inbound {
        try checkOutbound(frames)
        let id = Self.nextID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: MessageContinuation) in
                var failure: (any Error)? = nil
                let wake = shared.withLockedValue { s -> Bool in
                    if let e = s.terminalError { failure = e; return false }
                    if Task.isCancelled { failure = CancellationError(); return false }
                    s.receivers.append(Receiver(id: id, continuation: c, deadline: deadline, armed: false))
                    _ = s.noteDeadline(deadline)
                    s.commands.append(.send(OutboundItem(id: id, frames: frames, completion: .armReceiver(id))))
                    return s.needsWake()
                }
                if let failure { c.resume(throwing: failure) }
                if wake { self.wake() }
            }
        } onCancel: {
            cancelReceiver(id)
            _ = enqueue(.cancelSend(id))
        }
    }

    private func cancelReceiver(_ id: UInt64) {
        let c = shared.withLockedValue { s -> MessageContinuation? in
            guard let i = s.receivers.firstIndex(where: { $0.id == id }) else { return nil }
            return s.receivers.remove(at: i).continuation
        }
        c?.resume(throwing: CancellationError())
    }

    /// Called with the lock held after a consumer took a message from the inbox.
    private func unparkIfNeeded(_ s: inout SharedState) -> Bool {
        if s.readerParked && s.inbox.count < options.receiveQueueLimit {
            s.readerParked = false
            return s.needsWake()
        }
        return false
    }

    // MARK: dispatch mode (ZMQRequester)

    func dispatchRequest(_ frames: Message, correlationID: String, deadline: ContinuousClock.Instant) async throws -> Inbound {
        try checkOutbound(frames)
        let id = Self.nextID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: MessageContinuation) in
                var failure: (any Error)? = nil
                let wake = shared.withLockedValue { s -> Bool in
                    if let e = s.terminalError { failure = e; return false }
                    if Task.isCancelled { failure = CancellationError(); return false }
                    if s.pending[correlationID] != nil {
                        failure = ZMQError(code: EALREADY, operation: "request(\(displayName)): correlation id \(correlationID) already in flight")
                        return false
                    }
                    s.pending[correlationID] = PendingReply(id: id, continuation: c, deadline: deadline)
                    _ = s.noteDeadline(deadline)
                    s.commands.append(.send(OutboundItem(id: id, frames: frames, completion: .reply(correlationID))))
                    return s.needsWake()
                }
                if let failure { c.resume(throwing: failure) }
                if wake { self.wake() }
            }
        } onCancel: {
            let c = shared.withLockedValue { s -> MessageContinuation? in
                guard let p = s.pending[correlationID], p.id == id else { return nil }
                s.pending[correlationID] = nil
                return p.continuation
            }
            c?.resume(throwing: CancellationError())
            _ = enqueue(.cancelSend(id))
        }
    }

    // MARK: close

    /// Asks the I/O thread to close the socket; operations from now on fail with `error`.
    func requestClose(_ error: any Error) {
        let wake = shared.withLockedValue { s -> Bool in
            if s.closeRequested || s.finished { return false }
            s.closeRequested = true
            if s.terminalError == nil { s.terminalError = error }
            return s.needsWake()
        }
        if wake { self.wake() }
    }

    func awaitClosed() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = shared.withLockedValue { s -> Bool in
                if s.finished { return true }
                s.closeWaiters.append(c)
                return false
            }
            if done { c.resume() }
        }
    }

    var isClosed: Bool { shared.withLockedValue { $0.terminalError != nil } }

    var lastEndpoint: String? { shared.withLockedValue { $0.lastEndpoint } }

    var droppedOversizedMessages: Int { shared.withLockedValue { $0.droppedOversized } }
}

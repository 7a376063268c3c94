import CivilTime
import CZeroMQ
import Dispatch
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// The thread-confined half of a socket. An `IOLoop` and its libzmq socket are created, used and
/// closed on one dedicated POSIX thread; nothing else ever sees the socket pointer.
final class IOLoop {
    /// Upper bound of one `zmq_poll`, so the heartbeat advances at least this often.
    static let maxPollMilliseconds: Int32 = 500
    /// Messages read per POLLIN before going back to commands / sends.
    static let readBatch = 64

    let core: SocketCore
    private let socket: UnsafeMutableRawPointer
    private let msg: UnsafeMutablePointer<zmq_msg_t>
    private var outbound: [OutboundItem] = []
    private var outboundHead = 0
    /// Frames of `outbound[outboundHead]` already accepted by libzmq.
    private var frameIndex = 0
    /// Milliseconds to wait before retrying a send that hit EAGAIN although POLLOUT was reported
    /// (ROUTER_MANDATORY reports POLLOUT when *any* peer is writable).
    private var sendBackoff: Int32 = 0
    private var pollOutSeen = false

    // MARK: start-up

    /// Starts the socket's thread, creates and configures the socket on it, and waits for the result.
    static func start(core: SocketCore, context: ContextHandle) throws {
        let started = DispatchSemaphore(value: 0)
        let threadName = "zmq-" + (core.label.isEmpty ? core.type.description : core.label)
        try spawnDetachedThread(name: threadName) {
            let loop: IOLoop
            do {
                loop = try IOLoop(core: core, context: context)
            } catch {
                core.shared.withLockedValue { $0.startupError = error }
                started.signal()
                core.finishLoop(error: error)
                return
            }
            started.signal()
            loop.run()
        }
        started.wait()
        if let error = core.shared.withLockedValue({ $0.startupError }) { throw error }
    }

    private init(core: SocketCore, context: ContextHandle) throws {
        self.core = core
        guard let s = zmq_socket(context.pointer, core.type.zmqValue) else {
            throw ZMQError.last("zmq_socket(\(core.displayName))")
        }
        do {
            try Self.configure(s, core: core)
        } catch {
            zmq_close(s)
            throw error
        }
        socket = s
        msg = .allocate(capacity: 1)
        zmq_msg_init(msg)
    }

    deinit {
        zmq_msg_close(msg)
        msg.deallocate()
    }

    private static func configure(_ s: UnsafeMutableRawPointer, core: SocketCore) throws {
        let o = core.options
        func setInt(_ option: Int32, _ value: Int32, _ name: String) throws {
            var v = value
            if zmq_setsockopt(s, option, &v, MemoryLayout<Int32>.size) != 0 {
                throw ZMQError.last("zmq_setsockopt(\(name)=\(value))")
            }
        }
        func setBytes(_ option: Int32, _ value: [UInt8], _ name: String) throws {
            let rc = value.withUnsafeBytes { zmq_setsockopt(s, option, $0.baseAddress, $0.count) }
            if rc != 0 { throw ZMQError.last("zmq_setsockopt(\(name))") }
        }
        try setInt(ZMQ_LINGER, o.linger.timeoutMilliseconds, "ZMQ_LINGER")
        var maxSize = Int64(o.maxMessageSize < 0 ? -1 : o.maxMessageSize)
        if zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxSize, MemoryLayout<Int64>.size) != 0 {
            throw ZMQError.last("zmq_setsockopt(ZMQ_MAXMSGSIZE=\(maxSize))")
        }
        try setInt(ZMQ_SNDHWM, o.sendHighWaterMark, "ZMQ_SNDHWM")
        try setInt(ZMQ_RCVHWM, o.receiveHighWaterMark, "ZMQ_RCVHWM")
        try setInt(ZMQ_RECONNECT_IVL, o.reconnectInterval.timeoutMilliseconds, "ZMQ_RECONNECT_IVL")
        if o.immediate { try setInt(ZMQ_IMMEDIATE, 1, "ZMQ_IMMEDIATE") }
        if let identity = o.identity { try setBytes(ZMQ_ROUTING_ID, identity, "ZMQ_ROUTING_ID") }
        if case let .server(keyPair, _)? = o.curve {
            try setInt(ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER")
            try setBytes(ZMQ_CURVE_SECRETKEY, keyPair.secretKey.bytes, "ZMQ_CURVE_SECRETKEY")
            // The context started its ZAP handler before this socket, and it lives as long as the
            // context: never libzmq's default of admitting every key (ZMQ_ZAP_ENFORCE_DOMAIN, which
            // would say so to libzmq, is draft API, outside what Debian's zmq.h offers).
            try setBytes(ZMQ_ZAP_DOMAIN, Array(core.curveDomain.utf8), "ZMQ_ZAP_DOMAIN")
        } else if o.identifiesPeers {
            try setBytes(ZMQ_ZAP_DOMAIN, Array(ZAPHandler.domain.utf8), "ZMQ_ZAP_DOMAIN")
        }
        if case let .client(keyPair, serverKey)? = o.curve {
            try setBytes(ZMQ_CURVE_SERVERKEY, serverKey.bytes, "ZMQ_CURVE_SERVERKEY")
            try setBytes(ZMQ_CURVE_PUBLICKEY, keyPair.publicKey.bytes, "ZMQ_CURVE_PUBLICKEY")
            try setBytes(ZMQ_CURVE_SECRETKEY, keyPair.secretKey.bytes, "ZMQ_CURVE_SECRETKEY")
        }
        if core.type == .router && o.routerMandatory {
            try setInt(ZMQ_ROUTER_MANDATORY, 1, "ZMQ_ROUTER_MANDATORY")
        }
        if core.type == .req && o.requestRelaxed {
            try setInt(ZMQ_REQ_RELAXED, 1, "ZMQ_REQ_RELAXED")
            try setInt(ZMQ_REQ_CORRELATE, 1, "ZMQ_REQ_CORRELATE")
        }
        if core.type == .sub {
            for prefix in o.subscriptions { try setBytes(ZMQ_SUBSCRIBE, prefix, "ZMQ_SUBSCRIBE") }
        }
    }

    // MARK: the loop

    private func run() {
        var items = [zmq_pollitem_t](repeating: zmq_pollitem_t(), count: 2)
        let exitError: any Error
        loop: while true {
            core.beat()
            let (commands, closing) = core.shared.withLockedValue { s -> ([Command], Bool) in
                s.wakePending = false
                let c = s.commands
                s.commands.removeAll()
                return (c, s.closeRequested)
            }
            for (i, command) in commands.enumerated() {
                if let fatal = execute(command) {
                    for rest in commands[(i + 1)...] { fail(rest, fatal) }
                    exitError = fatal
                    break loop
                }
            }
            if let fatal = flush() { exitError = fatal; break }
            if closing {
                exitError = core.shared.withLockedValue { $0.terminalError } ?? ZMQSocketError.closed
                break
            }

            let (wantIn, timeout, expired) = core.prepareToPoll(now: .now)
            for id in expired { cancelOutbound(id, error: ZMQSocketError.timeout) }

            var events: Int16 = wantIn ? Int16(ZMQ_POLLIN) : 0
            var pollTimeout = timeout
            if hasOutbound {
                if sendBackoff > 0 { pollTimeout = min(pollTimeout, sendBackoff) } else { events |= Int16(ZMQ_POLLOUT) }
            }
            items[0] = zmq_pollitem_t(socket: socket, fd: 0, events: events, revents: 0)
            items[1] = zmq_pollitem_t(socket: nil, fd: core.eventFD, events: Int16(ZMQ_POLLIN), revents: 0)
            let rc = zmq_poll(&items, 2, Int(pollTimeout))
            if rc < 0 {
                let e = zmq_errno()
                if e == EINTR { continue }
                exitError = ZMQError(code: e, operation: "zmq_poll(\(core.displayName))")
                break
            }
            if items[1].revents & Int16(ZMQ_POLLIN) != 0 { core.drainWakeups() }
            pollOutSeen = items[0].revents & Int16(ZMQ_POLLOUT) != 0
            if items[0].revents & Int16(ZMQ_POLLIN) != 0, let fatal = readAvailable() {
                exitError = fatal
                break
            }
        }
        finish(exitError)
    }

    private func finish(_ error: any Error) {
        zmq_close(socket)
        let leftovers = outbound[outboundHead...]
        outbound.removeAll()
        outboundHead = 0
        for item in leftovers { complete(item, error: error) }
        core.finishLoop(error: error)
    }

    // MARK: commands

    /// Runs one command; returns an error only if the socket is unusable from now on (ETERM).
    private func execute(_ command: Command) -> ZMQError? {
        func check(_ rc: Int32, _ op: @autoclosure () -> String) -> ZMQError? {
            rc == 0 ? nil : ZMQError.last(op())
        }
        var result: ZMQError? = nil
        switch command {
        case let .bind(endpoint, c):
            if let e = check(zmq_bind(socket, endpoint), "zmq_bind(\(endpoint))") {
                c.resume(throwing: e)
                result = e
            } else {
                let last = lastEndpoint()
                core.shared.withLockedValue { $0.lastEndpoint = last }
                if let mode = core.options.ipcFilePermissions, let ep = last ?? Optional(endpoint),
                   ep.hasPrefix("ipc://"), !ep.hasPrefix("ipc://@") {
                    let path = String(ep.dropFirst(6))
                    if chmod(path, mode) != 0 {
                        c.resume(throwing: ZMQError(code: errno, operation: "chmod(\(path))"))
                        return nil
                    }
                }
                c.resume(returning: last)
            }
        case let .connect(endpoint, c):
            result = check(zmq_connect(socket, endpoint), "zmq_connect(\(endpoint))")
            c.resume(with: result.map { .failure($0) } ?? .success(()))
        case let .unbind(endpoint, c):
            result = check(zmq_unbind(socket, endpoint), "zmq_unbind(\(endpoint))")
            c.resume(with: result.map { .failure($0) } ?? .success(()))
        case let .disconnect(endpoint, c):
            result = check(zmq_disconnect(socket, endpoint), "zmq_disconnect(\(endpoint))")
            c.resume(with: result.map { .failure($0) } ?? .success(()))
        case let .subscription(subscribe, prefix, c):
            let option = subscribe ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE
            let rc = prefix.withUnsafeBytes { zmq_setsockopt(socket, option, $0.baseAddress, $0.count) }
            result = check(rc, subscribe ? "zmq_setsockopt(ZMQ_SUBSCRIBE)" : "zmq_setsockopt(ZMQ_UNSUBSCRIBE)")
            c.resume(with: result.map { .failure($0) } ?? .success(()))
        case let .send(item):
            outbound.append(item)
        case let .cancelSend(id):
            cancelOutbound(id, error: CancellationError())
        case let .stall(duration, c):
            c.resume()
            let (seconds, attoseconds) = duration.components
            usleep(UInt32(min(Int64(60_000_000), seconds * 1_000_000 + attoseconds / 1_000_000_000_000)))
        }
        if let result, result.isTerminated { return result }
        return nil
    }

    private func fail(_ command: Command, _ error: any Error) {
        switch command {
        case let .bind(_, c): c.resume(throwing: error)
        case let .connect(_, c), let .unbind(_, c), let .disconnect(_, c), let .subscription(_, _, c):
            c.resume(throwing: error)
        case let .send(item): complete(item, error: error)
        case let .stall(_, c): c.resume(throwing: error)
        case .cancelSend: break
        }
    }

    private func lastEndpoint() -> String? {
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        let rc = zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, &buffer, &size)
        guard rc == 0 else { return nil }
        let s = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return s.isEmpty ? nil : s
    }

    // MARK: sending

    private var hasOutbound: Bool { outboundHead < outbound.count }

    /// Hands queued messages to libzmq until it would block. Returns an error only on ETERM.
    private func flush() -> ZMQError? {
        while outboundHead < outbound.count {
            let item = outbound[outboundHead]
            var failure: ZMQError? = nil
            let frames = item.frames
            while frameIndex < frames.count {
                let more = frameIndex < frames.count - 1
                let flags = ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0)
                let rc = frames[frameIndex].withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, flags) }
                if rc >= 0 { frameIndex += 1; continue }
                let e = zmq_errno()
                if e == EINTR { continue }
                if e == EAGAIN {
                    // High-water mark (or no peer yet): keep the message and retry on POLLOUT.
                    if pollOutSeen || sendBackoff > 0 { sendBackoff = min(max(1, sendBackoff * 2), 50) }
                    pollOutSeen = false
                    return nil
                }
                let error = ZMQError(code: e, operation: "zmq_send(\(core.displayName))")
                if error.isTerminated { return error }
                failure = error
                break
            }
            popOutbound()
            sendBackoff = 0
            complete(item, error: failure)
        }
        return nil
    }

    private func popOutbound() {
        outboundHead += 1
        frameIndex = 0
        if outboundHead == outbound.count {
            outbound.removeAll(keepingCapacity: true)
            outboundHead = 0
        } else if outboundHead >= 256 && outboundHead * 2 >= outbound.count {
            outbound.removeFirst(outboundHead)
            outboundHead = 0
        }
    }

    /// Removes a queued message libzmq has not started on, failing its completion with `error`.
    private func cancelOutbound(_ id: UInt64, error: any Error) {
        guard let i = outbound[outboundHead...].firstIndex(where: { $0.id == id }) else { return }
        if i == outboundHead && frameIndex > 0 { return }  // partly sent: must finish
        let item = outbound.remove(at: i)
        if outboundHead == outbound.count { outbound.removeAll(keepingCapacity: true); outboundHead = 0 }
        complete(item, error: error)
    }

    private func complete(_ item: OutboundItem, error: (any Error)?) {
        switch item.completion {
        case let .caller(c):
            if let error { c.resume(throwing: error) } else { c.resume() }
        case let .armReceiver(id):
            core.armReceiver(id, error: error)
        case let .reply(correlationID):
            if let error { core.failPending(correlationID, id: item.id, error: error) }
        }
    }

    // MARK: receiving

    private enum Received {
        case message(Inbound)
        case oversized
        case nothing
        case failed(ZMQError)
    }

    /// Reads up to `readBatch` messages and hands them over. Returns an error if the socket died.
    private func readAvailable() -> ZMQError? {
        var batch: [Inbound] = []
        var dropped = 0
        var fatal: ZMQError? = nil
        reading: for _ in 0..<Self.readBatch {
            switch receiveOne() {
            case let .message(m): batch.append(m)
            case .oversized: dropped += 1
            case .nothing: break reading
            case let .failed(e): fatal = e; break reading
            }
        }
        if !batch.isEmpty || dropped > 0 { core.deliver(batch, dropped: dropped) }
        return fatal
    }

    /// Receives one complete multipart message with zmq_msg_recv (no size limit other than
    /// `maxMessageSize`, which applies to the total of all frames).
    private func receiveOne() -> Received {
        var frames: Message = []
        var peer: ZMQPeer? = nil
        var total = 0
        var oversized = false
        var started = false
        let limit = core.options.maxMessageSize
        while true {
            let rc = zmq_msg_recv(msg, socket, ZMQ_DONTWAIT)
            if rc < 0 {
                let e = zmq_errno()
                if e == EINTR { continue }
                if e == EAGAIN || e == ZMQError.EFSM {
                    if !started { return .nothing }
                    continue  // libzmq delivers multipart messages atomically; the rest is there
                }
                return .failed(ZMQError(code: e, operation: "zmq_msg_recv(\(core.displayName))"))
            }
            started = true
            let size = zmq_msg_size(msg)
            total += size
            if !oversized {
                if limit >= 0 && total > limit {
                    oversized = true
                    frames = []
                } else if size == 0 {
                    frames.append([])
                } else {
                    frames.append([UInt8](UnsafeRawBufferPointer(start: zmq_msg_data(msg), count: size)))
                }
            }
            if zmq_msg_more(msg) == 0 {
                if core.options.identifiesPeers || core.isCurveServer {
                    // Read from the last frame, which came from the peer (a ROUTER's first frame is
                    // its own routing id, without properties), on this thread before the next recv.
                    peer = ZAPHandler.peer(userID: zmq_msg_gets(msg, "User-Id").map { String(cString: $0) },
                                           hasPeerProperties: zmq_msg_gets(msg, "Socket-Type") != nil)
                }
                break
            }
        }
        return oversized ? .oversized : .message(Inbound(frames: frames, peer: peer))
    }
}

// MARK: - I/O-thread side of SocketCore

extension SocketCore {
    /// Expires deadlines and decides what to poll for. Called by the I/O thread before each poll.
    func prepareToPoll(now: ContinuousClock.Instant) -> (wantIn: Bool, timeout: Int32, expired: [UInt64]) {
        var resumptions = Resumptions()
        let limit = max(1, options.receiveQueueLimit)
        let result = shared.withLockedValue { s -> (Bool, Int32, [UInt64]) in
            var expired: [UInt64] = []
            if let earliest = s.earliestDeadline, earliest <= now {
                var next: ContinuousClock.Instant? = nil
                var kept: [Receiver] = []
                kept.reserveCapacity(s.receivers.count)
                for r in s.receivers {
                    if let d = r.deadline {
                        if d <= now {
                            resumptions.fail(r.continuation, ZMQSocketError.timeout)
                            expired.append(r.id)
                            continue
                        }
                        next = next.map { min($0, d) } ?? d
                    }
                    kept.append(r)
                }
                s.receivers = kept
                for (key, p) in s.pending {
                    if p.deadline <= now {
                        s.pending[key] = nil
                        resumptions.fail(p.continuation, ZMQSocketError.timeout)
                        expired.append(p.id)
                    } else {
                        next = next.map { min($0, p.deadline) } ?? p.deadline
                    }
                }
                s.earliestDeadline = next
            }
            let wantIn = router != nil || s.inbox.count < limit
            if !wantIn { s.readerParked = true }
            var timeout = IOLoop.maxPollMilliseconds
            if let e = s.earliestDeadline { timeout = max(0, min(timeout, (e - now).timeoutMilliseconds)) }
            return (wantIn, timeout, expired)
        }
        resumptions.run()
        return result
    }

    /// Hands received messages to waiting receivers / pending requests, or queues them.
    func deliver(_ batch: [Inbound], dropped: Int) {
        var resumptions = Resumptions()
        if let router {
            let keys = batch.map { router($0.frames) }
            shared.withLockedValue { s in
                s.droppedOversized += dropped
                for (m, key) in zip(batch, keys) {
                    // Unknown / late replies are discarded.
                    if let key, let p = s.pending.removeValue(forKey: key) { resumptions.deliver(p.continuation, m) }
                }
            }
        } else {
            shared.withLockedValue { s in
                s.droppedOversized += dropped
                for m in batch {
                    if let i = s.receivers.firstIndex(where: { $0.armed }) {
                        resumptions.deliver(s.receivers.remove(at: i).continuation, m)
                    } else {
                        s.inbox.append(m)
                    }
                }
            }
        }
        resumptions.run()
    }

    /// A `request` has been handed to libzmq (or failed): arm (or fail) its receiver.
    func armReceiver(_ id: UInt64, error: (any Error)?) {
        var resumptions = Resumptions()
        shared.withLockedValue { s in
            guard let i = s.receivers.firstIndex(where: { $0.id == id }) else { return }
            if let error {
                resumptions.fail(s.receivers.remove(at: i).continuation, error)
                return
            }
            if type == .req {
                // Anything read before the request went out answers an earlier (timed-out) request.
                s.inbox.removeAll()
                s.readerParked = false
                s.receivers[i].armed = true
            } else if let m = s.inbox.popFirst() {
                resumptions.deliver(s.receivers.remove(at: i).continuation, m)
                s.readerParked = false
            } else {
                s.receivers[i].armed = true
            }
        }
        resumptions.run()
    }

    func failPending(_ correlationID: String, id: UInt64, error: any Error) {
        let c = shared.withLockedValue { s -> MessageContinuation? in
            guard let p = s.pending[correlationID], p.id == id else { return nil }
            s.pending[correlationID] = nil
            return p.continuation
        }
        c?.resume(throwing: error)
    }

    /// The loop is gone (or never started): fail everything still waiting and release the context.
    func finishLoop(error: any Error) {
        var resumptions = Resumptions()
        let commands = shared.withLockedValue { s -> [Command] in
            s.finished = true
            s.closeRequested = true
            if s.terminalError == nil { s.terminalError = error }
            let failWith = s.terminalError ?? error
            for r in s.receivers { resumptions.fail(r.continuation, failWith) }
            for p in s.pending.values { resumptions.fail(p.continuation, failWith) }
            s.receivers.removeAll()
            s.pending.removeAll()
            s.inbox.removeAll()
            resumptions.voids = s.closeWaiters
            s.closeWaiters.removeAll()
            let c = s.commands
            s.commands.removeAll()
            return c
        }
        let failWith = shared.withLockedValue { $0.terminalError } ?? error
        for command in commands {
            switch command {
            case let .bind(_, c): c.resume(throwing: failWith)
            case let .connect(_, c), let .unbind(_, c), let .disconnect(_, c), let .subscription(_, _, c):
                c.resume(throwing: failWith)
            case let .send(item):
                if case let .caller(c) = item.completion { c.resume(throwing: failWith) }
            case let .stall(_, c): c.resume(throwing: failWith)
            case .cancelSend: break
            }
        }
        resumptions.run()
        context.unregister(self)
    }
}

import CZeroMQ
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// A libzmq context. Every socket created from it gets its own I/O thread.
public final class ZMQContext: Sendable {
    private enum Phase: Sendable {
        case running
        case shuttingDown([CheckedContinuation<Void, Never>])
        case done
    }

    private struct State: Sendable {
        var phase: Phase = .running
        var sockets: [ObjectIdentifier: SocketCore] = [:]
        var zapHandlerStarted = false
    }

    let handle: ContextHandle
    private let state = NIOLockedValueBox(State())
    /// The ZAP domain of each CURVE server socket, with the keys it admits (read by the ZAP handler).
    private let curveDomains = NIOLockedValueBox<[String: CurveAdmissions]>([:])

    public init() throws {
        guard let p = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        // Belt and braces: sockets get an explicit ZMQ_LINGER anyway.
        zmq_ctx_set(p, ZMQ_BLOCKY, 0)
        handle = ContextHandle(pointer: p)
    }

    deinit {
        // Only reached once no socket is open (open sockets keep their context alive). Never block
        // the releasing thread on zmq_ctx_term.
        let terminate: Bool = state.withLockedValue {
            if case .running = $0.phase { return true }
            return false
        }
        if terminate {
            let h = handle
            try? spawnDetachedThread(name: "zmq-ctx-term") {
                zmq_ctx_shutdown(h.pointer)
                zmq_ctx_term(h.pointer)
            }
        }
    }

    /// Creates a socket owned by a new dedicated I/O thread; the socket is created and configured
    /// (all `options`) on that thread before this returns.
    public func socket(_ type: SocketType, options: SocketOptions = SocketOptions(), label: String = "") throws -> ZMQSocket {
        ZMQSocket(core: try makeCore(type, options: options, label: label, router: nil))
    }

    func makeCore(_ type: SocketType, options: SocketOptions, label: String,
                  router: (@Sendable (Message) -> String?)?) throws -> SocketCore {
        let core = try SocketCore(context: self, type: type, options: options, label: label, router: router)
        // Register before the socket exists, so that a concurrent shutdown waits for it.
        let accepted = state.withLockedValue { s -> Bool in
            guard case .running = s.phase else { return false }
            s.sockets[ObjectIdentifier(core)] = core
            return true
        }
        guard accepted else { throw ZMQError(code: ZMQError.ETERM, operation: "zmq_socket(\(core.displayName))") }
        do {
            if case let .server(_, admissions)? = options.curve {
                curveDomains.withLockedValue { $0[core.curveDomain] = admissions }
            }
            if options.identifiesPeers || core.isCurveServer { try startZAPHandlerOnce() }
            try IOLoop.start(core: core, context: handle)
        } catch {
            unregister(core)
            throw error
        }
        return core
    }

    /// One ZAP handler per context (its endpoint is fixed), started before the first socket that
    /// needs it.
    private func startZAPHandlerOnce() throws {
        try state.withLockedValue { s in
            if s.zapHandlerStarted { return }
            let domains = curveDomains
            try ZAPHandler.start(context: handle) { domain in domains.withLockedValue { $0[domain] } }
            s.zapHandlerStarted = true
        }
    }

    func unregister(_ core: SocketCore) {
        _ = state.withLockedValue { $0.sockets.removeValue(forKey: ObjectIdentifier(core)) }
        _ = curveDomains.withLockedValue { $0.removeValue(forKey: core.curveDomain) }
    }

    /// Number of sockets whose I/O thread is still running.
    public var openSocketCount: Int { state.withLockedValue { $0.sockets.count } }

    /// The oldest heartbeat among the open sockets' I/O loops (nil if none is open). A watchdog can
    /// treat `ContinuousClock.now - oldestHeartbeat` growing beyond a few seconds as a stuck loop.
    public var oldestHeartbeat: ContinuousClock.Instant? {
        state.withLockedValue { s in s.sockets.values.map(\.lastHeartbeat).min() }
    }

    /// Shuts the context down without ever hanging: `zmq_ctx_shutdown`, then every socket is closed
    /// on its own thread, every pending send / receive / request is resumed with an ETERM `ZMQError`
    /// and every message stream finishes; finally `zmq_ctx_term` runs on a detached thread.
    /// Waits at most `terminationGrace` for `zmq_ctx_term` (which only blocks for sockets with a
    /// positive or infinite linger). Idempotent: later and concurrent calls wait for the first.
    public func shutdown(terminationGrace: Duration) async {
        enum Step { case run([SocketCore]), wait, done }
        let step = state.withLockedValue { s -> Step in
            switch s.phase {
            case .running:
                s.phase = .shuttingDown([])
                return .run(Array(s.sockets.values))
            case .shuttingDown: return .wait
            case .done: return .done
            }
        }
        switch step {
        case .done:
            return
        case .wait:
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLockedValue { s -> Bool in
                    guard case var .shuttingDown(waiters) = s.phase else { return true }
                    waiters.append(c)
                    s.phase = .shuttingDown(waiters)
                    return false
                }
                if resumeNow { c.resume() }
            }
            return
        case let .run(sockets):
            zmq_ctx_shutdown(handle.pointer)
            let reason = ZMQError(code: ZMQError.ETERM, operation: "zmq_ctx_shutdown")
            for core in sockets { core.requestClose(reason) }
            for core in sockets { await core.awaitClosed() }

            await terminate(grace: terminationGrace)

            let waiters = state.withLockedValue { s -> [CheckedContinuation<Void, Never>] in
                guard case let .shuttingDown(w) = s.phase else { return [] }
                s.phase = .done
                return w
            }
            for w in waiters { w.resume() }
        }
    }

    /// `shutdown(terminationGrace: .seconds(2))`.
    public func shutdown() async {
        await shutdown(terminationGrace: .seconds(2))
    }

    public var isShutDown: Bool {
        state.withLockedValue {
            if case .running = $0.phase { return false }
            return true
        }
    }

    /// Runs zmq_ctx_term on a detached thread and waits for it, at most `grace`.
    private func terminate(grace: Duration) async {
        let h = handle
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let once = ResumeOnce(c)
            do {
                try spawnDetachedThread(name: "zmq-ctx-term") {
                    zmq_ctx_term(h.pointer)
                    once.resume()
                }
            } catch {
                once.resume()
                return
            }
            Task {
                try? await Task.sleep(for: grace)
                once.resume()
            }
        }
    }
}

/// Resumes a continuation at most once, from whichever side gets there first.
final class ResumeOnce: Sendable {
    private let continuation: NIOLockedValueBox<CheckedContinuation<Void, Never>?>
    init(_ c: CheckedContinuation<Void, Never>) { continuation = NIOLockedValueBox(c) }
    func resume() {
        let c = continuation.withLockedValue { c -> CheckedContinuation<Void, Never>? in
            defer { c = nil }
            return c
        }
        c?.resume()
    }
}

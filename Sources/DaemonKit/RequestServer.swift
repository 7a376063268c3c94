import BookingProtocol
import CivilTime
import Deadlines
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import ZeroMQ

/// A reply before it is framed: its type and JSON body.
public struct Reply: Sendable {
    public var type: String
    public var body: [UInt8]
    /// For an `error` reply, its code (for metrics and the audit trail, without decoding the body).
    public var errorCode: ErrorCode?

    public init(type: String, body: [UInt8]) {
        self.type = type
        self.body = body
    }

    public static func error(_ error: ProtocolError) -> Reply {
        var reply = Reply(type: MessageType.error, body: (try? WireJSON.encode(error.body)) ?? [])
        reply.errorCode = error.code
        return reply
    }

    /// `ok`, or the error code.
    var outcome: String { errorCode?.rawValue ?? "ok" }
}

/// The handlers of a daemon's ROUTER socket, by message type.
public struct RequestRoutes: Sendable {
    public typealias Handler = @Sendable (Envelope) async throws -> Reply
    fileprivate var handlers: [String: Handler] = [:]

    public init() {}

    /// Registers a typed handler: the body is decoded as `Request`, the answer encoded as `type.reply`.
    public mutating func on<Request: Decodable & Sendable, Answer: Encodable & Sendable>(
        _ type: String, _ request: Request.Type = Request.self,
        _ handler: @escaping @Sendable (Request, MessageHeader) async throws -> Answer
    ) {
        handlers[type] = { envelope in
            let body: Request = try envelope.decodeBody()
            let answer = try await handler(body, envelope.header)
            return Reply(type: MessageType.reply(to: type), body: try WireJSON.encode(answer))
        }
    }

    /// Registers a handler that answers with JSON it encoded itself (from a cache, or stored with
    /// an idempotency record), and sees the request's envelope as it came (its raw body too).
    public mutating func onEncoded<Request: Decodable & Sendable>(
        _ type: String, _ request: Request.Type = Request.self,
        _ handler: @escaping @Sendable (Request, Envelope) async throws -> [UInt8]
    ) {
        handlers[type] = { envelope in
            let body: Request = try envelope.decodeBody()
            return Reply(type: MessageType.reply(to: type), body: try await handler(body, envelope))
        }
    }

    public var types: [String] { handlers.keys.sorted() }
}

/// Answers requests on a ROUTER socket: one task per request, so a slow one never blocks the
/// others; every failure becomes a typed `error` reply. On graceful shutdown it stops taking
/// new requests, lets those in flight finish, then closes the socket.
///
/// A request's deadline holds to the end: checked on arrival, it bounds the handler's calls to
/// other daemons (`DaemonClient`) and every commit made for it (`RequestDeadline`, counted down
/// on a monotonic clock from arrival, so a jump of the host's clock does not move it). A request
/// without one is given `patience` from its arrival.
public final class RequestServer: Service, Sendable {
    public let name: String
    public let endpoint: String
    private let socket: ZMQSocket
    private let routes: RequestRoutes
    private let logger: Logger
    private let maxBodyBytes: Int
    private let control: DaemonControl?
    private let errors: ErrorMapping
    private let patience: Duration
    private let access: PeerAccess
    private let identities: PeerIdentities

    /// How a service's own errors (its domain's refusals, its store's) become wire errors: the one
    /// place each daemon maps them. An error it does not map is `internal`, and logged.
    public typealias ErrorMapping = @Sendable (any Error) -> ProtocolError?

    /// `patience`: how long a request that carries no deadline is given (`SuiteConfiguration.requestPatience`).
    public init(name: String, endpoint: String, context: ZMQContext, routes: RequestRoutes, maxMessageBytes: Int, logger: Logger,
                control: DaemonControl? = nil, errors: @escaping ErrorMapping = { _ in nil }, patience: Duration = .seconds(6),
                access: PeerAccess = PeerAccess(), curve: CurveSecurity? = nil) throws {
        self.name = name
        self.patience = patience
        self.access = access
        identities = PeerIdentities(lookUp: access.identify)
        self.errors = errors
        self.control = control
        self.endpoint = endpoint
        self.routes = routes
        self.logger = logger
        // Bodies above this get a `validation_failed` answer; messages above the transport limit
        // (twice as large) are dropped by libzmq before they cost memory.
        self.maxBodyBytes = maxMessageBytes
        var options = SocketOptions()
        options.maxMessageSize = maxMessageBytes * 2
        options.linger = .milliseconds(500)
        options.routerMandatory = false
        // Whoever may open the socket file may send commands: owner and group (the `booking`
        // group under systemd), nobody else.
        options.ipcFilePermissions = 0o660
        // ...and what each may send depends on who it is (CommandAccess).
        options.identifiesPeers = true
        // On tcp: encrypted, and only the keys the configuration admits get in (SocketSecurity).
        options.curve = curve
        socket = try context.socket(.router, options: options, label: "\(name)-router")
        let socket = self.socket
        control?.setStall { duration in try await socket.debugStall(duration) }
    }

    /// Binds now, so a caller knows the endpoint is ready before it says so (to systemd, to tests).
    public func bind() async throws {
        try SocketFiles.prepare(endpoint)
        try await socket.bind(endpoint)
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            for await message in socket.identifiedMessages.cancelOnGracefulShutdown() {
                group.addTask { await self.handle(message.frames, from: message.peer) }
            }
        }
        await socket.close()
        SocketFiles.remove(endpoint)
    }

    private func handle(_ frames: [[UInt8]], from peer: ZMQPeer) async {
        let route: [[UInt8]]
        var envelope: Envelope
        do {
            (route, envelope) = try Envelope.splitRouted(frames)
        } catch {
            // Without a delimiter there is no reliable route: answer the first frame's peer if any.
            logger.warning("malformed request", metadata: ["problem": "\(error.message)"])
            guard let identity = frames.first, frames.count > 1 else { return }
            let route = frames.firstIndex(where: \.isEmpty).map { Array(frames[..<$0]) } ?? [identity]
            await send(route: route, reply: .error(error), correlationId: Envelope.recoverableId(frames))
            return
        }
        let (arrival, started) = (Date(), ContinuousClock.now)
        var logger = self.logger
        logger[metadataKey: "correlation_id"] = "\(envelope.header.id)"
        logger[metadataKey: "type"] = "\(envelope.type)"

        let identity = identities.identify(peer)
        let claim = envelope.header.user
        let actingUser = CommandAccess.actingUser(claim: claim, peer: identity)
        // Over CURVE the claim names a user of the client's host, which never matches the key
        // it came with: only a mismatch on this host says something.
        if let claim, claim != actingUser, !peer.isCurveKey {
            logger.notice("the header's user is not the sender", metadata: ["claim": "\(claim)", "peer": "\(actingUser)"])
        }
        // Handlers and the audit trail see who sent a command by identity; other commands
        // without a claim stay anonymous, as webd's clients and the daemons' own calls are.
        let audited = claim != nil || CommandAccess.audience(of: envelope.type) == .admins(and: [])
        envelope.header.user = audited ? actingUser : nil

        let reply: Reply
        let handler = routes.handlers[envelope.type]
        // Deadlines are instants on the system clock, as every client stamps them (`clock.start`
        // moves the suite's business time, not the transport's), read once on arrival.
        let deadline = RequestDeadline(envelope.header.deadline ?? arrival.addingTimeInterval(patience.seconds), arrival: arrival)
        if let refusal = CommandAccess.refusal(of: envelope.type, from: identity, adminGroup: access.adminGroup) {
            logger.warning("forbidden", metadata: ["peer": "\(identity.name)", "claim": "\(claim ?? "-")"])
            reply = .error(ProtocolError(.forbidden, "\(name) refused `\(envelope.type)`: \(refusal)"))
        } else if envelope.body.count > maxBodyBytes {
            reply = .error(ProtocolError(.validationFailed, "the body is \(envelope.body.count) bytes; the limit is \(maxBodyBytes)", field: "body"))
        } else if let refusal = Self.textRefusal(envelope) {
            reply = .error(refusal)
        } else if deadline.hasPassed {
            reply = .error(ProtocolError(.deadlineExceeded, "the request's deadline passed before it was handled"))
        } else if let handler {
            do {
                reply = try await RequestDeadline.$current.withValue(deadline) {
                    try await PeerIdentity.$current.withValue(identity) { try await handler(envelope) }
                }
            } catch let error as ProtocolError {
                reply = .error(error)
            } catch let error as DeadlinePassed {
                reply = .error(ProtocolError(.deadlineExceeded, error.description))
            } catch let error as DaemonUnreachable {
                // A daemon this one needs is away: the caller may retry later.
                control?.record(error: error.message)
                reply = .error(ProtocolError(.unavailable, error.message))
            } catch {
                reply = errors(error).map(Reply.error) ?? failed(error, envelope, logger)
            }
        } else {
            reply = .error(ProtocolError(.unknownType, "\(name) does not know the message type '\(envelope.type)'; it knows: \(routes.types.joined(separator: ", "))"))
        }
        control?.countRequest()
        // The type label only takes known types, so a client cannot grow the series at will.
        let type = handler == nil ? "unknown" : envelope.type
        Counter(label: "booking_requests_total", dimensions: [("daemon", name), ("type", type), ("outcome", reply.outcome)]).increment()
        // A refusal is recorded under the sender whatever it tried, queries and daemons' messages too.
        if reply.errorCode == .forbidden { envelope.header.user = actingUser }
        await control?.audit(type: type, header: envelope.header, outcome: reply.outcome)
        Metrics.Timer(label: "booking_request_duration_seconds", dimensions: [("daemon", name), ("type", type)])
            .recordNanoseconds((ContinuousClock.now - started).nanoseconds)
        if let code = reply.errorCode {
            logger.debug("refused", metadata: ["code": "\(code.rawValue)", "elapsed": "\(ContinuousClock.now - started)"])
        } else {
            logger.trace("answered", metadata: ["elapsed": "\(ContinuousClock.now - started)"])
        }
        await send(route: route, reply: reply, correlationId: envelope.header.id)
    }

    private static func textRefusal(_ envelope: Envelope) -> ProtocolError? {
        do {
            try envelope.checkRequestText()
            return nil
        } catch {
            return error
        }
    }

    /// An error nothing maps: a bug, logged and answered `internal`.
    private func failed(_ error: any Error, _ envelope: Envelope, _ logger: Logger) -> Reply {
        logger.error("request failed", metadata: ["error": "\(error)"])
        control?.record(error: "\(envelope.type): \(error)")
        return .error(ProtocolError(.internalError, "\(name) could not handle the request; see its log"))
    }

    private func send(route: [[UInt8]], reply: Reply, correlationId: String?) async {
        let envelope = Envelope(type: reply.type, header: MessageHeader(correlationId: correlationId), body: reply.body)
        do {
            try await socket.send(route + envelope.frames())
        } catch {
            // The peer may have gone; its retry will be answered from the idempotency record.
            logger.debug("reply not sent", metadata: ["error": "\(error)"])
        }
    }
}

/// ipc:// endpoints are files: make their directory, and remove a stale socket file left by a
/// crash (libzmq would otherwise bind over it, but the directory must exist).
public enum SocketFiles {
    public static func path(of endpoint: String) -> String? {
        guard endpoint.hasPrefix("ipc://") else { return nil }
        let path = String(endpoint.dropFirst(6))
        return path.hasPrefix("@") ? nil : path
    }

    public static func prepare(_ endpoint: String) throws {
        guard let path = path(of: endpoint) else { return }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    }

    public static func remove(_ endpoint: String) {
        guard let path = path(of: endpoint) else { return }
        try? FileManager.default.removeItem(atPath: path)
    }
}

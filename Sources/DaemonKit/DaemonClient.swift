import BookingProtocol
import CivilTime
import Deadlines
import Foundation
import ZeroMQ

/// Talks to one daemon's ROUTER over a DEALER socket, many requests at once; to each instance's
/// ROUTER when the daemon runs as several (bookingd), spreading requests over those connected.
///
/// Lazy Pirate (zguide ch. 4): a request that gets no answer within `timeout` is sent again,
/// up to `attempts` times, with the same idempotency key, so a command that did reach the
/// daemon is answered from its first outcome instead of being done twice. A request lost with an
/// instance that died is sent again the same way and lands on a live one: the socket queues
/// nothing for an instance it is not connected to (ZMQ_IMMEDIATE).
///
/// Called while a daemon handles a request (`RequestDeadline.current`), every attempt together
/// ends before that request's deadline, less a margin to answer it: a daemon never waits for
/// another longer than its own caller waits for it.
public final class DaemonClient: Sendable {
    public let daemon: String
    /// Where the daemon answers: one endpoint per instance.
    public let endpoints: [String]
    private let requester: ZMQRequester
    private let timeout: Duration
    private let attempts: Int
    private let user: String?
    private let systemClock: @Sendable () -> Date

    /// `systemClock`: the clock each attempt's deadline is stamped from (a drill that moves the
    /// daemons' system clock moves its clients' with it).
    public convenience init(daemon: String, endpoint: String, context: ZMQContext, timeout: Duration = .seconds(2), attempts: Int = 3,
                            maxMessageBytes: Int = 1 << 20, user: String? = nil, curve: CurveSecurity? = nil,
                            systemClock: @escaping @Sendable () -> Date = { Date() }) async throws {
        try await self.init(daemon: daemon, endpoints: [endpoint], context: context, timeout: timeout, attempts: attempts,
                            maxMessageBytes: maxMessageBytes, user: user, curve: curve, systemClock: systemClock)
    }

    public init(daemon: String, endpoints: [String], context: ZMQContext, timeout: Duration = .seconds(2), attempts: Int = 3,
                maxMessageBytes: Int = 1 << 20, user: String? = nil, curve: CurveSecurity? = nil,
                systemClock: @escaping @Sendable () -> Date = { Date() }) async throws {
        self.daemon = daemon
        self.systemClock = systemClock
        self.endpoints = endpoints
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.user = user
        var options = SocketOptions()
        options.maxMessageSize = maxMessageBytes * 2
        options.linger = .zero
        options.curve = curve
        // A request is sent only to an instance whose connection is up, never queued for one
        // that is down, so a retry after a lost answer goes to one that can answer it.
        options.immediate = true
        requester = try await ZMQRequester(context: context, endpoints: endpoints, options: options) { frames in
            try? Envelope.decode(frames).header.correlationId
        }
    }

    /// Sends `body` as `type` and decodes the reply. Throws `ProtocolError` for an error reply,
    /// and `DaemonUnreachable` when the daemon does not answer after every attempt.
    /// `onBehalfOf`: the admin a daemon acts for (e.g. the OS user who forced a block), recorded
    /// by the receiver instead of this client's own user.
    public func call<Request: Encodable, Answer: Decodable>(
        _ type: String, _ body: Request, as answer: Answer.Type = Answer.self,
        idempotencyKey: String? = nil, timeout: Duration? = nil, attempts: Int? = nil, onBehalfOf: String? = nil
    ) async throws -> Answer {
        let reply = try await exchange(type, body: try WireJSON.encode(body), idempotencyKey: idempotencyKey, timeout: timeout, attempts: attempts,
                                       onBehalfOf: onBehalfOf)
        do {
            return try reply.decodeBody(Answer.self)
        } catch {
            throw UnreadableReply(message: "\(daemon)'s reply to '\(type)' cannot be read: \(error.message)")
        }
    }

    /// The raw exchange: the reply envelope, or a thrown error reply.
    public func exchange(_ type: String, body: [UInt8], idempotencyKey: String? = nil, timeout: Duration? = nil, attempts: Int? = nil,
                         onBehalfOf: String? = nil) async throws -> Envelope {
        let timeout = timeout ?? self.timeout
        let attempts = attempts ?? self.attempts
        let started = ContinuousClock.now
        let budget = RequestDeadline.current.map(Self.budget)
        var sent = 0
        for attempt in 1...attempts {
            var wait = timeout
            if let budget {
                let left = budget - (ContinuousClock.now - started)
                guard left > .zero else { break }
                wait = min(wait, left)
            }
            sent += 1
            let header = MessageHeader(idempotencyKey: idempotencyKey, deadline: systemClock().addingTimeInterval(wait.seconds), user: onBehalfOf ?? user)
            let envelope = Envelope(type: type, header: header, body: body)
            do {
                let frames = try await requester.request(envelope.frames(), correlationID: header.id, timeout: wait)
                let reply = try Envelope.decode(frames)
                if reply.type == MessageType.error {
                    let refusal: ErrorBody
                    do {
                        refusal = try reply.decodeBody(ErrorBody.self)
                    } catch {
                        throw UnreadableReply(message: "\(daemon)'s error reply to '\(type)' cannot be read: \(error.message)")
                    }
                    throw ProtocolError(refusal)
                }
                return reply
            } catch ZMQSocketError.timeout {
                if attempt == attempts { break }
            }
        }
        guard sent > 0 else {
            throw ProtocolError(.deadlineExceeded, "the request's deadline left no time to ask \(daemon)")
        }
        let waited = Int((ContinuousClock.now - started).milliseconds.rounded())
        let tries = "\(sent) attempt\(sent == 1 ? "" : "s")"
        let addresses = endpoints.joined(separator: ", ")
        // Within a request, the daemon asking is running; from bookctl, whether it runs is the question.
        throw DaemonUnreachable(message: budget == nil
            ? "\(daemon) did not answer within \(waited) ms at \(addresses) (\(tries)); is it running?"
            : "\(daemon) did not answer within \(waited) ms at \(addresses) (\(tries), bounded by the request's deadline)")
    }

    /// How long calls made for a request may take: what remains of its deadline, less a margin
    /// (a tenth, at least 100 ms) in which the answer gets back to its caller.
    static func budget(_ deadline: RequestDeadline) -> Duration {
        let remaining = deadline.remaining
        return remaining - max(.milliseconds(100), remaining / 10)
    }

    public func close() async {
        await requester.close()
    }
}

extension DaemonClient {
    /// Every appointment `request` selects, asking bookingd page after page.
    public func allAppointments(_ request: ListRequest) async throws -> [AppointmentBody] {
        var request = request
        var appointments: [AppointmentBody] = []
        while true {
            let page: ListReply = try await call(MessageType.list, request)
            appointments += page.appointments
            guard let next = page.next else { return appointments }
            request.after = next
        }
    }
}

/// A reply that is not what the contract says (a bug on one side, or another version): not the
/// caller's fault, so never mapped to a refusal of the caller's request; it is `internal`, logged.
public struct UnreadableReply: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}

/// No answer after every attempt: the daemon is down, or too busy to answer in time. Told apart
/// from an answer that refuses (`ProtocolError`), because the caller's next step differs.
public struct DaemonUnreachable: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}


import BookingProtocol
import DaemonKit
import Foundation
import Synchronization

/// The daemons webd asks: availabilityd for free slots, bookingd for everything about a
/// booking. webd keeps nothing of its own but rate-limit counters.
public struct BookingBackend: Sendable {
    public let bookingd: DaemonClient
    public let availabilityd: DaemonClient

    public init(bookingd: DaemonClient, availabilityd: DaemonClient) {
        self.bookingd = bookingd
        self.availabilityd = availabilityd
    }

    public func slots(_ request: SlotsRequest) async throws -> SlotsReply {
        try await availabilityd.call(MessageType.slots, request)
    }

    /// availabilityd's reply as it came: the API sends it on without decoding it again.
    public func slotsJSON(_ request: SlotsRequest) async throws -> [UInt8] {
        try await availabilityd.exchange(MessageType.slots, body: try WireJSON.encode(request)).body
    }

    public func book(_ request: BookRequest, idempotencyKey: String) async throws -> AppointmentBody {
        try await bookingd.call(MessageType.book, request, idempotencyKey: idempotencyKey)
    }

    public func appointment(_ reference: String) async throws -> AppointmentBody {
        try await bookingd.call(MessageType.get, ReferenceRequest(reference: reference))
    }

    public func reschedule(_ request: RescheduleRequest, idempotencyKey: String? = nil) async throws -> AppointmentBody {
        try await bookingd.call(MessageType.reschedule, request, idempotencyKey: idempotencyKey)
    }

    public func cancel(_ request: CancelRequest, idempotencyKey: String? = nil) async throws -> AppointmentBody {
        try await bookingd.call(MessageType.cancel, request, idempotencyKey: idempotencyKey)
    }

    /// Confirmed appointments still ahead for this email and for this phone, each counted up to
    /// `limit`: one query for both. Up to `2 × limit` rows come back; when fewer than `limit` of
    /// them have the email, either all of the email's did, or more than `limit` have the phone.
    public func upcoming(email: String, phone: String, now: Date, limit: Int) async throws -> (email: Int, phone: Int) {
        let reply: ListReply = try await bookingd.call(MessageType.list, ListRequest(from: now, status: "confirmed", limit: 2 * limit, email: email, phone: phone))
        let byEmail = reply.appointments.filter { $0.contact.email.lowercased() == email.lowercased() }.count
        let byPhone = reply.appointments.filter { $0.contact.phone == phone }.count
        return (min(byEmail, limit), min(byPhone, limit))
    }

    /// Each daemon's state (`ready`, `paused`, `syncing`), or why it did not answer.
    public func readiness() async -> [(daemon: String, ready: Bool, detail: String)] {
        async let booking = Self.ping(bookingd)
        async let availability = Self.ping(availabilityd)
        return [await booking, await availability]
    }

    private static func ping(_ client: DaemonClient) async -> (daemon: String, ready: Bool, detail: String) {
        do {
            let reply: PingReply = try await client.call(MessageType.ping, Empty(), timeout: .milliseconds(500), attempts: 1)
            let state = reply.state ?? "ready"
            // A paused bookingd still answers; a syncing availabilityd does not know the free slots yet.
            return (client.daemon, state != "syncing", state)
        } catch {
            return (client.daemon, false, "\(error)")
        }
    }
}

/// The API's slot answers for a moment (`web.slots_cache_milliseconds`): a burst of the same
/// query (a busy page, a load test) costs one round trip to availabilityd. An answer may be that
/// much older than a booking; bookingd decides every booking, so a stale slot only ever ends in
/// the friendly "taken" answer. The page itself always asks availabilityd.
public final class RecentSlotAnswers: Sendable {
    private let lifetime: Duration
    private let entries: Mutex<[SlotsRequest: (at: ContinuousClock.Instant, body: [UInt8])]>
    private let maximumEntries = 1000

    public init(lifetime: Duration) {
        self.lifetime = lifetime
        entries = Mutex([:])
    }

    public func reply(_ request: SlotsRequest, fetch: () async throws -> [UInt8]) async throws -> [UInt8] {
        guard lifetime > .zero else { return try await fetch() }
        let now = ContinuousClock.now
        if let hit = entries.withLock({ $0[request] }), now - hit.at < lifetime { return hit.body }
        let body = try await fetch()
        entries.withLock { entries in
            if entries.count >= maximumEntries { entries.removeAll(keepingCapacity: true) }
            entries[request] = (now, body)
        }
        return body
    }
}

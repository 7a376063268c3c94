import BookingProtocol
import NIOConcurrencyHelpers

/// The API's slot answers for a moment (`web.slots_cache_milliseconds`): a burst of the same
/// query (a busy page, a load test) costs one round trip to availabilityd. An answer may be that
/// much older than a booking; bookingd decides every booking, so a stale slot only ever ends in
/// the friendly "taken" answer. The page itself always asks availabilityd.
public final class RecentSlotAnswers: Sendable {
    private let lifetime: Duration
    private let entries: NIOLockedValueBox<[SlotsRequest: (at: ContinuousClock.Instant, body: [UInt8])]>
    private let maximumEntries = 1000

    public init(lifetime: Duration) {
        self.lifetime = lifetime
        entries = NIOLockedValueBox([:])
    }

    public func reply(_ request: SlotsRequest, fetch: () async throws -> [UInt8]) async throws -> [UInt8] {
        guard lifetime > .zero else { return try await fetch() }
        let now = ContinuousClock.now
        if let hit = entries.withLockedValue({ $0[request] }), now - hit.at < lifetime { return hit.body }
        let body = try await fetch()
        entries.withLockedValue { entries in
            if entries.count >= maximumEntries { entries.removeAll(keepingCapacity: true) }
            entries[request] = (now, body)
        }
        return body
    }
}

import Foundation
import NIOConcurrencyHelpers

/// Token buckets by key (an IP address, a normalised email or phone): each key holds up to
/// `capacity` tokens and gets `refillPerMinute` back per minute; a request takes one. Pure
/// apart from its lock: the time is passed in, so tests decide how much of it passes.
public final class RateLimiter: Sendable {
    public let policy: WebConfiguration.BucketPolicy
    private let buckets: NIOLockedValueBox<[String: Bucket]>
    private let maximumKeys: Int

    struct Bucket {
        var tokens: Double
        var updated: Date
    }

    /// The answer: allowed, or how long until a token is back (for `Retry-After`).
    public enum Decision: Sendable, Equatable {
        case allowed
        case limited(retryAfterSeconds: Int)
    }

    public init(policy: WebConfiguration.BucketPolicy, maximumKeys: Int = 100_000) {
        self.policy = policy
        self.maximumKeys = maximumKeys
        buckets = NIOLockedValueBox([:])
    }

    public func take(_ key: String, now: Date) -> Decision {
        let capacity = Double(policy.capacity)
        let perSecond = policy.refillPerMinute / 60
        return buckets.withLockedValue { buckets in
            if buckets.count >= maximumKeys { Self.dropFull(&buckets, now: now, capacity: capacity, perSecond: perSecond, maximumKeys: maximumKeys) }
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = max(0, now.timeIntervalSince(bucket.updated))
            bucket.tokens = min(capacity, bucket.tokens + elapsed * perSecond)
            bucket.updated = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[key] = bucket
                return .allowed
            }
            buckets[key] = bucket
            return .limited(retryAfterSeconds: max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up))))
        }
    }

    /// Whether a key would be allowed, without taking a token (to check every bucket before
    /// charging any of them).
    public func wouldAllow(_ key: String, now: Date) -> Decision {
        let capacity = Double(policy.capacity)
        let perSecond = policy.refillPerMinute / 60
        return buckets.withLockedValue { buckets in
            guard let bucket = buckets[key] else { return .allowed }
            let tokens = min(capacity, bucket.tokens + max(0, now.timeIntervalSince(bucket.updated)) * perSecond)
            return tokens >= 1 ? .allowed : .limited(retryAfterSeconds: max(1, Int(((1 - tokens) / perSecond).rounded(.up))))
        }
    }

    public var keyCount: Int { buckets.withLockedValue { $0.count } }

    /// Memory stays bounded under a flood of new keys: buckets that have refilled completely
    /// carry no information and go first.
    private static func dropFull(_ buckets: inout [String: Bucket], now: Date, capacity: Double, perSecond: Double, maximumKeys: Int) {
        buckets = buckets.filter { $0.value.tokens + now.timeIntervalSince($0.value.updated) * perSecond < capacity }
        // Still full of drained buckets: a flood. Forgetting them all errs on the side of letting people in.
        if buckets.count >= 3 * maximumKeys / 4 { buckets.removeAll(keepingCapacity: true) }
    }
}

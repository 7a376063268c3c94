import Foundation

/// Who claims deliveries, and for how long: one notifyd instance. A claim is a lease, not a
/// lock held by a connection: it names the instance (`instance`) and ends at `lease_until`, so
/// another instance on the same database takes a delivery over only once its claimant has had
/// longer than any send can take, and a late outcome of an expired claim is refused.
public struct Claimant: Sendable, Equatable {
    /// Unique among the instances that share a database (a host name, or a name in the
    /// configuration). The same id after a restart lets the instance release its own claims.
    public var instance: String
    /// Longer than the longest send (the caller derives it from the transports' timeouts).
    public var lease: Duration

    public init(instance: String, lease: Duration) {
        self.instance = instance
        self.lease = lease
    }

    /// A store alone on its database (SQLite's single writer): any id serves.
    public static let solo = Claimant(instance: "local", lease: .seconds(15 * 60))

    func leaseEnd(from now: Date) -> Date {
        now.addingTimeInterval(Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18)
    }
}

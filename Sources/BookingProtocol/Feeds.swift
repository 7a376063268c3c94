import Foundation

// Private calendar feeds of bookings (issue 10): a consultant's, or the whole team's, served by
// webd at an address whose token bookingd signs. Calendar applications fetch it from outside
// the suite, so what it carries is decided here, not by the reader.

/// How much of the client a feed shows. `minimal` (the default): nothing of theirs, since
/// calendar services fetch the feed from abroad (docs/privacy.md); `full`: their name and phone.
public enum FeedDetail: String, Codable, Sendable, CaseIterable {
    case minimal
    case full
}

/// `feed`: one page of a feed's appointments, by the token of its address.
public struct FeedRequest: Codable, Sendable, Equatable {
    public var token: String
    /// Default `minimal`.
    public var detail: FeedDetail?
    /// The cursor: the `next` of the page before.
    public var after: String?
    public var limit: Int?

    public init(token: String, detail: FeedDetail? = nil, after: String? = nil, limit: Int? = nil) {
        self.token = token
        self.detail = detail
        self.after = after
        self.limit = limit
    }
}

/// `feed.reply`: the appointments a feed holds, as it may show them (the reference masked, the
/// contact as `detail` allows, no company and no topic), by start.
public struct FeedReply: Codable, Sendable, Equatable {
    /// A consultant's id, or `team`.
    public var scope: String
    public var appointments: [AppointmentBody]
    /// Present when more appointments follow: ask again with it as `after`.
    public var next: String?

    public init(scope: String, appointments: [AppointmentBody], next: String? = nil) {
        self.scope = scope
        self.appointments = appointments
        self.next = next
    }
}

/// `feed_show`, `feed_rotate`, `feed_revoke`: a consultant's feed (their id) or the team's (`team`).
public struct FeedScopeRequest: Codable, Sendable, Equatable {
    /// The scope of the team's feed; any other scope is a consultant's id.
    public static let team = "team"

    public var scope: String

    public init(scope: String) {
        self.scope = scope
    }
}

/// A feed as it stands: its token while it is served, or when it was revoked.
public struct FeedStateReply: Codable, Sendable, Equatable {
    public var scope: String
    /// Counts the feed's addresses: each rotation makes a new one and ends the one before.
    public var generation: Int
    public var revoked: Bool
    public var revokedAt: Date?
    /// The last part of the feed's address (`<public_url>/feeds/<token>.ics`); absent while revoked.
    public var token: String?

    public init(scope: String, generation: Int, revoked: Bool, revokedAt: Date? = nil, token: String? = nil) {
        self.scope = scope
        self.generation = generation
        self.revoked = revoked
        self.revokedAt = revokedAt
        self.token = token
    }
}

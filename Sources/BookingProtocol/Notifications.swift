import Foundation

// Bodies of notifyd's admin queries (`bookctl notifications`).

/// Either one appointment's notifications (`reference`) or every dead letter (`failed`).
public struct NotificationsRequest: Codable, Sendable, Equatable {
    public var reference: String?
    public var failed: Bool?
    public var limit: Int?

    public init(reference: String? = nil, failed: Bool? = nil, limit: Int? = nil) {
        self.reference = reference
        self.failed = failed
        self.limit = limit
    }
}

public struct NotificationAttemptBody: Codable, Sendable, Equatable {
    public var at: Date
    /// `sent`, `retry` or `failed`.
    public var outcome: String
    public var error: String?

    public init(at: Date, outcome: String, error: String? = nil) {
        self.at = at
        self.outcome = outcome
        self.error = error
    }
}

public struct NotificationBody: Codable, Sendable, Equatable {
    /// Stable: `<event id>.<purpose>.<channel>`, or `reminder.<appointment id>.<start ms>.<channel>`.
    public var id: String
    public var reference: String
    /// e.g. `client-confirmation`, `consultant-rescheduled`, `team-cancelled`, `client-reminder`.
    public var purpose: String
    /// `email`, `sms` or `chat`.
    public var channel: String
    /// `client`, `consultant` or `team`.
    public var audience: String
    /// Masked: `a***@example.com`, `+7 *** ***-**-67`, or `team`.
    public var recipient: String
    /// `pending`, `sending`, `sent`, `failed` (a dead letter) or `cancelled`.
    public var state: String
    public var attempts: Int
    public var createdAt: Date
    public var sentAt: Date?
    /// When a pending delivery is tried next.
    public var nextAttemptAt: Date?
    public var lastError: String?
    public var messageId: String?
    /// Sent again after notifyd stopped while sending it: the receiver may have it twice.
    public var inDoubt: Bool
    public var history: [NotificationAttemptBody]

    public init(id: String, reference: String, purpose: String, channel: String, audience: String, recipient: String, state: String,
                attempts: Int, createdAt: Date, sentAt: Date? = nil, nextAttemptAt: Date? = nil, lastError: String? = nil,
                messageId: String? = nil, inDoubt: Bool = false, history: [NotificationAttemptBody] = []) {
        self.id = id
        self.reference = reference
        self.purpose = purpose
        self.channel = channel
        self.audience = audience
        self.recipient = recipient
        self.state = state
        self.attempts = attempts
        self.createdAt = createdAt
        self.sentAt = sentAt
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.messageId = messageId
        self.inDoubt = inDoubt
        self.history = history
    }
}

public struct NotificationsReply: Codable, Sendable, Equatable {
    public var notifications: [NotificationBody]
    public init(notifications: [NotificationBody]) { self.notifications = notifications }
}

public struct NotificationRetryRequest: Codable, Sendable, Equatable {
    public var id: String
    public init(id: String) { self.id = id }
}

/// `test_email`: one message to `address` through the configured mail transport, sent at once
/// and once (no queue, no retry), so an operator sees the transport work before a client needs it.
public struct TestEmailRequest: Codable, Sendable, Equatable {
    public var address: String
    public init(address: String) { self.address = address }
}

public struct TestEmailReply: Codable, Sendable, Equatable {
    public var recipient: String
    /// How it went, e.g. `SMTP 127.0.0.1:2525` or `the mail directory /srv/booking/var/mail`.
    public var transport: String
    public var messageId: String
    public init(recipient: String, transport: String, messageId: String) {
        self.recipient = recipient
        self.transport = transport
        self.messageId = messageId
    }
}

import CivilTime
/// Why one delivery attempt failed, and whether trying again later can help.
///
/// Transports make exactly one attempt per call; the caller's retry policy reads `permanent`
/// (and `retryAfter`, when the far end named a time) to decide what happens next.
public struct DeliveryFailure: Error, Sendable, CustomStringConvertible, Equatable {
    /// True when retrying cannot succeed (SMTP 5xx, HTTP 4xx, a bad address or URL, a TLS or
    /// credentials problem); false for temporary trouble (SMTP 4xx, HTTP 5xx/429, timeouts,
    /// refused or lost connections).
    public var permanent: Bool
    /// What went wrong, specific enough for an operator: "SMTP 550 5.1.1 mailbox unavailable",
    /// "HTTP 503", "connection refused (127.0.0.1:2525)", "timed out after 10 s".
    public var reason: String
    /// The earliest time to try again, when the far end said so (HTTP Retry-After).
    public var retryAfter: Duration?

    public init(permanent: Bool, reason: String, retryAfter: Duration? = nil) {
        self.permanent = permanent
        self.reason = reason
        self.retryAfter = retryAfter
    }

    public static func transient(_ reason: String, retryAfter: Duration? = nil) -> DeliveryFailure {
        DeliveryFailure(permanent: false, reason: reason, retryAfter: retryAfter)
    }

    public static func permanent(_ reason: String) -> DeliveryFailure {
        DeliveryFailure(permanent: true, reason: reason)
    }

    public var description: String {
        var text = (permanent ? "permanent failure: " : "transient failure: ") + reason
        if let retryAfter { text += " (retry after \(retryAfter.secondsText))" }
        return text
    }
}

import Delivery

/// Why a CalDAV exchange failed, classed as the suite's deliveries are: worth retrying later
/// (the server is down, slow or busy) or not until someone changes something (credentials, URL).
public enum CalDAVError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The exchange did not happen or did not finish (connection refused, timeout, TLS).
    case transport(DeliveryFailure)
    /// 401, or 403 outside a precondition: the credentials are wrong or lack the right.
    case unauthorized(status: Int)
    /// 401 or 403 to a request with an OAuth 2 access token (and, on 401, with a renewed one):
    /// the account may not reach this calendar (scope, delegation, sharing).
    case accessTokenRefused(status: Int)
    /// No access token could be had from the account's authorization server: what it said.
    case accessTokenUnavailable(String, transient: Bool)
    /// 404 for the collection itself: the URL names no calendar.
    case collectionNotFound(String)
    /// The server no longer accepts the sync token (RFC 6578 §3.2 valid-sync-token): sync again
    /// from nothing.
    case syncTokenExpired
    /// 412: the resource changed (or exists) since the ETag the write was conditional on.
    case preconditionFailed(String)
    case unexpectedStatus(Int, String)
    case malformedReply(String)

    public var isTransient: Bool {
        switch self {
        case let .transport(failure): !failure.permanent
        case let .accessTokenUnavailable(_, transient): transient
        case let .unexpectedStatus(status, _): status == 408 || status == 429 || status >= 500
        case .unauthorized, .accessTokenRefused, .collectionNotFound, .syncTokenExpired, .preconditionFailed, .malformedReply: false
        }
    }

    public var description: String {
        switch self {
        case let .transport(failure): failure.reason
        case let .unauthorized(status): "the server refused the credentials (HTTP \(status)); check the user name and the password or app password"
        case let .accessTokenRefused(status):
            "the server refused the access token (HTTP \(status)); check that the account may reach this calendar (its scope, delegation or sharing)"
        case let .accessTokenUnavailable(problem, _): problem
        case let .collectionNotFound(url): "no calendar at \(url) (HTTP 404); check the collection's URL"
        case .syncTokenExpired: "the server no longer knows the sync token; a full sync follows"
        case let .preconditionFailed(href): "\(href) changed on the server since it was read (HTTP 412)"
        case let .unexpectedStatus(status, detail): "the server answered HTTP \(status)\(detail.isEmpty ? "" : ": \(detail)")"
        case let .malformedReply(detail): detail
        }
    }
}

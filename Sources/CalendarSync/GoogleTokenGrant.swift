import Delivery
import Foundation

/// One request to Google's token endpoint for an access token to the calendar, and what its
/// answer means: the JWT bearer grant of a service account (RFC 7523 §2.1) or the refresh token
/// grant (RFC 6749 §6). Pure: the exchange itself is `CalendarAccess`'s.
struct GoogleTokenGrant: Sendable, Equatable {
    static let calendarScope = "https://www.googleapis.com/auth/calendar"
    static let jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

    var tokenURI: String
    /// The form's fields, in order.
    var fields: [Field]
    /// Who is asking, for the errors: the credential's description, never its secret.
    var requester: String

    struct Field: Sendable, Equatable {
        var name: String
        var value: String
    }

    /// `subject`: the calendar's owner, whom the service account acts for. `issuedAt`: the real
    /// time, which Google compares with its own.
    init(credential: GoogleCredential, subject: String, issuedAt: Date) throws(GoogleAuthorizationError) {
        tokenURI = credential.tokenURI
        requester = credential.description
        switch credential {
        case let .serviceAccount(account):
            let assertion = try GoogleAssertion(account: account, subject: subject, scope: Self.calendarScope, issuedAt: issuedAt)
                .signed(with: account.privateKey)
            fields = [Field(name: "grant_type", value: Self.jwtBearer), Field(name: "assertion", value: assertion)]
        case let .authorizedUser(user):
            fields = [Field(name: "client_id", value: user.clientID), Field(name: "client_secret", value: user.clientSecret),
                      Field(name: "refresh_token", value: user.refreshToken), Field(name: "grant_type", value: "refresh_token")]
        }
    }

    /// `application/x-www-form-urlencoded`: every byte outside RFC 3986's unreserved set escaped.
    var body: String {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return fields.map { field in
            let value = field.value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
            return "\(field.name)=\(value)"
        }.joined(separator: "&")
    }

    func request(timeout: Duration) -> HTTPRequest {
        HTTPRequest(method: "POST", url: tokenURI, headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
                    body: Array(body.utf8), timeout: timeout)
    }

    /// The access token and how long it lives (RFC 6749 §5.1), or why there is none (§5.2).
    func token(status: Int, body: [UInt8]) throws(GoogleAuthorizationError) -> (value: String, lifetime: Duration) {
        let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        guard status == 200 else {
            if (400...401).contains(status), let error = object?["error"] as? String {
                throw .refused(requester: requester, error: Self.printable(error, limit: 64),
                               detail: (object?["error_description"] as? String).map { Self.printable($0, limit: 200) })
            }
            throw .endpointFailed("the token endpoint answered HTTP \(status)")
        }
        guard let token = object?["access_token"] as? String, !token.isEmpty,
              token.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw .endpointFailed("the token endpoint's answer has no usable access_token")
        }
        guard (object?["token_type"] as? String)?.lowercased() == "bearer" else {
            throw .endpointFailed("the token endpoint's answer is not a Bearer token")
        }
        // Google always says; a token of unknown life is taken for Google's hour, and a refusal
        // before then costs one renewal (CalDAVCollection's renewToken).
        let seconds = (object?["expires_in"] as? NSNumber)?.intValue ?? 3600
        guard seconds > 0 else { throw .endpointFailed("the token endpoint's answer has an expires_in of \(seconds)") }
        return (token, .seconds(seconds))
    }

    /// What the endpoint said, safe for a status line: one line, bounded.
    static func printable(_ text: String, limit: Int) -> String {
        String(String(text.unicodeScalars.map { $0.properties.isWhitespace || $0.value < 0x20 ? " " : Character($0) }).prefix(limit))
    }
}

/// An access token to a connection's calendar, with when it was asked for.
struct GoogleAccessToken: Sendable, Equatable {
    var value: String
    /// When the request for it went out: its life is counted from there, so never overestimated.
    var requested: ContinuousClock.Instant
    var lifetime: Duration

    /// Renewed five minutes before it expires, or half-way through a shorter life, so no request
    /// leaves with a token about to lapse on the way.
    func usable(at now: ContinuousClock.Instant) -> Bool {
        now < requested + lifetime - min(.seconds(300), lifetime / 2)
    }
}

/// Why no access token to a Google calendar could be had.
enum GoogleAuthorizationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The credential file is not one of Google's two JSON files, or its key is not usable.
    case credentialUnusable(String)
    /// The token endpoint refused the grant (RFC 6749 §5.2): `error` is its code
    /// (invalid_grant: a revoked refresh token, a key deleted, no delegation for the user).
    case refused(requester: String, error: String, detail: String?)
    /// The token endpoint could not be reached or answered something else: worth retrying.
    case endpointFailed(String)

    var isTransient: Bool {
        if case .endpointFailed = self { return true }
        return false
    }

    var description: String {
        switch self {
        case let .credentialUnusable(problem): "the Google credential: \(problem)"
        case let .refused(requester, error, detail): "Google refused the \(requester): \(error)\(detail.map { " (\($0))" } ?? "")"
        case let .endpointFailed(problem): "Google's token endpoint: \(problem)"
        }
    }
}

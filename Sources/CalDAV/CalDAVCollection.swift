import Delivery
import Foundation

/// How a request proves who it is for: a user name and password (RFC 7617) or an OAuth 2 access
/// token (RFC 6750), which Google's CalDAV endpoint requires.
public enum CalDAVAuthorization: Sendable, Equatable {
    case basic(username: String, password: String)
    case bearer(String)

    /// The `Authorization` header's value.
    var headerValue: String {
        switch self {
        case let .basic(username, password): "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        case let .bearer(token): "Bearer " + token
        }
    }
}

/// One calendar on a CalDAV server (RFC 4791) and the account that reaches it: Radicale,
/// Nextcloud, Fastmail, Yandex (an app password) or Google's CalDAV endpoint (an access token).
public struct CalDAVAccount: Sendable, Equatable {
    /// The calendar collection's URL, ending in `/`.
    public var collectionURL: String
    public var authorization: CalDAVAuthorization

    public init(collectionURL: String, authorization: CalDAVAuthorization) {
        self.collectionURL = collectionURL.hasSuffix("/") ? collectionURL : collectionURL + "/"
        self.authorization = authorization
    }

    public init(collectionURL: String, username: String, password: String) {
        self.init(collectionURL: collectionURL, authorization: .basic(username: username, password: password))
    }
}

/// A calendar resource as the server holds it.
public struct RemoteResource: Sendable, Equatable {
    /// The absolute path on the server, as the server names it.
    public var href: String
    public var etag: String?
    public var calendarData: String

    public init(href: String, etag: String?, calendarData: String) {
        self.href = href
        self.etag = etag
        self.calendarData = calendarData
    }
}

/// What changed in a collection since a sync token (RFC 6578).
public struct CollectionChanges: Sendable, Equatable {
    public var changed: [RemoteResource]
    /// Members gone since the token.
    public var removed: [String]
    public var syncToken: String

    public init(changed: [RemoteResource], removed: [String], syncToken: String) {
        self.changed = changed
        self.removed = removed
        self.syncToken = syncToken
    }
}

/// The requests the suite makes of a calendar collection. Each is one HTTP exchange over the
/// shared transport (libcurl); what the statuses mean is decided here, once.
public struct CalDAVCollection: Sendable {
    public let account: CalDAVAccount
    let transport: HTTPTransport
    let timeout: Duration
    let renewToken: (@Sendable (_ refused: String) async -> Result<String, CalDAVError>)?

    /// `renewToken`, for an account with an access token: given the token the server refused
    /// (401), answers another, or why none can be had (`accessTokenUnavailable`). The refused
    /// request is sent once more with it, so a token revoked or expired early costs one retry.
    public init(account: CalDAVAccount, transport: HTTPTransport, timeout: Duration = .seconds(20),
                renewToken: (@Sendable (_ refused: String) async -> Result<String, CalDAVError>)? = nil) {
        self.account = account
        self.transport = transport
        self.timeout = timeout
        self.renewToken = renewToken
    }

    /// The events overlapping [start, end): the way to read a server without sync-collection.
    public func events(from start: Date, to end: Date) async throws(CalDAVError) -> [RemoteResource] {
        let reply = try await multiStatus("REPORT", account.collectionURL, body: CalDAVQuery.events(from: start, to: end), depth: "1")
        return reply.responses.compactMap { response in
            response.calendarData.map { RemoteResource(href: response.href, etag: response.etag, calendarData: $0) }
        }
    }

    /// The members changed and removed since `token`; every member without one. A server that
    /// truncates its answer (507 on the collection) is asked again from the token it gave.
    public func changes(since token: String?) async throws(CalDAVError) -> CollectionChanges {
        var changed: [String: RemoteResource] = [:]
        var removed: Set<String> = []
        var next = token
        for _ in 0..<100 {
            let reply = try await multiStatus("REPORT", account.collectionURL, body: CalDAVQuery.changes(since: next), depth: "0")
            guard let newToken = reply.syncToken else { throw .malformedReply("the sync-collection reply has no sync token") }
            var truncated = false
            for response in reply.responses {
                if isCollection(response.href) {
                    truncated = truncated || response.status == 507
                    continue
                }
                if response.status == 404 {
                    removed.insert(response.href)
                    changed[response.href] = nil
                } else if let data = response.calendarData {
                    changed[response.href] = RemoteResource(href: response.href, etag: response.etag, calendarData: data)
                    removed.remove(response.href)
                }
            }
            guard truncated, newToken != next else {
                return CollectionChanges(changed: changed.values.sorted { $0.href < $1.href }, removed: removed.sorted(), syncToken: newToken)
            }
            next = newToken
        }
        throw .malformedReply("the server kept truncating its sync-collection reply")
    }

    /// Writes a resource named `name` in the collection: only if none exists (`ifMatch` nil),
    /// or only if it still has `ifMatch`, so a retry or a replay never makes a second event nor
    /// overwrites someone's change. Answers the new ETag when the server gives one.
    public func put(_ name: String, calendar: String, ifMatch etag: String?) async throws(CalDAVError) -> String? {
        let url = account.collectionURL + name
        var headers = [("Content-Type", "text/calendar; charset=utf-8")]
        headers.append(etag.map { ("If-Match", $0) } ?? ("If-None-Match", "*"))
        let response = try await exchange("PUT", url, body: Array(calendar.utf8), headers: headers)
        switch response.status {
        case 200..<300: return response.headers["etag"]
        case 412: throw .preconditionFailed(url)
        default: throw try failure(response, url)
        }
    }

    /// Removes a resource if it still has `etag`; one already gone counts as removed.
    public func delete(_ name: String, ifMatch etag: String?) async throws(CalDAVError) {
        let url = account.collectionURL + name
        let response = try await exchange("DELETE", url, body: [], headers: etag.map { [("If-Match", $0)] } ?? [])
        switch response.status {
        case 200..<300, 404: return
        case 412: throw .preconditionFailed(url)
        default: throw try failure(response, url)
        }
    }

    /// A resource as the server holds it now; nil if there is none. A write refused with 412
    /// reads it to learn the ETag it now has.
    public func get(_ name: String) async throws(CalDAVError) -> RemoteResource? {
        let url = account.collectionURL + name
        let response = try await exchange("GET", url, body: [], headers: [("Accept", "text/calendar")])
        switch response.status {
        case 200..<300:
            let path = URLComponents(string: url)?.path ?? url
            return RemoteResource(href: path, etag: response.headers["etag"], calendarData: String(decoding: response.body, as: UTF8.self))
        case 404, 410: return nil
        default: throw try failure(response, url)
        }
    }

    /// The resource name (last path segment) of an href.
    public static func name(of href: String) -> String {
        String(href.split(separator: "/").last ?? Substring(href))
    }

    private func isCollection(_ href: String) -> Bool {
        href.hasSuffix("/")
    }

    private func multiStatus(_ method: String, _ url: String, body: String, depth: String) async throws(CalDAVError) -> MultiStatus {
        let response = try await exchange(method, url, body: Array(body.utf8),
                                          headers: [("Content-Type", "application/xml; charset=utf-8"), ("Depth", depth)])
        guard response.status == 207 else {
            if (response.status == 403 || response.status == 409), String(decoding: response.body, as: UTF8.self).contains("valid-sync-token") {
                throw .syncTokenExpired
            }
            throw try failure(response, url)
        }
        return try MultiStatus(parsing: response.body)
    }

    private func exchange(_ method: String, _ url: String, body: [UInt8], headers: [(String, String)]) async throws(CalDAVError) -> HTTPResponse {
        let response = try await exchange(method, url, body: body, headers: headers, authorization: account.authorization)
        guard response.status == 401, case let .bearer(refused) = account.authorization, let renewToken else { return response }
        let renewed = try await renewToken(refused).get()
        return try await exchange(method, url, body: body, headers: headers, authorization: .bearer(renewed))
    }

    private func exchange(_ method: String, _ url: String, body: [UInt8], headers: [(String, String)],
                          authorization: CalDAVAuthorization) async throws(CalDAVError) -> HTTPResponse {
        let request = HTTPRequest(method: method, url: url, headers: [("Authorization", authorization.headerValue)] + headers, body: body, timeout: timeout)
        do {
            return try await transport.exchange(request, headers: ["ETag"])
        } catch {
            throw .transport(error)
        }
    }

    private func failure(_ response: HTTPResponse, _ url: String) throws(CalDAVError) -> CalDAVError {
        switch response.status {
        case 401, 403:
            if case .bearer = account.authorization { .accessTokenRefused(status: response.status) } else { .unauthorized(status: response.status) }
        case 404 where url == account.collectionURL: .collectionNotFound(url)
        default: .unexpectedStatus(response.status, String(decoding: response.body.prefix(200), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: " "))
        }
    }
}

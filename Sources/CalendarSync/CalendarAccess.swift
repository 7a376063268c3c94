import CalDAV
import CalendarSyncStore
import DaemonKit
import Delivery
import Foundation

/// How calsyncd reaches a connection's calendar: the collection with the account's credentials,
/// read from their credential file each time (so a rotated secret is used without a restart).
/// The sync that reads busy time and the writer that writes bookings both ask here.
///
/// A Google connection's credential is a service account's key or a refresh token; the access
/// token it gives is kept here, by consultant, and asked for again five minutes before it
/// expires, so a sync costs no request to Google's token endpoint.
actor CalendarAccess {
    let transport: HTTPTransport
    let configuration: Reloadable<SuiteConfiguration>
    let settings: Reloadable<CalendarSyncSettings>
    private var tokens: [TokenOwner: GoogleAccessToken] = [:]
    /// Requests for a token under way, so callers at the same time share one.
    private var requests: [TokenOwner: Task<Result<GoogleAccessToken, GoogleAuthorizationError>, Never>] = [:]

    /// Whose token it is: a changed credential or calendar owner never gets the old one.
    struct TokenOwner: Hashable, Sendable {
        var consultantId: String
        var credential: GoogleCredential
        var subject: String
    }

    init(transport: HTTPTransport, configuration: Reloadable<SuiteConfiguration>, settings: Reloadable<CalendarSyncSettings>) {
        self.transport = transport
        self.configuration = configuration
        self.settings = settings
    }

    func collection(for connection: CalendarConnection) async throws(CalendarAccessError) -> CalDAVCollection {
        let secret: String
        do {
            secret = try CredentialFile.read(connection.passwordCredential, configuration: configuration.value, daemon: "calsyncd")
        } catch {
            throw CalendarAccessError(problem: "\(Self.secretName(connection.provider)): \(error.problem)")
        }
        let timeout = settings.value.requestTimeout
        switch connection.provider {
        case .caldav, .yandex:
            return CalDAVCollection(account: CalDAVAccount(collectionURL: connection.url, username: connection.username, password: secret),
                                    transport: transport, timeout: timeout)
        case .google:
            let owner: TokenOwner
            do {
                owner = TokenOwner(consultantId: connection.consultantId, credential: try GoogleCredential(json: secret), subject: connection.username)
            } catch {
                throw CalendarAccessError(problem: error.description)
            }
            let token = try await accessToken(for: owner).mapError { CalendarAccessError(problem: $0.description) }.get()
            return CalDAVCollection(account: CalDAVAccount(collectionURL: connection.url, authorization: .bearer(token)), transport: transport,
                                    timeout: timeout) { refused in await self.renewedToken(for: owner, refused: refused) }
        }
    }

    /// What the connection's credential holds, for problems with it.
    static func secretName(_ provider: CalendarProvider) -> String {
        provider == .google ? "the Google credential" : "the password"
    }

    /// The kept token while it is usable, otherwise a new one.
    private func accessToken(for owner: TokenOwner) async -> Result<String, GoogleAuthorizationError> {
        if let kept = tokens[owner], kept.usable(at: .now) { return .success(kept.value) }
        let request = requests[owner] ?? Task { [transport, timeout = settings.value.requestTimeout] in
            await Self.requestToken(owner.credential, subject: owner.subject, transport: transport, timeout: timeout)
        }
        requests[owner] = request
        let result = await request.value
        requests[owner] = nil
        // One token a consultant: one kept for a credential since replaced would keep its key in memory.
        tokens = tokens.filter { $0.key.consultantId != owner.consultantId }
        if case let .success(token) = result { tokens[owner] = token }
        return result.map(\.value)
    }

    /// After the calendar refused `refused`: a token obtained meanwhile, or a new one.
    private func renewedToken(for owner: TokenOwner, refused: String) async -> Result<String, CalDAVError> {
        if tokens[owner]?.value == refused { tokens[owner] = nil }
        return await accessToken(for: owner).mapError { .accessTokenUnavailable($0.description, transient: $0.isTransient) }
    }

    /// One exchange with the token endpoint. `Date()`, not the suite's clock: Google compares the
    /// assertion's times with its own, and the suite's clock may be set elsewhere for tests.
    static func requestToken(_ credential: GoogleCredential, subject: String, transport: HTTPTransport,
                             timeout: Duration) async -> Result<GoogleAccessToken, GoogleAuthorizationError> {
        let requested = ContinuousClock.now
        let grant: GoogleTokenGrant
        do {
            grant = try GoogleTokenGrant(credential: credential, subject: subject, issuedAt: Date())
        } catch {
            return .failure(error)
        }
        let response: HTTPResponse
        do {
            response = try await transport.exchange(grant.request(timeout: timeout))
        } catch {
            return .failure(.endpointFailed(error.reason))
        }
        do {
            let token = try grant.token(status: response.status, body: response.body)
            return .success(GoogleAccessToken(value: token.value, requested: requested, lifetime: token.lifetime))
        } catch {
            return .failure(error)
        }
    }
}

/// The credentials of a connection could not be had: the calendar is not asked at all.
struct CalendarAccessError: Error, CustomStringConvertible {
    var problem: String
    var description: String { problem }
}

import BookingProtocol
import CalDAV
import CalendarSyncStore
import CivilTime
import CryptoExtras
import DaemonKit
import Delivery
import Foundation
import LoopbackServers
import SuiteTesting
import Testing
@testable import CalendarSync

/// Google Calendar through its CalDAV endpoint with OAuth 2: the pure parts (credential files,
/// the service account's JWT, the token endpoint's answers, when a token is renewed), and
/// calsyncd in this process against a loopback Google that checks what Google documents.
@Suite(.serialized) struct GoogleCalendarTests {
    static let owner = "anna@example.com"

    // MARK: The pure parts

    static func serviceAccount(_ key: _RSA.Signing.PrivateKey, tokenURI: String = "https://oauth2.googleapis.com/token") -> GoogleServiceAccount {
        GoogleServiceAccount(clientEmail: "calsyncd@project.iam.gserviceaccount.com", privateKey: key.pkcs8PEMRepresentation, tokenURI: tokenURI)
    }

    @Test func theServiceAccountsAssertionIsTheJWTGoogleDocuments() throws {
        let key = try TestKeys.serviceAccount()
        let issued = ISO8601.parseInstant("2026-12-01T08:00:00.700Z")!
        let grant = try GoogleTokenGrant(credential: .serviceAccount(Self.serviceAccount(key)), subject: Self.owner, issuedAt: issued)
        #expect(grant.tokenURI == "https://oauth2.googleapis.com/token")
        #expect(grant.fields.map(\.name) == ["grant_type", "assertion"])
        #expect(grant.body.hasPrefix("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=ey"))
        let request = grant.request(timeout: .seconds(5))
        #expect(request.method == "POST" && request.headers.contains { $0 == ("Content-Type", "application/x-www-form-urlencoded") })

        let jwt = try #require(grant.fields.last?.value)
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3 && !jwt.contains("=") && !jwt.contains("+") && !jwt.contains("/"), "base64url without padding")
        let header = try #require(GoogleAssertion.data(base64URL: parts[0]))
        #expect(String(decoding: header, as: UTF8.self) == #"{"alg":"RS256","typ":"JWT"}"#)
        let claimsJSON = try #require(GoogleAssertion.data(base64URL: parts[1]))
        let claims = try #require(try JSONSerialization.jsonObject(with: claimsJSON) as? [String: Any])
        #expect(claims["iss"] as? String == "calsyncd@project.iam.gserviceaccount.com")
        #expect(claims["scope"] as? String == "https://www.googleapis.com/auth/calendar")
        #expect(claims["aud"] as? String == "https://oauth2.googleapis.com/token")
        #expect(claims["sub"] as? String == Self.owner)
        let iat = try #require(claims["iat"] as? Int)
        #expect(iat == 1_796_112_000 && claims["exp"] as? Int == iat + 3600)

        // RS256: PKCS #1 v1.5 over SHA-256 of "header.claims", checked with the public key.
        let signature = _RSA.Signing.RSASignature(rawRepresentation: try #require(GoogleAssertion.data(base64URL: parts[2])))
        let signed = Data("\(parts[0]).\(parts[1])".utf8)
        #expect(key.publicKey.isValidSignature(signature, for: signed, padding: .insecurePKCS1v1_5))
        #expect(!key.publicKey.isValidSignature(signature, for: Data("\(parts[0]).e30".utf8), padding: .insecurePKCS1v1_5))
        let other = try TestKeys.other()
        #expect(!other.publicKey.isValidSignature(signature, for: signed, padding: .insecurePKCS1v1_5))
    }

    @Test func theRefreshTokenGrant() throws {
        let user = GoogleAuthorizedUser(clientID: "123.apps.googleusercontent.com", clientSecret: "s3cr/t+", refreshToken: "1//0g-x_y",
                                        tokenURI: GoogleCredential.defaultTokenURI)
        let grant = try GoogleTokenGrant(credential: .authorizedUser(user), subject: Self.owner, issuedAt: Date())
        #expect(grant.body == "client_id=123.apps.googleusercontent.com&client_secret=s3cr%2Ft%2B&refresh_token=1%2F%2F0g-x_y&grant_type=refresh_token")
        #expect(grant.tokenURI == "https://oauth2.googleapis.com/token")
    }

    @Test func credentialFilesAreReadAndTheirProblemsNamedWithoutTheirSecrets() throws {
        let key = try TestKeys.serviceAccount()
        func json(_ object: [String: String]) -> String {
            String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        let account = ["type": "service_account", "client_email": "calsyncd@project.iam.gserviceaccount.com", "private_key": key.pkcs8PEMRepresentation,
                       "token_uri": "https://oauth2.googleapis.com/token", "private_key_id": "abc"]
        #expect(try GoogleCredential(json: json(account)) == .serviceAccount(Self.serviceAccount(key)))
        let user = ["type": "authorized_user", "client_id": "123.apps.googleusercontent.com", "client_secret": "very-secret", "refresh_token": "1//0g"]
        let parsed = try GoogleCredential(json: json(user))
        #expect(parsed.tokenURI == "https://oauth2.googleapis.com/token", "token_uri defaults to Google's")
        #expect("\(parsed)" == "refresh token of OAuth client 123.apps.googleusercontent.com")

        var plainHTTP = account
        plainHTTP["token_uri"] = "http://oauth.example.com/token"
        var loopback = account
        loopback["token_uri"] = "http://127.0.0.1:8080/token"
        #expect(try GoogleCredential(json: json(loopback)).tokenURI == "http://127.0.0.1:8080/token")
        var noKey = account
        noKey["private_key"] = nil
        var noSecret = user
        noSecret["client_secret"] = ""
        for (text, problem) in [
            ("hunter2", "not a JSON object"), (json(plainHTTP), "token_uri must be an https URL"), (json(noKey), "private_key is missing"),
            (json(noSecret), "client_secret is missing"), (json(["type": "external_account"]), "service_account or authorized_user"),
        ] {
            do {
                _ = try GoogleCredential(json: text)
                Issue.record("accepted \(problem)")
            } catch {
                #expect(error.description.hasPrefix("the Google credential: ") && error.description.contains(problem), "\(error)")
                #expect(!error.description.contains("PRIVATE KEY") && !error.description.contains("hunter2"))
            }
        }
        var badKey = account
        badKey["private_key"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        do {
            _ = try GoogleTokenGrant(credential: try GoogleCredential(json: json(badKey)), subject: Self.owner, issuedAt: Date())
            Issue.record("signed with no key")
        } catch {
            #expect(error == .credentialUnusable("private_key is not an RSA key of 2048 bits or more in PEM"))
        }
    }

    @Test func theTokenEndpointsAnswersAreRead() throws {
        let key = try TestKeys.serviceAccount()
        let grant = try GoogleTokenGrant(credential: .serviceAccount(Self.serviceAccount(key)), subject: Self.owner, issuedAt: Date())
        let token = try grant.token(status: 200, body: Array(#"{"access_token":"ya29.a0Af","expires_in":3599,"token_type":"Bearer"}"#.utf8))
        #expect(token.value == "ya29.a0Af" && token.lifetime == .seconds(3599))
        do {
            _ = try grant.token(status: 400, body: Array(#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#.utf8))
            Issue.record("a refusal was taken for a token")
        } catch {
            #expect(error.description == "Google refused the service account calsyncd@project.iam.gserviceaccount.com: invalid_grant (Invalid JWT Signature.)")
            #expect(!error.isTransient)
        }
        for (status, body) in [(503, "Service Unavailable"), (200, #"{"access_token":"a b","token_type":"Bearer"}"#),
                               (200, #"{"access_token":"ya29","token_type":"mac"}"#)] {
            #expect(throws: GoogleAuthorizationError.self) { _ = try grant.token(status: status, body: Array(body.utf8)) }
        }
        #expect((try? grant.token(status: 503, body: []))?.value == nil)
    }

    @Test func aTokenIsRenewedFiveMinutesBeforeItExpiresOrHalfWayThroughAShortLife() {
        let start = ContinuousClock.now
        let hour = GoogleAccessToken(value: "t", requested: start, lifetime: .seconds(3600))
        #expect(hour.usable(at: start + .seconds(3299)))
        #expect(!hour.usable(at: start + .seconds(3301)))
        let short = GoogleAccessToken(value: "t", requested: start, lifetime: .seconds(4))
        #expect(short.usable(at: start + .seconds(1.9)))
        #expect(!short.usable(at: start + .seconds(2.1)))
    }

    // MARK: calsyncd against the loopback Google

    /// A suite with calsyncd (syncing only when asked) and a loopback Google with anna's main
    /// calendar, its service account key and a refresh token of hers beside booking.yaml.
    struct Fixture {
        let suite: InProcessSuite
        let google: LoopbackGoogleServer
        let transport: HTTPTransport
        let calsyncd: DaemonClient
        let availabilityd: DaemonClient

        static func start(tokenLifetime: Int = 3600) async throws -> Fixture {
            let google = try LoopbackGoogleServer(users: [GoogleCalendarTests.owner: "direct", "boris@example.com": "other"],
                                                  refreshUser: GoogleCalendarTests.owner, tokenLifetime: tokenLifetime)
            var options = InProcessSuite.Options()
            options.daemons = [.availabilityd, .bookingd, .calsyncd]
            options.clockStart = "2026-12-01T07:58:00+03:00"
            options.extra = "calendars: {sync_interval_seconds: 3600}\n"
            let suite = try await InProcessSuite.start(options)
            try google.serviceAccountJSON.write(toFile: suite.directory + "/google-service-account.json", atomically: true, encoding: .utf8)
            try google.authorizedUserJSON.write(toFile: suite.directory + "/anna-google.json", atomically: true, encoding: .utf8)
            let fixture = Fixture(suite: suite, google: google, transport: HTTPTransport(connections: 2),
                                  calsyncd: try await suite.client(.calsyncd, timeout: .seconds(15)), availabilityd: try await suite.client(.availabilityd))
            // Google's calendar exists already; Radicale's is made on its own path.
            #expect(try await fixture.writer.send("MKCALENDAR", "").status == 201)
            return fixture
        }

        /// The tests' own writes to anna's calendar, straight to Radicale with basic auth.
        var writer: CalendarWriter {
            CalendarWriter(transport: transport, collectionURL: google.directURL(calendar: GoogleCalendarTests.owner), username: GoogleCalendarTests.owner,
                           password: "direct")
        }

        func connect(credential: String = "google-service-account.json", username: String = GoogleCalendarTests.owner,
                     url: String? = nil) async throws -> CalendarConnectionBody {
            let reply: CalendarsReply = try await calsyncd.call(MessageType.calendarConnect, CalendarConnectRequest(
                consultantId: "anna", provider: "google", url: url ?? google.collectionURL(calendar: GoogleCalendarTests.owner), username: username,
                passwordCredential: credential))
            return try #require(reply.connections.first)
        }

        func stop() async throws {
            google.stop()
            await transport.shutdown()
            try await suite.stop()
        }
    }

    @Test func aMeetingInGoogleCalendarTakesItsSlotsWithOneTokenForManySyncs() async throws {
        let fixture = try await Fixture.start()
        let connected = try await fixture.connect()
        #expect(connected.lastError == nil && connected.provider == "google" && connected.privacy == "minimal", "\(connected)")
        #expect(try await fixture.availabilityd.freeStarts(of: "anna", on: "2026-12-02").contains("12:00"))

        try await fixture.writer.put("planning.ics", CalendarImportTests.event("planning@example.com", "20261202T090000Z", "20261202T100000Z"))
        let synced = try await fixture.calsyncd.syncCalendar(of: "anna")
        #expect(synced.lastError == nil && synced.events == 1 && synced.busyIntervals == 1, "\(synced)")
        let free = try await fixture.availabilityd.freeStarts(of: "anna", on: "2026-12-02")
        #expect(!free.contains("12:00") && !free.contains("12:30") && free.contains("13:00"), "\(free)")
        let busy: BusyReply = try await fixture.availabilityd.call(MessageType.busy, BusyRequest(consultantId: "anna"))
        #expect(busy.intervals.map(\.source) == ["google:anna"])

        _ = try await fixture.calsyncd.syncCalendar(of: "anna")
        #expect(try await fixture.writer.send("DELETE", "planning.ics").status == 200)
        #expect(try await fixture.calsyncd.syncCalendar(of: "anna").events == 0)
        #expect(try await fixture.availabilityd.freeStarts(of: "anna", on: "2026-12-02").contains("12:00"))

        // One token for the connection's four reads: the JWT grant for anna, signed by the key.
        let requests = fixture.google.tokenRequests
        #expect(requests.count == 1 && requests.allSatisfy(\.granted), "\(requests)")
        let request = try #require(requests.first)
        #expect(request.grantType == "urn:ietf:params:oauth:grant-type:jwt-bearer" && request.subject == Self.owner)
        let parts = try #require(request.assertion).split(separator: ".")
        let publicKey = try _RSA.Signing.PublicKey(pemRepresentation: fixture.google.publicKeyPEM)
        #expect(publicKey.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: try #require(GoogleAssertion.data(base64URL: parts[2]))),
                                           for: Data("\(parts[0]).\(parts[1])".utf8), padding: .insecurePKCS1v1_5))
        let claimsJSON = try #require(GoogleAssertion.data(base64URL: parts[1]))
        let claims = try #require(try JSONSerialization.jsonObject(with: claimsJSON) as? [String: Any])
        #expect(claims["aud"] as? String == fixture.google.tokenURL && claims["iss"] as? String == fixture.google.serviceAccount)
        #expect(fixture.google.calDAVRequests.allSatisfy { $0.accepted && $0.tokenSerial == 1 })
        try await fixture.stop()
    }

    /// Google's counterpart over CalDAV of the REST API's `syncToken` and its 410 Gone: changes
    /// since the token, and everything again when the server refuses the token.
    @Test func aRefusedSyncTokenReadsTheWholeGoogleCalendarAgain() async throws {
        let fixture = try await Fixture.start()
        _ = try await fixture.connect()
        try await fixture.writer.put("planning.ics", CalendarImportTests.event("planning@example.com", "20261202T090000Z", "20261202T100000Z"))
        let configuration = fixture.suite.configuration
        let access = CalendarAccess(transport: fixture.transport, configuration: Reloadable(configuration),
                                    settings: Reloadable(try CalendarSyncSettings.load(configuration)))
        let connection = CalendarConnection(consultantId: "anna", provider: .google, url: fixture.google.collectionURL(calendar: Self.owner),
                                            username: Self.owner, passwordCredential: fixture.suite.directory + "/google-service-account.json")
        let calendar = try await access.collection(for: connection)
        let window = Date(timeIntervalSince1970: 1_796_000_000)..<Date(timeIntervalSince1970: 1_800_000_000)
        guard case let .changes(first, complete) = try await CalendarSyncEngine.fetch(calendar, since: nil, window: window) else {
            Issue.record("Google's CalDAV answers sync-collection")
            return
        }
        #expect(complete && first.changed.count == 1)
        guard case let .changes(again, resynced) = try await CalendarSyncEngine.fetch(calendar, since: first.syncToken + "-forgotten", window: window) else {
            Issue.record("a refused token is read again with sync-collection")
            return
        }
        #expect(resynced && again.changed.map { CalDAVCollection.name(of: $0.href) } == ["planning.ics"])
        try await fixture.stop()
    }

    /// Bookings go into the Google calendar through the same token, and by default (152-FZ: the
    /// data would leave Russia) say nothing of the client but the reference and the manage link.
    @Test func aBookingIsWrittenIntoGoogleCalendarWithNothingOfTheClientButItsReference() async throws {
        let fixture = try await Fixture.start()
        _ = try await fixture.connect()
        let bookingd = try await fixture.suite.client(.bookingd)
        let booked: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(
            start: ISO8601.parseInstant("2026-12-02T15:00:00+03:00")!,
            contact: ContactBody(name: "Мария Соколова", email: "maria@example.com", phone: "+79160000007"), consultantId: "anna"))
        var written: HTTPResponse?
        for _ in 0..<50 where written?.status != 200 {
            _ = try await fixture.calsyncd.syncCalendar(of: "anna")
            written = try await fixture.writer.send("GET", "\(booked.id).ics")
            if written?.status != 200 { try await Task.sleep(for: .milliseconds(200)) }
        }
        let text = String(decoding: try #require(written).body, as: UTF8.self)
        #expect(written?.status == 200, "\(text)")
        #expect(text.contains("UID:\(booked.id)") && text.contains("DTSTART:20261202T120000Z") && text.contains(booked.reference))
        #expect(!text.contains("Мария") && !text.contains("maria@example.com") && !text.contains("7916"), "\(text)")
        // Its own event is not busy time: the slot stays the booking's, no conflict.
        let synced = try await fixture.calsyncd.syncCalendar(of: "anna")
        #expect(synced.busyIntervals == 0 && synced.bookingsWritten == 1 && synced.lastWriteError == nil, "\(synced)")
        let requests = fixture.google.calDAVRequests
        #expect(requests.allSatisfy { $0.accepted })
        try await fixture.stop()
    }

    /// Tokens living 6 s are renewed after 3 s (half their life), while the old one still works.
    @Test func aRefreshTokensAccessTokenIsRenewedBeforeItExpires() async throws {
        let fixture = try await Fixture.start(tokenLifetime: 6)
        #expect(try await fixture.connect(credential: "anna-google.json").lastError == nil)
        // The token was asked for before this instant, so it is due for renewal 3 s after.
        let connected = ContinuousClock.now
        #expect(try await fixture.calsyncd.syncCalendar(of: "anna").lastError == nil)
        let early = fixture.google.tokenRequests
        if ContinuousClock.now - connected < .seconds(2.5) {
            #expect(early.count == 1, "the token is kept between syncs: \(early)")
        }
        try await Task.sleep(until: connected + .seconds(3.2))
        #expect(try await fixture.calsyncd.syncCalendar(of: "anna").lastError == nil)
        let requests = fixture.google.tokenRequests
        #expect(requests.count >= 2 && requests.allSatisfy { $0.granted && $0.grantType == "refresh_token" && $0.subject == Self.owner }, "\(requests)")
        let renewal = try #require(requests.last)
        #expect((renewal.previousRemaining ?? 0) > 0, "renewed before the previous token expired: \(renewal)")
        let calls = fixture.google.calDAVRequests
        #expect(calls.allSatisfy(\.accepted) && calls.last?.tokenSerial == renewal.serial, "\(calls)")
        try await fixture.stop()
    }

    @Test func aRevokedGrantSaysSoAndTheLastBusyTimeStays() async throws {
        let fixture = try await Fixture.start()
        _ = try await fixture.connect()
        try await fixture.writer.put("planning.ics", CalendarImportTests.event("planning@example.com", "20261202T090000Z", "20261202T100000Z"))
        #expect(try await fixture.calsyncd.syncCalendar(of: "anna").lastError == nil)
        #expect(!(try await fixture.availabilityd.freeStarts(of: "anna", on: "2026-12-02").contains("12:00")))

        // The kept token is refused, a new one is asked for once, and Google says why not.
        try fixture.google.revokeGrants()
        let revoked = try await fixture.calsyncd.syncCalendar(of: "anna")
        let expected = "Google refused the service account \(fixture.google.serviceAccount): invalid_grant (Invalid JWT Signature.)"
        #expect(revoked.lastError?.contains(expected) == true, "\(revoked)")
        #expect(revoked.lastError?.contains("PRIVATE KEY") == false && revoked.lastError?.contains("ya29.") == false)
        #expect(fixture.google.tokenRequests.map(\.granted) == [true, false])
        #expect(!(try await fixture.availabilityd.freeStarts(of: "anna", on: "2026-12-02").contains("12:00")), "the last known busy time stays in force")
        let again = try await fixture.calsyncd.syncCalendar(of: "anna")
        #expect(again.lastError == expected, "without a token the calendar is not asked: \(again)")

        try fixture.google.restoreGrants()
        #expect(try await fixture.calsyncd.syncCalendar(of: "anna").lastError == nil)

        // A calendar owner outside the domain: the account may not act for them.
        let stranger = try await fixture.connect(username: "zoe@example.com")
        #expect(stranger.lastError == "Google refused the service account \(fixture.google.serviceAccount): invalid_grant (Invalid email or User ID)",
                "\(stranger)")
        try await fixture.stop()
    }

    @Test func googleConnectionsAreCheckedBeforeTheyAreKept() async throws {
        let fixture = try await Fixture.start()
        try "hunter2\n".write(toFile: fixture.suite.directory + "/password.txt", atomically: true, encoding: .utf8)
        let plainHTTP = fixture.google.serviceAccountJSON.replacingOccurrences(of: "http://127.0.0.1", with: "http://oauth.example.com")
        try plainHTTP.write(toFile: fixture.suite.directory + "/plain-http.json", atomically: true, encoding: .utf8)
        for (credential, username, url, field, message) in [
            ("google-service-account.json", Self.owner, "https://calendar.example.com/caldav/v2/anna/events/", "url", "apidata.googleusercontent.com"),
            ("google-service-account.json", Self.owner, "http://apidata.googleusercontent.com/caldav/v2/anna/events/", "url", "apidata.googleusercontent.com"),
            ("google-service-account.json", "anna", nil, "username", "owner's address"),
            ("password.txt", Self.owner, nil, "password_credential", "not a JSON object"),
            ("plain-http.json", Self.owner, nil, "password_credential", "token_uri must be an https URL"),
            ("missing.json", Self.owner, nil, "password_credential", "the Google credential: cannot read"),
        ] {
            do {
                _ = try await fixture.connect(credential: credential, username: username, url: url)
                Issue.record("accepted \(credential) \(username) \(url ?? "")")
            } catch let error as ProtocolError {
                #expect(error.field == field && error.message.contains(message), "\(error)")
                #expect(!error.message.contains("hunter2"))
            }
        }
        let listed: CalendarsReply = try await fixture.calsyncd.call(MessageType.calendars, CalendarConsultantRequest())
        #expect(listed.connections.isEmpty)
        #expect(fixture.google.tokenRequests.isEmpty)
        try await fixture.stop()
    }
}

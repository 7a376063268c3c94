import CalDAV
import Delivery
import Foundation
import LoopbackServers
import Synchronization
import Testing

/// The client against a real CalDAV server (Radicale) on loopback.
@Suite(.serialized) struct CalDAVCollectionTests {
    static func event(_ uid: String, start: String, end: String, summary: String = "Meeting") -> String {
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\nBEGIN:VEVENT\r\nUID:\(uid)\r\nDTSTAMP:20261201T000000Z\r\n"
            + "DTSTART:\(start)\r\nDTEND:\(end)\r\nSUMMARY:\(summary)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    }

    /// A server with anna's calendar `work` made.
    static func server() async throws -> (LoopbackCalDAVServer, CalDAVCollection, HTTPTransport) {
        let server = try LoopbackCalDAVServer(users: ["anna": "secret", "boris": "other"])
        let transport = HTTPTransport(connections: 2)
        let account = CalDAVAccount(collectionURL: server.collectionURL(user: "anna", calendar: "work"), username: "anna", password: "secret")
        let made = try await transport.exchange(HTTPRequest(
            method: "MKCALENDAR", url: account.collectionURL, headers: [("Authorization", "Basic " + Data("anna:secret".utf8).base64EncodedString())]))
        #expect(made.status == 201)
        return (server, CalDAVCollection(account: account, transport: transport, timeout: .seconds(10)), transport)
    }

    @Test func changesSinceATokenAndEventsInAWindow() async throws {
        let (server, calendar, transport) = try await Self.server()
        defer { server.stop() }
        let empty = try await calendar.changes(since: nil)
        #expect(empty.changed.isEmpty && empty.removed.isEmpty)

        let first = try await calendar.put("m1.ics", calendar: Self.event("m1@example.com", start: "20261202T090000Z", end: "20261202T100000Z"), ifMatch: nil)
        #expect(first != nil, "Radicale gives the new ETag")
        _ = try await calendar.put("m2.ics", calendar: Self.event("m2@example.com", start: "20261210T090000Z", end: "20261210T100000Z"), ifMatch: nil)
        let both = try await calendar.changes(since: empty.syncToken)
        #expect(both.changed.map { CalDAVCollection.name(of: $0.href) } == ["m1.ics", "m2.ics"])
        #expect(both.changed.first?.etag == first)
        #expect(both.changed.first?.calendarData.contains("UID:m1@example.com") == true)

        try await calendar.delete("m1.ics", ifMatch: first)
        let after = try await calendar.changes(since: both.syncToken)
        #expect(after.changed.isEmpty)
        #expect(after.removed.map(CalDAVCollection.name(of:)) == ["m1.ics"])

        // A token the server no longer knows (RFC 6578 §3.2, DAV:valid-sync-token): told apart, so
        // the caller reads everything again.
        await #expect(throws: CalDAVError.syncTokenExpired) {
            _ = try await calendar.changes(since: both.syncToken + "-forgotten")
        }

        let inWindow = try await calendar.events(from: ISO8601DateFormatter().date(from: "2026-12-09T00:00:00Z")!,
                                                 to: ISO8601DateFormatter().date(from: "2026-12-11T00:00:00Z")!)
        #expect(inWindow.map { CalDAVCollection.name(of: $0.href) } == ["m2.ics"])
        await transport.shutdown()
    }

    @Test func writesAreConditional() async throws {
        let (server, calendar, transport) = try await Self.server()
        defer { server.stop() }
        let text = Self.event("m1@example.com", start: "20261202T090000Z", end: "20261202T100000Z")
        let etag = try await calendar.put("m1.ics", calendar: text, ifMatch: nil)
        // A replay of the creation must not make or overwrite anything.
        await #expect(throws: CalDAVError.preconditionFailed(calendar.account.collectionURL + "m1.ics")) {
            _ = try await calendar.put("m1.ics", calendar: text, ifMatch: nil)
        }
        let moved = Self.event("m1@example.com", start: "20261202T110000Z", end: "20261202T120000Z")
        let newTag = try await calendar.put("m1.ics", calendar: moved, ifMatch: etag)
        #expect(newTag != etag)
        // Someone changed it since: the stale ETag is refused, for a change and a removal.
        await #expect(throws: CalDAVError.self) { _ = try await calendar.put("m1.ics", calendar: text, ifMatch: etag) }
        await #expect(throws: CalDAVError.self) { try await calendar.delete("m1.ics", ifMatch: etag) }
        try await calendar.delete("m1.ics", ifMatch: newTag)
        try await calendar.delete("m1.ics", ifMatch: nil)  // already gone: done
        await transport.shutdown()
    }

    @Test func wrongCredentialsAMissingCalendarAndADownServerAreTold() async throws {
        let (server, calendar, transport) = try await Self.server()
        let wrong = CalDAVCollection(account: CalDAVAccount(collectionURL: calendar.account.collectionURL, username: "anna", password: "nope"),
                                     transport: transport)
        do {
            _ = try await wrong.changes(since: nil)
            Issue.record("wrong credentials were accepted")
        } catch {
            #expect(error == .unauthorized(status: 401) && !error.isTransient, "\(error)")
        }
        let missing = CalDAVCollection(account: CalDAVAccount(collectionURL: server.collectionURL(user: "anna", calendar: "nothing"), username: "anna",
                                                              password: "secret"), transport: transport)
        do {
            _ = try await missing.changes(since: nil)
            Issue.record("a missing calendar answered")
        } catch {
            #expect(!error.isTransient, "\(error)")
        }
        server.stop()
        do {
            _ = try await calendar.changes(since: nil)
            Issue.record("a stopped server answered")
        } catch {
            #expect(error.isTransient, "\(error)")
        }
        try server.start()
        #expect(try await calendar.changes(since: nil).changed.isEmpty, "back on the same port with its calendars")
        server.stop()
        await transport.shutdown()
    }
}

/// An account with an OAuth 2 access token, against the loopback Google's CalDAV endpoint.
@Suite(.serialized) struct CalDAVBearerTests {
    /// A token from the loopback Google's token endpoint, by the refresh token it wrote.
    static func accessToken(_ google: LoopbackGoogleServer, _ transport: HTTPTransport) async throws -> String {
        let file = try #require(try JSONSerialization.jsonObject(with: Data(google.authorizedUserJSON.utf8)) as? [String: String])
        var form = URLComponents()
        form.queryItems = ["client_id", "client_secret", "refresh_token"].map { URLQueryItem(name: $0, value: file[$0]) }
            + [URLQueryItem(name: "grant_type", value: "refresh_token")]
        let reply = try await transport.exchange(HTTPRequest(
            url: google.tokenURL, headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: Array((form.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B").utf8)))
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any])
        return try #require(answer["access_token"] as? String)
    }

    @Test func aRefusedTokenIsRenewedOnceAndOtherwiseTold() async throws {
        let google = try LoopbackGoogleServer(users: ["anna@example.com": "direct"], refreshUser: "anna@example.com")
        let transport = HTTPTransport(connections: 2)
        let made = try await transport.exchange(HTTPRequest(
            method: "MKCALENDAR", url: google.directURL(calendar: "anna@example.com"),
            headers: [("Authorization", "Basic " + Data("anna@example.com:direct".utf8).base64EncodedString())]))
        #expect(made.status == 201)
        let token = try await Self.accessToken(google, transport)
        let url = google.collectionURL(calendar: "anna@example.com")

        let fresh = CalDAVCollection(account: CalDAVAccount(collectionURL: url, authorization: .bearer(token)), transport: transport)
        #expect(try await fresh.changes(since: nil).changed.isEmpty)

        let renewals = Mutex(0)
        let stale = CalDAVCollection(account: CalDAVAccount(collectionURL: url, authorization: .bearer("expired")), transport: transport) { refused in
            #expect(refused == "expired")
            renewals.withLock { $0 += 1 }
            return .success(token)
        }
        _ = try await stale.put("m1.ics", calendar: CalDAVCollectionTests.event("m1@example.com", start: "20261202T090000Z", end: "20261202T100000Z"),
                                ifMatch: nil)
        #expect(renewals.withLock { $0 } == 1)
        #expect(try await fresh.changes(since: nil).changed.count == 1, "the retried write went through")

        let unrenewed = CalDAVCollection(account: CalDAVAccount(collectionURL: url, authorization: .bearer("expired")), transport: transport)
        await #expect(throws: CalDAVError.accessTokenRefused(status: 401)) { _ = try await unrenewed.changes(since: nil) }
        let refusedRenewal = CalDAVCollection(account: CalDAVAccount(collectionURL: url, authorization: .bearer("expired")), transport: transport) { _ in
            .failure(.accessTokenUnavailable("Google refused the refresh token: invalid_grant", transient: false))
        }
        await #expect(throws: CalDAVError.accessTokenUnavailable("Google refused the refresh token: invalid_grant", transient: false)) {
            _ = try await refusedRenewal.changes(since: nil)
        }
        google.stop()
        await transport.shutdown()
    }
}

import BookingDomain
import BookingProtocol
import Foundation
import Testing

/// The private calendar feeds as an operator and a calendar application use them: every daemon
/// as a process, the address from `bookctl feeds`, fetched with curl as a calendar service
/// fetches it, read by python3-icalendar as a calendar application reads it.
@Suite(.serialized) struct FeedFlowTests {
    struct Fetched {
        var status: Int
        var headers: String
        var body: String
        var file: String
    }

    static func fetch(_ url: String, into file: String) throws -> Fetched {
        let run = try SuiteProcess.run("/usr/bin/curl", ["-s", "-D", "-", "-o", file, "-w", "%{http_code}", url])
        guard run.status == 0 else { throw SuiteFailure("curl \(url): \(run.stderr)") }
        let body = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data(), as: UTF8.self)
        return Fetched(status: Int(run.stdout.suffix(3)) ?? 0, headers: String(run.stdout.dropLast(3)).lowercased(), body: body, file: file)
    }

    /// The feed as python3-icalendar reads it (support/feed_events.py).
    static func parsed(_ file: String) throws -> [String: Any] {
        let run = try SuiteProcess.run("/usr/bin/python3", [SuiteProcess.repositoryRoot + "/Tests/EndToEndTests/support/feed_events.py", file])
        guard run.status == 0 else { throw SuiteFailure("feed_events.py: \(run.stderr)") }
        return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }

    static func uids(_ feed: [String: Any]) -> [String] {
        (feed["events"] as? [[String: Any]] ?? []).compactMap { $0["uid"] as? String }
    }

    /// The UIDs of the invites notifyd emailed to `address` (python3-icalendar, as OneCalendarEntryTests reads them).
    static func inviteUIDs(_ suite: SuiteProcess, to address: String) throws -> Set<String> {
        let directory = suite.directory + "/mail"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let invites = try names.filter { $0.hasSuffix(".eml") && $0.contains(address) }.map { directory + "/" + $0 }.filter { path in
            String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self).contains("text/calendar")
        }
        guard !invites.isEmpty else { return [] }
        return Set(try OneCalendarEntryTests.apply(invites).inputs.compactMap { $0["uid"] as? String })
    }

    @Test func aFeedSubscribedByItsAddressCarriesTheInvitesUIDsAndNothingOfTheClientUntilRotatedOrRevoked() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try await suite.start()
        let bookingd = try await suite.client("bookingd")
        var appointments: [AppointmentBody] = []
        for (n, start, consultant) in [(1, "2026-12-03T12:00", "anna"), (2, "2026-12-02T11:00", "anna"), (3, "2026-12-02T11:00", "boris")] {
            let run = try suite.bookctl(["book", "--start", start, "--name", "Пётр Фидов\(n)", "--email", "feed\(n)@example.com",
                                         "--phone", "+7 916 000-00-0\(n)", "--consultant", consultant, "--topic", "Аренда"])
            #expect(run.status == 0, "\(run.stderr)")
            let reference = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            appointments.append(try await bookingd.call(MessageType.get, ReferenceRequest(reference: reference)))
        }
        await bookingd.close()
        let annas = appointments.filter { $0.consultantId == "anna" }.sorted { $0.start < $1.start }

        // The address an admin hands to anna, on webd's public URL.
        let shown = try suite.bookctl(["feeds", "show", "anna"])
        #expect(shown.status == 0, "\(shown.stderr)")
        let url = shown.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(url.hasPrefix(suite.webURL + "/feeds/anna.1.") && url.hasSuffix(".ics"), "\(url)")
        let json = try #require(try suite.bookctlJSON(["feeds", "show", "anna"]) as? [String: Any])
        #expect(json["url"] as? String == url && json["revoked"] as? Bool == false && json["generation"] as? Int == 1)

        let fetched = try Self.fetch(url, into: suite.directory + "/anna.ics")
        #expect(fetched.status == 200, "\(fetched.body)")
        #expect(fetched.headers.contains("content-type: text/calendar; charset=utf-8") && fetched.headers.contains("cache-control: private, max-age=300"))
        #expect(!fetched.headers.contains("set-cookie"))
        let feed = try Self.parsed(fetched.file)
        #expect(feed["method"] as? String == "PUBLISH" && feed["refresh"] as? String == "PT15M" && feed["ttl"] as? String == "PT15M")
        #expect(feed["name"] as? String == "Консультации: Consultant anna")
        #expect(Self.uids(feed) == annas.map(\.id), "one event per booking of hers, by start, its UID the appointment's id")
        try await eventually(.seconds(30)) { try Self.inviteUIDs(suite, to: "anna@example.com").count == 2 }
        #expect(try Self.inviteUIDs(suite, to: "anna@example.com") == Set(Self.uids(feed)), "the same UIDs as the invites she was emailed")
        let events = try #require(feed["events"] as? [[String: Any]])
        #expect(events.allSatisfy { $0["summary"] as? String == "Консультация" && $0["status"] as? String == "CONFIRMED" })
        #expect(events.first?["start"] as? String == "2026-12-02T08:00:00+00:00")
        // The text as the parser reads it, the folds joined: nothing hides across a line break.
        let unfolded = fetched.body.replacingOccurrences(of: "\r\n ", with: "")
        for appointment in annas {
            #expect(unfolded.contains(BookingReference.masked(appointment.reference)), "the reference masked")
            #expect(!unfolded.contains(appointment.reference), "never whole")
        }
        for personal in ["Фидов", "feed1@", "feed2@", "example.com", "+791600000", "Аренда", "/manage/"] {
            #expect(!unfolded.contains(personal), "\(personal)")
        }

        let team = try suite.bookctl(["feeds", "show", "team"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let teamFeed = try Self.parsed(try Self.fetch(team, into: suite.directory + "/team.ics").file)
        #expect(Set(Self.uids(teamFeed)) == Set(appointments.map(\.id)))
        #expect(teamFeed["name"] as? String == "Консультации: вся команда")

        // A rotation: the address before answers 404, the new one the feed.
        let rotated = try suite.bookctl(["feeds", "rotate", "anna"])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        let newURL = rotated.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(newURL != url && newURL.hasPrefix(suite.webURL + "/feeds/anna.2."))
        let old = try Self.fetch(url, into: suite.directory + "/old.ics")
        #expect(old.status == 404 && old.body == "no such feed\n")
        #expect(try Self.fetch(newURL, into: suite.directory + "/new.ics").status == 200)
        let forged = String(newURL.dropLast(".ics".count + 32)) + String(repeating: "0", count: 32) + ".ics"
        #expect(try Self.fetch(forged, into: suite.directory + "/forged.ics").status == 404)

        // Revoked: 404, and `show` says so until a rotation serves it again.
        let revoked = try suite.bookctl(["feeds", "revoke", "anna"])
        #expect(revoked.status == 0 && revoked.stdout.contains("revoked"), "\(revoked.stderr)")
        #expect(try Self.fetch(newURL, into: suite.directory + "/revoked.ics").status == 404)
        let showRevoked = try suite.bookctl(["feeds", "show", "anna"])
        #expect(showRevoked.status == 1 && showRevoked.stderr.contains("revoked") && showRevoked.stdout.isEmpty, "\(showRevoked.stderr)")
        let again = try suite.bookctl(["feeds", "rotate", "anna"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(again.hasPrefix(suite.webURL + "/feeds/anna.3."))
        #expect(try Self.fetch(again, into: suite.directory + "/again.ics").status == 200)
        #expect(try Self.fetch(newURL, into: suite.directory + "/still-revoked.ics").status == 404, "the revoked address stays dead")
    }

    @Test func anUnknownConsultantOrAMalformedScopeIsRefusedAndAMissingOneIsAUsageError() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try await suite.start("bookingd")
        try await suite.start("availabilityd")
        let unknown = try suite.bookctl(["feeds", "rotate", "zoe"])
        #expect(unknown.status == 1 && unknown.stderr.contains("not_found") && unknown.stderr.contains("zoe"), "\(unknown.stderr)")
        let malformed = try suite.bookctl(["feeds", "show", "a b"])
        #expect(malformed.status == 1 && malformed.stderr.contains("validation_failed") && malformed.stderr.contains("scope"), "\(malformed.stderr)")
        #expect(try suite.bookctl(["feeds", "revoke"]).status == 2)
        #expect(try suite.bookctl(["feeds", "show", "anna"]).status == 0, "the refusals changed nothing")
        suite.stop()
        #expect(try suite.bookctl(["feeds", "show", "anna"]).status == 3, "no answer")
    }
}

import BookingProtocol
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import WebFrontend

/// The proof that a client who takes an appointment into their calendar both ways (the booking
/// page's "add to calendar" file and the invites notifyd emails) keeps one entry: the real
/// bookingd, availabilityd, notifyd and webd processes, webd over HTTP, notifyd's mail written
/// to a directory, and python3-icalendar applying every file to one calendar by UID.
@Suite(.serialized) struct OneCalendarEntryTests {
    static let clientEmail = "one.calendar@example.com"

    struct Answer {
        var status: Int
        var body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
    }

    static func http(_ method: String, _ url: String, json: [String: Any]? = nil) async throws -> Answer {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = method
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
        }
        let (body, response) = try await URLSession.shared.data(for: request)
        return Answer(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: body)
    }

    /// The client's emails about `reference` that carry an invite.
    static func invites(_ suite: SuiteProcess, reference: String) throws -> [String] {
        let directory = suite.directory + "/mail"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return try names.filter { $0.hasSuffix(".eml") }.map { directory + "/" + $0 }.filter { path in
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
            // The header section; only To names the client (folded after the encoded name).
            let head = text.components(separatedBy: "\r\n\r\n")[0]
            return head.contains("\r\nX-Booking-Reference: \(reference)\r\n") && head.contains("<\(clientEmail)>") && text.contains("text/calendar")
        }
    }

    /// What one calendar holds after taking `files` in this order.
    static func apply(_ files: [String]) throws -> (events: [[String: Any]], inputs: [[String: Any]]) {
        let run = try SuiteProcess.run("/usr/bin/python3", [SuiteProcess.repositoryRoot + "/Tests/EndToEndTests/support/one_calendar.py"] + files)
        guard run.status == 0 else { throw SuiteFailure("one_calendar.py: \(run.stderr)") }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        return (object["events"] as? [[String: Any]] ?? [], object["inputs"] as? [[String: Any]] ?? [])
    }

    @Test func thePagesFileAndTheEmailedInvitesMakeOneEventAtTheNewTime() async throws {
        var options = SuiteProcess.Options()
        options.extra = "web:\n  proof_of_work: {difficulty: 1}\n"
        let suite = try SuiteProcess(options)
        defer { suite.tearDown() }
        try await suite.start()
        let web = suite.webURL

        // Book through webd, as the API's clients do (the clock reads 2026-12-01 07:58 MSK).
        let challengeAnswer = try await Self.http("GET", web + "/api/v1/challenge")
        let challenge = try WireJSON.decode(ProofOfWorkChallenge.self, from: Array(challengeAnswer.body))
        let solution = try #require(ProofOfWork.solve(challenge))
        let booked = try await Self.http("POST", web + "/api/v1/bookings", json: [
            "start": "2026-12-02T11:00:00+03:00", "consent": true, "locale": "ru", "time_zone": "Asia/Tokyo",
            "contact": ["name": "Анна Календарёва", "email": Self.clientEmail, "phone": "+7 916 555-01-02"],
            "proof_of_work": ["challenge": solution.challenge, "salt": solution.salt, "signature": solution.signature, "number": solution.number],
        ])
        #expect(booked.status == 201, "\(String(decoding: booked.body, as: UTF8.self))")
        let reference = try #require(booked.json["reference"] as? String)
        let appointmentID = try #require(booked.json["id"] as? String)

        // The page's "add to calendar" file, and the invite that came with the confirmation.
        let pageFile = suite.directory + "/page-booked.ics"
        let page = try await Self.http("GET", web + "/manage/\(reference)/calendar.ics")
        #expect(page.status == 200)
        try page.body.write(to: URL(fileURLWithPath: pageFile))
        var invites: [String] = []
        try await eventually(.seconds(30)) {
            invites = try Self.invites(suite, reference: reference)
            return invites.count == 1
        }
        let firstInvite = try #require(invites.first)

        // Moved through webd; the new invite.
        let moved = try await Self.http("POST", web + "/api/v1/bookings/\(reference)/reschedule", json: ["start": "2026-12-03T15:30:00+03:00"])
        #expect(moved.status == 200, "\(String(decoding: moved.body, as: UTF8.self))")
        try await eventually(.seconds(30)) {
            invites = try Self.invites(suite, reference: reference)
            return invites.count == 2
        }
        let secondInvite = try #require(invites.first { $0 != firstInvite })
        // The page's file, fetched again after the move, says the same: the new time, SEQUENCE 1.
        let movedPageFile = suite.directory + "/page-moved.ics"
        let movedPage = try await Self.http("GET", web + "/manage/\(reference)/calendar.ics")
        #expect(movedPage.status == 200)
        try movedPage.body.write(to: URL(fileURLWithPath: movedPageFile))

        // Whatever order the client takes them in, one event, at the new time (15:30 MSK).
        for files in [[pageFile, firstInvite, secondInvite], [secondInvite, pageFile, firstInvite], [firstInvite, secondInvite, pageFile],
                      [firstInvite, movedPageFile], [movedPageFile, pageFile, secondInvite]] {
            let calendar = try Self.apply(files)
            #expect(Set(calendar.inputs.compactMap { $0["uid"] as? String }) == [appointmentID], "one UID, the appointment's id")
            #expect(calendar.events.count == 1, "\(calendar.events)")
            let event = try #require(calendar.events.first)
            #expect(event["start"] as? String == "2026-12-03T12:30:00+00:00", "\(files.map { ($0 as NSString).lastPathComponent })")
            #expect(event["sequence"] as? Int == 1)
            #expect(event["status"] as? String == "CONFIRMED")
        }
        let sequences = try Self.apply([pageFile, firstInvite, secondInvite, movedPageFile]).inputs.map { "\($0["method"] ?? ""):\($0["sequence"] ?? "")" }
        #expect(sequences == ["PUBLISH:0", "REQUEST:0", "REQUEST:1", "PUBLISH:1"])
        let pageText = String(decoding: page.body, as: UTF8.self)
        #expect(!pageText.contains("UID:\(reference)") && !pageText.replacingOccurrences(of: "\r\n ", with: "").contains("UID:BK-"),
                "the reference, a secret, is not the UID")
    }
}

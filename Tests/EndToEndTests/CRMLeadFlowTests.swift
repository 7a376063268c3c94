import BookingDomain
import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import LoopbackServers
import SuiteTesting
import Testing

/// notifyd keeps a lead per booking in a CRM on loopback (crm_server.py, which checks every
/// request against the provider's documentation): made on booking, updated on reschedule and
/// attendance, one lead whatever notifyd goes through, retried on 5xx, a dead letter on 4xx.
@Suite(.serialized) struct CRMLeadFlowTests {
    /// The suite with the CRM `server` in notifyd's section; its secret in a file beside booking.yaml.
    static func suite(_ server: LoopbackCRMServer) throws -> SuiteProcess {
        let crm: String
        let secret: (file: String, value: String)
        switch server.provider {
        case .bitrix24:
            crm = "provider: bitrix24\n    bitrix24: {webhook_url_file: crm-secret, statuses: {cancelled: JUNK}}"
            secret = ("crm-secret", server.url)
        case .amocrm:
            crm = "provider: amocrm\n    amocrm: {base_url: \"\(server.url)\", token_file: crm-secret, form_page: \"https://book.example.com/\"}"
            secret = ("crm-secret", server.token)
        case .webhook:
            crm = "provider: webhook\n    webhook: {url: \"\(server.url)\", secret_file: crm-secret}"
            secret = ("crm-secret", server.secret)
        }
        var options = SuiteProcess.Options()
        options.notifications = SuiteFiles.developmentNotifications + """

              retry: {initial_seconds: 1, max_seconds: 2, give_up_hours: 1}
              crm:
                timeout_seconds: 5
                \(crm)
            """
        let suite = try SuiteProcess(options)
        try secret.value.write(toFile: suite.directory + "/" + secret.file, atomically: true, encoding: .utf8)
        return suite
    }

    static func book(_ suite: SuiteProcess, _ start: String, _ n: Int) throws -> String {
        let booked = try #require(try suite.bookctlJSON([
            "book", "--start", start + ":00+03:00", "--name", "Клиент \(n)", "--email", "client\(n)@example.com", "--phone", "+7 916 000-00-\(String(format: "%02d", n))",
        ]) as? [String: Any])
        return try #require(booked["reference"] as? String)
    }

    static func crmRows(_ suite: SuiteProcess, _ reference: String) throws -> [[String: Any]] {
        (try suite.bookctlJSON(["notifications", reference]) as? [[String: Any]] ?? []).filter { $0["channel"] as? String == "crm" }
    }

    @Test func oneLeadPerBookingUpdatedOnRescheduleAndAttendance() async throws {
        let server = try LoopbackCRMServer(.bitrix24)
        defer { server.stop() }
        let suite = try Self.suite(server)
        defer { suite.tearDown() }
        try await suite.start()

        let reference = try Self.book(suite, "2026-12-02T11:00", 1)
        let leads = try await server.waitForLeads(count: 1, timeout: .seconds(20))
        let fields = try #require(leads.first?["fields"] as? [String: Any])
        #expect(fields["EMAIL"] as? [[String: String]] == [["VALUE": "client1@example.com", "VALUE_TYPE": "WORK"]])
        #expect(fields["PHONE"] as? [[String: String]] == [["VALUE": "+79160000001", "VALUE_TYPE": "WORK"]])
        #expect(fields["NAME"] as? String == "Клиент 1")
        #expect((fields["COMMENTS"] as? String)?.contains("02.12.2026 11:00–11:30 (Europe/Moscow)") == true)

        #expect(try suite.bookctl(["reschedule", reference, "--start", "2026-12-02T15:00"]).status == 0)
        try await eventually(.seconds(20)) { (server.leads.first?["updates"] as? [Any])?.count == 1 }
        #expect((server.leads.first?["fields"] as? [String: Any])?["STATUS_DESCRIPTION"] as? String
            == "Консультация перенесена: 02.12.2026 11:00 → 02.12.2026 15:00–15:30 (Europe/Moscow)")

        // After the consultation: bookingd's clock moved on, an admin marks it attended.
        _ = suite.terminate("bookingd")
        let later = suite.directory + "/later.yaml"
        try String(contentsOfFile: suite.configPath, encoding: .utf8)
            .replacingOccurrences(of: "start: \"2026-12-01T07:58:00+03:00\"", with: "start: \"2026-12-02T16:00:00+03:00\"")
            .write(toFile: later, atomically: true, encoding: .utf8)
        try await suite.start("bookingd", config: later)
        let bookingd = try await suite.client("bookingd", attempts: 3)
        let _: AppointmentBody = try await bookingd.call(MessageType.markOutcome, MarkOutcomeRequest(reference: reference, outcome: OutcomeName.attended))
        try await eventually(.seconds(20)) { (server.leads.first?["updates"] as? [Any])?.count == 2 }
        #expect((server.leads.first?["fields"] as? [String: Any])?["STATUS_ID"] as? String == "PROCESSED")

        #expect(server.leads.count == 1)
        #expect(server.problems.isEmpty, "\(server.problems)")
        try await eventually { try Self.crmRows(suite, reference).count == 3 }
        let rows = try Self.crmRows(suite, reference)
        #expect(rows.map { $0["purpose"] as? String } == ["lead-created", "lead-rescheduled", "lead-attended"])
        #expect(rows.allSatisfy { $0["state"] as? String == "sent" && $0["recipient"] as? String == "crm" })
    }

    @Test func killedInABurstOfAHundredBookingsEveryBookingHasOneLead() async throws {
        // Each answer comes 50 ms after the work: the kill finds leads made and not yet kept.
        let server = try LoopbackCRMServer(.amocrm, options: ["--delay", "0.05"])
        defer { server.stop() }
        let suite = try Self.suite(server)
        defer { suite.tearDown() }
        try await suite.start()

        let client = try await suite.client("bookingd", timeout: .seconds(10), attempts: 3)
        defer { Task { await client.close() } }
        let slots = try burstSlots(count: 100)
        let booked = try await withThrowingTaskGroup(of: String.self) { group in
            for (n, start) in slots.enumerated() {
                group.addTask {
                    let reply: AppointmentBody = try await client.call(
                        MessageType.book, BookRequest(start: start, contact: contact(n), locale: "ru"), idempotencyKey: "crm-burst-\(n)")
                    return reply.id
                }
                if n == 40 {
                    // With leads on their way: no goodbye.
                    try await eventually(.seconds(30)) { server.leads.count >= 10 }
                    suite.kill9("notifyd")
                    print("CRM burst: notifyd killed with \(server.leads.count) leads made")
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(booked.count == 100)
        try await suite.start("notifyd")

        let leads = try await server.waitForLeads(count: 100, timeout: .seconds(180))
        // Each lead's first note (what the booking is) went too; then nothing more arrives.
        try await eventually(.seconds(120)) { server.leads.allSatisfy { ($0["notes"] as? [Any])?.isEmpty == false } }
        try await Task.sleep(for: .seconds(2))
        #expect(server.leads.count == 100)
        #expect(server.leads.allSatisfy { ($0["notes"] as? [Any])?.count == 1 }, "one note (what the booking is) per lead")
        let uids = leads.compactMap { ($0["external"] as? [String])?.first }
        #expect(Set(uids) == Set(booked))
        #expect(server.problems.isEmpty, "a second unsorted request for a booking is refused: \(server.problems)")
        let inDoubt = suite.log("notifyd").components(separatedBy: "deliveries were being sent when notifyd stopped").count - 1
        print("CRM burst: \(server.requests.filter { $0.method == "GET" }.count) lookups after the restart, \(inDoubt) restarts with changes in doubt")
    }

    /// The suite's clock starts days from the real one; webhooks are signed with its time.
    static let clockTolerance = ["--tolerance", "\(30 * 86_400)"]

    @Test func aServerErrorIsRetriedAndARefusalIsADeadLetter() async throws {
        let flaky = try LoopbackCRMServer(.webhook, options: ["--fail-first", "2", "--fail-status", "503"] + Self.clockTolerance)
        defer { flaky.stop() }
        let suite = try Self.suite(flaky)
        defer { suite.tearDown() }
        try await suite.start()
        let reference = try Self.book(suite, "2026-12-02T11:00", 2)
        _ = try await flaky.waitForLeads(count: 1, timeout: .seconds(30))
        try await eventually(.seconds(20)) { try Self.crmRows(suite, reference).first?["state"] as? String == "sent" }
        let row = try #require(try Self.crmRows(suite, reference).first)
        #expect(row["attempts"] as? Int == 3)
        #expect(((row["history"] as? [[String: Any]])?.first?["error"] as? String)?.hasPrefix("HTTP 503") == true, "\(row)")
        #expect(flaky.problems.isEmpty, "\(flaky.problems)")

        let refusing = try LoopbackCRMServer(.webhook, options: ["--fail-always", "--fail-status", "422"] + Self.clockTolerance)
        defer { refusing.stop() }
        let other = try Self.suite(refusing)
        defer { other.tearDown() }
        try await other.start()
        let refused = try Self.book(other, "2026-12-02T11:00", 3)
        var dead: [[String: Any]] = []
        try await eventually(.seconds(20)) {
            dead = (try other.bookctlJSON(["notifications", "--failed"]) as? [[String: Any]] ?? []).filter { $0["channel"] as? String == "crm" }
            return dead.count == 1
        }
        #expect(dead.first?["reference"] as? String == refused)
        #expect(dead.first?["attempts"] as? Int == 1, "no retry of a 422: \(dead)")
        #expect((dead.first?["lastError"] as? String)?.hasPrefix("HTTP 422") == true)
        #expect(refusing.requests.count == 1)
    }
}

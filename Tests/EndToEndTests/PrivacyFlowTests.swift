import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import Testing

/// `bookctl privacy` against the running suite: erasure survives kill -9 (it is one transaction,
/// and a repeat finishes it), export writes a private file, and a restored backup stays erased.
@Suite(.serialized) struct PrivacyFlowTests {
    static func book(_ bookingd: DaemonClient, _ n: Int, at time: String) async throws -> AppointmentBody {
        try await bookingd.call(MessageType.book, BookRequest(start: try #require(ISO8601.parseInstant(time)), contact: contact(n)),
                                idempotencyKey: "privacy-\(n)-\(time)")
    }

    static func exported(_ suite: SuiteProcess, email: String) throws -> [String: Any] {
        let run = try suite.bookctl(["privacy", "export", "--email", email])
        guard run.status == 0 else { throw SuiteFailure("export exited \(run.status): \(run.stderr)") }
        return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }

    static func bookings(_ export: [String: Any]) -> [[String: Any]] {
        ((export["bookings"] as? [[String: Any]]) ?? []).compactMap { $0["appointment"] as? [String: Any] }
    }

    @Test func anErasureKilledMidwayIsAllOrNothingAndARepeatFinishesIt() async throws {
        let suite = try SuiteProcess()
        try await suite.start()
        defer { suite.tearDown() }
        let bookingd = try await suite.client("bookingd", attempts: 3)
        let first = try await Self.book(bookingd, 31, at: "2026-12-03T10:00:00+03:00")
        let second = try await Self.book(bookingd, 31, at: "2026-12-04T10:00:00+03:00")
        let other = try await Self.book(bookingd, 32, at: "2026-12-03T11:00:00+03:00")
        let email = contact(31).email

        let sender = try await suite.client("bookingd", attempts: 1)
        let erasing = Task { () -> ErasureBody? in try? await sender.call(MessageType.erase, EraseRequest(email: email)) }
        try await Task.sleep(for: .milliseconds(15))
        suite.kill9("bookingd")
        _ = await erasing.value
        try await suite.start("bookingd")

        // Whatever the kill caught: the contacts are all there or all gone, never half.
        let afterKill = Self.bookings(try Self.exported(suite, email: email))
        #expect(afterKill.count == 2)
        let erasedAfterKill = afterKill.filter { $0["erased_at"] != nil }.count
        #expect(erasedAfterKill == 0 || erasedAfterKill == 2, "\(afterKill)")

        // A repeat finishes it (or erases nothing more, if the first had committed).
        let again = try suite.bookctl(["privacy", "erase", "--email", email, "--yes"])
        #expect(again.status == 0, "\(again.stderr)")
        let export = try Self.exported(suite, email: email)
        let bookings = Self.bookings(export)
        #expect(Set(bookings.compactMap { $0["reference"] as? String }) == [first.reference, second.reference])
        for booking in bookings {
            #expect(booking["erased_at"] != nil)
            #expect(booking["status"] as? String == "cancelled", "cancelled before the erasure")
            let contact = try #require(booking["contact"] as? [String: Any])
            #expect(contact["name"] as? String == "" && contact["email"] as? String == "" && contact["phone"] as? String == "")
        }
        let records = try #require(export["erasures"] as? [[String: Any]])
        #expect(records.count == 1, "one act did the erasing: \(records)")
        #expect(records.first?["reason"] as? String == "request")
        // A third time erases nothing.
        let third = try suite.bookctl(["privacy", "erase", "--email", email, "--yes"])
        #expect(third.stdout.contains("Nothing left to erase"), "\(third.stdout)")

        // notifyd follows the erasure: its messages about the person keep what happened to them, not what they said or to whom.
        try await eventually {
            let messages = try Self.exported(suite, email: email)["messages"] as? [[String: Any]] ?? []
            return !messages.isEmpty && messages.allSatisfy { $0["content"] == nil && $0["recipient"] == nil }
        }

        // Everyone else's booking reads as before, after the kill too.
        let shown: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: other.reference))
        #expect(shown == other)
        let erased: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: first.reference))
        #expect(erased.contact == ContactBody(name: "", email: "", phone: "") && erased.erasedAt != nil)
    }

    @Test func exportWritesAPrivateFileAndEraseAsksFirst() async throws {
        let suite = try SuiteProcess()
        try await suite.start()
        defer { suite.tearDown() }
        let bookingd = try await suite.client("bookingd", attempts: 3)
        let booked = try await Self.book(bookingd, 33, at: "2026-12-03T12:00:00+03:00")
        let notifyd = try await suite.client("notifyd", attempts: 3)
        try await eventually {
            let sent: NotificationsReply = try await notifyd.call(MessageType.notifications, NotificationsRequest(reference: booked.reference))
            return sent.notifications.contains { $0.purpose == "client-confirmation" && $0.state == "sent" }
        }

        let file = suite.directory + "/export.json"
        let export = try suite.bookctl(["privacy", "export", "--reference", booked.reference, "--output", file])
        #expect(export.status == 0, "\(export.stderr)")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        let written = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        #expect(Self.bookings(written).first?["contact"] as? [String: String] == ["name": contact(33).name, "email": contact(33).email,
                                                                                   "phone": "+79160330000"])
        // notifyd's part: the messages sent about the person, to them with their address and what they said.
        let messages = try #require(written["messages"] as? [[String: Any]])
        let toClient = try #require(messages.first { ($0["notification"] as? [String: Any])?["purpose"] as? String == "client-confirmation" })
        #expect(toClient["recipient"] as? String == contact(33).email)
        #expect((toClient["content"] as? String)?.contains(booked.reference) == true, "\(toClient)")
        let toStaff = messages.filter { ($0["notification"] as? [String: Any])?["audience"] as? String != "client" }
        #expect(!toStaff.isEmpty && toStaff.allSatisfy { $0["recipient"] == nil }, "staff's addresses are not the person's: \(toStaff)")
        #expect(export.stdout.contains("\(messages.count) messages"), "\(export.stdout)")
        // An existing file is not overwritten.
        #expect(try suite.bookctl(["privacy", "export", "--reference", booked.reference, "--output", file]).status == 1)

        // Not on a terminal and without --yes: nothing is erased.
        // (stdin from /dev/null, so the test cannot wait at a prompt when run from a terminal)
        let unasked = try SuiteProcess.run("/bin/sh", ["-c", "exec \"$0\" \"$@\" < /dev/null", SuiteProcess.binDirectory + "/bookctl",
                                                       "privacy", "erase", "--reference", booked.reference, "--config", suite.configPath])
        #expect(unasked.status == 2 && unasked.stderr.contains("--yes"), "\(unasked.stderr)")
        #expect(try await bookingd.call(MessageType.get, ReferenceRequest(reference: booked.reference), as: AppointmentBody.self).erasedAt == nil)
        // Bad input says what is wrong.
        let both = try suite.bookctl(["privacy", "erase", "--email", "a@example.com", "--phone", "+79161234567", "--yes"])
        #expect(both.status != 0 && both.stderr.contains("exactly one"), "\(both.stderr)")
        let unknown = try suite.bookctl(["privacy", "export", "--email", "nobody@example.com"])
        #expect(unknown.status != 0 && unknown.stderr.contains("holds nothing"), "\(unknown.stderr)")
        let malformed = try suite.bookctl(["privacy", "export", "--email", "not-an-email"])
        #expect(malformed.status != 0, "\(malformed.stdout)")
    }

    @Test func aRestoredBackupFromBeforeAnErasureStaysErased() async throws {
        let suite = try SuiteProcess()
        try await suite.start()
        defer { suite.tearDown() }
        let bookingd = try await suite.client("bookingd", attempts: 3)
        let erasedLater = try await Self.book(bookingd, 34, at: "2026-12-03T13:00:00+03:00")
        let kept = try await Self.book(bookingd, 35, at: "2026-12-03T14:00:00+03:00")
        let directory = suite.directory + "/backup"
        #expect(try suite.bookctl(["backup", directory]).status == 0)
        let erase = try suite.bookctl(["privacy", "erase", "--email", contact(34).email, "--yes"])
        #expect(erase.status == 0, "\(erase.stderr)")

        suite.stop()
        let restore = try suite.bookctl(["restore", directory])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(restore.stdout.contains("1 erasures made since the backup applied to it again"), "\(restore.stdout)")
        try await suite.start()
        let client = try await suite.client("bookingd", attempts: 3)
        let restored: AppointmentBody = try await client.call(MessageType.get, ReferenceRequest(reference: erasedLater.reference))
        #expect(restored.contact == ContactBody(name: "", email: "", phone: "") && restored.erasedAt != nil)
        let other: AppointmentBody = try await client.call(MessageType.get, ReferenceRequest(reference: kept.reference))
        #expect(other.contact == kept.contact)
    }

    @Test func retentionAtStartErasesWhatIsPastItsPeriodAndKeepsTheRest() async throws {
        let suite = try SuiteProcess()
        try await suite.start()
        defer { suite.tearDown() }
        let bookingd = try await suite.client("bookingd", attempts: 3)
        let attended = try await Self.book(bookingd, 41, at: "2026-12-02T10:00:00+03:00")
        let cancelled = try await Self.book(bookingd, 42, at: "2026-12-03T10:00:00+03:00")
        #expect(try suite.bookctl(["cancel", cancelled.reference]).status == 0)

        // bookingd starts again 30 days and an hour later: the cancellation's data is due, the
        // consultation's (its purpose achieved a day later) is not yet.
        _ = suite.terminate("bookingd")
        let later = suite.directory + "/later.yaml"
        try String(contentsOfFile: suite.configPath, encoding: .utf8)
            .replacingOccurrences(of: "start: \"2026-12-01T07:58:00+03:00\"", with: "start: \"2026-12-31T09:00:00+03:00\"")
            .write(toFile: later, atomically: true, encoding: .utf8)
        try await suite.start("bookingd", config: later)
        let client = try await suite.client("bookingd", attempts: 3)
        try await eventually(.seconds(20)) {
            let shown: AppointmentBody = try await client.call(MessageType.get, ReferenceRequest(reference: cancelled.reference))
            return shown.erasedAt != nil
        }
        let erased: AppointmentBody = try await client.call(MessageType.get, ReferenceRequest(reference: cancelled.reference))
        #expect(erased.contact == ContactBody(name: "", email: "", phone: "") && erased.status == "cancelled")
        let kept: AppointmentBody = try await client.call(MessageType.get, ReferenceRequest(reference: attended.reference))
        #expect(kept.contact == attended.contact && kept.erasedAt == nil)
        let records = try #require(try Self.exported(suite, email: contact(42).email)["erasures"] as? [[String: Any]])
        #expect(records.map { $0["reason"] as? String } == ["retention"])
        #expect(records.first?["user"] as? String == "bookingd")
    }
}

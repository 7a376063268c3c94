import BookingProtocol
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Who may send what, with real daemons and a peer running as another OS user (`nobody`, in the
/// sockets' group as an operator in `booking` would be). The tests run as root to start it.
@Suite(.serialized, .enabled(if: getuid() == 0, "starts a peer as another user"))
struct AccessTests {
    struct Answer {
        var type: String
        var body: [String: Any]
        var code: String? { type == MessageType.error ? body["code"] as? String : nil }
        var message: String { body["message"] as? String ?? "" }
    }

    /// Lets `nobody` (with group root, the group of the suite's sockets here) reach the sockets.
    func openToNobody(_ suite: SuiteProcess) throws {
        for directory in [suite.directory, suite.runDirectory] { chmod(directory, 0o750) }
        let script = suite.directory + "/peer_request.py"
        if !FileManager.default.fileExists(atPath: script) {
            try FileManager.default.copyItem(atPath: SuiteProcess.repositoryRoot + "/Tests/EndToEndTests/support/peer_request.py", toPath: script)
        }
    }

    func asNobody(_ suite: SuiteProcess, _ daemon: String, _ type: String, _ body: String, user: String? = nil) throws -> Answer {
        try openToNobody(suite)
        let run = try SuiteProcess.run("/usr/bin/setpriv", ["--reuid=nobody", "--regid=0", "--clear-groups", "/usr/bin/python3",
                                                            suite.directory + "/peer_request.py", suite.endpoint(daemon), type, body] + (user.map { [$0] } ?? []))
        guard run.status == 0, let answer = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any] else {
            throw SuiteFailure("the peer got no answer to \(type) (exit \(run.status)): \(run.stderr)")
        }
        return Answer(type: answer["type"] as? String ?? "", body: answer["body"] as? [String: Any] ?? [:])
    }

    func audit(_ suite: SuiteProcess, _ daemon: String) throws -> [String] {
        try suite.auditTrail(daemon)
    }

    static let block = #"{"from": "2026-12-03", "through": "2026-12-03", "reason": "offsite"}"#
    static let consultant = #"{"id": "carl", "name": "Carl", "email": "carl@example.com", "time_zone": "Europe/Moscow"}"#
    static let adminBooking = #"{"start": "2026-12-03T10:00:00+03:00", "actor": "admin", "contact": {"name": "Mallory", "email": "m@example.com", "phone": "+12125550199"}}"#
    static let reminder = #"{"reference": "BK-7K3M-9QX2", "start": "2026-12-03T10:00:00+03:00"}"#
    static let contact = #"{"reference": "BK-7K3M-9QX2", "event_id": "e-1"}"#

    @Test func aPeerOfAnotherUserCannotSendAdminCommandsAndItsAttemptChangesNothing() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try await suite.start("bookingd")
        try await suite.start("availabilityd")
        let slotsBefore = try suite.bookctl(["slots", "--from", "2026-12-03", "--days", "1", "--json"]).stdout
        let consultantsBefore = try suite.bookctl(["consultants", "--json"]).stdout

        let block = try asNobody(suite, "availabilityd", MessageType.block, Self.block, user: "root")
        #expect(block.code == "forbidden")
        #expect(block.message == "availabilityd refused `block`: nobody is not in booking-admin", "\(block.message)")
        let pause = try asNobody(suite, "bookingd", MessageType.pause, "{}")
        #expect(pause.code == "forbidden" && pause.message.contains("nobody is not in booking-admin"), "\(pause.body)")
        #expect(try asNobody(suite, "availabilityd", MessageType.consultantAdd, Self.consultant).code == "forbidden")
        let reminder = try asNobody(suite, "bookingd", MessageType.markReminderSent, Self.reminder)
        #expect(reminder.code == "forbidden" && reminder.message.contains("only notifyd may send it"), "\(reminder.body)")
        // A client's whole contact is for the daemons that write to them, not for webd's like.
        let contact = try asNobody(suite, "bookingd", MessageType.contact, Self.contact)
        #expect(contact.code == "forbidden" && contact.message == "bookingd refused `contact`: only calsyncd or notifyd may send it, and nobody is not", "\(contact.body)")
        // Busy time is calsyncd's to hand over: anyone else could take a consultant out of the offer.
        let busy = try asNobody(suite, "availabilityd", MessageType.busyReplace, #"{"consultant_id": "anna", "source": "caldav:anna", "intervals": []}"#)
        #expect(busy.code == "forbidden" && busy.message == "availabilityd refused `busy_replace`: only calsyncd may send it, and nobody is not", "\(busy.body)")
        // Acting as an admin would skip the hold and the per-contact limit: not for anyone.
        let asAdmin = try asNobody(suite, "bookingd", MessageType.book, Self.adminBooking)
        #expect(asAdmin.code == "forbidden" && asAdmin.body["field"] as? String == "actor", "\(asAdmin.body)")
        #expect(asAdmin.message == "bookingd refused `book`: only admins, bookingd and availabilityd may act as admin, and nobody is none of them")
        // What webd does for its clients stays open to everyone who can reach the socket.
        #expect(try asNobody(suite, "availabilityd", MessageType.slots, #"{"from": "2026-12-03", "days": 1}"#).type == "slots.reply")

        #expect(try suite.bookctl(["slots", "--from", "2026-12-03", "--days", "1", "--json"]).stdout == slotsBefore)
        #expect(try suite.bookctl(["consultants", "--json"]).stdout == consultantsBefore)
        #expect(try suite.bookctl(["status"]).stdout.contains("bookingd: serving"))
        // The attempts are in the audit trail, under the OS user, not the header's "root".
        #expect(try audit(suite, "availabilityd") == ["block|nobody|forbidden", "consultant_add|nobody|forbidden", "busy_replace|nobody|forbidden"])
        #expect(try audit(suite, "bookingd") == ["pause|nobody|forbidden", "mark_reminder_sent|nobody|forbidden", "contact|nobody|forbidden", "book|nobody|forbidden"])

        // bookctl, run by that user, says so in one line.
        let bookctl = try SuiteProcess.run("/usr/bin/setpriv", ["--reuid=nobody", "--regid=0", "--clear-groups", SuiteProcess.binDirectory + "/bookctl",
                                                                "block", "2026-12-03", "--reason", "offsite", "--config", suite.configPath])
        #expect(bookctl.status == 1)
        #expect(bookctl.stderr == "bookctl: availabilityd refused `block`: nobody is not in booking-admin\n", "\(bookctl.stderr)")
    }

    @Test func aMemberOfTheAdminGroupMayAndTheAuditTrailNamesItsOSUser() async throws {
        var options = SuiteProcess.Options()
        // nobody's own group stands for booking-admin here.
        options.extra = "access:\n  admin_group: nogroup\n"
        let suite = try SuiteProcess(options)
        defer { suite.tearDown() }
        try await suite.start("bookingd")
        try await suite.start("availabilityd")

        let block = try asNobody(suite, "availabilityd", MessageType.block, Self.block, user: "mallory")
        #expect(block.type == "block.reply", "\(block.body)")
        #expect(try asNobody(suite, "bookingd", MessageType.pause, #"{"reason": "maintenance"}"#, user: "root").type == "pause.reply")
        #expect(try suite.bookctl(["status"]).stdout.contains("paused (maintenance)"))
        // An admin is still not notifyd: neither for a reminder nor for a client's whole contact.
        #expect(try asNobody(suite, "bookingd", MessageType.markReminderSent, Self.reminder).code == "forbidden")
        #expect(try asNobody(suite, "bookingd", MessageType.contact, Self.contact).code == "forbidden")

        #expect(try audit(suite, "availabilityd") == ["block|nobody|ok"])
        #expect(try audit(suite, "bookingd") == ["pause|nobody|ok: maintenance", "mark_reminder_sent|nobody|forbidden", "contact|nobody|forbidden"])
    }

    @Test func notifydsUserMayMarkARemindersSentAndAskForAContact() async throws {
        var options = SuiteProcess.Options()
        options.extra = "access:\n  daemon_users:\n    notifyd: nobody\n"
        let suite = try SuiteProcess(options)
        defer { suite.tearDown() }
        try await suite.start("bookingd")
        let reminder = try asNobody(suite, "bookingd", MessageType.markReminderSent, Self.reminder)
        // Past the access check, the handler's own: the reference is not one.
        #expect(reminder.code == "invalid_reference" && reminder.body["field"] as? String == "reference", "\(reminder.body)")
        let contact = try asNobody(suite, "bookingd", MessageType.contact, Self.contact)
        #expect(contact.code == "invalid_reference" && contact.body["field"] as? String == "reference", "\(contact.body)")
        // ...and nothing else an admin may.
        #expect(try asNobody(suite, "bookingd", MessageType.pause, "{}").code == "forbidden")
    }
}

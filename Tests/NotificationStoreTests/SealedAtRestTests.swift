import BookingProtocol
import FieldEncryption
import Foundation
import GRDB
import Notifications
@testable import NotificationStore
import SQLiteStorage
import StoreSQL
import SuiteTesting
import Testing

/// What notifyd keeps of a client, on disk: sealed under their data key, whether written now or
/// by the schema before (sealed by the migration), and found in no file in any encoding.
@Suite struct SealedAtRestTests {
    let directory = NSTemporaryDirectory() + "notify-sealed-\(UUID().uuidString)"
    let master = MasterKey(.random())
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    /// A known client, and everything of them a search must not find.
    static let contact = ContactBody(name: "Иван Петров", email: "ivan.petrov@example.com", phone: "+79161234567", company: "ООО «Ромашка»")
    static let searched = ["Иван Петров", "Иван", "Петров", "Ivan Petrov", "ivan.petrov@example.com", "ivan.petrov", "+79161234567", "79161234567",
                           "Ромашка", "Продажа квартиры"]

    var path: String { directory + "/notifyd.sqlite" }

    func appointment(_ id: String = "a1", client: String = "c1", start: Date) -> AppointmentBody {
        AppointmentBody(
            reference: "BK-7Q2M-X9TD-4KHN-ZP3CG", id: id, clientId: client, consultantId: "anna", start: start, end: start.addingTimeInterval(1800),
            status: "confirmed", contact: Self.contact, timeZone: "Europe/Moscow", locale: "ru", createdAt: now, updatedAt: now, reminderSent: false,
            revision: 0, topic: "Продажа квартиры: налоги"
        )
    }

    /// The messages of one booking as the composer renders them: the client's email and SMS, the
    /// consultant's email (with the whole contact), the team's line (masked, yet sealed too).
    func deliveries(appointment: String = "a1", client: String = "c1") -> [NewDelivery] {
        let letter = Array("To: Ivan Petrov <ivan.petrov@example.com>\r\n\r\nЗдравствуйте, Иван Петров! +79161234567, ООО «Ромашка»".utf8)
        func delivery(_ purpose: MessagePurpose, _ channel: Channel, _ audience: Audience, to recipient: String, _ payload: [UInt8]) -> NewDelivery {
            NewDelivery(id: "e1.\(purpose.rawValue).\(channel.rawValue)", appointmentId: appointment, clientId: client, reference: "BK-7Q2M-X9TD-4KHN-ZP3CG",
                        purpose: purpose, channel: channel, audience: audience, recipient: recipient, payload: payload)
        }
        return [
            delivery(.clientConfirmation, .email, .client, to: "ivan.petrov@example.com", letter),
            delivery(.clientConfirmation, .sms, .client, to: "+79161234567", Array("Иван Петров, вы записаны".utf8)),
            delivery(.consultantCreated, .email, .consultant, to: "anna@example.com", letter + Array("\r\nПродажа квартиры: налоги".utf8)),
            delivery(.teamCreated, .chat, .team, to: "team", Array("Новая запись: И*** П*** <i***@example.com> +7916*****67".utf8)),
        ]
    }

    @Test func noFileOfTheDatabaseHoldsTheClientInAnyEncoding() async throws {
        let store = try SQLiteNotificationStore(path: path, masterKey: master)
        let start = now.addingTimeInterval(3 * 86_400)
        let reminder = ReminderEntry(appointment: appointment(start: start), dueAt: start.addingTimeInterval(-86_400))
        try await store.apply([AppliedEvent(eventId: "e1", sequence: 1, deliveries: deliveries(), reminder: .schedule(reminder))], now: now)
        let claimed = try await store.claimDue(now: now, limit: 10)
        try await store.record(claimed.map { ($0.delivery.id, .retry(error: "550 <ivan.petrov@example.com>: mailbox full; +79161234567 unknown", at: now)) }, at: now)

        // Read back whole, through the key.
        let stored = try await store.deliveries(reference: "BK-7Q2M-X9TD-4KHN-ZP3CG")
        #expect(stored.map(\.delivery) == deliveries())
        #expect(stored.first { $0.delivery.channel == .email }?.lastError == "550 <i***@example.com>: mailbox full; +79161234567 unknown")
        #expect(stored.first { $0.delivery.channel == .sms }?.lastError == "550 <ivan.petrov@example.com>: mailbox full; +7916*****67 unknown")
        let kept = try #require(try await store.reminder(appointmentId: "a1"))
        #expect(kept.appointment.contact == ContactBody(name: "", email: "", phone: ""), "a reminder keeps no contact")
        #expect(kept.appointment.topic == nil && kept.appointment.reference == "BK-7Q2M-X9TD-4KHN-ZP3CG" && kept.start == start)
        let email = "e1.client-confirmation.email"
        // An outcome is recorded only for a claim: the retry is due again, and claimed.
        _ = try await store.claimDue(now: now, limit: 10)
        try await store.record([(email, .failed(error: "550 no such user <ivan.petrov@example.com>"))], at: now)
        #expect(try await store.attempts(deliveryId: email).map(\.error)
                == ["550 <i***@example.com>: mailbox full; +79161234567 unknown", "550 no such user <i***@example.com>"])

        // Searched while open (the WAL and -shm are there) and once closed. Errors are sealed as
        // well: what a server quoted beside the recipient is not found either.
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(Set(["notifyd.sqlite", "notifyd.sqlite-wal", "notifyd.sqlite-shm"]).isSubset(of: files), "\(files)")
        let whileOpen = try PlaintextSearch.occurrences(of: Self.searched, inFilesUnder: directory)
        #expect(whileOpen.isEmpty, "\(whileOpen)")
        try store.close()
        let closed = try PlaintextSearch.occurrences(of: Self.searched, inFilesUnder: directory)
        #expect(closed.isEmpty, "\(closed)")
    }

    /// The search itself, so that finding nothing means something.
    /// `booking.erased`: the appointment's messages keep what happened to them and lose whom and
    /// what; the client's key goes with the last of their data.
    @Test func anErasedAppointmentsMessagesKeepNothingOfTheClient() async throws {
        let store = try SQLiteNotificationStore(path: path, masterKey: master)
        let start = now.addingTimeInterval(3 * 86_400)
        let reminder = ReminderEntry(appointment: appointment(start: start), dueAt: start.addingTimeInterval(-86_400))
        let second = deliveries(appointment: "a2").map { delivery -> NewDelivery in
            var delivery = delivery
            delivery.id = "e2." + delivery.id
            return delivery
        }
        try await store.apply([AppliedEvent(eventId: "e1", sequence: 1, deliveries: deliveries(), reminder: .schedule(reminder)),
                               AppliedEvent(eventId: "e2", sequence: 2, deliveries: second, reminder: .keep)], now: now)
        let email = "e1.client-confirmation.email"
        _ = try await store.claimDue(now: now, limit: 10)
        try await store.record([(email, .failed(error: "550 no such user <ivan.petrov@example.com>")), ("e1.client-confirmation.sms", .sent)], at: now)

        try await store.apply([AppliedEvent(eventId: "e3", sequence: 3, deliveries: [], reminder: .drop(appointmentId: "a1"),
                                            erasure: ErasedAppointment(appointmentId: "a1", clientId: "c1"))], now: now)
        let erased = try await store.deliveries(reference: "BK-7Q2M-X9TD-4KHN-ZP3CG").filter { $0.delivery.appointmentId == "a1" }
        #expect(erased.count == 4)
        #expect(erased.allSatisfy { $0.delivery.recipient.isEmpty && $0.delivery.payload.isEmpty && $0.lastError == nil })
        #expect(erased.first { $0.delivery.id == email }?.state == .cancelled, "a dead letter nobody can be sent again")
        #expect(erased.first { $0.delivery.channel == .sms }?.state == .sent, "what was sent stays sent")
        #expect(try await store.attempts(deliveryId: email).map(\.error) == [nil])
        #expect(try await store.reminder(appointmentId: "a1") == nil)
        // The client's other booking still reads: their key stays while it holds their data.
        let kept = try await store.deliveries(reference: "BK-7Q2M-X9TD-4KHN-ZP3CG").filter { $0.delivery.appointmentId == "a2" }
        #expect(kept.map(\.delivery) == second)

        try await store.apply([AppliedEvent(eventId: "e4", sequence: 4, deliveries: [], reminder: .keep,
                                            erasure: ErasedAppointment(appointmentId: "a2", clientId: "c1"))], now: now)
        try store.close()
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        #expect(try await queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM client_keys WHERE client_id = 'c1'") } == 0)
        #expect(try await queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deliveries WHERE erased_at IS NULL") } == 0)
        let found = try PlaintextSearch.occurrences(of: Self.searched, inFilesUnder: directory)
        #expect(found.isEmpty, "\(found)")
    }

    @Test func theSearchFindsAValueInEachEncoding() throws {
        try FileManager.default.createDirectory(atPath: directory + "/backups/x", withIntermediateDirectories: true)
        for (file, data) in [("a", "..Иван Петров..".data(using: .utf16LittleEndian)!), ("backups/x/b", "..+79161234567".data(using: .utf16BigEndian)!),
                             ("c", Data("ivan.petrov@example.com".utf8)), ("d", Data(#"{"name":"\u0418\u0432\u0430\u043d"}"#.utf8))] {
            try data.write(to: URL(fileURLWithPath: directory + "/" + file))
        }
        let found = try PlaintextSearch.occurrences(of: Self.searched, inFilesUnder: directory).sorted()
        #expect(found == ["a: Иван (UTF-16LE)", "a: Иван Петров (UTF-16LE)", "a: Петров (UTF-16LE)", "backups/x/b: +79161234567 (UTF-16BE)",
                          "backups/x/b: 79161234567 (UTF-16BE)", "c: ivan.petrov (UTF-8)", "c: ivan.petrov@example.com (UTF-8)",
                          "d: Иван (JSON escapes)"], "\(found)")
    }

    @Test func aSealedValueMovedToAnotherRowDoesNotOpen() async throws {
        let store = try SQLiteNotificationStore(path: path, masterKey: master)
        try await store.apply([AppliedEvent(eventId: "e1", sequence: 1, deliveries: deliveries(), reminder: .keep)], now: now)
        try store.close()
        let pool = try DatabasePool(path: path)
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE deliveries SET payload = (SELECT payload FROM deliveries WHERE id = 'e1.client-confirmation.email')
                WHERE id = 'e1.client-confirmation.sms'
                """)
        }
        try pool.close()
        let reopened = try SQLiteNotificationStore(path: path, masterKey: master)
        await #expect {
            try await reopened.delivery(id: "e1.client-confirmation.sms")
        } throws: { error in
            guard case let StoreError.unreadableRow(table, key, problem)? = error as? StoreError else { return false }
            return table == "deliveries" && key == "e1.client-confirmation.sms" && problem.contains("does not open")
        }
        #expect(try await reopened.delivery(id: "e1.client-confirmation.email")?.delivery.recipient == "ivan.petrov@example.com")
    }

    @Test func anotherMasterKeyCannotOpenTheDatabase() async throws {
        try SQLiteNotificationStore(path: path, masterKey: master).close()
        let other = MasterKey(.random())
        #expect {
            try SQLiteNotificationStore(path: path, masterKey: other)
        } throws: { error in
            guard case let StoreError.cannotOpen(_, problem)? = error as? StoreError else { return false }
            return problem.contains(other.fingerprint) && problem.contains(master.fingerprint)
        }
    }

    /// A database of the schema before: every row sealed in place, nothing lost, nothing
    /// readable left behind in the file, its WAL or its free pages.
    @Test func theMigrationSealsWhatWasPlainAndLosesNothing() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let old = try DatabasePool(path: path)
        try SQLiteNotificationStore.migrator(masterKey: master).migrate(old, upTo: "v2: the suite's audit schema")
        let start = now.addingTimeInterval(3 * 86_400)
        let withReminder = deliveries(appointment: "a1", client: "c1")
        // An appointment without a reminder (past, or made inside the lead): its client is unknown here.
        let withoutReminder = deliveries(appointment: "a2", client: "appointment:a2").map { delivery in
            var delivery = delivery
            delivery.id = delivery.id.replacingOccurrences(of: "e1.", with: "e2.")
            return delivery
        }
        try await old.write { db in
            for delivery in withReminder + withoutReminder {
                try db.execute(
                    sql: """
                        INSERT INTO deliveries (id, appointment_id, reference, purpose, channel, audience, recipient, message_id, payload, state,
                                                attempts, created_at, next_attempt_at, last_error)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'failed', 1, ?, ?, ?)
                        """,
                    arguments: [delivery.id, delivery.appointmentId, delivery.reference, delivery.purpose.rawValue, delivery.channel.rawValue,
                                delivery.audience.rawValue, delivery.recipient, delivery.messageId, Data(delivery.payload), Millis.of(now), Millis.of(now),
                                "550 <\(delivery.recipient)> rejected"]
                )
                try db.execute(sql: "INSERT INTO attempts (delivery_id, at, outcome, error) VALUES (?, ?, 'failed', ?)",
                               arguments: [delivery.id, Millis.of(now), "550 <\(delivery.recipient)> rejected"])
            }
            try db.execute(
                sql: "INSERT INTO reminders (appointment_id, reference, start, due_at, appointment, state) VALUES ('a1', ?, ?, ?, ?, 'scheduled')",
                arguments: ["BK-7Q2M-X9TD-4KHN-ZP3CG", Millis.of(start), Millis.of(start.addingTimeInterval(-86_400)),
                            Data(try WireJSON.encode(appointment(start: start)))]
            )
            try db.execute(sql: "INSERT INTO follower (id, last_sequence) VALUES (1, 7) ON CONFLICT (id) DO UPDATE SET last_sequence = 7")
        }
        try old.close()
        #expect(try !PlaintextSearch.occurrences(of: ["ivan.petrov@example.com"], inFilesUnder: directory).isEmpty, "the test's data is there to find")

        let store = try SQLiteNotificationStore(path: path, masterKey: master)
        #expect(try await store.lastSequence() == 7)
        let stored = try await store.deliveries(reference: "BK-7Q2M-X9TD-4KHN-ZP3CG")
        #expect(stored.map(\.delivery) == withReminder + withoutReminder, "the client known from the reminder, else the appointment's own key")
        for delivery in stored {
            let masked = delivery.delivery.maskedRecipient
            #expect(delivery.lastError == "550 <\(masked)> rejected")
            #expect(try await store.attempts(deliveryId: delivery.delivery.id).map(\.error) == ["550 <\(masked)> rejected"])
        }
        let reminder = try #require(try await store.reminder(appointmentId: "a1"))
        #expect(reminder.appointment.contact.email.isEmpty && reminder.appointment.topic == nil && reminder.state == .scheduled)
        #expect(reminder.appointment.clientId == "c1" && reminder.dueAt == start.addingTimeInterval(-86_400))
        try store.close()

        let found = try PlaintextSearch.occurrences(of: Self.searched, inFilesUnder: directory)
        #expect(found.isEmpty, "\(found)")
        // Opened again, nothing is sealed twice.
        let again = try SQLiteNotificationStore(path: path, masterKey: master)
        #expect(try await again.deliveries(reference: "BK-7Q2M-X9TD-4KHN-ZP3CG").map(\.delivery) == withReminder + withoutReminder)
        try again.close()
    }
}

import BookingDomain
import BookingProtocol
@testable import BookingStore
import FieldEncryption
import Foundation
import GRDB
import PostgresStorage
import SQLiteStorage
import SharedTables
import SuiteTesting
import Testing

/// Erasure on request and after the retention period, and export, on each engine; what a file
/// and a restored backup of SQLite hold.
@Suite struct ErasureTests {
    let tests = try! SQLiteBookingStoreTests()
    var store: SQLiteBookingStore { tests.store }
    var path: String { tests.directory + "/bookingd.sqlite" }
    static let ivan = PersonalDataTests.ivan
    static let petr = try! ContactInfo.validated(name: "Пётр Сидоров", email: "petr@example.com", phone: "+79035550011")
    static let day: TimeInterval = 86_400

    func booking(_ contact: ContactInfo, daysLater: Int = 0, topic: String? = nil) -> NewBooking {
        let shift = TimeInterval(daysLater) * Self.day
        let slot = try! DateTimeRange(start: tests.slot.start.addingTimeInterval(shift), end: tests.slot.end.addingTimeInterval(shift))
        return NewBooking(reference: .random(), slot: slot, candidates: ["anna", "boris"], requestedConsultant: nil, horizonEnd: tests.horizon,
                          contact: contact, timeZone: "Europe/Moscow", locale: "ru", topic: topic)
    }

    func book(_ store: any BookingStore, _ contact: ContactInfo, daysLater: Int = 0, topic: String? = nil, key: String? = nil) async throws -> BookingReference {
        let result = try await store.apply(.book(booking(contact, daysLater: daysLater, topic: topic)), context: tests.context(key: key))
        return try BookingReference(parsing: result.appointment.reference)
    }

    func cancel(_ store: any BookingStore, _ reference: BookingReference, reason: String, actor: Actor = .client, at now: Date? = nil) async throws {
        var context = tests.context("cancel", actor: actor)
        context.now = now ?? context.now
        _ = try await store.apply(.cancel(reference: reference, reason: reason), context: context)
    }

    // MARK: On request

    @Test(arguments: StoreEngine.allCases) func theSubjectIsFoundByEmailPhoneOrReferenceAndNobodyElse(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
        let reference = try await book(store, Self.ivan)
        _ = try await book(store, Self.petr)
        let byEmail = try await store.clientIds(of: .email("IVAN.PETROV@example.com"))
        #expect(byEmail.count == 1)
        #expect(try await store.clientIds(of: .phone(Self.ivan.phone)) == byEmail)
        #expect(try await store.clientIds(of: .reference(reference)) == byEmail)
        #expect(try await store.clientIds(of: .email("nobody@example.com")) == [])
        #expect(try await store.clientIds(of: .reference(.random())) == [])
        withExtendedLifetime(tests) {}
    }

    @Test(arguments: StoreEngine.allCases) func eraseThenExportFindsNothingReadable(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
        let first = try await book(store, Self.ivan, topic: "Налоговый вычет за квартиру", key: "k-1")
        let second = try await book(store, Self.ivanInLatin, daysLater: 1, key: "k-2")
        let other = try await book(store, Self.petr, topic: "Ипотека")
        try await cancel(store, first, reason: "Передумал, спасибо")
        let clients = try await store.clientIds(of: .email(Self.ivan.email))

        // What an erasure on request cancels first: the future ones still active.
        let active = try await store.activeAppointments(ofClients: clients, after: tests.now)
        #expect(active == [second])
        try await cancel(store, second, reason: "erasure requested", actor: .admin)
        let before = try await store.export(clients: clients)
        #expect(before.bookings.map(\.appointment.contactInfo) == [Self.ivan, Self.ivanInLatin])
        #expect(before.bookings[0].history.last?.reason == "Передумал, спасибо")
        #expect(before.erasures == [])

        let record = try await store.erase(clients: clients, cancelled: 1, user: "admin", correlationId: "c-erase", at: tests.now)
        #expect(record.reason == .request && record.user == "admin" && record.clientIds == clients)
        #expect(record.appointments == 2 && record.clientKeys == 1 && record.idempotencyRecords == 2 && record.cancelled == 1)
        #expect(record.historyEntries == 2, "the two cancellations' reasons")

        let after = try await store.export(clients: clients)
        #expect(after.bookings.count == 2)
        for booking in after.bookings {
            #expect(booking.appointment.contactInfo == .erased)
            #expect(booking.appointment.topic == nil)
            #expect(booking.appointment.erasedAt == tests.now)
            #expect(booking.appointment.status == .cancelled, "the appointment stays, anonymised, for the counts")
            #expect(booking.history.allSatisfy { $0.reason == nil })
        }
        #expect(after.erasures == [record])
        // Every read of an erased appointment reads it as erased, none fails as unreadable.
        #expect(try await store.appointment(reference: first)?.contactInfo == .erased)
        #expect(try await store.personalData(reference: first, eventId: nil) == PersonalData(contact: .erased, topic: nil, clientMessage: nil))
        #expect(try await store.history(reference: second)?.count == 2)
        let listed = try await store.appointments(from: nil, to: nil, status: nil, limit: 10)
        #expect(listed.count == 3)
        #expect(try await store.appointments(from: nil, to: nil, status: nil, limit: 10, email: Self.ivan.email, phone: nil, after: nil).count == 2)
        // The stored replies held the contact: gone, so a retry is a new request.
        #expect(try await store.storedAnswer(idempotencyKey: "k-1", command: "book", digest: "d") == nil)
        // Someone else's booking reads as before.
        #expect(try await store.appointment(reference: other)?.contactInfo == Self.petr)
        #expect(try await store.personalData(reference: other, eventId: nil)?.topic == "Ипотека")

        // One `booking.erased` per appointment, with an empty contact.
        let (events, _) = try await store.events(after: 0, limit: 100)
        let erased = events.filter { $0.kind == .erased }
        #expect(Set(erased.map(\.appointment.reference)) == [first.description, second.description])
        for event in erased {
            #expect(event.appointment.contact == ContactBody(name: "", email: "", phone: ""))
            #expect(event.appointment.erasedAt == tests.now)
            #expect(event.actor == "admin")
            #expect(event.correlationId == "c-erase")
        }
        // And the file holds nothing of Ivan's (it never held it in clear; now not even sealed under a key).
        if engine == .sqlite {
            #expect(try PlaintextSearch.occurrences(of: PersonalDataTests.ivansData, inFilesUnder: tests.directory) == [])
        }
        withExtendedLifetime(tests) {}
    }

    @Test(arguments: StoreEngine.allCases) func erasingAgainErasesNothingAndKeepsNoSecondRecord(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
        _ = try await book(store, Self.ivan)
        let clients = try await store.clientIds(of: .email(Self.ivan.email))
        let first = try await store.erase(clients: clients, cancelled: 0, user: "admin", correlationId: "c-1", at: tests.now)
        #expect(!first.erasedNothing)
        let last = try await store.lastSequence()
        let again = try await store.erase(clients: clients, cancelled: 0, user: "admin", correlationId: "c-2", at: tests.now.addingTimeInterval(60))
        #expect(again.erasedNothing)
        #expect(again.appointments == 0 && again.historyEntries == 0 && again.idempotencyRecords == 0 && again.clientKeys == 0)
        #expect(try await store.lastSequence() == last, "no event")
        #expect(try await store.export(clients: clients).erasures == [first])
        // Both requests are in the audit trail.
        let audit: [AuditEntry]
        switch engine {
        case .sqlite:
            audit = try await DatabaseQueue(path: tests.directory + "/bookingd.sqlite").read { db in try AuditTrail.entries(db, limit: 10) }
        case .postgresql:
            audit = try await #require(store as? PostgresBookingStore).pool.transaction { try AuditTrail.entries($0, limit: 10) }
        }
        #expect(audit.filter { $0.command == "erase" }.map(\.outcome) == ["ok: nothing left to erase", "ok: erasure \(first.id.uuidString.lowercased())"])
        withExtendedLifetime(tests) {}
    }

    /// Crypto-shredding holds only if the wrapped key leaves no copy in the file: not in a freed
    /// part of a page (secure_delete), not in an old WAL frame (the checkpoint after the erasure).
    @Test func noFileKeepsTheBytesOfAnErasedClientsKey() async throws {
        _ = try await book(store, Self.ivan)
        _ = try await book(store, Self.petr)
        let clients = try await store.clientIds(of: .email(Self.ivan.email))
        let reader = try DatabaseQueue(path: path, configuration: { var c = Configuration(); c.readonly = true; return c }())
        let wrapped = try #require(try await reader.read { db in
            try Data.fetchOne(db, sql: "SELECT wrapped_key FROM client_keys WHERE client_id = ?", arguments: [clients[0].uuidString.lowercased()])
        })
        let contact = try #require(try await reader.read { db in
            try Data.fetchOne(db, sql: "SELECT contact FROM appointments WHERE client_id = ?", arguments: [clients[0].uuidString.lowercased()])
        })
        try reader.close()
        #expect(try Self.filesHolding([wrapped, contact], in: tests.directory) != [], "the search finds them before")
        _ = try await store.erase(clients: clients, cancelled: 0, user: "admin", correlationId: "c-1", at: tests.now)
        #expect(try Self.filesHolding([wrapped, contact], in: tests.directory) == [])
        try store.close()
        #expect(try Self.filesHolding([wrapped, contact], in: tests.directory) == [])
    }

    static func filesHolding(_ values: [Data], in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted().filter { file in
            let content = Data(try PlaintextSearch.bytes(ofFileAt: directory + "/" + file))
            return values.contains { content.range(of: $0) != nil }
        }
    }

    @Test(arguments: StoreEngine.allCases) func aClientErasedBooksAgainWithANewKey(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
        _ = try await book(store, Self.ivan)
        let clients = try await store.clientIds(of: .email(Self.ivan.email))
        _ = try await store.erase(clients: clients, cancelled: 0, user: "admin", correlationId: "c-1", at: tests.now)
        let again = try await book(store, Self.ivan, daysLater: 2)
        #expect(try await store.appointment(reference: again)?.contactInfo == Self.ivan)
        withExtendedLifetime(tests) {}
    }

    // MARK: Backups

    @Test func aBackupTakenBeforeTheErasureHoldsNoReadableContactOnceRestored() async throws {
        let ivans = try await book(store, Self.ivan)
        let petrs = try await book(store, Self.petr)
        let backup = tests.directory + "/backup.sqlite"
        _ = try store.backup(to: backup)
        let clients = try await store.clientIds(of: .email(Self.ivan.email))
        _ = try await store.erase(clients: clients, cancelled: 0, user: "admin", correlationId: "c-1", at: tests.now)
        try store.close()

        // The copy has Ivan's key too: as it is, it would bring his data back.
        let unchanged = tests.directory + "/unchanged.sqlite"
        try FileManager.default.copyItem(atPath: backup, toPath: unchanged)
        let asCopied = try SQLiteBookingStore(path: unchanged, masterKey: tests.master)
        #expect(try await asCopied.appointment(reference: ivans)?.contactInfo == Self.ivan)
        try asCopied.close()

        let wrapped = try #require(try await DatabaseQueue(path: unchanged).read { db in
            try Data.fetchOne(db, sql: "SELECT wrapped_key FROM client_keys WHERE client_id = ?", arguments: [clients[0].uuidString.lowercased()])
        })
        // What a restore does: the requested erasures of the database it replaces, applied again.
        #expect(try ErasureLedger.reapply(from: path, onto: backup) == 1)
        #expect(try Self.filesHolding([wrapped], in: tests.directory).filter { $0.hasPrefix("backup") } == [], "not even in a free page")
        #expect(try ErasureLedger.reapply(from: path, onto: backup) == 0, "once")
        let restored = try SQLiteBookingStore(path: backup, masterKey: tests.master)
        #expect(try await restored.appointment(reference: ivans)?.contactInfo == .erased)
        #expect(try await restored.appointment(reference: petrs)?.contactInfo == Self.petr)
        #expect(try await restored.export(clients: clients).erasures.count == 1)
        let keyRows = try await restored.clientIds(of: .email(Self.ivan.email)).count
        #expect(keyRows == 1, "the client id stays, their key does not")
        try restored.close()
        let keys = try await DatabaseQueue(path: backup).read { db in
            try String.fetchAll(db, sql: "SELECT client_id FROM client_keys")
        }
        #expect(!keys.contains(clients[0].uuidString.lowercased()))
    }

    @Test func aDatabaseWithoutErasuresChangesNothingOnRestore() async throws {
        _ = try await book(store, Self.ivan)
        let backup = tests.directory + "/backup.sqlite"
        _ = try store.backup(to: backup)
        #expect(try ErasureLedger.reapply(from: path, onto: backup) == 0)
        #expect(try ErasureLedger.reapply(from: tests.directory + "/none.sqlite", onto: backup) == 0)
    }

    // MARK: Retention

    @Test(arguments: StoreEngine.allCases) func retentionErasesWhatIsPastItsPeriodAndKeepsWhatIsYounger(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
        let rule = RetentionRule(days: 30)
        let attended = try await book(store, Self.ivan)
        let cancelled = try await book(store, Self.ivanInLatin, daysLater: 1)
        try await cancel(store, cancelled, reason: "Мне неудобно утром")
        let younger = try await book(store, Self.petr, daysLater: 10)

        // The cancellation's purpose ended at `now`; the consultations at their ends.
        #expect(try await store.eraseExpired(rule, limit: 100, correlationId: "r-0", at: tests.now.addingTimeInterval(30 * Self.day - 1)) == nil)
        let first = try #require(try await store.eraseExpired(rule, limit: 100, correlationId: "r-1", at: tests.now.addingTimeInterval(30 * Self.day)))
        #expect(first.reason == .retention && first.user == "bookingd")
        #expect(first.appointments == 1 && first.historyEntries == 1)
        #expect(first.clientKeys == 0, "Ivan's other appointment still holds his data")
        #expect(try await store.appointment(reference: cancelled)?.contactInfo == .erased)
        #expect(try await store.appointment(reference: attended)?.contactInfo == Self.ivan)
        #expect(try await store.history(reference: cancelled)?.allSatisfy { $0.reason == nil } == true)

        let afterAttended = tests.slot.end.addingTimeInterval(30 * Self.day)
        let second = try #require(try await store.eraseExpired(rule, limit: 100, correlationId: "r-2", at: afterAttended))
        #expect(second.appointments == 1 && second.clientKeys == 1)
        #expect(try await store.appointment(reference: attended)?.contactInfo == .erased)
        #expect(try await store.appointment(reference: younger)?.contactInfo == Self.petr, "ten days younger")
        #expect(try await store.eraseExpired(rule, limit: 100, correlationId: "r-3", at: afterAttended) == nil)

        let (events, _) = try await store.events(after: 0, limit: 100)
        #expect(events.filter { $0.kind == .erased }.map(\.actor) == ["system", "system"])
        let clients = try await store.clientIds(of: .email(Self.ivan.email))
        #expect(try await store.export(clients: clients).erasures.map(\.id) == [first.id, second.id])
        withExtendedLifetime(tests) {}
    }

    @Test(arguments: StoreEngine.allCases) func retentionNeverTouchesActiveFutureAppointments(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
        let reference = try await book(store, Self.ivan)
        #expect(try await store.eraseExpired(RetentionRule(days: 0), limit: 100, correlationId: "r", at: tests.now) == nil)
        #expect(try await store.appointment(reference: reference)?.contactInfo == Self.ivan)
        withExtendedLifetime(tests) {}
    }

    @Test(arguments: StoreEngine.allCases) func retentionWorksInBatches(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
        for n in 0..<3 {
            let reference = try await book(store, try ContactInfo.validated(name: "Client \(n)", email: "c\(n)@example.com", phone: "+7916123000\(n)"), daysLater: n)
            try await cancel(store, reference, reason: "no")
        }
        let at = tests.now.addingTimeInterval(31 * Self.day)
        #expect(try await store.eraseExpired(RetentionRule(), limit: 2, correlationId: "r-1", at: at)?.appointments == 2)
        #expect(try await store.eraseExpired(RetentionRule(), limit: 2, correlationId: "r-2", at: at)?.appointments == 1)
        #expect(try await store.eraseExpired(RetentionRule(), limit: 2, correlationId: "r-3", at: at) == nil)
        withExtendedLifetime(tests) {}
    }
}

extension ErasureTests {
    static let ivanInLatin = PersonalDataTests.ivanInLatin
}

import BookingDomain
import BookingProtocol
@testable import BookingStore
import FieldEncryption
import Foundation
import GRDB
import SQLiteStorage
import SharedTables
import StoreSQL
import Testing

/// Events take their sequence numbers from one counter row at the end of their transaction:
/// with group commit, at the end of the batch.
@Suite struct EventCounterTests {
    let temporary = TemporaryDirectory()
    var path: String { temporary.path + "/bookingd.sqlite" }
    let master = MasterKey(SecretKey.random())
    let now = Date(timeIntervalSince1970: 1_796_101_200)  // 2026-12-01T05:00:00Z
    let start = Date(timeIntervalSince1970: 1_796_194_800)

    func context() -> CommandContext {
        CommandContext(command: "book", correlationId: UUID().uuidString, idempotencyKey: nil, digest: "d", actor: .client, user: nil, now: now)
    }

    /// Anna's slot `hour` hours after `start`.
    func booking(_ n: Int, hour: Int) throws -> NewBooking {
        let slotStart = start.addingTimeInterval(Double(hour) * 3600)
        return NewBooking(
            reference: .random(), slot: try DateTimeRange(start: slotStart, end: slotStart.addingTimeInterval(1800)), candidates: ["anna"],
            requestedConsultant: nil, horizonEnd: now.addingTimeInterval(14 * 86_400),
            contact: try ContactInfo.validated(name: "Client \(n)", email: "c\(n)@example.com", phone: "+7916123\(String(format: "%04d", n))"),
            timeZone: "Europe/Moscow", locale: "ru"
        )
    }

    func counter(_ pool: DatabasePool) async throws -> Int64? {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT last FROM event_counter WHERE id = 1") }
    }

    @Test func aRefusedChangeInABatchTakesNoNumberAndNumbersFollowCommitOrder() async throws {
        let pool = try SQLiteFile.open(path: path, label: "test", migrator: Schema.migrator(master: master))
        defer { try? pool.close() }
        let master = self.master
        let keys = try await pool.read { db in try DataKeys.load(db, master: master) }
        let committer = GroupCommitter(pool: pool)
        let context = context()
        @Sendable func change(_ booking: NewBooking) -> GroupCommitter.Work {
            { transaction in try ChangeWriter(transaction, context: context, keys: keys).apply(.book(booking)) }
        }
        // The first batch holds the writer while the next three wait, so they commit together.
        let first = try booking(1, hour: 0)
        let holding = Task {
            try await committer.submit { transaction in
                Thread.sleep(forTimeInterval: 0.3)
                return try change(first)(transaction)
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        let second = try booking(2, hour: 1), refused = try booking(3, hour: 1), third = try booking(4, hour: 2)
        var members: [Task<ChangeResult, any Error>] = []
        for booking in [second, refused, third] {
            let work = change(booking)
            members.append(Task { try await committer.submit(work) })
            try await Task.sleep(for: .milliseconds(20))
        }
        let held = try await holding.value
        let booked = try await members[0].value
        await #expect(throws: BookingRefusal.noConsultantFree) { try await members[1].value }
        let last = try await members[2].value

        let events = try await pool.read { db in
            try BookingTransaction(SQLiteTransaction(db), keys: keys).events(after: 0, limit: 10).events
        }
        #expect(events.map(\.sequence) == [1, 2, 3])
        #expect(events.map(\.appointment.reference) == [held, booked, last].map(\.appointment.reference))
        #expect(try await counter(pool) == 3)
        // The replies are not waiting for a number: none carries one.
        for reply in [held, booked, last].map(\.reply) {
            #expect(!String(decoding: reply, as: UTF8.self).contains("sequence"))
        }
    }

    @Test func aTransactionThatRollsBackGivesItsNumbersBack() async throws {
        let store = try SQLiteBookingStore(path: path, masterKey: master)
        _ = try await store.apply(.book(try booking(1, hour: 0)), context: context())
        try store.close()
        let pool = try DatabasePool(path: path)
        defer { try? pool.close() }
        struct Abandoned: Error {}
        let event = EventBody(sequence: 0, id: UUID().uuidString.lowercased(), kind: .created, occurredAt: now,
                              appointment: (try await pool.read { db in
                                  try WireJSON.decode(EventBody.self, from: [UInt8](try Data.fetchOne(db, sql: "SELECT body FROM events") ?? Data()))
                              }).appointment, actor: "client")
        await #expect(throws: Abandoned.self) {
            try await pool.write { db in
                try EventLog.append([PendingEvent(event: event, appointmentId: event.appointment.id)], in: SQLiteTransaction(db))
                #expect(try Int64.fetchOne(db, sql: "SELECT last FROM event_counter") == 2)
                throw Abandoned()
            }
        }
        #expect(try await counter(pool) == 1)
        #expect(try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM events") } == 1)
    }

    @Test func theCounterOfAnOlderDatabaseStartsAtItsLastEvent() async throws {
        // A database as the schema before the counter left it, with seven events.
        let old = try DatabasePool(path: path)
        try Schema.migrator(master: master).migrate(old, upTo: "v12: attendance, sources and visits")
        try await old.write { db in
            for sequence in 1...7 {
                try db.execute(sql: "INSERT INTO events (sequence, id, kind, appointment_id, body, created_at) VALUES (?, ?, 'booking.created', 'a', x'7b7d', 0)",
                               arguments: [sequence, "e\(sequence)"])
            }
        }
        #expect(try await old.read { db in try db.tableExists("event_counter") } == false)
        try old.close()

        let store = try SQLiteBookingStore(path: path, masterKey: master)
        #expect(try await store.lastSequence() == 7)
        _ = try await store.apply(.book(try booking(1, hour: 0)), context: context())
        #expect(try await store.lastSequence() == 8)
        #expect(try await store.outbox(after: 7, limit: 10).map(\.sequence) == [8])
        try store.close()
    }
}

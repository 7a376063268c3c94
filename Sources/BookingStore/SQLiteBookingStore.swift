import BookingDomain
import BookingProtocol
import Foundation
import GRDB
import SQLiteBackup
import Synchronization

/// The SQLite store: WAL, `synchronous=FULL` (a change is acknowledged only once durable), and
/// group commit — changes that arrive while a transaction is being written are written
/// together in the next one, each in its own savepoint, so one fsync covers many bookings and
/// one refused change never undoes its neighbours.
public final class SQLiteBookingStore: BookingStore {
    public let path: String
    private let pool: DatabasePool
    private let committer: GroupCommitter

    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = "bookingd"
        pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB sets NORMAL when it opens a WAL pool; a booking must survive a power cut once
        // acknowledged, so the writer connection goes back to FULL.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        try Schema.migrator.migrate(pool)
        committer = GroupCommitter(pool: pool)
    }

    /// The writer connection's `synchronous` setting (2 = FULL), for tests.
    public func synchronousSetting() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    public func close() throws {
        try pool.close()
    }

    /// A consistent copy, taken while bookings go on.
    public func backup(to path: String) throws -> SQLiteBackup.Copy {
        try SQLiteBackup.copy(pool, to: path)
    }

    // MARK: Changes

    public func apply(_ change: Change, context: CommandContext) async throws -> ChangeResult {
        try await committer.submit { db in try ChangeWriter(db: db, context: context).apply(change) }
    }

    public func storedAnswer(idempotencyKey: String, command: String, digest: String) async throws -> ChangeResult? {
        try await pool.read { db in
            try IdempotencyRecord.answer(db, key: idempotencyKey, command: command, digest: digest)
        }
    }

    // MARK: Reads

    public func appointment(reference: BookingReference) async throws -> Appointment? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM appointments WHERE reference = ?", arguments: [reference.description]).map { try Appointment(row: $0) }
        }
    }

    public func history(reference: BookingReference) async throws -> [HistoryEntryBody]? {
        try await pool.read { db in
            guard let id = try String.fetchOne(db, sql: "SELECT id FROM appointments WHERE reference = ?", arguments: [reference.description]) else {
                return nil
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM history WHERE appointment_id = ? ORDER BY id", arguments: [id]).map { row in
                HistoryEntryBody(
                    kind: row["kind"], fromStatus: row["from_status"], toStatus: row["to_status"],
                    oldStart: Millis.date(row["old_start_ms"]), oldEnd: Millis.date(row["old_end_ms"]),
                    newStart: Millis.date(row["new_start_ms"]), newEnd: Millis.date(row["new_end_ms"]),
                    oldConsultantId: row["old_consultant_id"], newConsultantId: row["new_consultant_id"],
                    actor: row["actor"], user: row["user"], reason: row["reason"], at: Millis.date(row["at"] as Int64)
                )
            }
        }
    }

    public func appointments(from: Date?, to: Date?, status: AppointmentStatus?, limit: Int, email: String?, phone: String?) async throws -> [Appointment] {
        try await pool.read { db in
            var clauses: [String] = []
            var arguments: StatementArguments = []
            if let from {
                clauses.append("start_ms >= ?")
                _ = arguments.append(contentsOf: [Millis.of(from)])
            }
            if let to {
                clauses.append("start_ms < ?")
                _ = arguments.append(contentsOf: [Millis.of(to)])
            }
            if let status {
                clauses.append("status = ?")
                _ = arguments.append(contentsOf: [status.rawValue])
            }
            // One contact's appointments: by its email, by its phone, or by either.
            switch (email, phone) {
            case let (email?, phone?):
                clauses.append("(email = ? COLLATE NOCASE OR phone = ?)")
                _ = arguments.append(contentsOf: [email, phone])
            case let (email?, nil):
                clauses.append("email = ? COLLATE NOCASE")
                _ = arguments.append(contentsOf: [email])
            case let (nil, phone?):
                clauses.append("phone = ?")
                _ = arguments.append(contentsOf: [phone])
            case (nil, nil):
                break
            }
            let condition = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            _ = arguments.append(contentsOf: [limit])
            return try Row.fetchAll(db, sql: "SELECT * FROM appointments \(condition) ORDER BY start_ms, consultant_id LIMIT ?", arguments: arguments)
                .map { try Appointment(row: $0) }
        }
    }

    public func events(after sequence: UInt64, limit: Int) async throws -> (events: [EventBody], lastSequence: UInt64) {
        try await pool.read { db in
            let last = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) FROM events") ?? 0
            let bodies = try Data.fetchAll(db, sql: "SELECT body FROM events WHERE sequence > ? ORDER BY sequence LIMIT ?", arguments: [Int64(sequence), limit])
            return (try bodies.map { try WireJSON.decode(EventBody.self, from: $0) }, UInt64(last))
        }
    }

    public func lastSequence() async throws -> UInt64 {
        try await pool.read { db in UInt64(try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) FROM events") ?? 0) }
    }

    public func outbox(after sequence: UInt64, limit: Int) async throws -> [OutboxEvent] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT sequence, id, kind, body, correlation_id, created_at FROM events WHERE sequence > ? ORDER BY sequence LIMIT ?",
                arguments: [Int64(sequence), limit]
            ).map { row in
                guard let kind = EventKind(rawValue: row["kind"]) else {
                    throw CorruptRow(description: "event \(row["sequence"] as Int64) has an unknown kind")
                }
                return OutboxEvent(
                    sequence: UInt64(row["sequence"] as Int64), id: row["id"], kind: kind, occurredAt: Millis.date(row["created_at"] as Int64),
                    correlationId: row["correlation_id"], body: [UInt8](row["body"] as Data)
                )
            }
        }
    }

    public func snapshot(from: Date, to: Date) async throws -> (sequence: UInt64, booked: [BookedSlotBody]) {
        // One read transaction: the rows and the sequence number are of the same instant.
        try await pool.read { db in
            let last = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) FROM events") ?? 0
            let booked = try Row.fetchAll(
                db, sql: "SELECT consultant_id, start_ms FROM appointments WHERE status = 'confirmed' AND start_ms >= ? AND start_ms < ? ORDER BY start_ms",
                arguments: [Millis.of(from), Millis.of(to)]
            ).map { BookedSlotBody(consultantId: $0["consultant_id"], start: Millis.date($0["start_ms"] as Int64)) }
            return (UInt64(last), booked)
        }
    }

    public func publishedThrough() async throws -> UInt64 {
        try await pool.read { db in UInt64(try Int64.fetchOne(db, sql: "SELECT published_through FROM publisher WHERE id = 1") ?? 0) }
    }

    public func setPublishedThrough(_ sequence: UInt64) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE publisher SET published_through = MAX(published_through, ?) WHERE id = 1", arguments: [Int64(sequence)])
        }
    }

    public func recordAudit(command: String, user: String, outcome: String, correlationId: String, at: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO audit (at, actor, user, command, reference, correlation_id, outcome) VALUES (?, 'admin', ?, ?, NULL, ?, ?)",
                arguments: [Millis.of(at), user, command, correlationId, outcome]
            )
        }
    }

    public func pauseReason() async throws -> String? {
        try await pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'paused'") }
    }

    public func setPause(_ reason: String?, user: String?, correlationId: String, at: Date) async throws {
        try await pool.write { db in
            if let reason {
                try db.execute(sql: "INSERT INTO settings (key, value) VALUES ('paused', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", arguments: [reason])
            } else {
                try db.execute(sql: "DELETE FROM settings WHERE key = 'paused'")
            }
            try db.execute(
                sql: "INSERT INTO audit (at, actor, user, command, reference, correlation_id, outcome) VALUES (?, 'admin', ?, ?, NULL, ?, ?)",
                arguments: [Millis.of(at), user, reason == nil ? "resume" : "pause", correlationId, reason.map { "ok: \($0)" } ?? "ok"]
            )
        }
    }

    public func pruneIdempotencyRecords(olderThan cutoff: Date) async throws -> Int {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM idempotency WHERE created_at < ?", arguments: [Millis.of(cutoff)])
            return db.changesCount
        }
    }
}

/// Instants are stored as integer milliseconds since 1970 (UTC).
enum Millis {
    static func of(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }
    static func date(_ millis: Int64?) -> Date? { millis.map(date) }
}

/// Collects changes while the writer is busy and writes each batch in one transaction.
final class GroupCommitter: Sendable {
    typealias Work = @Sendable (Database) throws -> ChangeResult

    private let pending = PendingChanges()
    private let wake: AsyncStream<Void>.Continuation

    init(pool: DatabasePool) {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        wake = continuation
        let pending = self.pending
        Task {
            for await _ in stream {
                while case let batch = pending.takeBatch(), !batch.isEmpty {
                    await Self.write(batch, to: pool)
                }
            }
        }
    }

    deinit {
        wake.finish()
    }

    func submit(_ work: @escaping Work) async throws -> ChangeResult {
        try await withCheckedThrowingContinuation { continuation in
            pending.append(PendingChanges.Item(work: work, continuation: continuation))
            wake.yield()
        }
    }

    private static func write(_ batch: [PendingChanges.Item], to pool: DatabasePool) async {
        let works = batch.map(\.work)
        do {
            let results = try await pool.write { db -> [Result<ChangeResult, any Error>] in
                var results: [Result<ChangeResult, any Error>] = []
                results.reserveCapacity(works.count)
                for work in works {
                    var outcome: Result<ChangeResult, any Error> = .failure(CancellationError())
                    do {
                        try db.inSavepoint {
                            outcome = .success(try work(db))
                            return .commit
                        }
                    } catch {
                        outcome = .failure(error)
                    }
                    results.append(outcome)
                }
                return results
            }
            for (item, result) in zip(batch, results) {
                item.continuation.resume(with: result)
            }
        } catch {
            // The commit itself failed (disk full, I/O error): nothing of the batch is durable.
            for item in batch {
                item.continuation.resume(throwing: ProtocolError(.unavailable, "the booking database could not commit: \(error)"))
            }
        }
    }
}

/// The changes waiting for the writer.
final class PendingChanges: Sendable {
    struct Item: Sendable {
        let work: GroupCommitter.Work
        let continuation: CheckedContinuation<ChangeResult, any Error>
    }

    private static let maximumBatch = 128
    private let items = Mutex<[Item]>([])

    func append(_ item: Item) {
        items.withLock { $0.append(item) }
    }

    func takeBatch() -> [Item] {
        items.withLock { items in
            let taken = Array(items.prefix(Self.maximumBatch))
            items.removeFirst(taken.count)
            return taken
        }
    }
}

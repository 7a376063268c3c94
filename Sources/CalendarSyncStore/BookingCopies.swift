import CivilTime
import Foundation
import GRDB
import SQLiteStorage
import StoreSQL

/// A booking as the event stream last said, and where its event is in a consultant's calendar.
public struct BookingCopy: Sendable, Equatable {
    /// The appointment's id: the event's UID, and its resource's name.
    public var appointmentId: String
    public var consultantId: String
    /// The appointment as the event carried it (contact masked), as the wire's JSON.
    public var appointment: String
    public var end: Date
    /// Grows with every change to write; the event in the calendar is as `writtenVersion` says.
    public var version: Int
    public var writtenVersion: Int
    /// Where its event is now, if anywhere.
    public var remote: RemoteCopy?
    /// Failed writes since the last success.
    public var attempts: Int

    public var isPending: Bool { writtenVersion < version }

    public init(appointmentId: String, consultantId: String, appointment: String, end: Date, version: Int, writtenVersion: Int,
                remote: RemoteCopy?, attempts: Int) {
        self.appointmentId = appointmentId
        self.consultantId = consultantId
        self.appointment = appointment
        self.end = end
        self.version = version
        self.writtenVersion = writtenVersion
        self.remote = remote
        self.attempts = attempts
    }
}

/// A booking's event in a calendar, as calsyncd last wrote it.
public struct RemoteCopy: Sendable, Equatable {
    /// Whose calendar holds it (the booking's consultant before a reassignment may differ).
    public var consultantId: String
    /// The resource's name in the collection.
    public var name: String
    public var etag: String?
    /// The start it was written with: another start read back means it was moved there.
    public var start: Date

    public init(consultantId: String, name: String, etag: String?, start: Date) {
        self.consultantId = consultantId
        self.name = name
        self.etag = etag
        self.start = start
    }
}

/// A booking the stream told of: its state to write.
public struct BookingChange: Sendable, Equatable {
    public var appointmentId: String
    public var consultantId: String
    public var appointment: String
    public var end: Date

    public init(appointmentId: String, consultantId: String, appointment: String, end: Date) {
        self.appointmentId = appointmentId
        self.consultantId = consultantId
        self.appointment = appointment
        self.end = end
    }
}

/// Where a consultant's calendar and their bookings disagree, as kept.
public struct CalendarConflict: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case overlap, moved, deleted
    }

    public var id: String
    public var consultantId: String
    public var kind: Kind
    public var reference: String?
    public var start: Date
    public var eventId: String?
    public var eventStart: Date?
    public var foundAt: Date
    public var current: Bool
    public var notified: Bool

    public init(id: String, consultantId: String, kind: Kind, reference: String?, start: Date, eventId: String?, eventStart: Date?, foundAt: Date,
                current: Bool = true, notified: Bool = false) {
        self.id = id
        self.consultantId = consultantId
        self.kind = kind
        self.reference = reference
        self.start = start
        self.eventId = eventId
        self.eventStart = eventStart
        self.foundAt = foundAt
        self.current = current
        self.notified = notified
    }
}

extension CalendarSyncStore {
    // MARK: Following the event stream

    public func lastSequence() async throws -> UInt64 {
        try await pool.read { db in
            UInt64(try Int64.fetchOne(db, sql: "SELECT last_sequence FROM followed WHERE id = 1") ?? 0)
        }
    }

    /// Keeps what the events said and the last sequence applied, in one transaction: an event
    /// is applied once, and a change is never lost between the stream and the calendar.
    public func record(_ changes: [BookingChange], through sequence: UInt64) async throws {
        try await pool.write { db in
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO booking_copies (appointment_id, consultant_id, appointment, end_ms, version) VALUES (?, ?, ?, ?, 1)
                ON CONFLICT (appointment_id) DO UPDATE SET consultant_id = excluded.consultant_id, appointment = excluded.appointment,
                    end_ms = excluded.end_ms, version = version + 1, attempts = 0, next_attempt_ms = 0
                """)
            for change in changes {
                try upsert.execute(arguments: [change.appointmentId, change.consultantId, change.appointment, Millis.of(change.end)])
            }
            try db.execute(sql: "UPDATE followed SET last_sequence = ? WHERE id = 1", arguments: [Int64(sequence)])
        }
    }

    /// Follows from `sequence` on (bookingd's log was replaced by an older copy).
    public func follow(from sequence: UInt64) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE followed SET last_sequence = ? WHERE id = 1", arguments: [Int64(sequence)])
        }
    }

    /// The epoch of bookingd's log that `lastSequence` counts in; nil until one was kept.
    public func followedEpoch() async throws -> String? {
        try await pool.read { db in try String.fetchOne(db, sql: "SELECT epoch FROM followed WHERE id = 1") }
    }

    public func keep(epoch: String) async throws {
        try await pool.write { db in try db.execute(sql: "UPDATE followed SET epoch = ? WHERE id = 1", arguments: [epoch]) }
    }

    // MARK: Writing bookings into calendars

    /// Copies whose event is not yet as the booking is, due by `now`, oldest change first.
    public func pendingCopies(at now: Date, limit: Int) async throws -> [BookingCopy] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM booking_copies WHERE written_version < version AND next_attempt_ms <= ? ORDER BY next_attempt_ms, rowid LIMIT ?
                """, arguments: [Millis.of(now), limit]).map(Self.copy)
        }
    }

    /// When the next pending copy is due; nil if none is pending.
    public func nextPendingAt() async throws -> Date? {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(next_attempt_ms) FROM booking_copies WHERE written_version < version").map(Millis.date)
        }
    }

    /// The copies a consultant's calendar holds or should hold: theirs, and those written there
    /// before a reassignment.
    public func copies(of consultantId: String) async throws -> [BookingCopy] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM booking_copies WHERE consultant_id = ? OR remote_consultant_id = ? ORDER BY end_ms",
                             arguments: [consultantId, consultantId]).map(Self.copy)
        }
    }

    /// The event now is as `version` says (`remote` nil: there is none). A newer change that
    /// arrived meanwhile stays pending.
    public func recordWritten(_ appointmentId: String, version: Int, remote: RemoteCopy?) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE booking_copies SET written_version = MAX(written_version, ?), remote_consultant_id = ?, href = ?, etag = ?,
                                          written_start_ms = ?, attempts = 0, next_attempt_ms = 0
                WHERE appointment_id = ?
                """, arguments: [version, remote?.consultantId, remote?.name, remote?.etag, remote.map { Millis.of($0.start) }, appointmentId])
            if let consultantId = remote?.consultantId {
                try db.execute(sql: "UPDATE connections SET last_write_error = NULL WHERE consultant_id = ?", arguments: [consultantId])
            }
        }
    }

    /// A write failed: tried again at `retryAt`, and the connection shows why.
    public func recordWriteFailure(_ appointmentId: String, connection consultantId: String?, error: String, retryAt: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE booking_copies SET attempts = attempts + 1, next_attempt_ms = ? WHERE appointment_id = ?",
                           arguments: [Millis.of(retryAt), appointmentId])
            if let consultantId {
                try db.execute(sql: "UPDATE connections SET last_write_error = ? WHERE consultant_id = ?", arguments: [error, consultantId])
            }
        }
    }

    /// Leaves a copy for later without counting a failure: its calendar failed its last read, and
    /// the next successful read makes it due again.
    public func postpone(_ appointmentId: String, until: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE booking_copies SET next_attempt_ms = ? WHERE appointment_id = ?", arguments: [Millis.of(until), appointmentId])
        }
    }

    /// Failed writes to a consultant's calendar are due now: it was just read, so it answers again.
    public func retryWritesNow(consultantId: String) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE booking_copies SET next_attempt_ms = 0
                WHERE written_version < version AND (consultant_id = ? OR remote_consultant_id = ?)
                """, arguments: [consultantId, consultantId])
        }
    }

    /// Writes the copy again (its event was deleted in the calendar, and is recreated).
    public func rewrite(_ appointmentId: String, forgettingRemote: Bool) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE booking_copies SET version = version + 1, attempts = 0, next_attempt_ms = 0,
                    remote_consultant_id = CASE WHEN ? THEN NULL ELSE remote_consultant_id END,
                    href = CASE WHEN ? THEN NULL ELSE href END, etag = CASE WHEN ? THEN NULL ELSE etag END
                WHERE appointment_id = ?
                """, arguments: [forgettingRemote, forgettingRemote, forgettingRemote, appointmentId])
        }
    }

    /// Forgets copies of bookings long past whose calendar is as they are: nothing more to write.
    public func pruneCopies(endedBefore: Date) async throws -> Int {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM booking_copies WHERE end_ms < ? AND written_version = version", arguments: [Millis.of(endedBefore)])
            return db.changesCount
        }
    }

    static func copy(_ row: Row) throws -> BookingCopy {
        let stored = StoredRow(row, table: "booking_copies", keyColumn: "appointment_id")
        var remote: RemoteCopy?
        if let consultantId: String = try stored.value("remote_consultant_id"), let name: String = try stored.value("href"),
           let start = try stored.optionalInstant("written_start_ms") {
            remote = RemoteCopy(consultantId: consultantId, name: name, etag: try stored.value("etag"), start: start)
        }
        return BookingCopy(appointmentId: try stored.value("appointment_id"), consultantId: try stored.value("consultant_id"),
                           appointment: try stored.value("appointment"), end: try stored.instant("end_ms"), version: try stored.value("version"),
                           writtenVersion: try stored.value("written_version"), remote: remote, attempts: try stored.value("attempts"))
    }

    // MARK: Conflicts

    /// The conflicts one sync of a consultant's calendar found: new ones are kept, known ones
    /// stay, and those of the consultant not found again are no longer current. Answers the new ones.
    public func recordConflicts(consultantId: String, found: [CalendarConflict]) async throws -> [CalendarConflict] {
        try await pool.write { db in
            try db.execute(sql: "UPDATE conflicts SET current = 0 WHERE consultant_id = ?", arguments: [consultantId])
            let known = try db.cachedStatement(sql: "UPDATE conflicts SET current = 1, event_start_ms = ? WHERE id = ?")
            let insert = try db.cachedStatement(sql: """
                INSERT INTO conflicts (id, consultant_id, kind, reference, start_ms, event_id, event_start_ms, found_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var new: [CalendarConflict] = []
            for conflict in found {
                try known.execute(arguments: [conflict.eventStart.map(Millis.of), conflict.id])
                guard db.changesCount == 0 else { continue }
                try insert.execute(arguments: [conflict.id, consultantId, conflict.kind.rawValue, conflict.reference, Millis.of(conflict.start),
                                               conflict.eventId, conflict.eventStart.map(Millis.of), Millis.of(conflict.foundAt)])
                new.append(conflict)
            }
            return new
        }
    }

    /// Current conflicts notifyd has not taken yet, oldest first.
    public func untoldConflicts() async throws -> [CalendarConflict] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM conflicts WHERE current = 1 AND notified = 0 ORDER BY found_ms, id").map(Self.conflict)
        }
    }

    public func markNotified(conflictId: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE conflicts SET notified = 1 WHERE id = ?", arguments: [conflictId])
        }
    }

    /// Current conflicts (or all, with those gone), newest first.
    public func conflicts(consultantId: String?, includingPast: Bool) async throws -> [CalendarConflict] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM conflicts WHERE (? IS NULL OR consultant_id = ?) AND (? OR current = 1) ORDER BY found_ms DESC, id
                """, arguments: [consultantId, consultantId, includingPast]).map(Self.conflict)
        }
    }

    static func conflict(_ row: Row) throws -> CalendarConflict {
        let stored = StoredRow(row, table: "conflicts", keyColumn: "id")
        return CalendarConflict(
            id: try stored.value("id"), consultantId: try stored.value("consultant_id"), kind: try stored.parsed("kind", CalendarConflict.Kind.init(rawValue:)),
            reference: try stored.value("reference"), start: try stored.instant("start_ms"), eventId: try stored.value("event_id"),
            eventStart: try stored.optionalInstant("event_start_ms"), foundAt: try stored.instant("found_ms"), current: try stored.value("current"),
            notified: try stored.value("notified"))
    }
}

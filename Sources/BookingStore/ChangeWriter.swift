import BookingDomain
import BookingProtocol
import Foundation
import GRDB

/// Carries out one change inside the writer's transaction (in its own savepoint).
struct ChangeWriter {
    let db: Database
    let context: CommandContext

    func apply(_ change: Change) throws -> ChangeResult {
        if let key = context.idempotencyKey, let earlier = try IdempotencyRecord.answer(db, key: key, command: context.command, digest: context.digest) {
            return earlier
        }
        let result: (Appointment, Transition)
        switch change {
        case .book(let booking):
            result = try book(booking)
        case .reschedule(let move):
            result = try reschedule(move)
        case .cancel(let reference, let reason):
            result = try transition(reference) { appointment in
                try appointment.cancel(actor: context.actor, reason: reason, at: context.now)
            }
        case .markReminderSent(let reference):
            result = try transition(reference) { appointment in
                try appointment.markReminderSent(at: context.now)
            }
        }
        let (appointment, transition) = result
        try recordHistory(transition, of: appointment)
        try recordAudit(reference: appointment.bookingReference)
        let body = AppointmentBody(appointment)
        try recordEvent(transition, body: body)
        let reply = try WireJSON.encode(body)
        if let key = context.idempotencyKey {
            try db.executeCached(
                sql: "INSERT INTO idempotency (key, command, digest, reply, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [key, context.command, context.digest, Data(reply), Millis.of(context.now)]
            )
        }
        return ChangeResult(reply: reply, replayed: false, appointment: body)
    }


    // MARK: Book and reschedule

    private func book(_ booking: NewBooking) throws -> (Appointment, Transition) {
        let consultant = try chooseConsultant(
            at: booking.slot, candidates: booking.candidates, requested: booking.requestedConsultant, keeping: nil, horizonEnd: booking.horizonEnd
        )
        let clientId = try clientId(email: booking.contact.email)
        let (appointment, transition) = Appointment.book(
            id: UUID(), clientId: clientId, slot: TimeSlot(range: booking.slot, consultantId: consultant), contactInfo: booking.contact,
            reference: booking.reference, clientTimeZone: booking.timeZone, locale: booking.locale, actor: context.actor, at: context.now
        )
        do {
            try db.executeCached(
                sql: """
                    INSERT INTO appointments (id, reference, client_id, consultant_id, start_ms, end_ms, status, name, email, phone, company,
                                              time_zone, locale, created_at, updated_at, reminder_sent)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
                    """,
                arguments: [
                    appointment.id.uuidString.lowercased(), appointment.bookingReference.description, clientId.uuidString.lowercased(), consultant,
                    Millis.of(appointment.timeSlot.start), Millis.of(appointment.timeSlot.end), appointment.status.rawValue,
                    appointment.contactInfo.name, appointment.contactInfo.email, appointment.contactInfo.phone, appointment.contactInfo.company,
                    appointment.clientTimeZone, appointment.locale, Millis.of(context.now), Millis.of(context.now),
                ]
            )
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw ProtocolError(.slotUnavailable, "that slot was just taken; choose another")
        }
        return (appointment, transition)
    }

    private func reschedule(_ move: Move) throws -> (Appointment, Transition) {
        var appointment = try load(move.reference)
        guard appointment.status.isActive else {
            throw ProtocolError(.invalidTransition, "the appointment is \(appointment.status.rawValue); only a confirmed appointment can be rescheduled")
        }
        let consultant = try chooseConsultant(
            at: move.slot, candidates: move.candidates, requested: move.requestedConsultant, keeping: appointment.consultantId,
            horizonEnd: move.horizonEnd, excluding: appointment.id
        )
        let transition = try transitioning {
            try appointment.reschedule(to: move.slot, consultantId: consultant, actor: context.actor, reason: move.reason, at: context.now)
        }
        do {
            try update(appointment)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw ProtocolError(.slotUnavailable, "that slot was just taken; choose another")
        }
        return (appointment, transition)
    }

    private func transition(_ reference: BookingReference, _ change: (inout Appointment) throws -> Transition) throws -> (Appointment, Transition) {
        var appointment = try load(reference)
        let transition = try transitioning { try change(&appointment) }
        try update(appointment)
        return (appointment, transition)
    }

    private func transitioning(_ body: () throws -> Transition) throws -> Transition {
        do {
            return try body()
        } catch let error as TransitionError {
            throw ProtocolError(.invalidTransition, error.message)
        }
    }

    /// The consultant for a slot: the requested one if free; else, on a reschedule, the one
    /// already assigned if free; else the free one with the fewest bookings in the horizon.
    private func chooseConsultant(at slot: DateTimeRange, candidates: [String], requested: String?, keeping current: String?,
                                  horizonEnd: Date, excluding appointmentId: UUID? = nil) throws -> String {
        let taken = try Set(String.fetchAll(
            db.cachedStatement(sql: "SELECT consultant_id FROM appointments WHERE start_ms = ? AND status = 'confirmed' AND id != ?"),
            arguments: [Millis.of(slot.start), appointmentId?.uuidString.lowercased() ?? ""]
        ))
        let free = candidates.filter { !taken.contains($0) }
        if let requested {
            guard free.contains(requested) else {
                throw ProtocolError(.slotUnavailable, "consultant '\(requested)' is not free at that time", field: "consultant_id")
            }
            return requested
        }
        if let current, free.contains(current) { return current }
        let counts = Dictionary(uniqueKeysWithValues: try Row.fetchAll(
            db.cachedStatement(sql: "SELECT consultant_id, COUNT(*) AS n FROM appointments WHERE status = 'confirmed' AND start_ms >= ? AND start_ms < ? GROUP BY consultant_id"),
            arguments: [Millis.of(context.now), Millis.of(horizonEnd)]
        ).map { ($0["consultant_id"] as String, $0["n"] as Int) })
        guard let chosen = ConsultantAssignment.choose(from: free, bookingsInHorizon: counts) else {
            throw ProtocolError(.slotUnavailable, "no consultant is free at that time; choose another slot")
        }
        return chosen
    }

    private func clientId(email: String) throws -> UUID {
        if let existing = try String.fetchOne(db.cachedStatement(sql: "SELECT id FROM clients WHERE email = ?"), arguments: [email]), let id = UUID(uuidString: existing) {
            return id
        }
        let id = UUID()
        try db.executeCached(sql: "INSERT INTO clients (id, email, created_at) VALUES (?, ?, ?)", arguments: [id.uuidString.lowercased(), email, Millis.of(context.now)])
        return id
    }

    private func load(_ reference: BookingReference) throws -> Appointment {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM appointments WHERE reference = ?"), arguments: [reference.description]) else {
            throw ProtocolError(.notFound, "no appointment has the reference \(reference)", field: "reference")
        }
        return try Appointment(row: row)
    }

    private func update(_ appointment: Appointment) throws {
        try db.executeCached(
            sql: """
                UPDATE appointments SET consultant_id = ?, start_ms = ?, end_ms = ?, status = ?, updated_at = ?, reminder_sent = ?
                WHERE id = ?
                """,
            arguments: [
                appointment.consultantId, Millis.of(appointment.timeSlot.start), Millis.of(appointment.timeSlot.end), appointment.status.rawValue,
                Millis.of(appointment.updatedAt), appointment.reminderSent, appointment.id.uuidString.lowercased(),
            ]
        )
    }

    // MARK: Records

    private func recordHistory(_ transition: Transition, of appointment: Appointment) throws {
        try db.executeCached(
            sql: """
                INSERT INTO history (appointment_id, kind, from_status, to_status, old_start_ms, old_end_ms, new_start_ms, new_end_ms,
                                     old_consultant_id, new_consultant_id, actor, user, reason, at, correlation_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                appointment.id.uuidString.lowercased(), transition.kind.rawValue, transition.fromStatus?.rawValue, transition.toStatus.rawValue,
                transition.oldSlot.map { Millis.of($0.start) }, transition.oldSlot.map { Millis.of($0.end) },
                transition.newSlot.map { Millis.of($0.start) }, transition.newSlot.map { Millis.of($0.end) },
                transition.oldConsultantId, transition.newConsultantId, transition.actor.rawValue, context.user, transition.reason,
                Millis.of(transition.at), context.correlationId,
            ]
        )
    }

    private func recordAudit(reference: BookingReference) throws {
        try db.executeCached(
            sql: "INSERT INTO audit (at, actor, user, command, reference, correlation_id, outcome) VALUES (?, ?, ?, ?, ?, ?, 'ok')",
            arguments: [Millis.of(context.now), context.actor.rawValue, context.user, context.command, reference.description, context.correlationId]
        )
    }

    private func recordEvent(_ transition: Transition, body: AppointmentBody) throws {
        let sequence = UInt64(try Int64.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(sequence), 0) + 1 FROM events")) ?? 1)
        let previous: BookedSlotBody? = transition.kind == .rescheduled
            ? transition.oldSlot.map { BookedSlotBody(consultantId: transition.oldConsultantId ?? body.consultantId, start: $0.start) }
            : nil
        let event = EventBody(
            sequence: sequence, id: UUID().uuidString.lowercased(), kind: EventKind(transition.kind), occurredAt: context.now,
            appointment: body, previous: previous, actor: transition.actor.rawValue, reason: transition.reason, correlationId: context.correlationId
        )
        try db.executeCached(
            sql: "INSERT INTO events (sequence, id, kind, appointment_id, body, correlation_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [Int64(sequence), event.id, event.kind.rawValue, body.id, Data(try WireJSON.encode(event)), context.correlationId, Millis.of(context.now)]
        )
    }
}

/// A row that does not make a valid appointment: the database was changed behind bookingd's back.
struct CorruptRow: Error, CustomStringConvertible {
    var description: String
}

extension Appointment {
    init(row: Row) throws {
        let id: String = row["id"]
        guard let uuid = UUID(uuidString: id), let clientId = UUID(uuidString: row["client_id"]),
              let status = AppointmentStatus(rawValue: row["status"]) else {
            throw CorruptRow(description: "appointment \(id) has an invalid id, client id or status")
        }
        // Stored contacts were validated on the way in; validating again costs microseconds
        // and keeps a hand-edited row from passing as good.
        self.init(
            id: uuid,
            clientId: clientId,
            consultantId: row["consultant_id"],
            timeSlot: try DateTimeRange(start: Millis.date(row["start_ms"] as Int64), end: Millis.date(row["end_ms"] as Int64)),
            contactInfo: try ContactInfo.validated(name: row["name"], email: row["email"], phone: row["phone"], company: row["company"]),
            status: status,
            bookingReference: try BookingReference(parsing: row["reference"]),
            createdAt: Millis.date(row["created_at"] as Int64),
            updatedAt: Millis.date(row["updated_at"] as Int64),
            reminderSent: row["reminder_sent"],
            clientTimeZone: row["time_zone"],
            locale: row["locale"]
        )
    }
}

enum IdempotencyRecord {
    static func answer(_ db: Database, key: String, command: String, digest: String) throws -> ChangeResult? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT command, digest, reply FROM idempotency WHERE key = ?"), arguments: [key]) else {
            return nil
        }
        guard row["command"] as String == command, row["digest"] as String == digest else {
            throw ProtocolError(.idempotencyConflict, "the idempotency key '\(key)' was already used for a different request", field: "header.idempotency_key")
        }
        let reply = [UInt8](row["reply"] as Data)
        return ChangeResult(reply: reply, replayed: true, appointment: try WireJSON.decode(AppointmentBody.self, from: reply))
    }
}

extension Database {
    /// Runs `sql` through a prepared statement kept for this connection: every change runs the
    /// same few statements, and compiling them each time was most of the writer's work.
    func executeCached(sql: String, arguments: StatementArguments = []) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}

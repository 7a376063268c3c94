import BookingDomain
import BookingProtocol
import FieldEncryption
import Foundation
import SharedTables
import StoreSQL

/// What one change did: its answer, and its event, which the transaction numbers at its end
/// (`EventLog`) with the events of the changes committed with it.
struct ChangeOutcome {
    var result: ChangeResult
    var events: [PendingEvent]
}

/// Carries out one change inside a transaction (with group commit, in its own savepoint), in the
/// SQL both engines share.
struct ChangeWriter<Transaction: SQLTransaction> {
    let transaction: Transaction
    let context: CommandContext
    let ciphers: ClientCiphers<Transaction>

    init(_ transaction: Transaction, context: CommandContext, keys: DataKeys) {
        self.transaction = transaction
        self.context = context
        ciphers = ClientCiphers(transaction, keys: keys)
    }

    func apply(_ change: Change) throws -> ChangeOutcome {
        if let key = context.idempotencyKey {
            try WriterTurns.take(idempotencyKey: key, in: transaction)
            if let earlier = try IdempotencyRecord.answer(transaction, key: key, command: context.command, digest: context.digest, ciphers: ciphers) {
                return ChangeOutcome(result: earlier, events: [])
            }
        }
        let result: (Appointment, Transition)
        var clientMessage: String?
        var confirmation: ConfirmationBody?
        switch change {
        case .book(let booking):
            result = try book(booking)
            confirmation = booking.hold?.confirmation
        case .reschedule(let move):
            result = try reschedule(move)
            clientMessage = move.clientMessage
        case .cancel(let reference, let reason, let message):
            clientMessage = message
            result = try transition(reference) { appointment in
                try appointment.cancel(actor: context.actor, reason: reason, at: context.now)
            }
        case .markReminderSent(let reference):
            result = try transition(reference) { appointment in
                try appointment.markReminderSent(at: context.now)
            }
        case .confirm(let reference):
            result = try transition(reference) { appointment in
                try appointment.confirm(actor: context.actor, at: context.now)
            }
        case .release(let reference):
            result = try transition(reference) { appointment in
                try appointment.release(at: context.now)
            }
        case .markOutcome(let reference, let outcome, let note):
            var appointment = try load(reference)
            if appointment.status == outcome { return try unchanged(appointment) }
            let transition = try transitioning {
                outcome == .noShow
                    ? try appointment.markNoShow(actor: context.actor, reason: note, at: context.now)
                    : try appointment.complete(actor: context.actor, reason: note, at: context.now)
            }
            try update(appointment)
            result = (appointment, transition)
        }
        let (appointment, transition) = result
        try recordHistory(transition, of: appointment)
        try recordAudit(reference: appointment.bookingReference)
        let body = AppointmentBody(appointment)
        let event = event(transition, body: body, clientMessage: clientMessage, confirmation: confirmation)
        let reply = try WireJSON.encode(body)
        if let key = context.idempotencyKey {
            try storeAnswer(reply, key: key, clientId: body.clientId)
        }
        return ChangeOutcome(result: ChangeResult(replayed: false, appointment: body, reply: reply), events: [event])
    }

    /// An answer that changes nothing (the same mark twice): no history, no event. Kept under
    /// the idempotency key like any answer, so a retry gets it too.
    private func unchanged(_ appointment: Appointment) throws -> ChangeOutcome {
        let body = AppointmentBody(appointment)
        let reply = try WireJSON.encode(body)
        if let key = context.idempotencyKey {
            try storeAnswer(reply, key: key, clientId: body.clientId)
        }
        return ChangeOutcome(result: ChangeResult(replayed: false, appointment: body, reply: reply), events: [])
    }

    private func storeAnswer(_ reply: [UInt8], key: String, clientId: String) throws {
        // The reply holds the full contact, for the retry of the client who sent it.
        let sealed = try ciphers.sealing(for: clientId).seal(reply, binding: .idempotencyReply(key))
        do {
            try transaction.execute("INSERT INTO idempotency (key, command, digest, client_id, reply, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                                    key, context.command, context.digest, clientId, sealed, Millis.of(context.now))
        } catch .constraint(.unique, _, _) {
            // Another writer (another instance) stored an answer under this key since the check
            // above and committed: this change is undone and theirs is the answer.
            throw IdempotencyRace(key: key)
        }
    }

    // MARK: Book and reschedule

    private func book(_ booking: NewBooking) throws -> (Appointment, Transition) {
        try WriterTurns.take(day: booking.slot.start, in: transaction)
        let consultant = try chooseConsultant(
            at: booking.slot, candidates: booking.candidates, requested: booking.requestedConsultant, keeping: nil, horizonEnd: booking.horizonEnd,
            limits: booking.limits
        )
        // Each HMAC once per booking: the limit, the client and the row find the contact by them.
        let indexes = ContactIndexes(email: booking.contact.email, phone: booking.contact.phone, index: ciphers.keys.index)
        if let limit = booking.contactLimit {
            try WriterTurns.take(contact: indexes, in: transaction)
            try requireRoom(for: indexes, limit: limit)
        }
        let clientId = try clientId(emailIndex: indexes.email)
        let (appointment, transition) = Appointment.book(
            id: UUID(), clientId: clientId, slot: TimeSlot(range: booking.slot, consultantId: consultant), contactInfo: booking.contact,
            reference: booking.reference, clientTimeZone: booking.timeZone, locale: booking.locale,
            meetingFormat: booking.meetingFormats[consultant], topic: booking.topic, holdUntil: booking.hold?.expiresAt,
            source: booking.source, actor: context.actor, at: context.now
        )
        let id = appointment.id.uuidString.lowercased(), client = clientId.uuidString.lowercased()
        let contact = appointment.contactInfo
        let sealed = SealedContact(name: contact.name, email: contact.email, phone: contact.phone, company: contact.company, topic: appointment.topic)
            .sealed(with: try ciphers.sealing(for: client), appointmentId: id)
        try refusingTakenSlot {
            try transaction.execute(
                """
                INSERT INTO appointments (id, reference, client_id, consultant_id, start_ms, end_ms, status, contact, email_index, phone_index,
                                          time_zone, locale, created_at, updated_at, reminder_sent, revision,
                                          meeting_format, meeting_link, meeting_address, hold_expires_ms,
                                          utm_source, utm_medium, utm_campaign, referrer)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                id, appointment.bookingReference.description, client, consultant,
                Millis.of(appointment.timeSlot.start), Millis.of(appointment.timeSlot.end), appointment.status.rawValue,
                sealed, indexes.email, indexes.phone,
                appointment.clientTimeZone, appointment.locale, Millis.of(context.now), Millis.of(context.now),
                appointment.meeting?.kind.rawValue, appointment.meeting?.link, appointment.meeting?.address,
                appointment.holdExpiresAt.map(Millis.of),
                appointment.source?.utmSource, appointment.source?.utmMedium, appointment.source?.utmCampaign, appointment.source?.referrer
            )
        }
        try Consents.insert(booking.consents, appointmentId: id, clientId: client, in: transaction)
        return (appointment, transition)
    }

    /// Counts the contact's active bookings (holds too) still ahead, by email (in any case) and by
    /// phone, through their blind indexes. Earlier changes of the same group commit are in this
    /// transaction, so they count.
    private func requireRoom(for indexes: ContactIndexes, limit: Int) throws {
        let byEmail = try count("SELECT COUNT(*) AS n FROM appointments WHERE email_index = ? AND \(AppointmentStatus.activeCondition) AND start_ms > ?",
                                indexes.email, Millis.of(context.now))
        if byEmail >= limit { throw BookingRefusal.contactLimitReached(limit: limit, field: .email) }
        guard let phone = indexes.phone else { return }
        let byPhone = try count("SELECT COUNT(*) AS n FROM appointments WHERE phone_index = ? AND \(AppointmentStatus.activeCondition) AND start_ms > ?",
                                phone, Millis.of(context.now))
        if byPhone >= limit { throw BookingRefusal.contactLimitReached(limit: limit, field: .phone) }
    }

    private func count(_ sql: String, _ arguments: SQLValueConvertible?...) throws -> Int {
        guard let row = try transaction.row(sql, arguments.map { $0?.sqlValue ?? .null }) else { return 0 }
        return try StoredRow(row, table: "appointments", key: "count").value("n")
    }

    private func reschedule(_ move: Move) throws -> (Appointment, Transition) {
        var appointment = try load(move.reference)
        guard appointment.status.isActive else {
            throw BookingRefusal.transition(.invalidTransition(from: appointment.status, to: .confirmed))
        }
        try WriterTurns.take(day: move.slot.start, in: transaction)
        let consultant = try chooseConsultant(
            at: move.slot, candidates: move.candidates, requested: move.requestedConsultant, keeping: appointment.consultantId,
            horizonEnd: move.horizonEnd, limits: move.limits, excluding: appointment.id
        )
        let transition = try transitioning {
            try appointment.reschedule(to: move.slot, consultantId: consultant, meetingFormat: move.meetingFormats[consultant],
                                       actor: context.actor, reason: move.reason, at: context.now)
        }
        try refusingTakenSlot { try update(appointment) }
        return (appointment, transition)
    }

    /// `body`'s write, with the book's refusal of it (a unique index, an exclusion constraint)
    /// as the rules' refusal. Untyped, so the catch sees any error.
    private func refusingTakenSlot(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as SQLFailure where failure.isSlotTaken {
            throw BookingRefusal.slotTaken
        }
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
            throw BookingRefusal.transition(error)
        }
    }

    /// The consultant for a slot: the requested one if free; else, on a reschedule, the one
    /// already assigned if free; else the free one with the fewest bookings in the horizon.
    /// Free: not booked at that start, and clear of their other bookings by their buffers and
    /// daily limit.
    private func chooseConsultant(at slot: DateTimeRange, candidates: [String], requested: String?, keeping current: String?,
                                  horizonEnd: Date, limits: [String: BookingLimits], excluding appointmentId: UUID? = nil) throws -> String {
        let excluded = appointmentId?.uuidString.lowercased() ?? ""
        let taken = try Set(transaction.rows(
            "SELECT consultant_id FROM appointments WHERE start_ms = ? AND \(AppointmentStatus.activeCondition) AND id <> ?", Millis.of(slot.start), excluded
        ).map { row in try StoredRow(row, table: "appointments", key: "?").value("consultant_id", as: String.self) })
        let free = try candidates.filter { candidate in
            guard !taken.contains(candidate) else { return false }
            guard let limit = limits[candidate] else { return true }
            // Another appointment is at most a day long: starts a day before the spaced slot cover every one that could touch it.
            let lower = min(limit.day.start, slot.start.addingTimeInterval(-limit.spacing - 86_400))
            let upper = max(limit.day.end, slot.end.addingTimeInterval(limit.spacing))
            let others = try transaction.rows(
                """
                    SELECT start_ms, end_ms FROM appointments
                    WHERE start_ms >= ? AND start_ms < ? AND consultant_id = ? AND \(AppointmentStatus.activeCondition) AND id <> ?
                    """,
                Millis.of(lower), Millis.of(upper), candidate, excluded
            ).compactMap { row in
                let stored = StoredRow(row, table: "appointments", key: "?")
                return try? DateTimeRange(start: stored.instant("start_ms"), end: stored.instant("end_ms"))
            }
            return limit.allow(slot, among: others)
        }
        if let requested {
            guard free.contains(requested) else {
                throw BookingRefusal.consultantNotFree(consultantId: requested)
            }
            return requested
        }
        if let current, free.contains(current) { return current }
        let counts = Dictionary(uniqueKeysWithValues: try transaction.rows(
            "SELECT consultant_id, COUNT(*) AS n FROM appointments WHERE \(AppointmentStatus.activeCondition) AND start_ms >= ? AND start_ms < ? GROUP BY consultant_id",
            Millis.of(context.now), Millis.of(horizonEnd)
        ).map { row in
            let stored = StoredRow(row, table: "appointments", keyColumn: "consultant_id")
            return (try stored.value("consultant_id", as: String.self), try stored.value("n", as: Int.self))
        })
        guard let chosen = ConsultantAssignment.choose(from: free, bookingsInHorizon: counts) else {
            throw BookingRefusal.noConsultantFree
        }
        return chosen
    }

    /// One client per email, in any case (the blind index lowercases it).
    /// A new client gets their data key here, in the transaction that makes them.
    private func clientId(emailIndex index: Data) throws -> UUID {
        if let existing = try transaction.row("SELECT id FROM clients WHERE email_index = ?", index) {
            return try StoredRow(existing, table: "clients", keyColumn: "id").parsed("id", UUID.init(uuidString:))
        }
        let id = UUID()
        try transaction.execute("INSERT INTO clients (id, email_index, created_at) VALUES (?, ?, ?)", id.uuidString.lowercased(), index, Millis.of(context.now))
        try ciphers.makeKey(forNewClient: id.uuidString.lowercased())
        return id
    }

    private func load(_ reference: BookingReference) throws -> Appointment {
        guard let row = try transaction.row("SELECT * FROM appointments WHERE reference = ?", reference.description) else {
            throw BookingRefusal.notFound(reference)
        }
        return try Appointment(row: row, ciphers: ciphers)
    }

    private func update(_ appointment: Appointment) throws {
        try transaction.execute(
            """
                UPDATE appointments SET consultant_id = ?, start_ms = ?, end_ms = ?, status = ?, updated_at = ?, reminder_sent = ?, revision = ?,
                                        meeting_format = ?, meeting_link = ?, meeting_address = ?, hold_expires_ms = ?
                WHERE id = ?
                """,
            appointment.consultantId, Millis.of(appointment.timeSlot.start), Millis.of(appointment.timeSlot.end), appointment.status.rawValue,
            Millis.of(appointment.updatedAt), appointment.reminderSent, appointment.revision,
            appointment.meeting?.kind.rawValue, appointment.meeting?.link, appointment.meeting?.address, appointment.holdExpiresAt.map(Millis.of),
            appointment.id.uuidString.lowercased()
        )
    }

    // MARK: Records

    /// The reason is sealed under the client's key whoever gave it: a client writes their own.
    /// The seal is bound to the row's id, which the engine gives: the row is made first, and
    /// its reason sealed once its id is known.
    private func recordHistory(_ transition: Transition, of appointment: Appointment) throws {
        let inserted = try transaction.row(
            """
            INSERT INTO history (appointment_id, kind, from_status, to_status, old_start_ms, old_end_ms, new_start_ms, new_end_ms,
                                 old_consultant_id, new_consultant_id, actor, "user", reason, at, correlation_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)
            RETURNING id
            """,
            appointment.id.uuidString.lowercased(), transition.kind.rawValue, transition.fromStatus?.rawValue, transition.toStatus.rawValue,
            transition.oldSlot.map { Millis.of($0.start) }, transition.oldSlot.map { Millis.of($0.end) },
            transition.newSlot.map { Millis.of($0.start) }, transition.newSlot.map { Millis.of($0.end) },
            transition.oldConsultantId, transition.newConsultantId, transition.actor.rawValue, context.user,
            Millis.of(transition.at), context.correlationId
        )
        guard let reason = transition.reason else { return }
        guard let inserted else { throw StoreError.unreadableRow(table: "history", key: "?", problem: "the insert returned no id") }
        let id: Int64 = try StoredRow(inserted, table: "history", key: "?").value("id")
        let sealed = try ciphers.sealing(for: appointment.clientId.uuidString.lowercased()).seal(reason, binding: .historyReason(id))
        try transaction.execute("UPDATE history SET reason = ? WHERE id = ?", sealed, id)
    }

    private func recordAudit(reference: BookingReference) throws {
        try AuditTrail.record(
            AuditEntry(command: context.command, user: context.user, outcome: "ok", correlationId: context.correlationId, at: context.now,
                       actor: context.actor.rawValue, reference: reference.description),
            in: transaction
        )
    }

    /// The change's event, numbered when its transaction ends.
    private func event(_ transition: Transition, body: AppointmentBody, clientMessage: String?, confirmation: ConfirmationBody?) -> PendingEvent {
        let previous: BookedSlotBody? = transition.kind == .rescheduled
            ? transition.oldSlot.map { BookedSlotBody(consultantId: transition.oldConsultantId ?? body.consultantId, start: $0.start) }
            : nil
        let event = EventBody(
            sequence: 0, id: UUID().uuidString.lowercased(), kind: EventKind(transition.kind), occurredAt: context.now,
            appointment: body, previous: previous, actor: transition.actor.rawValue, reason: transition.reason,
            clientMessage: clientMessage, correlationId: context.correlationId, confirmation: confirmation
        ).withoutPersonalData
        return PendingEvent(event: event, appointmentId: body.id)
    }
}

extension Appointment {
    /// A row of `appointments`, its personal data opened with its client's key.
    init(row: SQLRow, ciphers: ClientCiphers<some SQLTransaction>) throws {
        let stored = StoredRow(row, table: "appointments", keyColumn: "reference")
        let start = try stored.instant("start_ms"), end = try stored.instant("end_ms")
        guard let timeSlot = try? DateTimeRange(start: start, end: end) else {
            throw stored.unreadable("end_ms is not after start_ms")
        }
        let id = try stored.parsed("id", UUID.init(uuidString:)), clientId = try stored.parsed("client_id", UUID.init(uuidString:))
        let erasedAt = try stored.optionalInstant("erased_at")
        let contactInfo: ContactInfo, topic: String?
        if erasedAt != nil {
            // Erased: its `contact` is NULL (and its client's key may be gone); it reads as such.
            guard try stored.value("contact", as: Data?.self) == nil else { throw stored.unreadable("contact: kept after its erasure") }
            (contactInfo, topic) = (.erased, nil)
        } else {
            // The seal is bound to the id as stored, and the client's key is found by it.
            let sealed = try ciphers.contact(of: stored, appointmentId: try stored.value("id"), clientId: try stored.value("client_id"))
            // Stored contacts were validated on the way in; validating again costs microseconds
            // and keeps a hand-edited row from passing as good (the phone only as E.164, so newer
            // numbering plans do not make old rows unreadable).
            do {
                contactInfo = try ContactInfo.restored(name: sealed.name, email: sealed.email, phone: sealed.phone, company: sealed.company)
            } catch {
                throw stored.unreadable("contact.\(error.field): \(error.message)")
            }
            topic = sealed.topic
        }
        var meeting: Meeting?
        if let format: String = try stored.value("meeting_format") {
            let link: String? = try stored.value("meeting_link"), address: String? = try stored.value("meeting_address")
            do {
                meeting = try Meeting.validated(kind: format, link: link, address: address)
            } catch {
                throw stored.unreadable("meeting_\(error.field): \(error.message)")
            }
        }
        self.init(
            id: id,
            clientId: clientId,
            consultantId: try stored.value("consultant_id"),
            timeSlot: timeSlot,
            contactInfo: contactInfo,
            status: try stored.parsed("status", AppointmentStatus.init(rawValue:)),
            bookingReference: try stored.parsed("reference") { try BookingReference(parsing: $0) },
            createdAt: try stored.instant("created_at"),
            updatedAt: try stored.instant("updated_at"),
            reminderSent: try stored.value("reminder_sent"),
            revision: try stored.value("revision"),
            clientTimeZone: try stored.value("time_zone"),
            locale: try stored.value("locale"),
            meeting: meeting,
            topic: topic,
            holdExpiresAt: try stored.optionalInstant("hold_expires_ms"),
            erasedAt: erasedAt,
            source: try LeadSource(stored)
        )
    }
}

extension LeadSource {
    /// Stored as validated: nil when the row has none.
    init?(_ stored: StoredRow) throws(StoreError) {
        let source = LeadSource(utmSource: try stored.value("utm_source"), utmMedium: try stored.value("utm_medium"),
                                utmCampaign: try stored.value("utm_campaign"), referrer: try stored.value("referrer"))
        if source.isEmpty { return nil }
        self = source
    }
}

enum IdempotencyRecord {
    static func answer<Transaction: SQLTransaction>(_ transaction: Transaction, key: String, command: String, digest: String,
                                                    ciphers: ClientCiphers<Transaction>) throws -> ChangeResult? {
        guard let row = try transaction.row("SELECT key, command, digest, client_id, reply FROM idempotency WHERE key = ?", key) else {
            return nil
        }
        let stored = StoredRow(row, table: "idempotency", key: key)
        guard try stored.value("command", as: String.self) == command, try stored.value("digest", as: String.self) == digest else {
            throw IdempotencyKeyReused(key: key)
        }
        let reply = try ciphers.open(try stored.value("reply"), of: stored, clientId: try stored.value("client_id"), binding: .idempotencyReply(key))
        do {
            return ChangeResult(replayed: true, appointment: try WireJSON.decode(AppointmentBody.self, from: reply), reply: reply)
        } catch {
            throw stored.unreadable("reply: \(error)")
        }
    }
}

/// A change found, on storing its answer, that a concurrent change with the same idempotency key
/// had stored one first: the store undoes this change and answers with the stored one.
struct IdempotencyRace: Error {
    var key: String
}

/// Changes that must not run side by side take turns. SQLite has one writer, so its changes are
/// in turn already. PostgreSQL's instances write at once: a change takes transaction-scoped
/// advisory locks, held until it commits, so the next one with the same key waits and then sees
/// what the first wrote. Always in one order (the request's key, the day's, then the contact's,
/// each in ascending order), so two changes never wait for each other in a circle.
enum WriterTurns {
    /// Two requests with one idempotency key (a retry sent to another instance while the first
    /// is still being written): the second waits, then finds the first's answer.
    static func take(idempotencyKey key: String, in transaction: some SQLTransaction) throws {
        guard transaction.engine == .postgresql else { return }
        try transaction.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", key)
    }

    /// Two bookings of one day: choosing a consultant reads the day's other bookings (who is
    /// taken at that start, buffers, daily limits), so the second must see the first. Without
    /// this turn, two instances booking one slot at once both chose the same free consultant,
    /// and the constraint then refused the second although another consultant was free; and two
    /// bookings a buffer apart could both pass the buffer check. Days take turns, not the whole
    /// book: a day's bookings are few, and other days' go on at once. Two 32-bit keys, a space
    /// apart from the 64-bit ones (PostgreSQL keeps them apart): 1 for "a booking day", then
    /// the day's number in UTC.
    static func take(day start: Date, in transaction: some SQLTransaction) throws {
        guard transaction.engine == .postgresql else { return }
        let day = Int32(clamping: Millis.of(start) / 86_400_000)
        try transaction.execute("SELECT pg_advisory_xact_lock(1, ?::int4)", Int(day))
    }

    /// Two bookings of one contact: the second counts the first against the per-contact limit.
    static func take(contact indexes: ContactIndexes, in transaction: some SQLTransaction) throws {
        guard transaction.engine == .postgresql else { return }
        for key in ([indexes.email] + (indexes.phone.map { [$0] } ?? [])).map(lockKey).sorted() {
            try transaction.execute("SELECT pg_advisory_xact_lock(?)", key)
        }
    }

    /// A blind index is an HMAC, uniform already: its first 8 bytes are a stable 64-bit key.
    static func lockKey(_ index: Data) -> Int64 {
        index.prefix(8).reduce(0) { ($0 << 8) | Int64($1) }
    }
}

extension SQLFailure {
    /// A unique index (SQLite) or the exclusion constraint (PostgreSQL) refused the row: the
    /// slot, or the consultant at that time, is taken.
    var isSlotTaken: Bool {
        guard case let .constraint(kind, _, _) = self else { return false }
        return kind == .unique || kind == .exclusion
    }
}

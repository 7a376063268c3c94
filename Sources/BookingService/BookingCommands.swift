import BookingDomain
import BookingProtocol
import BookingStore
import CivilTime
import DaemonKit
import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers

/// bookingd's request handlers: they validate, ask availabilityd whether the calendar allows
/// the slot, and hand the change to the store, which decides by its constraint.
struct BookingCommands: Sendable {
    let store: any BookingStore
    let availability: DaemonClient
    let publisher: EventPublisher
    let clock: SuiteClock
    let settings: Reloadable<BookingSettings>
    let control: DaemonControl
    let pause: PauseSwitch
    let holds: HoldSwitch
    let signer: ConfirmationSigner
    let guesses: ConfirmationGuesses
    /// The largest reply clients of this suite accept (`max_message_bytes`).
    let maxReplyBytes: Int
    let logger: Logger

    var routes: RequestRoutes {
        var routes = RequestRoutes()
        routes.onEncoded(MessageType.book, BookRequest.self) { try await book($0, $1) }
        routes.on(MessageType.get, ReferenceRequest.self) { request, _ in
            AppointmentBody(try await existing(try reference(request.reference)))
        }
        routes.onEncoded(MessageType.reschedule, RescheduleRequest.self) { try await reschedule($0, $1) }
        routes.onEncoded(MessageType.cancel, CancelRequest.self) { try await cancel($0, $1) }
        routes.on(MessageType.list, ListRequest.self) { request, _ in try await list(request) }
        routes.onEncoded(MessageType.markReminderSent, MarkReminderSentRequest.self) { try await markReminderSent($0, $1) }
        routes.onEncoded(MessageType.confirm, ConfirmRequest.self) { try await confirm($0, $1) }
        routes.on(MessageType.history, ReferenceRequest.self) { request, _ in
            let reference = try reference(request.reference)
            guard let entries = try await store.history(reference: reference) else { throw notFound(reference) }
            return HistoryReply(reference: reference.description, entries: entries)
        }
        routes.on(MessageType.contact, ContactRequest.self) { request, _ in try await contact(request) }
        routes.on(MessageType.replay, ReplayRequest.self) { request, _ in
            let limit = try PageLimit.replay.resolved(request.limit)
            let (events, last) = try await store.events(after: request.after, limit: limit)
            // A reply larger than a client accepts would be dropped and the subscriber would
            // never catch up: fewer events, and the subscriber asks again for the rest.
            var reply = ReplayReply(events: events, lastSequence: last, epoch: try await store.epoch())
            while reply.events.count > 1, try WireJSON.encode(reply).count > maxReplyBytes {
                reply.events.removeLast(reply.events.count / 2)
            }
            return reply
        }
        routes.on(MessageType.snapshot, SnapshotRequest.self) { request, _ in
            let now = clock.now()
            let (sequence, booked) = try await store.snapshot(
                from: request.from ?? now.addingTimeInterval(-86_400), to: request.to ?? now.addingTimeInterval(400 * 86_400)
            )
            return SnapshotReply(sequence: sequence, booked: booked, epoch: try await store.epoch())
        }
        routes.on(MessageType.ping, Empty.self) { _, _ in
            let published = publisher.lastPublished
            let committed = try await store.lastSequence()
            var reply = control.pingReply(state: pause.reason == nil ? "ready" : "paused", lastSequence: published,
                                          backlog: committed > published ? committed - published : 0)
            reply.pauseReason = pause.reason
            reply.confirmation = holds.holds(settings.value) ? "on" : "off"
            return reply
        }
        routes.on(MessageType.pause, PauseRequest.self) { request, header in
            let reason = try validatedReason(request.reason) ?? "maintenance"
            try await store.setPause(reason, user: header.user, correlationId: header.id, at: clock.now())
            pause.reason = reason
            logger.notice("new bookings paused", metadata: ["reason": "\(reason)", "user": "\(header.user ?? "-")"])
            return PauseReply(paused: true, reason: reason)
        }
        routes.on(MessageType.resume, Empty.self) { _, header in
            try await store.setPause(nil, user: header.user, correlationId: header.id, at: clock.now())
            pause.reason = nil
            logger.notice("new bookings resumed", metadata: ["user": "\(header.user ?? "-")"])
            return PauseReply(paused: false, reason: nil)
        }
        addPrivacyRoutes(to: &routes)
        addAttendanceRoutes(to: &routes)
        addReportRoutes(to: &routes)
        addFeedRoutes(to: &routes)
        control.addRoutes(to: &routes)
        return routes
    }

    // MARK: Commands

    // A change answers with the reply its store encoded once, inside the transaction, for the
    // idempotency record: a retry gets the same bytes.

    private func book(_ request: BookRequest, _ envelope: Envelope) async throws -> [UInt8] {
        let header = envelope.header
        // A retry (a form sent twice, a lost reply) is sent at another moment: when the client
        // consented does not make it another command, so the idempotency digest leaves it out.
        var digested = request
        digested.consent?.at = Date(timeIntervalSince1970: 0)
        let context = try commandContext(MessageType.book, envelope, digested, actor: request.actor, default: .client)
        if let earlier = try await earlierAnswer(context) { return earlier }
        if let reason = pause.reason {
            throw ProtocolError(.unavailable, "new bookings are temporarily unavailable (\(reason)); please try again later")
        }
        let contact = try validatedContact(request.contact)
        let timeZone = try validatedZone(request.timeZone)
        let locale = try validatedLocale(request.locale)
        let topic = try validatedTopic(request.topic)
        let consents = try validatedConsents(request.consent)
        let source = try validatedSource(request.source)
        let check: CheckSlotReply = try await availability.call(
            MessageType.checkSlot, CheckSlotRequest(start: request.start, consultantId: request.consultantId)
        )
        let slot = try slot(check)
        let reference = BookingReference.random()
        let booking = NewBooking(
            reference: reference, slot: slot, candidates: check.candidates, requestedConsultant: request.consultantId,
            horizonEnd: check.horizonEnd, contact: contact, timeZone: timeZone, locale: locale,
            // Counted in the transaction that writes the booking, so concurrent bookings by one
            // contact cannot both pass; an admin booking for a client is not limited.
            contactLimit: context.actor == .client ? settings.value.maxFutureBookingsPerContact : nil,
            meetingFormats: try meetingFormats(check), topic: topic,
            hold: try await hold(reference, slot: slot, contact: contact, context: context), consents: consents, limits: bookingLimits(check),
            source: source
        )
        let result = try await withAlternatives(request.start, consultantId: request.consultantId) {
            try await store.apply(.book(booking), context: context)
        }
        publisher.committed()
        if !result.replayed {
            Counter(label: "booking_changes_total", dimensions: [("kind", "created")]).increment()
            logger.info("booked", metadata: [
                "reference": "\(booking.reference.masked)", "consultant": "\(result.appointment.consultantId)",
                "start": "\(ISO8601.instant(result.appointment.start))", "contact": "\(contact.masked)",
                "correlation_id": "\(header.id)",
            ])
        }
        return result.reply
    }

    /// A client's booking is held while hold-then-confirm is on (an admin's is confirmed at once:
    /// the admin spoke to the client). The hold ends after `hold_minutes`, or at the slot's
    /// start if that comes first: nobody confirms a consultation that has begun.
    private func hold(_ reference: BookingReference, slot: DateTimeRange, contact: ContactInfo, context: CommandContext) async throws -> Hold? {
        guard context.actor == .client else { return nil }
        let current = settings.value
        if current.confirmation == .automatic, !(try await store.isKnownContact(email: contact.email)) {
            holds.recordUnknownContact(at: context.now, current)
        }
        guard holds.holds(current) else { return nil }
        let expiresAt = min(context.now.addingTimeInterval(current.holdDuration), slot.start)
        return Hold(expiresAt: expiresAt, confirmation: signer.confirmation(reference: reference, expiresAt: expiresAt))
    }

    /// The client confirms a hold with its link's token or its SMS code. A booking already
    /// confirmed is answered as it is (the client clicked twice, or a retry after a lost reply).
    private func confirm(_ request: ConfirmRequest, _ envelope: Envelope) async throws -> [UInt8] {
        let header = envelope.header
        let context = try commandContext(MessageType.confirm, envelope, request, actor: nil, default: .client)
        if let earlier = try await earlierAnswer(context) { return earlier }
        let reference = try reference(request.reference)
        guard (request.token == nil) != (request.code == nil) else {
            throw ProtocolError(.validationFailed, "give either the token from the confirmation link or the code from the SMS", field: "token")
        }
        let appointment = try await existing(reference)
        if appointment.status == .confirmed { return try WireJSON.encode(AppointmentBody(appointment)) }
        guard appointment.status == .scheduled, let expiresAt = appointment.holdExpiresAt else {
            throw BookingRefusal.transition(.invalidTransition(from: appointment.status, to: .confirmed))
        }
        guard context.now < expiresAt else { throw BookingRefusal.transition(.holdExpired(at: expiresAt)) }
        let field = request.token == nil ? "code" : "token"
        if request.code != nil, !guesses.take(reference, holdEnds: expiresAt, now: context.now) {
            throw ProtocolError(.validationFailed, "too many wrong codes for this booking; use the link in the email", field: field)
        }
        guard signer.accepts(token: request.token, code: request.code, reference: reference, expiresAt: expiresAt) else {
            throw ProtocolError(.validationFailed, "the confirmation \(field) is not the one sent for this booking", field: field)
        }
        let result = try await store.apply(.confirm(reference: reference), context: context)
        publisher.committed()
        if !result.replayed {
            Counter(label: "booking_changes_total", dimensions: [("kind", "confirmed")]).increment()
            logger.info("confirmed", metadata: ["reference": "\(reference.masked)", "by": "\(field)", "correlation_id": "\(header.id)"])
        }
        return result.reply
    }

    /// Runs a change; if the database refuses the slot, the refusal names the next free times
    /// (availabilityd's offer after `start`, for the asked consultant if any).
    private func withAlternatives<Result>(_ start: Date, consultantId: String?, _ change: () async throws -> Result) async throws -> Result {
        do {
            return try await change()
        } catch let refusal as BookingRefusal {
            switch refusal {
            case .slotTaken, .noConsultantFree, .consultantNotFree: break
            default: throw refusal
            }
            let zone = settings.value.defaultTimeZone
            let day = LocalDate.containing(start, in: settings.value.businessZone)
            let offer: SlotsReply? = try? await availability.call(
                MessageType.slots, SlotsRequest(from: day.description, timeZone: zone, consultantId: consultantId)
            )
            let next = (offer?.slots ?? []).map(\.start).filter { $0 > start }.prefix(3)
            throw RefusalWithAlternatives(refusal: refusal, nextFree: Array(next), zone: zone)
        }
    }

    private func reschedule(_ request: RescheduleRequest, _ envelope: Envelope) async throws -> [UInt8] {
        let header = envelope.header
        let context = try commandContext(MessageType.reschedule, envelope, request, actor: request.actor, default: .client)
        if let earlier = try await earlierAnswer(context) { return earlier }
        let reference = try reference(request.reference)
        let reason = try validatedReason(request.reason)
        // A missing reference is reported as such before the calendar is asked about the new time.
        _ = try await existing(reference)
        let check: CheckSlotReply = try await availability.call(
            MessageType.checkSlot, CheckSlotRequest(start: request.start, consultantId: request.consultantId)
        )
        let move = Move(
            reference: reference, slot: try slot(check), candidates: check.candidates, requestedConsultant: request.consultantId,
            horizonEnd: check.horizonEnd, reason: reason,
            clientMessage: try clientMessage(reason: reason, given: request.clientMessage, actor: context.actor),
            meetingFormats: try meetingFormats(check), limits: bookingLimits(check)
        )
        let result = try await withAlternatives(request.start, consultantId: request.consultantId) {
            try await store.apply(.reschedule(move), context: context)
        }
        publisher.committed()
        if !result.replayed {
            Counter(label: "booking_changes_total", dimensions: [("kind", "rescheduled")]).increment()
            logger.info("rescheduled", metadata: ["reference": "\(reference.masked)", "start": "\(ISO8601.instant(result.appointment.start))", "correlation_id": "\(header.id)"])
        }
        return result.reply
    }

    private func cancel(_ request: CancelRequest, _ envelope: Envelope) async throws -> [UInt8] {
        let header = envelope.header
        let context = try commandContext(MessageType.cancel, envelope, request, actor: request.actor, default: .client)
        if let earlier = try await earlierAnswer(context) { return earlier }
        let reference = try reference(request.reference)
        let reason = try validatedReason(request.reason)
        let result = try await store.apply(
            .cancel(reference: reference, reason: reason, clientMessage: try clientMessage(reason: reason, given: request.clientMessage, actor: context.actor)),
            context: context
        )
        publisher.committed()
        if !result.replayed {
            Counter(label: "booking_changes_total", dimensions: [("kind", "cancelled")]).increment()
            logger.info("cancelled", metadata: ["reference": "\(reference.masked)", "actor": "\(context.actor.rawValue)", "correlation_id": "\(header.id)"])
        }
        return result.reply
    }

    /// Repeating it is harmless (notifyd retries): an appointment already marked is answered as it is.
    private func markReminderSent(_ request: MarkReminderSentRequest, _ envelope: Envelope) async throws -> [UInt8] {
        let context = try commandContext(MessageType.markReminderSent, envelope, request, actor: nil, default: .system)
        let reference = try reference(request.reference)
        let appointment = try await existing(reference)
        guard abs(appointment.timeSlot.start.timeIntervalSince(request.start)) < 0.001 else {
            throw ProtocolError(.conflict, "the appointment was moved to \(ISO8601.instant(appointment.timeSlot.start)); this reminder was for the old time", field: "start")
        }
        if appointment.reminderSent { return try WireJSON.encode(AppointmentBody(appointment)) }
        let result = try await store.apply(.markReminderSent(reference: reference), context: context)
        publisher.committed()
        return result.reply
    }

    /// What notifyd (and calsyncd) need to write to the client, which events carry masked; the
    /// access table keeps it to them.
    private func contact(_ request: ContactRequest) async throws -> ContactReply {
        let reference = try reference(request.reference)
        guard let data = try await store.personalData(reference: reference, eventId: request.eventId),
              let appointment = try await store.appointment(reference: reference) else { throw notFound(reference) }
        return ContactReply(reference: reference.description, contact: ContactBody(data.contact), topic: data.topic, clientMessage: data.clientMessage,
                            outcomeLinks: outcomeLinks(appointment))
    }

    private func list(_ request: ListRequest) async throws -> ListReply {
        var status: AppointmentStatus?
        if let text = request.status {
            guard let parsed = AppointmentStatus(rawValue: text) else {
                let names = AppointmentStatus.allCases.map(\.rawValue).joined(separator: ", ")
                throw ProtocolError(.validationFailed, "status must be one of \(names)", field: "status")
            }
            status = parsed
        }
        if let from = request.from, let to = request.to, to <= from {
            throw ProtocolError(.validationFailed, "'to' must be later than 'from'", field: "to")
        }
        let limit = try PageLimit.list.resolved(request.limit)
        var after: BookingReference?
        if let text = request.after {
            do {
                after = try BookingReference(parsing: text)
            } catch {
                throw ProtocolError(.invalidReference, error.message, field: "after")
            }
        }
        // One more than asked tells whether another page follows.
        let found = try await store.appointments(from: request.from, to: request.to, status: status, limit: limit + 1,
                                                 email: request.email, phone: request.phone, after: after)
        var page = ListReply(appointments: found.prefix(limit).map(AppointmentBody.init))
        if found.count > limit { page.next = page.appointments.last?.reference }
        // A page larger than a client accepts would be dropped: a shorter page, and a cursor.
        while page.appointments.count > 1, try WireJSON.encode(page).count > maxReplyBytes {
            page.appointments.removeLast(page.appointments.count / 2)
            page.next = page.appointments.last?.reference
        }
        return page
    }

    // MARK: Validation

    func commandContext<Request: Encodable>(_ command: String, _ envelope: Envelope, _ request: Request, actor: String?,
                                                    default fallback: Actor) throws -> CommandContext {
        let header = envelope.header
        var who = fallback
        if let actor {
            guard let parsed = Actor(rawValue: actor) else {
                throw ProtocolError(.validationFailed, "actor must be one of client, admin, system", field: "actor")
            }
            // A claimed actor; a command's own (the system marking a reminder) is the access table's.
            if let peer = PeerIdentity.current, let refusal = CommandAccess.refusal(actingAs: parsed.rawValue, from: peer) {
                throw ProtocolError(.forbidden, "bookingd refused `\(command)`: \(refusal)", field: "actor")
            }
            who = parsed
        }
        if let key = header.idempotencyKey, !FieldLimits.idempotencyKeyBytes.contains(key.utf8.count) {
            let bounds = FieldLimits.idempotencyKeyBytes
            throw ProtocolError(.validationFailed, "an idempotency key has \(bounds.lowerBound) to \(bounds.upperBound) bytes", field: "header.idempotency_key")
        }
        return CommandContext(
            command: command, correlationId: header.id, idempotencyKey: header.idempotencyKey,
            digest: header.idempotencyKey == nil ? "" : BodyDigest.of(try WireJSON.canonical(request)), actor: who, user: header.user, now: clock.now()
        )
    }

    func earlierAnswer(_ context: CommandContext) async throws -> [UInt8]? {
        guard let key = context.idempotencyKey else { return nil }
        return try await store.storedAnswer(idempotencyKey: key, command: context.command, digest: context.digest)?.reply
    }

    private func validatedContact(_ contact: ContactBody) throws(ValidationError) -> ContactInfo {
        try ContactInfo.validated(name: contact.name, email: contact.email, phone: contact.phone, phoneRegion: contact.phoneRegion, company: contact.company)
    }

    private func validatedZone(_ zone: String?) throws -> String {
        guard let zone else { return settings.value.defaultTimeZone }
        guard TimeZone(identifier: zone) != nil else {
            throw ProtocolError(.validationFailed, "'\(zone)' is not an IANA time zone such as Europe/Moscow", field: "time_zone")
        }
        return zone
    }

    private func validatedLocale(_ locale: String?) throws -> String {
        guard let locale else { return SupportedLocale.fallback.rawValue }
        guard let supported = SupportedLocale(rawValue: locale.lowercased()) else {
            let names = SupportedLocale.allCases.map { "'\($0.rawValue)'" }.joined(separator: " or ")
            throw ProtocolError(.validationFailed, "locale must be \(names)", field: "locale")
        }
        return supported.rawValue
    }

    func validatedReason(_ reason: String?, field: String = "reason") throws -> String? {
        guard let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty else { return nil }
        // Both are kept as given: a reason in the history, a client message in the event.
        let maximum = field == "client_message" ? FieldLimits.clientMessageCharacters : FieldLimits.reasonCharacters
        guard reason.count <= maximum else {
            throw ProtocolError(.validationFailed, "a \(field.replacingOccurrences(of: "_", with: " ")) has at most \(maximum) characters", field: field)
        }
        return reason
    }

    /// What the client and the team are told: on the client's own change their own words; on an
    /// admin's or the system's only the text chosen for clients, since that reason is internal.
    private func clientMessage(reason: String?, given: String?, actor: Actor) throws -> String? {
        actor == .client ? reason : try validatedReason(given, field: "client_message")
    }

    private func validatedTopic(_ topic: String?) throws -> String? {
        do {
            return try ConsultationTopic.validated(topic)
        } catch {
            throw ProtocolError(.validationFailed, error.message, field: "topic")
        }
    }

    private func validatedConsents(_ consent: ConsentBody?) throws -> [ConsentRecord] {
        guard let consent else { return [] }
        do {
            return try ConsentRecord.validated(notice: consent.notice, givenAt: consent.at, address: consent.address, marketing: consent.marketing ?? false)
        } catch {
            throw ProtocolError(.validationFailed, error.message, field: error.field)
        }
    }

    private func validatedSource(_ source: LeadSourceBody?) throws -> LeadSource? {
        guard let source else { return nil }
        do {
            return try LeadSource.validated(utmSource: source.utmSource, utmMedium: source.utmMedium, utmCampaign: source.utmCampaign,
                                            referrer: source.referrer)
        } catch {
            throw ProtocolError(.validationFailed, error.message, field: "source.\(error.field)")
        }
    }

    private func bookingLimits(_ check: CheckSlotReply) -> [String: BookingLimits] {
        var limits: [String: BookingLimits] = [:]
        for body in check.limits ?? [] {
            guard let day = try? DateTimeRange(start: body.dayStart, end: body.dayEnd) else { continue }
            limits[body.consultantId] = BookingLimits(spacing: TimeInterval(max(0, body.spacingSeconds)), dailyLimit: body.dailyLimit, day: day)
        }
        return limits
    }

    /// availabilityd validated the formats it keeps; one it sends that does not parse is its fault.
    private func meetingFormats(_ check: CheckSlotReply) throws -> [String: MeetingFormat] {
        var formats: [String: MeetingFormat] = [:]
        for candidate in check.meetings ?? [] {
            let body = candidate.meeting
            do {
                formats[candidate.consultantId] = try MeetingFormat.validated(kind: body.format, link: body.link, address: body.address)
            } catch {
                throw UnreadableReply(message: "availabilityd's reply to '\(MessageType.checkSlot)' has an unusable meeting for \(candidate.consultantId): \(error.message)")
            }
        }
        return formats
    }

    func reference(_ text: String) throws(ReferenceError) -> BookingReference {
        try BookingReference(parsing: text)
    }

    func existing(_ reference: BookingReference) async throws -> Appointment {
        guard let appointment = try await store.appointment(reference: reference) else { throw notFound(reference) }
        return appointment
    }

    private func notFound(_ reference: BookingReference) -> ProtocolError {
        ProtocolError(.notFound, "no appointment has the reference \(reference)", field: "reference")
    }

    private func slot(_ check: CheckSlotReply) throws -> DateTimeRange {
        do {
            return try DateTimeRange(start: check.start, end: check.end)
        } catch {
            throw ProtocolError(.internalError, "availabilityd answered an empty slot")
        }
    }
}

/// FNV-1a over the request in canonical JSON (sorted keys): tells a retry (the same request) from
/// a reused key (another body). Canonical, not the bytes as they came, because the contract
/// compares bodies, not encodings: a client that encodes its retry again (webd on a double
/// click, Foundation's JSONEncoder) may order the keys differently. Only a request that carries
/// a key is hashed. Not a security measure; keys are the client's own.
enum BodyDigest {
    static func of(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

/// Whether new bookings are taken. Read on every booking, so kept in memory; the store keeps
/// it across restarts.
final class PauseSwitch: Sendable {
    private let state: NIOLockedValueBox<String?>

    init(reason: String?) {
        state = NIOLockedValueBox(reason)
    }

    var reason: String? {
        get { state.withLockedValue { $0 } }
        set { state.withLockedValue { $0 = newValue } }
    }
}

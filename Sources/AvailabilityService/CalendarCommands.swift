import AvailabilityStore
import BookingDomain
import BookingProtocol
import CivilTime
import DaemonKit
import Deadlines
import Foundation
import Logging

/// availabilityd's request handlers: slot and calendar queries answered from memory, and the
/// calendar admin (blocked days), persisted in its own database.
struct CalendarCommands: Sendable {
    let view: AvailabilityView
    /// booking.yaml's `meeting:`, for consultants without a format of their own.
    let suiteMeeting: Reloadable<MeetingFormat?>
    let store: any CalendarStore
    let bookingd: DaemonClient
    let clock: SuiteClock
    let control: DaemonControl
    let logger: Logger
    let slotReplies = SlotReplyCache()

    var routes: RequestRoutes {
        var routes = RequestRoutes()
        routes.onEncoded(MessageType.slots, SlotsRequest.self) { request, _ in
            let current = view.current
            let key = SlotReplyCache.Key(request: request, version: current.version, window: current.calendar.bookingWindow(now: clock.now()))
            return try slotReplies.reply(for: key) { try WireJSON.encode(try slots(request, current)) }
        }
        routes.on(MessageType.calendar, CalendarRequest.self) { request, _ in try calendar(request) }
        routes.on(MessageType.checkSlot, CheckSlotRequest.self) { request, _ in try checkSlot(request) }
        routes.on(MessageType.block, BlockRequest.self) { try await block($0, $1) }
        routes.on(MessageType.unblock, UnblockRequest.self) { request, _ in try await unblock(request) }
        routes.on(MessageType.consultants, ConsultantsRequest.self) { request, _ in
            let timeOff = try await store.timeOffEntries()
            let removed = request.includeRemoved == true ? try await store.consultants(active: false) : []
            return ConsultantsReply(consultants: view.consultants.map { consultant in
                var body = ConsultantBody(consultant)
                body.timeOff = timeOff.filter { $0.timeOff.consultantId == consultant.id }.map {
                    TimeOffBody(id: $0.id, start: $0.timeOff.range.start, end: $0.timeOff.range.end, reason: $0.timeOff.reason)
                }
                return body
            } + removed.map(ConsultantBody.init))
        }
        routes.on(MessageType.consultantAdd, ConsultantBody.self) { request, _ in try await addConsultant(request) }
        routes.on(MessageType.consultantEdit, ConsultantEditRequest.self) { request, _ in try await editConsultant(request) }
        routes.on(MessageType.consultantRemove, ConsultantRemoveRequest.self) { try await removeConsultant($0, $1) }
        routes.on(MessageType.timeOffAdd, TimeOffRequest.self) { try await addTimeOff($0, $1) }
        routes.on(MessageType.timeOffRemove, TimeOffRemoveRequest.self) { request, _ in
            guard try await store.removeTimeOff(id: request.id) else {
                throw ProtocolError(.notFound, "no time off has the id \(request.id)", field: "id")
            }
            try await refresh()
            return WithdrawalReply(id: String(request.id), cancelled: [])
        }
        routes.on(MessageType.busyReplace, BusyReplaceRequest.self) { request, _ in try await replaceBusy(request) }
        routes.on(MessageType.busy, BusyRequest.self) { request, _ in try busy(request) }
        routes.on(MessageType.ping, Empty.self) { _, _ in
            let current = view.current
            return control.pingReply(state: current.synced ? "ready" : "syncing", lastSequence: current.synced ? current.sequence : nil,
                                     warnings: warnings(current.calendar))
        }
        return routes
    }

    // MARK: Queries

    private func slots(_ request: SlotsRequest, _ current: AvailabilitySnapshot) throws -> SlotsReply {
        let zone = try timeZone(request.timeZone)
        var from: LocalDate?
        if let text = request.from {
            guard let date = LocalDate(text) else {
                throw ProtocolError(.validationFailed, "'\(text)' is not a date YYYY-MM-DD", field: "from")
            }
            from = date
        }
        let days = request.days ?? view.policy.horizonDays
        guard FieldLimits.slotDays.contains(days) else {
            throw ProtocolError(.validationFailed, "days must be between \(FieldLimits.slotDays.lowerBound) and \(FieldLimits.slotDays.upperBound)", field: "days")
        }
        try knownConsultant(request.consultantId)
        let found = current.availability.slots(
            for: SlotQuery(from: from, days: days, timeZone: zone, consultantId: request.consultantId), booked: current.booked, now: clock.now()
        )
        let slots = found.map { slot in
            SlotBody(
                start: slot.range.start, end: slot.range.end,
                localStart: ISO8601.local(slot.range.start, in: zone), localEnd: ISO8601.local(slot.range.end, in: zone),
                free: slot.freeConsultants.count
            )
        }
        return SlotsReply(timeZone: zone.identifier, slots: slots, warnings: warnings(current.calendar))
    }

    private func calendar(_ request: CalendarRequest) throws -> CalendarReply {
        let first: LocalDate, last: LocalDate
        if let year = request.year {
            guard FieldLimits.calendarYears.contains(year), let start = LocalDate("\(year)-01-01"), let end = LocalDate("\(year)-12-31") else {
                throw ProtocolError(.validationFailed, "year must be between \(FieldLimits.calendarYears.lowerBound) and \(FieldLimits.calendarYears.upperBound)", field: "year")
            }
            (first, last) = (start, end)
        } else {
            guard let fromText = request.from, let from = LocalDate(fromText) else {
                throw ProtocolError(.validationFailed, "give a year, or from (YYYY-MM-DD) and through", field: request.from == nil ? "year" : "from")
            }
            guard let throughText = request.through, let through = LocalDate(throughText), through >= from else {
                throw ProtocolError(.validationFailed, "through must be a date YYYY-MM-DD not before from", field: "through")
            }
            guard from.adding(days: FieldLimits.calendarRangeDays) > through else {
                throw ProtocolError(.validationFailed, "at most two years at a time", field: "through")
            }
            (first, last) = (from, through)
        }
        let calendar = view.current.calendar
        let days = calendar.days(from: first, through: last).map { day in
            CalendarDayBody(date: day.date.description, kind: day.kind.rawValue, opens: day.opens?.description, closes: day.closes?.description, reason: day.reason)
        }
        let warnings = calendar.yearsWithoutData(in: first...last).map(WorkCalendar.missingDataWarning(year:))
        return CalendarReply(timeZone: view.policy.timeZone.identifier, days: days, warnings: warnings)
    }

    /// bookingd asks this before it writes: the calendar's verdict on the slot, and who may work it.
    private func checkSlot(_ request: CheckSlotRequest) throws -> CheckSlotReply {
        try knownConsultant(request.consultantId)
        let current = view.current
        let now = clock.now()
        // Bookings are bookingd's to judge (its database decides); here only the calendar and time off.
        let candidates = try current.availability.freeConsultants(
            at: request.start, consultantId: request.consultantId, booked: [], offering: current.booked, now: now
        )
        let end = request.start.addingTimeInterval(view.policy.slotLength)
        let meetings = candidates.compactMap { id -> CandidateMeetingBody? in
            let own = current.consultants.first { $0.id == id }?.meeting
            return (own ?? suiteMeeting.value).map { CandidateMeetingBody(consultantId: id, meeting: MeetingBody($0)) }
        }
        let limits = candidates.compactMap { id -> CandidateLimitsBody? in
            current.availability.bookingLimits(of: id, at: request.start).map {
                CandidateLimitsBody(consultantId: id, spacingSeconds: Int($0.spacing), dailyLimit: $0.dailyLimit, dayStart: $0.day.start, dayEnd: $0.day.end)
            }
        }
        return CheckSlotReply(start: request.start, end: end, candidates: candidates, horizonEnd: current.calendar.bookingWindow(now: now).end,
                              meetings: meetings, limits: limits.isEmpty ? nil : limits)
    }

    // MARK: Admin

    private func block(_ request: BlockRequest, _ header: MessageHeader) async throws -> BlockReply {
        let (from, through) = try dateRange(request.from, request.through)
        let calendar = view.current.calendar
        let today = calendar.today(now: clock.now())
        guard from >= today else {
            throw ProtocolError(.validationFailed, "\(from) is in the past (today is \(today) in \(view.policy.timeZone.identifier)); "
                                + "only today and later days can be blocked", field: "from")
        }
        // Days without consultations anyway: blocking them changes nothing, which may not be what was meant.
        var warnings: [String] = []
        var date = from
        while date <= through {
            let day = calendar.day(date)
            if day.opens == nil && day.kind != .blocked {
                warnings.append("\(date) is a \(day.kind.rawValue.replacingOccurrences(of: "_", with: " "))\(day.reason.map { " (\($0))" } ?? ""); it has no consultations anyway")
            }
            date = date.adding(days: 1)
        }
        let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard FieldLimits.calendarReasonCharacters.contains(reason.count) else {
            let bounds = FieldLimits.calendarReasonCharacters
            throw ProtocolError(.validationFailed, "a reason of \(bounds.lowerBound) to \(bounds.upperBound) characters is required", field: "reason")
        }
        let period = BlockedPeriod(from: from, through: through, reason: reason)
        let zone = view.policy.timeZone
        var id: Int64 = 0
        let withdrawal = try await withdraw(
            from: from.start(in: zone), to: through.adding(days: 1).start(in: zone), consultant: nil, force: request.force == true,
            what: "on those days", reason: "The day was blocked: \(reason)", clientMessage: try validatedClientMessage(request.clientMessage),
            key: "block-\(from)-\(through)", user: header.user,
            apply: { id = try await store.block(period, user: header.user, at: clock.now()) },
            revert: { try await store.removeBlock(id: id) }
        )
        logger.notice("blocked days", metadata: ["from": "\(from)", "through": "\(through)", "cancelled": "\(withdrawal.cancelled.count)", "user": "\(header.user ?? "-")"])
        return BlockReply(blocked: BlockedPeriodBody(from: from.description, through: through.description, reason: reason), cancelled: withdrawal.cancelled,
                          warnings: warnings)
    }

    /// What a forced withdrawal did with the bookings in its way.
    private struct Withdrawal: Sendable {
        var moved: [MovedBookingBody] = []
        var cancelled: [String] = []
    }

    /// Takes slots out of the offer (a block, a consultant, time off). The change is applied first,
    /// so no booking lands there while the bookings it affects are looked up; then, without
    /// `force`, it is undone and refused with their references. With `force`, the system gives
    /// each of one consultant's bookings to a colleague free at the same time (bookingd's fair
    /// assignment) and cancels those nobody can take; a block takes the day from everyone, so
    /// its bookings are cancelled. `reason` stays internal (the history); clients and the team
    /// are told `clientMessage`, or their templates' neutral words. `user`: the admin who asked,
    /// named in each changed booking's history.
    private func withdraw(from: Date, to: Date, consultant: String?, force: Bool, what: String, reason: String, clientMessage: String?, key: String,
                          user: String?, apply: () async throws -> Void, revert: () async throws -> Void) async throws -> Withdrawal {
        try await apply()
        try await refresh()
        let affected: [AppointmentBody]
        do {
            // Holds are moved or cancelled like confirmed bookings: they take the same time.
            var listed: [AppointmentBody] = []
            for status in AppointmentStatus.allCases where status.isActive {
                listed += try await bookingd.allAppointments(
                    ListRequest(from: from, to: to, status: status.rawValue, limit: PageLimit.list.maximum)
                )
            }
            affected = listed.filter { consultant == nil || $0.consultantId == consultant }.sorted { $0.start < $1.start }
        } catch {
            try await RequestDeadline.lifted(revert)
            try await refresh()
            throw error
        }
        if !affected.isEmpty && !force {
            try await RequestDeadline.lifted(revert)
            try await refresh()
            let count = affected.count
            throw ProtocolError(
                .conflict,
                "\(count) active booking\(count == 1 ? "" : "s") \(what); repeat with force to give \(count == 1 ? "it" : "them") to a free colleague or cancel",
                references: affected.map(\.reference)
            )
        }
        // The change is committed: its bookings are moved or cancelled to the end, past the
        // request's deadline if need be, or some would be left on time nobody works while the
        // admin hears of a failure. Each call has its idempotency key, so a retry redoes nothing.
        return try await RequestDeadline.lifted {
            var withdrawal = Withdrawal()
            for appointment in affected {
                if consultant != nil, let moved = try await reassign(appointment, reason: reason, clientMessage: clientMessage, key: key, user: user) {
                    withdrawal.moved.append(MovedBookingBody(reference: moved.reference, consultantId: moved.consultantId))
                    continue
                }
                do {
                    let _: AppointmentBody = try await bookingd.call(
                        MessageType.cancel, CancelRequest(reference: appointment.reference, reason: reason, clientMessage: clientMessage, actor: Actor.system.rawValue),
                        idempotencyKey: "\(key)-\(appointment.reference)", onBehalfOf: user
                    )
                    withdrawal.cancelled.append(appointment.reference)
                } catch let error as ProtocolError where error.code == .invalidTransition {
                    // It ended meanwhile (its client cancelled it, or its hold was released): nothing to take away.
                    logger.info("a booking to withdraw had ended meanwhile", metadata: ["reference": "\(BookingReference.masked(appointment.reference))"])
                }
            }
            return withdrawal
        }
    }

    /// The appointment at the same time with a colleague, or nil when the calendar lets nobody take it.
    private func reassign(_ appointment: AppointmentBody, reason: String, clientMessage: String?, key: String, user: String?) async throws -> AppointmentBody? {
        do {
            return try await bookingd.call(
                MessageType.reschedule,
                RescheduleRequest(reference: appointment.reference, start: appointment.start, reason: reason, clientMessage: clientMessage,
                                  actor: Actor.system.rawValue),
                idempotencyKey: "\(key)-move-\(appointment.reference)", onBehalfOf: user
            )
        } catch let refusal as ProtocolError where Self.nobodyCanTakeIt.contains(refusal.code) {
            return nil
        }
    }

    /// bookingd's refusals of a move that leave cancelling as the only way: no colleague is free,
    /// or the slot's time is past or too close for the calendar to offer it again.
    private static let nobodyCanTakeIt: Set<ErrorCode> = [.slotUnavailable, .tooSoon, .inPast]

    private func validatedClientMessage(_ message: String?) throws -> String? {
        guard let message = message?.trimmingCharacters(in: .whitespacesAndNewlines), !message.isEmpty else { return nil }
        guard message.count <= FieldLimits.clientMessageCharacters else {
            throw ProtocolError(.validationFailed, "a client message has at most \(FieldLimits.clientMessageCharacters) characters", field: "client_message")
        }
        return message
    }

    private func addConsultant(_ request: ConsultantBody) async throws -> ConsultantBody {
        let id = request.id.trimmingCharacters(in: .whitespaces)
        guard Consultant.isValidId(id) else {
            throw ProtocolError(.validationFailed, "a consultant id has 1 to 64 letters, digits, '-' or '_'", field: "id")
        }
        let consultant = Consultant(id: id, name: try validatedName(request.name), email: try validatedEmail(request.email),
                                    timeZone: try validatedZone(request.timeZone), locale: try validatedLocale(request.locale) ?? .fallback,
                                    meeting: try request.meeting.map(validatedMeeting),
                                    schedule: try validatedSchedule(.businessHours, hours: request.hours, bufferBeforeMinutes: request.bufferBeforeMinutes,
                                                                    bufferAfterMinutes: request.bufferAfterMinutes, dailyLimit: request.dailyLimit))
        do {
            try await store.addConsultant(consultant)
        } catch let error as ConsultantExists {
            throw ProtocolError(.conflict, error.description, field: "id")
        }
        try await refresh()
        logger.notice("consultant added", metadata: ["id": "\(id)"])
        return ConsultantBody(consultant)
    }

    private func editConsultant(_ request: ConsultantEditRequest) async throws -> ConsultantBody {
        try knownConsultant(request.id)
        guard var consultant = view.consultants.first(where: { $0.id == request.id }) else {
            throw ProtocolError(.notFound, "no consultant has the id '\(request.id)'", field: "id")
        }
        guard request.name != nil || request.email != nil || request.timeZone != nil || request.locale != nil || request.meeting != nil
                || request.changesSchedule else {
            throw ProtocolError(.validationFailed, "give at least one of name, email, time_zone, locale, meeting, hours, buffer_before_minutes, "
                                + "buffer_after_minutes, daily_limit", field: "name")
        }
        if let name = request.name { consultant.name = try validatedName(name) }
        if let email = request.email { consultant.email = try validatedEmail(email) }
        if let zone = request.timeZone { consultant.timeZone = try validatedZone(zone) }
        if let locale = try validatedLocale(request.locale) { consultant.locale = locale }
        if let meeting = request.meeting { consultant.meeting = try validatedMeeting(meeting) }
        consultant.schedule = try validatedSchedule(
            consultant.schedule, hours: request.hours, bufferBeforeMinutes: request.bufferBeforeMinutes, bufferAfterMinutes: request.bufferAfterMinutes,
            dailyLimit: request.dailyLimit
        )
        try await store.updateConsultant(consultant)
        try await refresh()
        logger.notice("consultant edited", metadata: ["id": "\(consultant.id)"])
        return ConsultantBody(consultant)
    }

    /// A consultant's name is held to the rules of a client's: clients read it in every message.
    private func validatedName(_ raw: String) throws -> String {
        do {
            return try ContactInfo.validatedName(raw)
        } catch {
            throw ProtocolError(.validationFailed, error.message, field: "name")
        }
    }

    private func validatedEmail(_ raw: String?) throws -> String {
        do {
            return try Consultant.validatedEmail(raw)
        } catch {
            throw ProtocolError(.validationFailed, error.message, field: "email")
        }
    }

    private func validatedZone(_ zone: String) throws -> String {
        guard TimeZone(identifier: zone) != nil else {
            throw ProtocolError(.validationFailed, "'\(zone)' is not an IANA time zone", field: "time_zone")
        }
        return zone
    }

    private func validatedLocale(_ raw: String?) throws -> SupportedLocale? {
        guard let raw else { return nil }
        guard let locale = SupportedLocale(rawValue: raw.lowercased()) else {
            throw ProtocolError(.validationFailed, "locale must be one of \(SupportedLocale.allCases.map(\.rawValue).joined(separator: ", "))", field: "locale")
        }
        return locale
    }

    /// `schedule` with the given fields changed (absent ones stay): an empty `hours` means the
    /// business hours again, a `dailyLimit` of 0 no cap.
    private func validatedSchedule(_ schedule: ConsultantSchedule, hours: String?, bufferBeforeMinutes: Int?, bufferAfterMinutes: Int?,
                                   dailyLimit: Int?) throws(ProtocolError) -> ConsultantSchedule {
        let text = hours?.trimmingCharacters(in: .whitespaces)
        let before = bufferBeforeMinutes.map { TimeInterval($0) * 60 } ?? schedule.bufferBefore
        let after = bufferAfterMinutes.map { TimeInterval($0) * 60 } ?? schedule.bufferAfter
        let limit = dailyLimit.map { $0 == 0 ? nil : $0 } ?? schedule.dailyLimit
        do throws(ScheduleError) {
            let weekly = try text.map { text throws(ScheduleError) in text.isEmpty ? nil : try WeeklyHours(parsing: text) } ?? schedule.hours
            return try ConsultantSchedule.validated(hours: weekly, bufferBefore: before, bufferAfter: after, dailyLimit: limit)
        } catch {
            throw ProtocolError(.validationFailed, error.message, field: error.field)
        }
    }

    private func validatedMeeting(_ body: MeetingBody) throws -> MeetingFormat {
        do {
            return try MeetingFormat.validated(kind: body.format, link: body.link, address: body.address)
        } catch {
            throw ProtocolError(.validationFailed, error.message, field: "meeting.\(error.field.rawValue)")
        }
    }

    private func removeConsultant(_ request: ConsultantRemoveRequest, _ header: MessageHeader) async throws -> WithdrawalReply {
        try knownConsultant(request.id)
        guard view.consultants.count > 1 else {
            throw ProtocolError(.conflict, "'\(request.id)' is the last consultant; add another first", field: "id")
        }
        let now = clock.now()
        let withdrawal = try await withdraw(
            from: now, to: now.addingTimeInterval(400 * 86_400), consultant: request.id, force: request.force == true,
            what: "with \(request.id)", reason: "The consultant was removed", clientMessage: try validatedClientMessage(request.clientMessage),
            key: "remove-\(request.id)", user: header.user,
            apply: { try await store.setConsultant(request.id, active: false) },
            revert: { try await store.setConsultant(request.id, active: true) }
        )
        logger.notice("consultant removed", metadata: ["id": "\(request.id)", "moved": "\(withdrawal.moved.count)", "cancelled": "\(withdrawal.cancelled.count)"])
        return WithdrawalReply(id: request.id, cancelled: withdrawal.cancelled, moved: withdrawal.moved)
    }

    private func addTimeOff(_ request: TimeOffRequest, _ header: MessageHeader) async throws -> WithdrawalReply {
        try knownConsultant(request.consultantId)
        let (from, through) = try dateRange(request.from, request.through)
        let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard FieldLimits.calendarReasonCharacters.contains(reason.count) else {
            let bounds = FieldLimits.calendarReasonCharacters
            throw ProtocolError(.validationFailed, "a reason of \(bounds.lowerBound) to \(bounds.upperBound) characters is required", field: "reason")
        }
        let zone = view.policy.timeZone
        let range = try DateTimeRange(start: from.start(in: zone), end: through.adding(days: 1).start(in: zone))
        var id: Int64 = 0
        let withdrawal = try await withdraw(
            from: range.start, to: range.end, consultant: request.consultantId, force: request.force == true,
            what: "with \(request.consultantId) then", reason: "The consultant is away: \(reason)",
            clientMessage: try validatedClientMessage(request.clientMessage), key: "time-off-\(request.consultantId)-\(from)-\(through)",
            user: header.user,
            apply: { id = try await store.addTimeOff(TimeOff(consultantId: request.consultantId, range: range, reason: reason)) },
            revert: { _ = try await store.removeTimeOff(id: id) }
        )
        return WithdrawalReply(id: String(id), cancelled: withdrawal.cancelled, moved: withdrawal.moved)
    }

    private func unblock(_ request: UnblockRequest) async throws -> UnblockReply {
        let (from, through) = try dateRange(request.from, request.through)
        let removed = try await store.unblock(from: from, through: through, at: clock.now())
        try await refresh()
        guard !removed.isEmpty else {
            throw ProtocolError(.notFound, "no blocked day between \(from) and \(through)", field: "from")
        }
        return UnblockReply(removed: removed.map { BlockedPeriodBody(from: $0.from.description, through: $0.through.description, reason: $0.reason) })
    }

    // MARK: Busy time

    /// Takes a source's busy time for a consultant, and names the booked slots it now overlaps
    /// (buffers included). Those stay booked: cancelling is a person's decision.
    private func replaceBusy(_ request: BusyReplaceRequest) async throws -> BusyReplaceReply {
        try knownConsultant(request.consultantId)
        let source = request.source
        guard FieldLimits.busySourceCharacters.contains(source.count),
              source.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }) else {
            throw ProtocolError(.validationFailed, "a source has 1 to 64 letters, digits, '-', '_', '.' or ':'", field: "source")
        }
        guard FieldLimits.busyIntervals.contains(request.intervals.count) else {
            throw ProtocolError(.validationFailed, "at most \(FieldLimits.busyIntervals.upperBound) intervals at a time", field: "intervals")
        }
        var intervals: [BusyInterval] = []
        intervals.reserveCapacity(request.intervals.count)
        for (index, body) in request.intervals.enumerated() {
            guard let range = try? DateTimeRange(start: body.start, end: body.end) else {
                throw ProtocolError(.validationFailed, "interval \(index) ends before it starts", field: "intervals.\(index).end")
            }
            if let eventId = body.eventId, !FieldLimits.busyEventIdCharacters.contains(eventId.count) {
                throw ProtocolError(.validationFailed, "an event id has 1 to \(FieldLimits.busyEventIdCharacters.upperBound) characters",
                                    field: "intervals.\(index).event_id")
            }
            intervals.append(BusyInterval(consultantId: request.consultantId, range: range, source: source, eventId: body.eventId))
        }
        let now = clock.now()
        try await store.replaceBusy(consultantId: request.consultantId, source: source, with: intervals, now: now)
        try await refresh()
        let current = view.current
        let schedule = current.consultants.first { $0.id == request.consultantId }?.schedule ?? .businessHours
        let length = current.policy.slotLength
        let conflicts = current.booked.filter { $0.consultantId == request.consultantId && $0.start > now }.sorted { $0.start < $1.start }
            .compactMap { booked -> BusyConflictBody? in
                let slot = try? DateTimeRange(start: booked.start, end: booked.start.addingTimeInterval(length))
                guard let slot, let hit = intervals.first(where: { !schedule.isClear(slot, of: $0.range) }) else { return nil }
                return BusyConflictBody(start: booked.start, eventId: hit.eventId)
            }
        logger.info("busy time replaced", metadata: ["consultant": "\(request.consultantId)", "source": "\(source)", "intervals": "\(intervals.count)",
                                                     "conflicts": "\(conflicts.count)"])
        return BusyReplaceReply(consultantId: request.consultantId, source: source, count: intervals.count { $0.range.end > now }, conflicts: conflicts)
    }

    private func busy(_ request: BusyRequest) throws -> BusyReply {
        try knownConsultant(request.consultantId)
        let current = view.current
        let from = request.from ?? clock.now()
        let to = request.to ?? current.calendar.bookingWindow(now: clock.now()).end
        guard to > from else { throw ProtocolError(.validationFailed, "to must be after from", field: "to") }
        let intervals = current.availability.busy.filter {
            (request.consultantId == nil || $0.consultantId == request.consultantId) && $0.range.start < to && $0.range.end > from
        }
        return BusyReply(intervals: intervals.map {
            BusyIntervalBody(start: $0.range.start, end: $0.range.end, eventId: $0.eventId, source: $0.source, consultantId: $0.consultantId)
        })
    }

    // MARK: Helpers

    /// Rebuilds the view from the database: blocked days, consultants, time off, busy time.
    func refresh() async throws {
        let served = try await store.served(now: clock.now())
        let current = view.current
        view.reconfigure(policy: current.policy, production: current.calendar.production, served: served)
    }

    private func dateRange(_ fromText: String, _ throughText: String) throws -> (LocalDate, LocalDate) {
        guard let from = LocalDate(fromText) else {
            throw ProtocolError(.validationFailed, "'\(fromText)' is not a date YYYY-MM-DD", field: "from")
        }
        guard let through = LocalDate(throughText) else {
            throw ProtocolError(.validationFailed, "'\(throughText)' is not a date YYYY-MM-DD", field: "through")
        }
        guard through >= from else {
            throw ProtocolError(.validationFailed, "through (\(through)) is before from (\(from))", field: "through")
        }
        guard from.adding(days: FieldLimits.blockRangeDays) > through else {
            throw ProtocolError(.validationFailed, "at most a year at a time", field: "through")
        }
        return (from, through)
    }

    private func timeZone(_ identifier: String?) throws -> TimeZone {
        guard let identifier else { return view.policy.timeZone }
        guard let zone = TimeZone(identifier: identifier) else {
            throw ProtocolError(.validationFailed, "'\(identifier)' is not an IANA time zone such as Europe/Moscow", field: "time_zone")
        }
        return zone
    }

    private func knownConsultant(_ id: String?) throws {
        guard let id else { return }
        guard view.consultants.contains(where: { $0.id == id }) else {
            throw ProtocolError(.notFound, "no consultant has the id '\(id)'", field: "consultant_id")
        }
    }

    func warnings(_ calendar: WorkCalendar) -> [String] {
        let today = LocalDate.containing(clock.now(), in: view.policy.timeZone)
        let last = today.adding(days: view.policy.horizonDays)
        return calendar.yearsWithoutData(in: today...last).map(WorkCalendar.missingDataWarning(year:))
    }
}

extension ConsultantBody {
    init(_ consultant: Consultant) {
        let schedule = consultant.schedule
        self.init(id: consultant.id, name: consultant.name, email: consultant.email, timeZone: consultant.timeZone, locale: consultant.locale.rawValue,
                  meeting: consultant.meeting.map(MeetingBody.init), hours: schedule.hours?.description,
                  bufferBeforeMinutes: schedule.bufferBefore > 0 ? Int(schedule.bufferBefore / 60) : nil,
                  bufferAfterMinutes: schedule.bufferAfter > 0 ? Int(schedule.bufferAfter / 60) : nil, dailyLimit: schedule.dailyLimit)
    }
}

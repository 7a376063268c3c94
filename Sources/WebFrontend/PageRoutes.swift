import BookingDomain
import BookingProtocol
import CivilTime
import Crypto
import DaemonKit
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PhoneNumbers
import WebInput

/// The booking page's handlers: GET renders, POST checks and redirects (303) on success, so a
/// reload never sends a form twice.
extension BookingWebsite {
    static let maximumFormBytes = 16 * 1024

    func readForm(_ request: Request) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: Self.maximumFormBytes)
        return parseForm(String(buffer: buffer))
    }

    /// A failure as a page, mapped like every other error (`ErrorResponseMiddleware`), with the
    /// visitor's language and cookies.
    func failurePage(_ visitor: Visitor, _ error: any Error) -> Response {
        let problem = ErrorResponseMiddleware.problem(for: error, path: visitor.pages.here, logger: logger)
        var response = ErrorResponseMiddleware.page(problem, language: visitor.language, pages: visitor.pages)
        remember(visitor, in: &response)
        return response
    }

    // MARK: Step 1

    func pickPage(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        var visitor = visitor(request, context)
        do {
            async let pause = bookingPause()
            let calendar = try await calendar(for: visitor, asked: request.uri.queryParameters.get("date"))
            let arrival = visitOnPage(request)
            visitor.pages.visitToken = arrival.token
            let response = html(.ok, visitor.pages.pickPage(calendar, pause: await pause), visitor: visitor)
            count(calendar.slotsByDay.isEmpty ? [] : [.slots], of: arrival)
            return response
        } catch {
            return failurePage(visitor, error)
        }
    }

    // MARK: Step 2

    func formPage(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        let visitor = visitor(request, context)
        guard let startText = request.uri.queryParameters.get("start"), let start = ISO8601.parseInstant(String(startText)) else {
            return redirect("/", visitor: visitor)
        }
        do {
            try limitSlotQuery(visitor.address)
        } catch {
            return failurePage(visitor, error)
        }
        var form = Pages.BookingForm()
        form.start = ISO8601.instant(start)
        form.country = visitor.defaultPhoneRegion
        return await renderForm(visitor, form: form, errors: [:], message: nil, status: .ok, counting: visitOnPage(request))
    }

    /// Whether bookings are paused, for the page to say so before anyone types. The page is
    /// still shown when bookingd does not answer: its slots come from availabilityd, and a
    /// booking sent meanwhile gets bookingd's own answer.
    func bookingPause() async -> BookingPause? {
        do {
            return try await services.bookingPause()
        } catch {
            logger.warning("cannot learn whether bookings are paused", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// The form, with the chosen slot when it is still free, or with the day's fresh slots.
    /// `refusedByPause`: the message is the pause's, from the one look at it the page takes.
    /// `counting`: the visit of a form shown for a chosen slot (GET), which counts `chose`, or
    /// `slots` when the slot went and the day's others are offered; a form shown again after a
    /// post carries the posted visit (`visitor.pages`) and counts nothing.
    func renderForm(_ visitor: Visitor, form: Pages.BookingForm, errors: [String: String], message: String?, status: HTTPResponse.Status,
                    slotGone: Bool = false, refusedByPause: Bool = false, extraHeaders: HTTPFields = [:], counting: VisitOnPage? = nil) async -> Response {
        var visitor = visitor
        if let counting { visitor.pages.visitToken = counting.token }
        let now = clock.now()
        let start = ISO8601.parseInstant(form.start)
        let day = start.map { LocalDate.containing($0, in: visitor.zone) } ?? LocalDate.containing(now, in: visitor.zone)
        var slot: (Date, Date)?
        var fresh: [SlotBody]?
        async let lookAtPause = bookingPause()
        do {
            let reply = try await services.slots(SlotsRequest(from: day.description, days: 1, timeZone: visitor.zone.identifier))
            if !slotGone, let start, let match = reply.slots.first(where: { $0.start == start }) {
                slot = (match.start, match.end)
            } else {
                fresh = reply.slots
            }
        } catch {
            return failurePage(visitor, error)
        }
        let pause = await lookAtPause
        var message = refusedByPause ? visitor.language.text(.pausedFormKept(pause?.publicReason)) : message
        var errors = errors
        if slot == nil && !slotGone && start != nil && message == nil {
            // The slot went between step 1 and step 2: say so, offer the day's others.
            message = visitor.language.text(.slotTaken)
            errors["start"] = nil
        }
        var form = form
        if slot == nil { form.start = "" }
        let page = visitor.pages.formPage(
            form: form, slot: slot, freshSlots: fresh, errors: errors, message: message,
            formToken: formTokens.issue(session: visitor.session, now: now), powChallenge: await challenge(now: now),
            policyLink: policyLink(visitor.language), backDate: day.description, pause: pause
        )
        let response = html(status, page, visitor: visitor, extraHeaders: extraHeaders)
        if let counting { count(slot != nil ? [.chose] : fresh?.isEmpty == false ? [.slots] : [], of: counting) }
        return response
    }

    func submitBooking(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        let fields = try await readForm(request)
        var visitor = visitor(request, context, form: fields)
        // A form refused and shown again stays in its visit; only a visit it carried counts on.
        let posted = postedVisit(fields)
        visitor.pages.visitToken = posted?.token
        let language = visitor.language
        var form = Pages.BookingForm()
        form.start = fields["start"] ?? ""
        form.name = fields["name"] ?? ""
        form.email = fields["email"] ?? ""
        form.country = fields["country"].flatMap { PhoneNumbers.isRegion($0) ? $0 : nil } ?? visitor.defaultPhoneRegion
        form.phone = fields["phone"] ?? ""
        form.company = fields["company"] ?? ""
        form.topic = fields["topic"] ?? ""
        form.consent = fields["consent"] == "yes"
        form.marketing = fields["marketing"] == "yes"
        let now = clock.now()

        // The honeypot and the form token first: bots and forged posts get nothing further.
        if let trap = fields["website"], !trap.isEmpty {
            logger.notice("booking form refused: honeypot filled", metadata: ["client": "\(visitor.address)"])
            return await renderForm(visitor, form: form, errors: [:], message: language.text(.somethingWrong), status: .forbidden)
        }
        do {
            try formTokens.verify(fields["form_token"], session: request.cookies["bk_session"]?.value, now: now,
                                  minimumFill: TimeInterval(configuration.minFillSeconds))
        } catch .tooFast(let seconds) {
            return await renderForm(visitor, form: form, errors: [:], message: language.text(.tooFast(seconds)), status: .unprocessableContent)
        } catch {
            logger.notice("booking form refused: form token \(error)", metadata: ["client": "\(visitor.address)"])
            return await renderForm(visitor, form: form, errors: [:], message: language.text(.formExpired), status: .forbidden)
        }
        if case .limited(let seconds) = limitAddress(visitor.address) {
            return await renderForm(visitor, form: form, errors: [:], message: language.text(.rateLimited(seconds)), status: .tooManyRequests,
                                    extraHeaders: [.retryAfter: String(seconds)])
        }

        // The fields, each error beside its own.
        var errors: [String: String] = [:]
        guard let start = ISO8601.parseInstant(form.start) else {
            return await renderForm(visitor, form: form, errors: ["start": language.text(.pickAnother)], message: language.text(.pickAnother),
                                    status: .unprocessableContent, slotGone: true)
        }
        // Every field by its own rule, so every error shows at once.
        let checked = ContactInfo.validatingEachField(name: form.name, email: form.email, phone: form.phone, phoneRegion: form.country,
                                                      company: form.company)
        for error in checked.errors { errors[error.field.rawValue] = language.text(.invalidContact(error.field, error.kind)) }
        let contact = checked.contact
        var topic: String?
        do {
            topic = try ConsultationTopic.validated(form.topic)
        } catch {
            errors["topic"] = language.text(.invalidTopic(error))
        }
        if !form.consent { errors["consent"] = language.text(.consentRequired) }
        guard errors.isEmpty, let contact else {
            return await renderForm(visitor, form: form, errors: errors, message: nil, status: .unprocessableContent)
        }

        // Proof of work: solved by the page's script; without it, a small shared allowance.
        if let field = fields["pow"], !field.isEmpty {
            do {
                try proofOfWork.verify(ProofOfWorkSolution(field: field), now: now)
            } catch {
                logger.notice("booking form refused: \(error)", metadata: ["client": "\(visitor.address)"])
                return await renderForm(visitor, form: form, errors: [:], message: language.text(.proofOfWorkFailed), status: .forbidden)
            }
        } else if !takeNoScriptBooking() {
            return await renderForm(visitor, form: form, errors: [:], message: language.text(.noScriptLimited), status: .tooManyRequests,
                                    extraHeaders: [.retryAfter: "600"])
        }

        // One form sent twice (a double click, a retry) books once.
        let key = "web-" + String(ProofOfWork.hex(Array(SHA256.hash(data: Array("\(visitor.session)|\(fields["form_token"] ?? "")|\(form.start)".utf8)))).prefix(40))
        do {
            let appointment = try await book(start: start, contact: contact, topic: topic, timeZone: visitor.zone.identifier, locale: language.rawValue,
                                             marketing: form.marketing, address: visitor.address, idempotencyKey: key,
                                             visit: posted?.visit, source: posted?.visit.source)
            return redirect("/manage/\(appointment.reference)?done=booked", visitor: visitor)
        } catch let problem as Problem where problem.code == "rate_limited" {
            let seconds = problem.retryAfter ?? 60
            return await renderForm(visitor, form: form, errors: [:], message: language.text(.rateLimited(seconds)), status: .tooManyRequests,
                                    extraHeaders: [.retryAfter: String(seconds)])
        } catch let error as ProtocolError {
            switch error.code {
            case .slotUnavailable, .inPast, .tooSoon, .offGrid, .outsideWorkingHours, .beyondHorizon:
                return await renderForm(visitor, form: form, errors: [:], message: language.text(.slotTaken), status: .conflict, slotGone: true)
            case .unavailable:
                // Paused (or the core is briefly down): nothing typed is lost.
                return await renderForm(visitor, form: form, errors: [:], message: nil, status: .serviceUnavailable, refusedByPause: true,
                                        extraHeaders: [.retryAfter: String(Problem.unavailableRetrySeconds)])
            case .contactLimitReached:
                // bookingd's answer names the field; webd does not know the limit, so the
                // message has no number.
                let field = ContactField.allCases.first { error.field == "contact.\($0.rawValue)" }
                let message = language.text(.contactLimitReached(field))
                return await renderForm(visitor, form: form, errors: field.map { [$0.rawValue: message] } ?? [:], message: message, status: .conflict)
            default:
                return failurePage(visitor, error)
            }
        } catch {
            return failurePage(visitor, error)
        }
    }

    // MARK: Managing

    func findPage(_ request: Request, _ context: WebRequestContext) -> Response {
        let visitor = visitor(request, context)
        guard let typed = request.uri.queryParameters.get("reference"), !typed.isEmpty else {
            return html(.ok, visitor.pages.findPage(reference: "", message: nil), visitor: visitor)
        }
        guard let reference = Self.reference(typed) else {
            return html(.unprocessableContent, visitor.pages.findPage(reference: typed, message: visitor.language.text(.referenceNotFound)), visitor: visitor)
        }
        return redirect("/manage/\(reference)", visitor: visitor)
    }

    enum Lookup {
        case found(AppointmentBody)
        case refused(Response)
    }

    /// The appointment behind a reference in the path, or the page that says there is none.
    func lookUp(_ visitor: Visitor, _ context: WebRequestContext) async -> Lookup {
        if case .limited(let seconds) = limitAddress(visitor.address) {
            return .refused(html(.tooManyRequests, visitor.pages.messagePage(title: visitor.language.text(.manageTitle), message: visitor.language.text(.rateLimited(seconds))),
                                 visitor: visitor, extraHeaders: [.retryAfter: String(seconds)]))
        }
        guard let reference = Self.reference(context.parameters.get("reference")) else {
            return .refused(html(.notFound, visitor.pages.findPage(reference: context.parameters.get("reference") ?? "", message: visitor.language.text(.referenceNotFound)), visitor: visitor))
        }
        do {
            return .found(try await services.appointment(reference.description))
        } catch let error as ProtocolError where error.code == .notFound || error.code == .invalidReference {
            return .refused(html(.notFound, visitor.pages.findPage(reference: reference.description, message: visitor.language.text(.referenceNotFound)), visitor: visitor))
        } catch {
            return .refused(failurePage(visitor, error))
        }
    }

    /// A form posted about the booking in the path: `handle` gets its fields, who posted it and
    /// the booking; a refused reference gets its page instead.
    func withPostedBooking(_ request: Request, _ context: WebRequestContext,
                           _ handle: (Request, [String: String], Visitor, AppointmentBody) async throws -> Response) async throws -> Response {
        let fields = try await readForm(request)
        let visitor = visitor(request, context, form: fields)
        switch await lookUp(visitor, context) {
        case .refused(let response): return response
        case .found(let appointment): return try await handle(request, fields, visitor, appointment)
        }
    }

    func managePage(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        let visitor = visitor(request, context)
        switch await lookUp(visitor, context) {
        case .refused(let response): return response
        case .found(let appointment):
            let done = request.uri.queryParameters.get("done")
            let page = visitor.pages.appointmentPage(appointment, done: done, manageURL: manageURL(appointment.reference),
                                                     formToken: formTokens.issue(session: visitor.session, now: clock.now()))
            return html(.ok, page, visitor: visitor)
        }
    }

    func calendarFile(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        let visitor = visitor(request, context)
        switch await lookUp(visitor, context) {
        case .refused(let response): return response
        case .found(let appointment): return calendarFile(appointment, language: visitor.language)
        }
    }

    /// The appointment's `.ics`, in the language it was booked in (`language` if that is not one
    /// the page speaks).
    func calendarFile(_ appointment: AppointmentBody, language: SupportedLocale) -> Response {
        let body = CalendarFile.render(appointment, manageURL: manageURL(appointment.reference), language: SupportedLocale(rawValue: appointment.locale) ?? language,
                                       now: clock.now())
        return Response(status: .ok, headers: [
            .contentType: "text/calendar; charset=utf-8", .cacheControl: "no-store",
            .contentDisposition: "attachment; filename=\"consultation.ics\"",
        ], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    func reschedulePage(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        let visitor = visitor(request, context)
        switch await lookUp(visitor, context) {
        case .refused(let response): return response
        case .found(let appointment):
            return await renderReschedule(visitor, appointment, asked: request.uri.queryParameters.get("date"), message: nil, status: .ok)
        }
    }

    func renderReschedule(_ visitor: Visitor, _ appointment: AppointmentBody, asked: String?, message: String?, status: HTTPResponse.Status) async -> Response {
        guard appointment.status == "confirmed" else {
            return html(.conflict, visitor.pages.messagePage(title: visitor.language.text(.rescheduleTitle), message: visitor.language.text(.alreadyCancelled)), visitor: visitor)
        }
        do {
            let calendar = try await calendar(for: visitor, asked: asked)
            let page = visitor.pages.reschedulePage(appointment, calendar: calendar, formToken: formTokens.issue(session: visitor.session, now: clock.now()), message: message)
            return html(status, page, visitor: visitor)
        } catch {
            return failurePage(visitor, error)
        }
    }

    func submitReschedule(_ request: Request, fields: [String: String], visitor: Visitor, appointment: AppointmentBody) async throws -> Response {
        do {
            try formTokens.verify(fields["form_token"], session: request.cookies["bk_session"]?.value, now: clock.now(), minimumFill: 0)
        } catch {
            return await renderReschedule(visitor, appointment, asked: nil, message: visitor.language.text(.formExpired), status: .forbidden)
        }
        guard let start = fields["start"].flatMap(ISO8601.parseInstant) else {
            return await renderReschedule(visitor, appointment, asked: nil, message: visitor.language.text(.pickAnother), status: .unprocessableContent)
        }
        let day = LocalDate.containing(start, in: visitor.zone).description
        guard fields["confirm"] == "yes" else {
            // First the question, with the new time as it is free now.
            guard appointment.status == "confirmed" else { return await renderReschedule(visitor, appointment, asked: day, message: nil, status: .conflict) }
            do {
                let reply = try await services.slots(SlotsRequest(from: day, days: 1, timeZone: visitor.zone.identifier))
                guard let slot = reply.slots.first(where: { $0.start == start }) else {
                    return await renderReschedule(visitor, appointment, asked: day, message: visitor.language.text(.slotTaken), status: .conflict)
                }
                let page = visitor.pages.rescheduleConfirmationPage(appointment, to: slot, formToken: formTokens.issue(session: visitor.session, now: clock.now()))
                return html(.ok, page, visitor: visitor)
            } catch {
                return failurePage(visitor, error)
            }
        }
        do {
            let moved = try await services.reschedule(RescheduleRequest(reference: appointment.reference, start: start), idempotencyKey: nil)
            logger.info("rescheduled through the web", metadata: ["reference": "\(BookingReference.masked(moved.reference))", "start": "\(ISO8601.instant(moved.start))"])
            return redirect("/manage/\(moved.reference)?done=rescheduled", visitor: visitor)
        } catch let error as ProtocolError {
            switch error.code {
            case .slotUnavailable, .inPast, .tooSoon, .offGrid, .outsideWorkingHours, .beyondHorizon:
                return await renderReschedule(visitor, appointment, asked: day, message: visitor.language.text(.slotTaken), status: .conflict)
            case .invalidTransition:
                return html(.conflict, visitor.pages.messagePage(title: visitor.language.text(.rescheduleTitle), message: visitor.language.text(.alreadyCancelled)), visitor: visitor)
            default:
                return failurePage(visitor, error)
            }
        } catch {
            return failurePage(visitor, error)
        }
    }

    func submitCancel(_ request: Request, fields: [String: String], visitor: Visitor, appointment: AppointmentBody) async throws -> Response {
        let token = formTokens.issue(session: visitor.session, now: clock.now())
        do {
            try formTokens.verify(fields["form_token"], session: request.cookies["bk_session"]?.value, now: clock.now(), minimumFill: 0)
        } catch {
            let page = visitor.pages.appointmentPage(appointment, done: nil, manageURL: manageURL(appointment.reference), formToken: token,
                                                     message: visitor.language.text(.formExpired))
            return html(.forbidden, page, visitor: visitor)
        }
        let reason = fields["reason"]?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard fields["confirm"] == "yes" else {
            guard appointment.status == "confirmed" else { return redirect("/manage/\(appointment.reference)", visitor: visitor) }
            return html(.ok, visitor.pages.cancelConfirmationPage(appointment, reason: reason ?? "", formToken: token), visitor: visitor)
        }
        do {
            let cancelled = try await services.cancel(CancelRequest(reference: appointment.reference, reason: reason?.isEmpty == false ? reason : nil),
                                                          idempotencyKey: nil)
            logger.info("cancelled through the web", metadata: ["reference": "\(BookingReference.masked(cancelled.reference))"])
            return redirect("/manage/\(cancelled.reference)?done=cancelled", visitor: visitor)
        } catch let error as ProtocolError where error.code == .validationFailed {
            let page = visitor.pages.appointmentPage(appointment, done: nil, manageURL: manageURL(appointment.reference), formToken: token,
                                                     message: visitor.language.text(.invalidReason))
            return html(.unprocessableContent, page, visitor: visitor)
        } catch let error as ProtocolError where error.code == .invalidTransition {
            return redirect("/manage/\(appointment.reference)", visitor: visitor)
        } catch {
            return failurePage(visitor, error)
        }
    }

    /// The email's link: the booking and a button. Opening it changes nothing (mail scanners
    /// open links); the button posts the token.
    func confirmPage(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        let visitor = visitor(request, context)
        switch await lookUp(visitor, context) {
        case .refused(let response): return response
        case .found(let appointment):
            guard appointment.status == "scheduled", let token = request.uri.queryParameters.get("token"), !token.isEmpty else {
                return redirect("/manage/\(appointment.reference)", visitor: visitor)
            }
            let page = visitor.pages.confirmPage(appointment, token: String(token), formToken: formTokens.issue(session: visitor.session, now: clock.now()))
            return html(.ok, page, visitor: visitor, extraHeaders: [.referrerPolicy: "no-referrer"])
        }
    }

    func submitConfirm(_ request: Request, fields: [String: String], visitor: Visitor, appointment: AppointmentBody) async throws -> Response {
        let token = fields["token"].flatMap { $0.isEmpty ? nil : $0 }
        let code = fields["code"].map { $0.filter { !$0.isWhitespace } }.flatMap { $0.isEmpty ? nil : $0 }
        func again(_ message: String, _ status: HTTPResponse.Status) -> Response {
            let formToken = formTokens.issue(session: visitor.session, now: clock.now())
            let page = token.map { visitor.pages.confirmPage(appointment, token: $0, formToken: formToken, message: message) }
                ?? visitor.pages.appointmentPage(appointment, done: nil, manageURL: manageURL(appointment.reference), formToken: formToken, message: message)
            return html(status, page, visitor: visitor)
        }
        do {
            try formTokens.verify(fields["form_token"], session: request.cookies["bk_session"]?.value, now: clock.now(), minimumFill: 0)
        } catch {
            return again(visitor.language.text(.formExpired), .forbidden)
        }
        guard token != nil || code != nil else { return again(visitor.language.text(.confirmWrong), .unprocessableContent) }
        do {
            let confirmed = try await services.confirm(ConfirmRequest(reference: appointment.reference, token: token, code: token == nil ? code : nil))
            logger.info("confirmed through the web", metadata: ["reference": "\(BookingReference.masked(confirmed.reference))"])
            return redirect("/manage/\(confirmed.reference)?done=confirmed", visitor: visitor)
        } catch let error as ProtocolError where error.code == .validationFailed {
            return again(visitor.language.text(.confirmWrong), .unprocessableContent)
        } catch let error as ProtocolError where error.code == .invalidTransition {
            return html(.conflict, visitor.pages.messagePage(title: visitor.language.text(.confirmTitle), message: visitor.language.text(.holdEnded)), visitor: visitor)
        } catch {
            return failurePage(visitor, error)
        }
    }

    func policyPage(_ request: Request, _ context: WebRequestContext) -> Response {
        let visitor = visitor(request, context)
        let texts = policyTexts
        guard let text = texts[visitor.language] ?? texts.values.first else {
            if let url = configuration.policyURL { return redirect(url, visitor: visitor) }
            return html(.notFound, visitor.pages.messagePage(title: visitor.language.text(.policyTitle), message: visitor.language.text(.notFoundPage)), visitor: visitor)
        }
        return html(.ok, visitor.pages.policyPage(text: text), visitor: visitor)
    }
}

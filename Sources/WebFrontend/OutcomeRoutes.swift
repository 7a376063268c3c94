import BookingDomain
import BookingProtocol
import CivilTime
import Foundation
import HTTPTypes
import Hummingbird

/// Attendance marked by the consultant's one-click links (issue 11):
/// `/manage/<REF>/outcome?outcome=attended|no_show&expires=<ms>&token=…` opens a page that marks
/// nothing (a mail scanner fetching the link must not); its button posts the link's fields.
/// bookingd checks the token, the expiry and whether the booking can be marked.
extension BookingWebsite {
    static let outcomeHeaders: HTTPFields = [.referrerPolicy: "no-referrer", .xRobotsTag: "noindex, nofollow"]

    func outcomeLinkPage(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        let visitor = visitor(request, context)
        switch await lookUp(visitor, context) {
        case .refused(let response): return response
        case .found(let appointment):
            let query = request.uri.queryParameters
            let link = Pages.OutcomeLink(outcome: query.get("outcome").map({ String($0) }) ?? "", expires: query.get("expires").map({ String($0) }) ?? "",
                                         token: query.get("token").map({ String($0) }) ?? "")
            if let refusal = refusal(of: link, appointment, visitor) { return refusal }
            let consultant = await consultantName(appointment)
            let page = visitor.pages.outcomePage(appointment, consultant: consultant, link: link,
                                                 formToken: formTokens.issue(session: visitor.session, now: clock.now()), now: clock.now())
            return html(.ok, page, visitor: visitor, extraHeaders: Self.outcomeHeaders)
        }
    }

    func submitOutcome(_ request: Request, fields: [String: String], visitor: Visitor, appointment: AppointmentBody) async throws -> Response {
        let link = Pages.OutcomeLink(outcome: fields["outcome"] ?? "", expires: fields["expires"] ?? "", token: fields["token"] ?? "")
        if let refusal = refusal(of: link, appointment, visitor) { return refusal }
        let consultant = await consultantName(appointment)
        let note = (fields["note"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        func again(_ status: HTTPResponse.Status, message: String? = nil, noteError: String? = nil) -> Response {
            let page = visitor.pages.outcomePage(appointment, consultant: consultant, link: link, formToken: formTokens.issue(session: visitor.session, now: clock.now()),
                                                 now: clock.now(), note: note, noteError: noteError, message: message)
            return html(status, page, visitor: visitor, extraHeaders: Self.outcomeHeaders)
        }
        do {
            try formTokens.verify(fields["form_token"], session: request.cookies["bk_session"]?.value, now: clock.now(), minimumFill: 0)
        } catch {
            return again(.forbidden, message: visitor.language.text(.formExpired))
        }
        guard note.count <= FieldLimits.reasonCharacters else {
            return again(.unprocessableContent, noteError: visitor.language.text(outcome: .noteInvalid(FieldLimits.reasonCharacters)))
        }
        let wasMarkedSo = appointment.status == Pages.status(markedWith: link.outcome)
        do {
            let marked = try await services.markOutcome(MarkOutcomeRequest(reference: appointment.reference, outcome: link.outcome, note: note.isEmpty ? nil : note,
                                                                           expiresAt: Self.linkEnd(link.expires), token: link.token))
            logger.info("outcome marked through the consultant's link", metadata: [
                "reference": "\(BookingReference.masked(marked.reference))", "outcome": "\(link.outcome)", "changed": "\(!wasMarkedSo)",
            ])
            let name = visitor.pages.outcomeName(link.outcome)
            let message = visitor.language.text(outcome: wasMarkedSo ? .markedAlready(name) : .marked(name))
            return outcomeResult(.ok, message, marked, consultant, visitor)
        } catch let error as ProtocolError {
            return outcomeRefused(error, appointment, consultant, visitor)
                ?? again(.unprocessableContent, noteError: visitor.language.text(outcome: .noteInvalid(FieldLimits.reasonCharacters)))
        } catch {
            return failurePage(visitor, error)
        }
    }

    /// What the link itself rules out before bookingd is asked: an outcome it cannot carry, an
    /// end that is not one (400), an end passed (410), a cancelled booking (409).
    private func refusal(of link: Pages.OutcomeLink, _ appointment: AppointmentBody, _ visitor: Visitor) -> Response? {
        guard OutcomeName.all.contains(link.outcome), !link.token.isEmpty, let end = Self.linkEnd(link.expires) else {
            return outcomeResult(.badRequest, visitor.language.text(outcome: .wrong), nil, nil, visitor)
        }
        if end <= clock.now() { return outcomeResult(.gone, visitor.language.text(outcome: .expired), nil, nil, visitor) }
        if appointment.status == AppointmentStatus.cancelled.rawValue {
            return outcomeResult(.conflict, visitor.language.text(outcome: .cancelled), nil, nil, visitor)
        }
        return nil
    }

    /// bookingd's refusal as the consultant's page; nil for one about the note, shown beside it.
    private func outcomeRefused(_ error: ProtocolError, _ appointment: AppointmentBody, _ consultant: String, _ visitor: Visitor) -> Response? {
        let language = visitor.language
        switch error.code {
        case .validationFailed where error.field == "note":
            return nil
        case .validationFailed:
            logger.notice("an outcome link was refused", metadata: ["reference": "\(BookingReference.masked(appointment.reference))", "error": "\(error)"])
            return outcomeResult(.forbidden, language.text(outcome: .wrong), nil, nil, visitor)
        case .conflict:
            return outcomeResult(.gone, language.text(outcome: .expired), nil, nil, visitor)
        case .invalidTransition:
            // bookingd's reason is in English for operators: the page says it from what it knows.
            let message = if appointment.start > clock.now() {
                language.text(outcome: .notStartedYet(visitor.pages.time.clock(appointment.start)))
            } else if appointment.status == AppointmentStatus.cancelled.rawValue {
                language.text(outcome: .cancelled)
            } else {
                language.text(outcome: .refused)
            }
            logger.info("an outcome was refused by bookingd", metadata: ["reference": "\(BookingReference.masked(appointment.reference))", "error": "\(error)"])
            return outcomeResult(.conflict, message, appointment, consultant, visitor)
        default:
            return failurePage(visitor, error)
        }
    }

    private func outcomeResult(_ status: HTTPResponse.Status, _ message: String, _ appointment: AppointmentBody?, _ consultant: String?,
                               _ visitor: Visitor) -> Response {
        html(status, visitor.pages.outcomeResultPage(message, appointment: appointment, consultant: consultant), visitor: visitor,
             extraHeaders: Self.outcomeHeaders)
    }

    /// The consultant's name, or their id when availabilityd does not answer: the page is still
    /// of use without it.
    private func consultantName(_ appointment: AppointmentBody) async -> String {
        do {
            return try await services.consultant(appointment.consultantId)?.name ?? appointment.consultantId
        } catch {
            logger.warning("cannot name the consultant on the outcome page", metadata: ["error": "\(error)"])
            return appointment.consultantId
        }
    }
}

extension HTTPField.Name {
    static let xRobotsTag = HTTPField.Name("X-Robots-Tag")!
}

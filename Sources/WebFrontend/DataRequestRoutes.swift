import BookingDomain
import BookingProtocol
import CivilTime
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The client's requests about their personal data (issue 13): the manage page asks notifyd to
/// email the link that confirms one; the link opens a page that acts only on its button.
extension BookingWebsite {
    func submitDataRequest(_ request: Request, fields: [String: String], visitor: Visitor, appointment: AppointmentBody) async throws -> Response {
        func again(_ message: String, _ status: HTTPResponse.Status) -> Response {
            let page = visitor.pages.appointmentPage(appointment, done: nil, manageURL: manageURL(appointment.reference),
                                                     formToken: formTokens.issue(session: visitor.session, now: clock.now()), message: message)
            return html(status, page, visitor: visitor)
        }
        do {
            try formTokens.verify(fields["form_token"], session: request.cookies["bk_session"]?.value, now: clock.now(), minimumFill: 0)
        } catch {
            return again(visitor.language.text(.formExpired), .forbidden)
        }
        guard appointment.erasedAt == nil else { return again(visitor.language.text(.erasedAlready), .conflict) }
        guard let action = fields["action"].flatMap(DataRequestAction.init(rawValue:)) else {
            return again(visitor.language.text(.somethingWrong), .unprocessableContent)
        }
        do {
            _ = try await services.sendDataLink(DataLinkRequest(reference: appointment.reference, action: action))
            logger.info("data request link sent through the web", metadata: [
                "reference": "\(BookingReference.masked(appointment.reference))", "action": "\(action.rawValue)",
            ])
            return redirect("/manage/\(appointment.reference)?done=data-link", visitor: visitor)
        } catch let error as ProtocolError where error.code == .conflict {
            // Sent a moment ago (or erased meanwhile): one email per booking and action for a while.
            return again(visitor.language.text(.dataLinkTooSoon), .tooManyRequests)
        } catch {
            return failurePage(visitor, error)
        }
    }

    /// The emailed link: what the request does and one button. Opening it changes nothing.
    func dataRequestPage(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        let visitor = visitor(request, context)
        switch await lookUp(visitor, context) {
        case .refused(let response): return response
        case .found(let appointment):
            let query = request.uri.queryParameters
            guard let action = query.get("action").flatMap({ DataRequestAction(rawValue: String($0)) }),
                  let expires = query.get("expires").map({ String($0) }), let token = query.get("token").map({ String($0) }), !token.isEmpty else {
                return redirect("/manage/\(appointment.reference)", visitor: visitor)
            }
            if let end = Self.linkEnd(expires), end <= clock.now() {
                return html(.gone, visitor.pages.messagePage(title: visitor.language.text(action == .erase ? .erasureTitle : .exportTitle),
                                                              message: visitor.language.text(.dataLinkExpired)), visitor: visitor)
            }
            let page = visitor.pages.dataRequestPage(appointment, action: action, expires: expires, token: token,
                                                     formToken: formTokens.issue(session: visitor.session, now: clock.now()))
            return html(.ok, page, visitor: visitor, extraHeaders: [.referrerPolicy: "no-referrer"])
        }
    }

    func submitDataConfirmation(_ request: Request, fields: [String: String], visitor: Visitor, appointment: AppointmentBody) async throws -> Response {
        let action = fields["action"].flatMap(DataRequestAction.init(rawValue:)) ?? .export
        let title = visitor.language.text(action == .erase ? .erasureTitle : .exportTitle)
        func message(_ phrase: Phrase, _ status: HTTPResponse.Status) -> Response {
            html(status, visitor.pages.messagePage(title: title, message: visitor.language.text(phrase)), visitor: visitor)
        }
        guard let expires = fields["expires"], let token = fields["token"], !token.isEmpty else { return message(.dataLinkWrong, .unprocessableContent) }
        do {
            try formTokens.verify(fields["form_token"], session: request.cookies["bk_session"]?.value, now: clock.now(), minimumFill: 0)
        } catch {
            let page = visitor.pages.dataRequestPage(appointment, action: action, expires: expires, token: token,
                                                     formToken: formTokens.issue(session: visitor.session, now: clock.now()),
                                                     message: visitor.language.text(.formExpired))
            return html(.forbidden, page, visitor: visitor)
        }
        guard let end = Self.linkEnd(expires) else { return message(.dataLinkWrong, .unprocessableContent) }
        let confirmed = ClientDataRequest(reference: appointment.reference, token: token, expiresAt: end)
        do {
            switch action {
            case .export:
                let export = try await services.clientExport(confirmed)
                logger.info("personal data exported through the web", metadata: ["reference": "\(BookingReference.masked(appointment.reference))"])
                return Response(status: .ok, headers: [
                    .contentType: "application/json; charset=utf-8", .cacheControl: "no-store",
                    .contentDisposition: "attachment; filename=\"personal-data-\(appointment.reference).json\"",
                ], body: .init(byteBuffer: ByteBuffer(bytes: export)))
            case .erase:
                let erasure = try await services.clientErase(confirmed)
                logger.notice("personal data erased through the web", metadata: [
                    "reference": "\(BookingReference.masked(appointment.reference))", "erasure": "\(erasure.id)",
                ])
                return html(.ok, visitor.pages.messagePage(title: visitor.language.text(.erasedTitle),
                                                           message: visitor.language.text(.erasedDone(erasure.cancelled))), visitor: visitor)
            }
        } catch let error as ProtocolError where error.code == .validationFailed {
            return message(.dataLinkWrong, .forbidden)
        } catch let error as ProtocolError where error.code == .conflict {
            return message(.dataLinkExpired, .gone)
        } catch {
            return failurePage(visitor, error)
        }
    }

    /// The link's end as it carries it: milliseconds since 1970.
    static func linkEnd(_ text: String) -> Date? {
        guard let milliseconds = Int64(text), milliseconds > 0 else { return nil }
        return Date(millisecondsSince1970: milliseconds)
    }
}

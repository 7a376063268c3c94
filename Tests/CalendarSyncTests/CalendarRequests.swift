import BookingProtocol
import DaemonKit
import Delivery
import Foundation
import Testing

/// The requests the calendar tests make of calsyncd and availabilityd, whatever the provider.
extension DaemonClient {
    /// calsyncd's `calendar_sync` of one consultant's calendar, and the connection it answers.
    func syncCalendar(of consultantId: String) async throws -> CalendarConnectionBody {
        let reply: CalendarsReply = try await call(MessageType.calendarSync, CalendarConsultantRequest(consultantId: consultantId))
        return try #require(reply.connections.first)
    }

    /// availabilityd's free slot starts of a consultant on `day`, as wall times in the business's zone.
    func freeStarts(of consultantId: String, on day: String) async throws -> [String] {
        let reply: SlotsReply = try await call(MessageType.slots, SlotsRequest(from: day, days: 1, consultantId: consultantId))
        return reply.slots.map { String($0.localStart.dropFirst(11).prefix(5)) }
    }
}

/// The tests' own CalDAV client: writes a calendar on the server with basic authentication, as a
/// consultant's calendar app would.
struct CalendarWriter {
    let transport: HTTPTransport
    let collectionURL: String
    let username: String
    let password: String

    func send(_ method: String, _ name: String, _ body: String = "", headers: [(String, String)] = []) async throws -> HTTPResponse {
        try await transport.exchange(HTTPRequest(
            method: method, url: collectionURL + name,
            headers: [("Authorization", "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()), ("Content-Type", "text/calendar")] + headers,
            body: Array(body.utf8)))
    }

    /// A calendar object of `lines` (VEVENTs) as `name`.
    func put(_ name: String, _ lines: [String]) async throws {
        let text = (["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tests//EN"] + lines + ["END:VCALENDAR"]).joined(separator: "\r\n") + "\r\n"
        let response = try await send("PUT", name, text)
        #expect((200..<300).contains(response.status), "PUT \(name): \(response.status) \(String(decoding: response.body, as: UTF8.self))")
    }
}

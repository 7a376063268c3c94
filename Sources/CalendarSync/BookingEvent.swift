import BookingProtocol
import CalendarSyncStore
import Foundation
import ICalendar

/// A booking as the event calsyncd writes into its consultant's calendar: the invites' event
/// (UID the appointment's id, SEQUENCE its revision), in the consultant's language, saying of
/// the client only what the connection's privacy allows. Pure: the same booking gives the same bytes.
struct BookingEvent: Equatable {
    var event: CalendarEvent

    /// `contact`: the client's full contact and topic, given only for `full` privacy while the
    /// booking's personal data is not erased. `manageURL`: the manage link, if the suite has one.
    init(_ appointment: AppointmentBody, privacy: CopyPrivacy, contact: ContactReply?, manageURL: String?, consultantLocale: String?) {
        let russian = (consultantLocale ?? "ru").lowercased().hasPrefix("ru")
        let client = privacy == .full && appointment.erasedAt == nil ? contact : nil
        let consultation = russian ? "Консультация" : "Consultation"
        var summary = "\(consultation) \(appointment.reference)"
        var lines = ["\(russian ? "Бронь" : "Booking"): \(appointment.reference)"]
        if let client, !client.contact.name.isEmpty {
            summary = "\(consultation): \(client.contact.name) (\(appointment.reference))"
            lines.append("\(russian ? "Клиент" : "Client"): \(client.contact.name)")
            lines.append("\(russian ? "Телефон" : "Phone"): \(client.contact.phone)")
            lines.append("Email: \(client.contact.email)")
            if let topic = client.topic, !topic.isEmpty { lines.append("\(russian ? "Тема" : "Topic"): \(topic)") }
        }
        if appointment.status == "scheduled" {
            lines.append(russian ? "Ждёт подтверждения клиента." : "Awaiting the client's confirmation.")
        }
        let manage = manageURL.map { $0.replacingOccurrences(of: "{reference}", with: appointment.reference) }
        if let manage { lines.append("\(russian ? "Управление бронью" : "Manage the booking"): \(manage)") }
        event = CalendarEvent(
            appointmentID: appointment.id, revision: appointment.revision, start: appointment.start, end: appointment.end, stamp: appointment.updatedAt,
            status: .confirmed, summary: summary, description: lines.joined(separator: "\n"), url: manage,
            meetingLink: appointment.meeting?.link, meetingAddress: appointment.meeting?.address
        )
    }

    /// The resource's text: one event, no METHOD (RFC 4791 §4.1).
    var resource: String { CalendarWriter.resource(event) }

    /// The resource's name in the collection: the UID is a UUID, safe in a path.
    static func resourceName(appointmentId: String) -> String { "\(appointmentId).ics" }

    /// Whether the booking belongs in its consultant's calendar: held or confirmed, or past and
    /// kept (completed, missed). A cancelled booking's event is removed.
    static func belongsInCalendar(_ appointment: AppointmentBody) -> Bool {
        appointment.status != "cancelled"
    }
}

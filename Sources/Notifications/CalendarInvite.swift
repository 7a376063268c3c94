import BookingProtocol
import Foundation
import ICalendar

/// An iTIP message (RFC 5546) about one appointment: REQUEST adds or moves the event in the
/// receiver's calendar, CANCEL removes it. The event is the one the booking page's `.ics` file
/// has (same UID, same SEQUENCE for the same revision), so a client who took both still has one.
public struct CalendarInvite: Sendable, Equatable {
    public enum Method: String, Sendable { case request = "REQUEST", cancel = "CANCEL" }

    public var method: Method
    public var event: CalendarEvent

    /// `stamp`: when this version was written; the appointment's last change, so a retried
    /// email carries the same bytes.
    public init(method: Method, appointment: AppointmentBody, stamp: Date, summary: String, description: String, url: String?,
                organizer: Mailbox, attendees: [Mailbox]) {
        self.method = method
        event = CalendarEvent(
            appointmentID: appointment.id, revision: appointment.revision, start: appointment.start, end: appointment.end, stamp: stamp,
            status: method == .cancel ? .cancelled : .confirmed, summary: summary, description: description, url: url,
            meetingLink: appointment.meeting?.link, meetingAddress: appointment.meeting?.address,
            organizer: CalendarParticipant(name: organizer.name, address: organizer.address),
            attendees: attendees.map { CalendarParticipant(name: $0.name, address: $0.address) }
        )
    }

    public func encoded() -> String {
        CalendarWriter.calendar(event, method: method == .cancel ? .cancel : .request)
    }
}

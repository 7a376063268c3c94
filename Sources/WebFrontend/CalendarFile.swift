import BookingDomain
import BookingProtocol
import Foundation
import ICalendar

/// An appointment as an iCalendar file for "add to calendar" (METHOD:PUBLISH): the same event
/// notifyd's invites carry (UID the appointment's id, SEQUENCE its revision), so a client who
/// also accepts the email invite keeps one entry.
public enum CalendarFile {
    public static func render(_ appointment: AppointmentBody, manageURL: String, language: SupportedLocale, now: Date) -> String {
        let event = CalendarEvent(
            appointmentID: appointment.id, revision: appointment.revision, start: appointment.start, end: appointment.end, stamp: now,
            status: appointment.status == "cancelled" ? .cancelled : .confirmed, summary: language.text(.consultation),
            description: "\(language.text(.yourReference)): \(appointment.reference)\n\(manageURL)", url: manageURL,
            meetingLink: appointment.meeting?.link, meetingAddress: appointment.meeting?.address
        )
        return CalendarWriter.calendar(event, method: .publish)
    }
}

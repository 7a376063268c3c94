import BookingDomain
import BookingProtocol
import CivilTime
import Foundation
import ICalendar

/// An appointment as an iCalendar file for "add to calendar" (METHOD:PUBLISH): the same event
/// notifyd's invites carry (UID the appointment's id, SEQUENCE its revision), so a client who
/// also accepts the email invite keeps one entry.
public enum CalendarFile {
    public static func render(_ appointment: AppointmentBody, manageURL: String, language: SupportedLocale, now: Date) -> String {
        CalendarWriter.calendar(event(appointment, manageURL: manageURL, language: language, stamp: now), method: .publish)
    }

    static func event(_ appointment: AppointmentBody, manageURL: String, language: SupportedLocale, stamp: Date) -> CalendarEvent {
        event(appointment, stamp: stamp, summary: language.text(.consultation),
              description: "\(language.text(.yourReference)): \(appointment.reference)\n\(manageURL)", url: manageURL)
    }

    /// The appointment as an event, whoever's calendar it goes to (the client's file, the staff's
    /// feeds): its id, revision, time, status and where it happens; the words are the caller's.
    static func event(_ appointment: AppointmentBody, stamp: Date, summary: String, description: String, url: String?) -> CalendarEvent {
        CalendarEvent(
            appointmentID: appointment.id, revision: appointment.revision, start: appointment.start, end: appointment.end, stamp: stamp,
            status: appointment.status == "cancelled" ? .cancelled : .confirmed, summary: summary, description: description, url: url,
            meetingLink: appointment.meeting?.link, meetingAddress: appointment.meeting?.address
        )
    }

    /// The same event as Google Calendar's "add event" link (its documented `render` template):
    /// for clients whose calendar does not open an `.ics` from a phone's browser.
    public static func googleCalendarLink(_ appointment: AppointmentBody, manageURL: String, language: SupportedLocale) -> String {
        let event = event(appointment, manageURL: manageURL, language: language, stamp: appointment.updatedAt)
        func utc(_ date: Date) -> String {
            // 2026-12-01T07:00:00Z → 20261201T070000Z
            ISO8601.instant(date).prefix(19).filter { $0 != "-" && $0 != ":" } + "Z"
        }
        return "https://calendar.google.com/calendar/render" + query([
            ("action", "TEMPLATE"), ("text", event.summary), ("dates", utc(event.start) + "/" + utc(event.end)),
            ("details", event.description), ("location", event.location),
        ])
    }
}

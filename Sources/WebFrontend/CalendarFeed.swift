import BookingDomain
import BookingProtocol
import Foundation
import ICalendar

/// A private calendar feed as iCalendar: a consultant's bookings, or the team's, for staff to
/// subscribe to. Each event is the appointment's event as the client's file has it
/// (`CalendarFile.event`: UID the appointment's id, SEQUENCE its revision, as in the invites), in
/// the staff's words. What it says of the client is what bookingd gave for the feed (the
/// reference masked, the name and phone only at `full`), and the name only if `detail` is `full`.
enum CalendarFeed {
    /// How often a subscribed calendar is asked to fetch the feed again.
    static let refreshMinutes = 15

    static func render(_ feed: FeedBookings, detail: FeedDetail) -> String {
        let isTeam = feed.scope == FeedScopeRequest.team
        let consultant = isTeam ? nil : feed.consultants[feed.scope]
        // A consultant reads their own feed in their language; the team's is the suite's.
        let language = consultant?.locale.map(SupportedLocale.init(identifier:)) ?? .fallback
        let events = feed.appointments.map { appointment in
            let consultantName = feed.consultants[appointment.consultantId]?.name ?? appointment.consultantId
            let client = detail == .full && !appointment.contact.name.isEmpty ? appointment.contact : nil
            var lines = [language.text(.feedConsultant(consultantName)), "\(language.text(.yourReference)): \(appointment.reference)"]
            if let client { lines.append(language.text(.feedClient(client.name, client.phone))) }
            switch (appointment.meeting?.format, appointment.meeting?.link) {
            case ("phone"?, _): lines.append(language.text(.feedByPhone))
            // bookingd leaves out the link of a room named by the booking's reference.
            case ("video"?, nil): lines.append(language.text(.feedRoomInInvite))
            default: break
            }
            if appointment.status == "scheduled" { lines.append(language.text(.feedHeld)) }
            return CalendarFile.event(
                appointment, stamp: appointment.updatedAt,
                summary: language.text(.feedSummary(client: client?.name, consultant: isTeam ? consultantName : nil)),
                description: lines.joined(separator: "\n"), url: nil
            )
        }
        let name = isTeam ? nil : consultant?.name ?? feed.scope
        return CalendarWriter.feed(name: language.text(.feedName(name)), events: events, refreshMinutes: refreshMinutes)
    }
}

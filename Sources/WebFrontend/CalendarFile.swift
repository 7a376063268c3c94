import BookingProtocol
import Foundation

/// An appointment as an iCalendar file (RFC 5545) for "add to calendar": one VEVENT in UTC,
/// with the manage link, so any calendar shows it in its own zone.
public enum CalendarFile {
    public static func render(_ appointment: AppointmentBody, manageURL: String, language: Language, now: Date) -> String {
        let summary = language.text(.consultation)
        let status = appointment.status == "cancelled" ? "CANCELLED" : "CONFIRMED"
        let lines = [
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//booking-suite//webd//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
            "BEGIN:VEVENT",
            "UID:\(appointment.id)@booking-suite",
            "DTSTAMP:\(stamp(now))",
            "DTSTART:\(stamp(appointment.start))",
            "DTEND:\(stamp(appointment.end))",
            "SUMMARY:\(escape(summary))",
            "DESCRIPTION:\(escape("\(language.text(.yourReference)): \(appointment.reference)\n\(manageURL)"))",
            "URL:\(manageURL)",
            "STATUS:\(status)",
            "SEQUENCE:\(Int(appointment.updatedAt.timeIntervalSince(appointment.createdAt)))",
            "END:VEVENT", "END:VCALENDAR",
        ]
        return lines.map(fold).joined(separator: "\r\n") + "\r\n"
    }

    /// `20261202T080000Z`, from the wire's UTC form.
    static func stamp(_ date: Date) -> String {
        let wire = WireJSON.formatInstant(date) // 2026-12-02T08:00:00.000Z
        return wire.prefix(19).filter { $0 != "-" && $0 != ":" } + "Z"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ";", with: "\\;")
            .replacingOccurrences(of: ",", with: "\\,").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Lines longer than 75 octets continue on the next line after a space, never inside a
    /// UTF-8 sequence.
    static func fold(_ line: String) -> String {
        var out = ""
        var count = 0
        for character in line {
            let size = String(character).utf8.count
            if count + size > 75 {
                out += "\r\n "
                count = 1
            }
            out.append(character)
            count += size
        }
        return out
    }
}

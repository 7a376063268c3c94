import BookingProtocol
import Foundation
import Testing
@testable import Notifications

@Suite struct CalendarInviteTests {
    static func invite(method: CalendarInvite.Method = .request, revision: Int = 0) -> CalendarInvite {
        var appointment = Fixtures.appointment()
        appointment.revision = revision
        return CalendarInvite(
            method: method, appointment: appointment, stamp: Fixtures.start.addingTimeInterval(-86400),
            summary: "Консультация с Ириной Смирновой; запись BK-7Q2M-X9TD-4KHN-ZP3CG, вторник",
            description: "Номер записи: BK-7Q2M-X9TD-4KHN-ZP3CG\nПеренести или отменить: https://book.example.com/manage/BK-7Q2M-X9TD-4KHN-ZP3CG\nC:\\путь",
            url: "https://book.example.com/manage/BK-7Q2M-X9TD-4KHN-ZP3CG",
            organizer: Mailbox(name: "Консультации \"Ромашка\"", address: "booking@example.com"),
            attendees: [Mailbox(name: "Анна Петрова", address: "anna.petrova@example.com")])
    }

    @Test func theEventIsTheAppointmentsUnderItsIdAndRevision() {
        let invite = Self.invite(revision: 3)
        #expect(invite.event.uid == Fixtures.appointment().id)
        #expect(invite.event.sequence == 3)
        #expect(invite.event.start == Fixtures.start && invite.event.end == Fixtures.start.addingTimeInterval(3600))
        #expect(!invite.encoded().contains("BK-7Q2M-X9TD-4KHN-ZP3CG@"), "the reference is not the UID")
    }

    @Test func requestParsesWithPythonIcalendar() throws {
        let summary = try Self.parse(Self.invite(revision: 2))
        #expect(summary == [
            "METHOD=REQUEST", "PRODID=-//Booking Suite//EN", "VERSION=2.0",
            "UID=appt-42", "SEQUENCE=2", "STATUS=CONFIRMED",
            "DTSTART=2026-12-01T07:00:00+00:00", "DTEND=2026-12-01T08:00:00+00:00", "DTSTAMP=2026-11-30T07:00:00+00:00",
            "SUMMARY=Консультация с Ириной Смирновой; запись BK-7Q2M-X9TD-4KHN-ZP3CG, вторник",
            "DESCRIPTION=Номер записи: BK-7Q2M-X9TD-4KHN-ZP3CG|Перенести или отменить: https://book.example.com/manage/BK-7Q2M-X9TD-4KHN-ZP3CG|C:\\путь",
            "ORGANIZER=mailto:booking@example.com CN=Консультации 'Ромашка'",
            "ATTENDEE=mailto:anna.petrova@example.com CN=Анна Петрова",
        ])
    }

    @Test func cancelCarriesMethodAndStatus() throws {
        let summary = try Self.parse(Self.invite(method: .cancel, revision: 3))
        #expect(summary.contains("METHOD=CANCEL"))
        #expect(summary.contains("STATUS=CANCELLED"))
        #expect(summary.contains("SEQUENCE=3"))
        #expect(summary.contains("UID=appt-42"))
    }

    /// What Python's icalendar reads back, one `NAME=value` per property.
    static func parse(_ invite: CalendarInvite) throws -> [String] {
        let output = try Python.run("""
            import sys, icalendar
            cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
            out = ['METHOD=' + str(cal['METHOD']), 'PRODID=' + str(cal['PRODID']), 'VERSION=' + str(cal['VERSION'])]
            events = [c for c in cal.walk() if c.name == 'VEVENT']
            assert len(events) == 1, events
            e = events[0]
            out += ['UID=' + str(e['UID']), 'SEQUENCE=' + str(e['SEQUENCE']), 'STATUS=' + str(e['STATUS'])]
            for name in ('DTSTART', 'DTEND', 'DTSTAMP'):
                out.append(name + '=' + e.decoded(name).isoformat())
            out += ['SUMMARY=' + str(e['SUMMARY']), 'DESCRIPTION=' + str(e['DESCRIPTION']).replace('\\n', '|')]
            out.append('ORGANIZER=' + str(e['ORGANIZER']) + ' CN=' + e['ORGANIZER'].params['CN'])
            attendees = e['ATTENDEE'] if isinstance(e['ATTENDEE'], list) else [e['ATTENDEE']]
            out += ['ATTENDEE=' + str(a) + ' CN=' + a.params['CN'] for a in attendees]
            print('\\n'.join(out))
            """, input: Array(invite.encoded().utf8))
        return output.split(separator: "\n").map(String.init)
    }
}

import BookingDomain
import BookingProtocol
import Foundation
import Testing
@testable import Notifications

/// The meeting in every client message and the topic in the consultant's, in both languages.
@Suite struct MeetingMessageTests {
    static let link = "https://meet.example.com/BK-7Q2M-X9TD-4KHN-ZP3CG"
    static let address = "Москва, Тверская ул., 1, офис 5"

    static func facts(locale: String, meeting: MeetingBody?, topic: String? = nil, phone: String = "+79161234567") -> MessageFacts {
        var facts = Fixtures.facts(locale: locale)
        facts.appointment = Fixtures.appointment(locale: locale, phone: phone)
        facts.appointment.meeting = meeting
        facts.appointment.topic = topic
        // The consultant reads their notices in their own language: here the one under test.
        facts.consultant.locale = SupportedLocale(identifier: locale)
        return facts
    }

    static let clientPurposes: [MessagePurpose] = [.clientConfirmation, .clientRescheduled, .clientReminder]

    @Test(arguments: SupportedLocale.allCases)
    func aVideoLinkIsInEveryClientEmailSMSAndTheConsultantsEmail(_ language: SupportedLocale) throws {
        let library = try Fixtures.library()
        let facts = Self.facts(locale: language.rawValue, meeting: MeetingBody(format: "video", link: Self.link))
        let label = language == .ru ? "Видеозвонок: " : "Video call: "
        for purpose in Self.clientPurposes + [.consultantCreated, .consultantRescheduled] {
            let email = try library.email(purpose, facts)
            #expect(email.text.contains(label + Self.link), "\(purpose) \(language)")
            #expect(email.html.contains("<a href=\"\(Self.link)\">\(Self.link)</a>"), "\(purpose) \(language)")
        }
        // The whole link, in the two parts the shipped configuration allows.
        for purpose in Self.clientPurposes + [.clientConsultantChanged] {
            #expect(try library.sms(purpose, facts, maxSegments: 2).contains(Self.link), "\(purpose) \(language)")
        }
        #expect(try library.calendarEvent(facts).description.contains(label + Self.link))
    }

    @Test func anOfficeAddressAndAPhoneCallSayWhereAndWho() throws {
        let library = try Fixtures.library()
        let office = Self.facts(locale: "ru", meeting: MeetingBody(format: "office", address: Self.address))
        #expect(try library.email(.clientConfirmation, office).text.contains("Адрес: \(Self.address)"))
        #expect(try library.sms(.clientReminder, office, maxSegments: 6).contains("Адрес: \(Self.address)"))
        #expect(try library.email(.consultantCreated, office).html.contains(Self.address))

        let phone = Self.facts(locale: "en", meeting: MeetingBody(format: "phone"))
        #expect(try library.email(.clientConfirmation, phone).text.contains("How: Ирина Смирнова will call you at +79161234567"))
        #expect(try library.sms(.clientConfirmation, phone, maxSegments: 6).contains("Ирина Смирнова will call you."))
        #expect(try library.email(.consultantCreated, phone).text.contains("How: call the client at +79161234567"))
        let noPhone = Self.facts(locale: "ru", meeting: MeetingBody(format: "phone"), phone: "")
        #expect(try library.email(.clientConfirmation, noPhone).text.contains("Как: Ирина Смирнова позвонит вам\n"))
    }

    @Test func withoutAMeetingNoLineIsLeft() throws {
        let library = try Fixtures.library()
        for language in SupportedLocale.allCases {
            let facts = Self.facts(locale: language.rawValue, meeting: nil)
            for purpose in Self.clientPurposes + [.consultantCreated] {
                let email = try library.email(purpose, facts)
                #expect(!email.text.contains("{{") && !email.text.contains("\n\n\n"))
                for word in ["Video call", "Видеозвонок", "Where:", "Адрес:", "How:", "Как:"] {
                    #expect(!email.text.contains(word), "\(purpose) \(language) \(word)")
                }
            }
        }
    }

    @Test(arguments: SupportedLocale.allCases)
    func theTopicReachesTheConsultantOnly(_ language: SupportedLocale) throws {
        let library = try Fixtures.library()
        let topic = "Продажа квартиры <и налоги>\nВычеты"
        let facts = Self.facts(locale: language.rawValue, meeting: nil, topic: topic)
        let heading = language == .ru ? "Клиент хотел бы обсудить:" : "The client would like to discuss:"
        for purpose in [MessagePurpose.consultantCreated, .consultantRescheduled] {
            let email = try library.email(purpose, facts)
            #expect(email.text.hasSuffix("\(heading)\n\(topic)\n"), "\(purpose)")
            #expect(email.html.contains("Продажа квартиры &lt;и налоги&gt;\nВычеты"), "\(purpose)")
        }
        for purpose in Self.clientPurposes + [.clientCancelled] {
            #expect(!(try library.email(purpose, facts).text.contains("Продажа")), "\(purpose)")
        }
        for purpose in [MessagePurpose.teamCreated, .teamRescheduled, .teamCancelled] {
            #expect(!(try library.chat(purpose, facts, markup: .plain).contains("Продажа")), "\(purpose)")
        }
    }

    @Test func theInviteCarriesTheRoomAsLocationURLAndConference() throws {
        var appointment = Fixtures.appointment()
        appointment.meeting = MeetingBody(format: "video", link: Self.link)
        let invite = CalendarInvite(
            method: .request, appointment: appointment, stamp: Fixtures.start, summary: "Консультация", description: "Номер записи",
            url: "https://book.example.com/manage/BK-7Q2M-X9TD-4KHN-ZP3CG", organizer: Mailbox(name: nil, address: "booking@example.com"),
            attendees: [Mailbox(name: "Анна Петрова", address: "anna.petrova@example.com")])
        let parsed = try Python.run("""
            import sys, icalendar
            cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
            e = [c for c in cal.walk() if c.name == 'VEVENT'][0]
            c = e['CONFERENCE']
            print('\\n'.join([str(e['LOCATION']), str(e['URL']), str(c), c.params['VALUE'], c.params['FEATURE']]))
            """, input: Array(invite.encoded().utf8))
        #expect(parsed.split(separator: "\n").map(String.init) == [Self.link, Self.link, Self.link, "URI", "VIDEO"])
    }
}

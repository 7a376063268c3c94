import BookingDomain
import BookingProtocol
import Foundation
import Testing
@testable import Notifications

@Suite struct TemplateLibraryTests {
    @Test func shippedTemplatesLoad() throws {
        _ = try Fixtures.library()
    }

    // A calendar conflict's purposes are rendered from other facts (NotificationServiceTests).
    @Test(arguments: SupportedLocale.allCases, MessagePurpose.allCases.filter { !$0.isCalendarConflict && !$0.isLead })
    func everyPurposeRendersInEveryLanguage(language: SupportedLocale, purpose: MessagePurpose) throws {
        let library = try Fixtures.library()
        var facts = Fixtures.facts(locale: language.rawValue, previousStart: Fixtures.previousStart, previousConsultant: Fixtures.previousConsultant,
                                   clientMessage: "Клиент заболел")
        // Consultants read their own language.
        facts.consultant.locale = language
        facts.previousConsultant?.locale = language
        switch purpose.addressee {
        case .client, .consultant:
            let email = try library.email(purpose, facts)
            #expect(!email.subject.isEmpty && !email.subject.contains("\n"))
            #expect(email.text.contains("BK-7Q2M-X9TD-4KHN-ZP3CG"))
            #expect(email.html.contains("BK-7Q2M-X9TD-4KHN-ZP3CG"))
            #expect(email.html.hasPrefix("<!DOCTYPE html>"))
            #expect(email.html.contains("lang=\"\(language.rawValue)\""))
            #expect(!email.text.contains("{{") && !email.html.contains("{{"))
            if purpose.addressee == .client {
                if purpose.parts.contains(.sms) {
                    let sms = try library.sms(purpose, facts, maxSegments: 3)
                    #expect(sms.contains("BK-7Q2M-X9TD-4KHN-ZP3CG"))
                    #expect(SMSText.segments(sms) <= 3)
                }
            } else {
                #expect(email.text.contains("anna.petrova@example.com"))
            }
        case .team:
            let chat = try library.chat(purpose, facts, markup: .plain)
            #expect(chat.contains("BK-7Q2M-****-****-****G") && !chat.contains("X9TD"), "the reference masked: \(chat)")
            #expect(chat.contains("Ирина Смирнова"))
            #expect(chat.contains("А*** П*** <a***@example.com> +7916*****67"))
            #expect(!chat.contains("Анна") && !chat.contains("anna.petrova") && !chat.contains("1234567"))
        }
    }

    @Test(arguments: DataRequestAction.allCases)
    func aDataRequestsEmailCarriesItsLinkAndSaysWhatItDoes(action: DataRequestAction) throws {
        let library = try Fixtures.library()
        var facts = Fixtures.facts(locale: "en", timeZone: "Europe/Berlin")
        let expiresAt = Date(timeIntervalSince1970: 1_796_194_800)  // 2026-12-02T07:00:00Z
        facts.dataRequest = DataRequestLink(action: action, token: "0123456789abcdef0123456789abcdef", expiresAt: expiresAt)
        let email = try library.email(.clientDataRequest, facts)
        let url = "https://book.example.com/manage/BK-7Q2M-X9TD-4KHN-ZP3CG/data?action=\(action.rawValue)&expires=1796194800000&token=0123456789abcdef0123456789abcdef"
        #expect(email.text.contains(url) && email.html.contains(url.replacingOccurrences(of: "&", with: "&amp;")))
        #expect(email.text.contains("The link works until Wednesday, 2 December 2026, 08:00 (Berlin)."))
        #expect(email.text.contains("This cannot be undone") == (action == .erase))
        #expect(email.subject == (action == .erase ? "Confirm the erasure of your personal data" : "Your copy of your personal data"))
        #expect(throws: MessageRenderError.self, "by email only") { try library.sms(.clientDataRequest, facts, maxSegments: 3) }
        let russian = try library.email(.clientDataRequest, Fixtures.facts(locale: "ru"))
        #expect(!russian.text.contains("{{") && russian.subject.contains("персональных данных"))
    }

    @Test func clientSeesTheirZoneAndTheCalendarsBesideIt() throws {
        let library = try Fixtures.library()
        let berlin = try library.email(.clientConfirmation, Fixtures.facts(locale: "en-GB", timeZone: "Europe/Berlin"))
        #expect(berlin.text.contains("When: Tuesday, 1 December 2026, 08:00 (Berlin) — 10:00 (Moscow)"))
        #expect(berlin.subject == "Your consultation is booked for 1 Dec 2026, 08:00 (Berlin)")
        #expect(berlin.text.contains("Hello Анна Петрова,"))
        #expect(berlin.text.contains("To reschedule or cancel: https://book.example.com/manage/BK-7Q2M-X9TD-4KHN-ZP3CG"))

        let moscow = try library.email(.clientConfirmation, Fixtures.facts(locale: "ru", timeZone: "Europe/Moscow"))
        #expect(moscow.text.contains("Когда: вторник, 1 декабря 2026, 10:00 (Москва)\n"))
        #expect(moscow.subject == "Вы записаны на консультацию 01.12.2026, 10:00 (Москва)")
        #expect(!moscow.html.contains("<br>"))

        // Across midnight the calendar's time carries its date.
        let tokyo = try library.email(.clientReminder, Fixtures.facts(locale: "ru", timeZone: "Asia/Tokyo"))
        #expect(tokyo.text.contains("Когда: вторник, 1 декабря 2026, 16:00 (Токио) — 10:00 (Москва)"))
        let losAngeles = try library.email(.clientReminder, Fixtures.facts(locale: "en", timeZone: "America/Los_Angeles"))
        #expect(losAngeles.text.contains("When: Monday, 30 November 2026, 23:00 (Los Angeles) — 1 December, 10:00 (Moscow)"))
    }

    @Test func consultantAndTeamSeeTheConsultantsZone() throws {
        let library = try Fixtures.library()
        let facts = Fixtures.facts(locale: "ru", timeZone: "Europe/Berlin", previousStart: Fixtures.previousStart)
        let email = try library.email(.consultantRescheduled, facts)
        #expect(email.text.contains("Новое время: вторник, 1 декабря 2026, 12:00 (Екатеринбург)"))
        #expect(email.text.contains("Прежнее время: понедельник, 30 ноября 2026, 12:00 (Екатеринбург)"))
        #expect(email.text.contains("Телефон: +79161234567"))
        #expect(email.text.contains("Клиент: Анна Петрова, ООО «Ромашка»"))
        let chat = try library.chat(.teamRescheduled, facts, markup: .plain)
        #expect(chat == "Перенос BK-7Q2M-****-****-****G: 30.11.2026, 12:00 (Екатеринбург) → 01.12.2026, 12:00 (Екатеринбург), консультант Ирина Смирнова. Клиент: А*** П*** <a***@example.com> +7916*****67")
    }

    @Test func optionalValuesLeaveNoTrace() throws {
        let library = try Fixtures.library()
        var facts = Fixtures.facts(locale: "en", manageURL: nil)
        facts.consultant.locale = .en
        facts.appointment.contact.phone = ""
        facts.appointment.contact.company = nil
        let client = try library.email(.clientConfirmation, facts)
        #expect(client.text.contains("To reschedule or cancel, reply to this email quoting your booking reference."))
        #expect(!client.html.contains("href=\"\""))
        #expect(!client.text.contains("\n\n\n"))
        let consultant = try library.email(.consultantCancelled, facts)
        #expect(!consultant.text.contains("Phone:") && !consultant.text.contains("Reason:"))
        #expect(consultant.text.contains("Client: Анна Петрова\n"))
        let chat = try library.chat(.teamCancelled, facts, markup: .plain)
        #expect(chat.hasSuffix("Client: А*** П*** <a***@example.com>"))
        let withReason = try library.chat(.teamCancelled, Fixtures.facts(locale: "en", clientMessage: "Client is ill"), markup: .plain)
        #expect(withReason.hasSuffix("\nReason: Client is ill"))
    }

    /// What a client wrote about their own change is personal data: the consultant reads it, the
    /// team's chat does not (it reads what an admin chose to tell clients).
    @Test func aClientsOwnReasonReachesTheConsultantButNotTheChat() throws {
        let library = try Fixtures.library()
        var facts = Fixtures.facts(locale: "en", clientMessage: "Мой развод затянулся", changedByClient: true)
        facts.consultant.locale = .en
        let chat = try library.chat(.teamCancelled, facts, markup: .plain)
        #expect(!chat.contains("развод") && !chat.contains("Reason:"), "\(chat)")
        #expect(try library.email(.consultantCancelled, facts).text.contains("Мой развод затянулся"))
        #expect(try library.email(.clientCancelled, facts).text.contains("Мой развод затянулся"))
        let moved = try library.chat(.teamConsultantChanged, Fixtures.facts(locale: "en", previousConsultant: Fixtures.previousConsultant,
                                                                            clientMessage: "Мой развод затянулся", changedByClient: true), markup: .plain)
        #expect(!moved.contains("развод"), "\(moved)")
    }

    /// The consultant's emails about a consultation to come carry the links that mark it, one
    /// per outcome, in both languages; without a manage page (or once bookingd gives no links)
    /// the paragraph is left out.
    @Test(arguments: [MessagePurpose.consultantCreated, .consultantRescheduled, .consultantReminder], SupportedLocale.allCases)
    func theConsultantsEmailsCarryTheOutcomeLinks(purpose: MessagePurpose, language: SupportedLocale) throws {
        let library = try Fixtures.library()
        var facts = Fixtures.facts(previousStart: purpose == .consultantRescheduled ? Fixtures.previousStart : nil)
        facts.consultant.locale = language
        facts.outcomeLinks = OutcomeLinksBody(expiresAt: Date(timeIntervalSince1970: 1_796_713_200), attendedToken: "a1b2", noShowToken: "c3d4")
        let manage = "https://book.example.com/manage/BK-7Q2M-X9TD-4KHN-ZP3CG"
        let attended = "\(manage)/outcome?outcome=attended&expires=1796713200000&token=a1b2"
        let noShow = "\(manage)/outcome?outcome=no_show&expires=1796713200000&token=c3d4"
        let email = try library.email(purpose, facts)
        #expect(email.text.contains(attended) && email.text.contains(noShow))
        #expect(email.html.contains("href=\"\(attended.replacingOccurrences(of: "&", with: "&amp;"))\""))
        #expect(email.html.contains("href=\"\(noShow.replacingOccurrences(of: "&", with: "&amp;"))\""))
        facts.outcomeLinks = nil
        let without = try library.email(purpose, facts)
        #expect(!without.text.contains("/outcome") && !without.html.contains("/outcome") && !without.text.contains("\n\n\n"))
    }

    @Test func htmlEscapesValuesAndTextDoesNot() throws {
        let library = try Fixtures.library()
        var facts = Fixtures.facts(locale: "en")
        facts.appointment.contact.name = "O'Brien <script>alert(1)</script> & Co"
        let email = try library.email(.clientConfirmation, facts)
        #expect(email.text.contains("Hello O'Brien <script>alert(1)</script> & Co,"))
        #expect(!email.html.contains("<script>"))
        #expect(email.html.contains("&lt;script&gt;"))
        #expect(email.html.contains("&amp; Co"))
    }

    @Test func calendarEventText() throws {
        let library = try Fixtures.library()
        #expect(try library.calendarEvent(Fixtures.facts(locale: "ru")) == CalendarEventText(
            summary: "Консультация — Ирина Смирнова",
            description: "Консультант: Ирина Смирнова\nНомер записи: BK-7Q2M-X9TD-4KHN-ZP3CG\nПеренести или отменить: https://book.example.com/manage/BK-7Q2M-X9TD-4KHN-ZP3CG"))
        #expect(try library.calendarEvent(Fixtures.facts(locale: "en", manageURL: nil)) == CalendarEventText(
            summary: "Consultation — Ирина Смирнова", description: "Consultant: Ирина Смирнова\nBooking reference: BK-7Q2M-X9TD-4KHN-ZP3CG"))
    }

    @Test func wrongChannelsAndZonesAreRefused() throws {
        let library = try Fixtures.library()
        #expect(throws: MessageRenderError.self) { try library.email(.teamCreated, Fixtures.facts()) }
        #expect(throws: MessageRenderError.self) { try library.sms(.consultantCreated, Fixtures.facts(), maxSegments: 2) }
        #expect(throws: MessageRenderError.self) { try library.chat(.clientConfirmation, Fixtures.facts(), markup: .plain) }
        #expect(throws: MessageRenderError(problem: "the client's time zone \"Mars/Olympus\" is not an IANA zone such as Europe/Moscow")) {
            try library.email(.clientConfirmation, Fixtures.facts(timeZone: "Mars/Olympus"))
        }
    }

    @Test func rendersTheSameEveryTime() throws {
        let facts = Fixtures.facts(locale: "ru", timeZone: "Europe/Berlin", previousStart: Fixtures.previousStart)
        let first = try Fixtures.library().email(.clientRescheduled, facts)
        let second = try Fixtures.library().email(.clientRescheduled, facts)
        #expect(first == second)
    }

    // MARK: Refused templates

    @Test func unclosedSectionIsRefusedWithFileAndLine() throws {
        try Fixtures.withTemplateCopy { directory in
            let path = "\(directory)/ru/client-confirmation.text.mustache"
            try "Здравствуйте, {{client_name}}!\n\n{{#manage_url}}\nИзменить: {{manage_url}}\n\nДо встречи!\n".write(toFile: path, atomically: true, encoding: .utf8)
            let error = try #require(throws: TemplateError.self) { try TemplateLibrary.load(directory: directory) }
            #expect(error.file == path)
            #expect(error.line == 3)
            #expect(error.description.hasPrefix("\(path):3: section \"manage_url\" is opened here and never closed"))
        }
    }

    @Test func mustacheSyntaxErrorIsRefusedWithFileAndLine() throws {
        try Fixtures.withTemplateCopy { directory in
            let path = "\(directory)/en/consultant-created.html.mustache"
            try "<p>\n<b>{{reference</b>\n</p>\n".write(toFile: path, atomically: true, encoding: .utf8)
            let error = try #require(throws: TemplateError.self) { try TemplateLibrary.load(directory: directory) }
            #expect(error.file == path)
            #expect(error.line == 2)
        }
    }

    @Test func mismatchedCloseIsRefused() throws {
        try Fixtures.withTemplateCopy { directory in
            let path = "\(directory)/en/client-cancelled.text.mustache"
            try "a\n{{#reason}}\n{{/manage_url}}\n".write(toFile: path, atomically: true, encoding: .utf8)
            let error = try #require(throws: TemplateError.self) { try TemplateLibrary.load(directory: directory) }
            #expect(error.line == 3)
            #expect(error.problem.contains("opened on line 2"))
        }
    }

    @Test func missingTemplateIsRefusedNamingIt() throws {
        try Fixtures.withTemplateCopy { directory in
            let path = "\(directory)/en/client-reminder.sms.mustache"
            try FileManager.default.removeItem(atPath: path)
            let error = try #require(throws: TemplateError.self) { try TemplateLibrary.load(directory: directory) }
            #expect(error.file == path)
            #expect(error.line == nil)
            #expect(error.description.contains("client-reminder.sms.mustache: missing"))
        }
    }

    @Test func unknownVariableIsRefused() throws {
        try Fixtures.withTemplateCopy { directory in
            let path = "\(directory)/ru/client-reminder.subject.mustache"
            try "Напоминание\n{{refrence}}\n".write(toFile: path, atomically: true, encoding: .utf8)
            let error = try #require(throws: TemplateError.self) { try TemplateLibrary.load(directory: directory) }
            #expect(error.file == path && error.line == 2)
            #expect(error.problem.hasPrefix("unknown variable \"refrence\""))
        }
    }

    @Test func teamTemplateCannotReachTheUnmaskedContact() throws {
        try Fixtures.withTemplateCopy { directory in
            let path = "\(directory)/en/team-created.chat.mustache"
            try "New booking {{reference}} for {{client_name}} ({{client_phone}})\n".write(toFile: path, atomically: true, encoding: .utf8)
            let error = try #require(throws: TemplateError.self) { try TemplateLibrary.load(directory: directory) }
            #expect(error.file == path && error.line == 1)
            #expect(error.problem.contains("\"client_name\""))
        }
    }

    @Test func unescapedValueInHTMLIsRefused() throws {
        try Fixtures.withTemplateCopy { directory in
            let path = "\(directory)/ru/client-cancelled.html.mustache"
            try "<p>\n{{reference}}\n{{{reason}}}</p>\n".write(toFile: path, atomically: true, encoding: .utf8)
            let error = try #require(throws: TemplateError.self) { try TemplateLibrary.load(directory: directory) }
            #expect(error.file == path && error.line == 3)
            #expect(error.problem.contains("without HTML escaping"))
        }
    }

    @Test func partialsAreRefused() throws {
        try Fixtures.withTemplateCopy { directory in
            let path = "\(directory)/ru/client-cancelled.sms.mustache"
            try "{{> footer}}\n".write(toFile: path, atomically: true, encoding: .utf8)
            let error = try #require(throws: TemplateError.self) { try TemplateLibrary.load(directory: directory) }
            #expect(error.file == path && error.line == 1)
        }
    }
}

@Suite struct SupportedLocaleTests {
    @Test(arguments: [("ru", SupportedLocale.ru), ("ru-RU", .ru), ("ru_RU", .ru), ("en", .en), ("en-GB", .en), ("EN-us", .en),
                      ("de", .ru), ("", .ru), ("english", .ru)])
    func fromLocale(locale: String, expected: SupportedLocale) {
        #expect(SupportedLocale(identifier: locale) == expected)
    }

    @Test func cityNames() {
        #expect(MessageTime.cityName("Europe/Moscow", .ru) == "Москва")
        #expect(MessageTime.cityName("Europe/Moscow", .en) == "Moscow")
        #expect(MessageTime.cityName("America/Argentina/Buenos_Aires", .en) == "Buenos Aires")
        #expect(MessageTime.cityName("UTC", .ru) == "UTC")
    }
}

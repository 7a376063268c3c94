import BookingDomain
import BookingProtocol
import CivilTime
import Foundation
import Hummingbird
import Testing
@testable import WebFrontend

@Suite struct LanguageTests {
    @Test(arguments: [
        (nil, SupportedLocale.ru), ("en-US,en;q=0.9", .en), ("ru-RU,ru;q=0.9,en;q=0.8", .ru), ("de-DE,de;q=0.9,en;q=0.5,ru;q=0.4", .en),
        ("de", .ru), ("en;q=0, ru;q=0.1", .ru), ("fr;q=1, ru;q=0.5, en;q=0.8", .en), ("EN", .en),
    ] as [(String?, SupportedLocale)])
    func theHeaderPicksTheBestSupportedLanguage(header: String?, expected: SupportedLocale) {
        #expect(SupportedLocale.preferred(acceptLanguage: header) == expected)
    }
}

@Suite struct PhoneCountryTests {
    @Test(arguments: [
        (SupportedLocale.ru, nil, "RU"), (.en, nil, "GB"), (.en, "Europe/London", "GB"), (.en, "America/New_York", "US"), (.ru, "Europe/Moscow", "RU"),
        (.ru, "Europe/London", "GB"), (.en, "Asia/Almaty", "KZ"), (.en, "Etc/UTC", "GB"), (.ru, "UTC", "RU"),
    ] as [(SupportedLocale, String?, String)])
    func theFirstCountryFollowsTheZoneThenTheLanguage(language: SupportedLocale, zone: String?, expected: String) throws {
        #expect(language.defaultPhoneRegion(visitorZone: zone.flatMap(TimeZone.init(identifier:))) == expected)
    }

    @Test func everyCountryIsNamedInThePagesLanguageWithItsCodeAndExample() throws {
        let russian = SupportedLocale.ru.phoneCountries, english = SupportedLocale.en.phoneCountries
        #expect(russian.count > 200 && russian.count == english.count)
        let uk = try #require(english.first { $0.region == "GB" })
        #expect(uk.name == "United Kingdom" && uk.callingCode == 44 && uk.example.national == "07400 123456")
        #expect(russian.first { $0.region == "GB" }?.name == "Великобритания")
        #expect(russian.first { $0.region == "RU" }?.example.national == "8 (912) 345-67-89")
        #expect(english.map(\.name) == english.map(\.name).sorted { $0.compare($1, locale: Locale(identifier: "en_GB")) == .orderedAscending })
        #expect(russian.first?.name == "Абхазия" || russian.first?.name == "Австралия")
    }
}

@Suite struct ProblemTests {
    @Test func everyErrorCodeOfTheCoreHasAnHTTPStatusAndATitle() {
        for code in ErrorCode.allCases {
            let problem = Problem(ProtocolError(code, "m", field: "f"))
            #expect((400...599).contains(problem.status.code))
            #expect(problem.code == code.rawValue)
            #expect(problem.field == "f")
            #expect(Problem.titles[code.rawValue] != nil, "\(code)")
        }
        #expect(Problem(ProtocolError(.slotUnavailable, "gone")).status == .conflict)
        #expect(Problem(ProtocolError(.contactLimitReached, "full", field: "contact.phone")).status == .conflict)
        #expect(Problem(ProtocolError(.notFound, "no")).status == .notFound)
        #expect(Problem(ProtocolError(.validationFailed, "bad")).status == .unprocessableContent)
        #expect(Problem(ProtocolError(.unavailable, "down")).status == .serviceUnavailable)
        #expect(Problem(ProtocolError(.unavailable, "down")).retryAfter == 30)
    }

    @Test func errorsAreMappedOnceAndAnythingElseIsNotMapped() {
        let refusal = ProtocolError(.contactLimitReached, "full", field: "contact.email")
        #expect(Problem.mapping(refusal) == Problem(refusal))
        let own = Problem(status: 429, code: "rate_limited", detail: "slow", retryAfter: 3)
        #expect(Problem.mapping(own) == own)
        // A daemon that does not answer (503, Retry-After): WebsiteHTTPTests, against real sockets nobody serves.
        #expect(Problem.mapping(HTTPError(.notFound))?.code == "not_found_route")
        #expect(Problem.mapping(HTTPError(.methodNotAllowed))?.code == "method_not_allowed")
        #expect(Problem.mapping(HTTPError(.contentTooLarge))?.status == .contentTooLarge)
        #expect(Problem.mapping(HTTPError(.badGateway)) == nil, "no other HTTP error is passed off as one of these")
        #expect(Problem.mapping(CancellationError()) == nil)
        #expect(Problem.internalError.status == .internalServerError && Problem.internalError.code == "internal")
    }

    @Test func theBodyIsRFC9457WithTheCodeAndField() throws {
        let problem = Problem(status: 429, code: "rate_limited", detail: "slow down", retryAfter: 12)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(problem.json)) as? [String: Any])
        #expect(object["type"] as? String == "urn:booking:problem:rate_limited")
        #expect(object["title"] as? String == "Too many requests")
        #expect(object["status"] as? Int == 429)
        #expect(object["detail"] as? String == "slow down")
        #expect(object["retry_after"] as? Int == 12)
        #expect(object["field"] == nil, "absent, not null")
        for (code, status) in Problem.webCodes {
            #expect(Problem.titles[code] != nil, "\(code)")
            #expect(ErrorCode(rawValue: code) == nil, "\(code) is webd's own, not the core's")
            #expect((400...499).contains(status))
        }
    }
}

@Suite struct CalendarFileTests {
    static func appointment(status: String = "confirmed", revision: Int = 0) throws -> AppointmentBody {
        let start = try #require(ISO8601.parseInstant("2026-12-02T11:00:00+03:00"))
        return AppointmentBody(
            reference: "BK-7Q2M-9XKD-4HPR-T3WNG", id: "0b7e3f5a-3c1d-4e0f-9a7b-2d6c1e8f4a55", clientId: "c", consultantId: "anna", start: start,
            end: start.addingTimeInterval(1800), status: status, contact: ContactBody(name: "Иван", email: "i@example.com", phone: "+79161234567"),
            timeZone: "Asia/Tokyo", locale: "ru", createdAt: start, updatedAt: start.addingTimeInterval(600), reminderSent: false, revision: revision
        )
    }

    @Test func anAppointmentBecomesOneEventInUTCUnderItsIdAndRevision() throws {
        let appointment = try Self.appointment(revision: 2)
        let text = CalendarFile.render(appointment, manageURL: "https://booking.example.com/manage/BK-7Q2M-9XKD-4HPR-T3WNG", language: .ru, now: appointment.start)
        #expect(text.hasPrefix("BEGIN:VCALENDAR\r\n"))
        #expect(text.contains("\r\nMETHOD:PUBLISH\r\n"))
        #expect(text.contains("\r\nUID:0b7e3f5a-3c1d-4e0f-9a7b-2d6c1e8f4a55\r\n"), "the appointment's id, as notifyd's invite has it")
        #expect(text.contains("\r\nSEQUENCE:2\r\n"), "the revision, not a time")
        #expect(text.contains("\r\nDTSTART:20261202T080000Z\r\n"))
        #expect(text.contains("\r\nDTEND:20261202T083000Z\r\n"))
        #expect(text.contains("\r\nSTATUS:CONFIRMED\r\n"))
        #expect(text.contains("SUMMARY:Консультация\\, 30 минут"))
        for line in text.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 75, "\(line)") }
        let unfolded = text.replacingOccurrences(of: "\r\n ", with: "")
        #expect(unfolded.contains("URL:https://booking.example.com/manage/BK-7Q2M-9XKD-4HPR-T3WNG"))
        #expect(!unfolded.contains("UID:BK-") && !unfolded.contains("@"), "the reference is not the UID")
    }

    @Test func aCancelledAppointmentIsACancelledEvent() throws {
        let text = CalendarFile.render(try Self.appointment(status: "cancelled", revision: 1), manageURL: "https://x/manage/R", language: .en, now: Date())
        #expect(text.contains("\r\nSTATUS:CANCELLED\r\n"))
        #expect(text.contains("\r\nSEQUENCE:1\r\n"))
    }
}

@Suite struct PagesTests {
    let tokyo = TimeZone(identifier: "Asia/Tokyo")!

    func slot(_ text: String, in zone: TimeZone) -> SlotBody {
        let start = ISO8601.parseInstant(text)!
        return SlotBody(start: start, end: start.addingTimeInterval(1800), localStart: ISO8601.local(start, in: zone),
                        localEnd: ISO8601.local(start.addingTimeInterval(1800), in: zone), free: 1)
    }

    @Test func theCalendarShowsTimesInTheVisitorsZoneWithMoscowBeside() {
        let pages = Pages(language: .en, time: VisitorTime(zone: tokyo, language: .en), here: "/")
        let slots = [slot("2026-12-02T10:00:00+03:00", in: tokyo), slot("2026-12-02T10:30:00+03:00", in: tokyo)]
        let grouped = Pages.Calendar.group(slots)
        #expect(grouped.keys.map(\.description) == ["2026-12-02"])
        let today = LocalDate(year: 2026, month: 12, day: 1)
        let calendar = Pages.Calendar(today: today, lastDay: today.adding(days: 13), selected: Pages.Calendar.pick(nil, today: today, lastDay: today.adding(days: 13), slotsByDay: grouped),
                                      slotsByDay: grouped, zones: ["Europe/Moscow"])
        #expect(calendar.selected.description == "2026-12-02", "the first day with a slot")
        let html = pages.pickPage(calendar)
        #expect(html.contains("<span class=\"local\">16:00</span> <span class=\"msk\">10:00 Moscow time</span>"))
        #expect(html.contains("href=\"/book?start=2026-12-02T07%3A00%3A00.000Z&amp;tz=Asia%2FTokyo\""))
        // Days without slots are shown, and not links.
        #expect(html.contains("<span class=\"day unavailable\" aria-disabled=\"true\" data-date=\"2026-12-03\""))
        #expect(html.contains("<option value=\"Asia/Tokyo\" selected>Asia/Tokyo (UTC+09:00)</option>"), "the visitor's zone is offered")
        #expect(html.contains("<html lang=\"en\">"))
        #expect(!html.contains("<script>"), "no inline script")
        #expect(!html.contains("style="), "no inline style")
    }

    @Test func theFormLabelsEveryFieldAndPutsErrorsBesideThem() throws {
        let pages = Pages(language: .ru, time: VisitorTime(zone: VisitorTime.moscow, language: .ru), here: "/book")
        var form = Pages.BookingForm()
        form.name = "<script>alert(1)</script>"
        let start = try #require(ISO8601.parseInstant("2026-12-02T10:00:00+03:00"))
        let html = pages.formPage(
            form: form, slot: (start, start.addingTimeInterval(1800)), freshSlots: nil, errors: ["email": "Укажите адрес"], message: nil,
            formToken: "1.abc", powChallenge: ProofOfWorkChallenge(challenge: "c", maxNumber: 10, salt: "1.s", signature: "sig"), policyLink: "/policy?lang=ru",
            backDate: "2026-12-02"
        )
        #expect(html.contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""))
        for field in ["name", "email", "phone", "company", "consent", "country"] {
            #expect(html.contains("<label for=\"\(field)\"") || html.contains("<label class=\"visually-hidden\" for=\"\(field)\""), "\(field)")
        }
        #expect(html.contains("<p class=\"error\" id=\"email-error\">Укажите адрес</p>"))
        #expect(html.contains("aria-invalid=\"true\" aria-describedby=\"email-hint email-error\""))
        #expect(html.contains("name=\"website\" type=\"text\" tabindex=\"-1\""), "the honeypot")
        #expect(html.contains("data-challenge=\"c\" data-salt=\"1.s\" data-signature=\"sig\" data-max-number=\"10\""))
        #expect(html.contains("href=\"/policy?lang=ru\""))
        #expect(html.contains("10:00–10:30 (Europe/Moscow)"))
        #expect(!html.contains("по Москве"), "Moscow time is not repeated for a Moscow visitor")
    }

    @Test func aTakenSlotOffersTheFreshOnesAndKeepsTheDetails() {
        let pages = Pages(language: .en, time: VisitorTime(zone: tokyo, language: .en), here: "/book")
        var form = Pages.BookingForm()
        form.email = "kept@example.com"
        let html = pages.formPage(
            form: form, slot: nil, freshSlots: [slot("2026-12-02T11:00:00+03:00", in: tokyo)], errors: [:], message: "taken",
            formToken: "t", powChallenge: ProofOfWorkChallenge(challenge: "c", maxNumber: 1, salt: "s", signature: "g"), policyLink: "/policy", backDate: nil
        )
        #expect(html.contains("<p class=\"alert\" role=\"alert\">taken</p>"))
        #expect(html.contains("id=\"fresh-slots\""))
        #expect(html.contains("type=\"radio\" name=\"start\" id=\"start-0\" value=\"2026-12-02T08:00:00.000Z\""))
        #expect(html.contains("value=\"kept@example.com\""))
    }

    @Test func escapingCoversEveryHTMLSpecialCharacter() {
        #expect(escapeHTML("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        #expect(parseForm("a=1+2&b=%D0%98&c=&a=dup") == ["a": "1 2", "b": "И", "c": ""])
    }

    @Test func logsNeverShowAWholeReference() {
        let reference = BookingReference.random()
        #expect(SecurityHeadersMiddleware.maskedPath("/manage/\(reference)/cancel") == "/manage/\(reference.masked)/cancel")
        #expect(SecurityHeadersMiddleware.maskedPath("/api/v1/bookings/\(reference.description.lowercased())") == "/api/v1/bookings/\(reference.masked)")
        // Not a valid reference (wrong check symbol): nothing of it is shown.
        #expect(SecurityHeadersMiddleware.maskedPath("/manage/BK-7Q2M-9XKD-4HPR-T3WNQ") == "/manage/BK-****")
        #expect(SecurityHeadersMiddleware.maskedPath("/book") == "/book")
    }
}

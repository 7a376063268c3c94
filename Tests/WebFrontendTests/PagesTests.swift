import BookingDomain
import BookingProtocol
import CivilTime
import Foundation
import HTMLEscaping
import Hummingbird
import Testing
@testable import WebFrontend
import WebInput

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
            #expect((problem.detail == "m") == (problem.status.code < 500), "a 5xx's message stays in the log: \(code)")
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

    @Test func theGoogleCalendarLinkCarriesTheSameEvent() throws {
        let link = CalendarFile.googleCalendarLink(try Self.appointment(), manageURL: "https://booking.example.com/manage/BK-7Q2M-9XKD-4HPR-T3WNG", language: .en)
        #expect(link.hasPrefix("https://calendar.google.com/calendar/render?action=TEMPLATE&text=Consultation%2C%2030%20minutes&dates=20261202T080000Z%2F20261202T083000Z&details="))
        let components = try #require(URLComponents(string: link))
        let items = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(items["dates"] == "20261202T080000Z/20261202T083000Z")
        #expect(items["details"] == "Booking reference: BK-7Q2M-9XKD-4HPR-T3WNG\nhttps://booking.example.com/manage/BK-7Q2M-9XKD-4HPR-T3WNG")
        #expect(items["location"] == nil, "no place is known to the event yet")
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

    @Test func logsNeverShowAFeedsToken() {
        #expect(SecurityHeadersMiddleware.maskedPath("/feeds/anna.2.0123456789abcdef0123456789abcdef.ics") == "/feeds/****")
        #expect(SecurityHeadersMiddleware.maskedPath("/feeds/") == "/feeds/****")
        #expect(SecurityHeadersMiddleware.maskedPath("/feeds") == "/feeds")
    }

    // MARK: Branding, the phone, pauses, confirmations

    func calendar(today: LocalDate, slots: [SlotBody]) -> Pages.Calendar {
        let grouped = Pages.Calendar.group(slots)
        return Pages.Calendar(today: today, lastDay: today.adding(days: 13), selected: Pages.Calendar.pick(nil, today: today, lastDay: today.adding(days: 13), slotsByDay: grouped),
                              slotsByDay: grouped, zones: ["Europe/Moscow", "Asia/Tokyo"])
    }

    @Test func everyPageCarriesTheCompanysNameLogoColoursAndLegalDetails() {
        var branding = Branding(configurationFile: "/etc/booking/booking.yaml")
        branding.companyName = LocalizedText([.ru: "ООО «Пример»", .en: "Primer LLC"])
        branding.footer = LocalizedText([.en: "Primer LLC, reg. no. 1234567890123\n1 Example St, Moscow <HQ>"])
        branding.logo = Branding.Logo(path: "/x/logo.png", contentType: "image/png", bytes: [1], etag: "\"e\"")
        let pages = Pages(language: .en, time: VisitorTime(zone: tokyo, language: .en), here: "/", branding: branding)
        let html = pages.messagePage(title: "Hello", message: "m")
        #expect(html.contains("<title>Hello · Primer LLC</title>"))
        #expect(html.contains("<a class=\"brand\" href=\"/\"><img class=\"logo\" id=\"logo\" src=\"/logo\" alt=\"\"><span id=\"company-name\">Primer LLC</span></a>"))
        #expect(html.contains("<link rel=\"stylesheet\" href=\"/brand.css\">"))
        #expect(html.contains("<footer class=\"legal\" id=\"legal\">Primer LLC, reg. no. 1234567890123<br>1 Example St, Moscow &lt;HQ&gt;</footer>"))
        #expect(!html.contains("embed-origins"), "no site may frame it, so it tells no one its height")
        #expect(Pages(language: .ru, time: VisitorTime(zone: tokyo, language: .ru), here: "/", branding: branding).messagePage(title: "T", message: "m")
            .contains("<span id=\"company-name\">ООО «Пример»</span>"))

        branding.embedOrigins = ["https://www.example.com", "http://localhost:8443"]
        let framed = Pages(language: .en, time: VisitorTime(zone: tokyo, language: .en), here: "/", branding: branding).messagePage(title: "T", message: "m")
        #expect(framed.contains("<meta name=\"embed-origins\" content=\"https://www.example.com http://localhost:8443\">"))

        let unbranded = Pages(language: .en, time: VisitorTime(zone: tokyo, language: .en), here: "/").pickPage(calendar(today: LocalDate(year: 2026, month: 12, day: 1), slots: []))
        #expect(unbranded.contains("Your company — edit web.company_name in /etc/booking/booking.yaml"))
        #expect(unbranded.contains("<p class=\"lead\" id=\"description\">A short description of the consultation — edit web.description in /etc/booking/booking.yaml</p>"))
        #expect(!unbranded.contains("id=\"logo\""))
    }

    @Test func theMonthAndYearNameTheCalendarAndADayLeadsToItsTimes() {
        let pages = Pages(language: .ru, time: VisitorTime(zone: tokyo, language: .ru), here: "/")
        let html = pages.pickPage(calendar(today: LocalDate(year: 2026, month: 12, day: 1), slots: [slot("2026-12-02T10:00:00+03:00", in: tokyo)]))
        #expect(html.contains("<caption id=\"month-caption\">Декабрь 2026"), "\(html)")
        #expect(html.contains("href=\"/?date=2026-12-02&amp;tz=Asia%2FTokyo#slots\" data-date=\"2026-12-02\""))
        #expect(html.contains("<section class=\"slots\" id=\"slots\""))
        let spanning = Pages(language: .en, time: VisitorTime(zone: tokyo, language: .en), here: "/")
            .pickPage(calendar(today: LocalDate(year: 2026, month: 12, day: 25), slots: []))
        #expect(spanning.contains("<caption id=\"month-caption\">December 2026 – January 2027</caption>"))
    }

    @Test func aPauseIsSaidOnThePageBeforeAnythingIsTyped() {
        let pages = Pages(language: .en, time: VisitorTime(zone: tokyo, language: .en), here: "/")
        let today = LocalDate(year: 2026, month: 12, day: 1)
        let html = pages.pickPage(calendar(today: today, slots: [slot("2026-12-02T10:00:00+03:00", in: tokyo)]), pause: BookingPause(publicReason: "office move"))
        #expect(html.contains("<p class=\"alert\" role=\"status\" id=\"pause-notice\">Booking is paused for now: office move."))
        #expect(!pages.pickPage(calendar(today: today, slots: [])).contains("pause-notice"))
        let form = pages.formPage(
            form: Pages.BookingForm(), slot: nil, freshSlots: [], errors: [:], message: nil, formToken: "t",
            powChallenge: ProofOfWorkChallenge(challenge: "c", maxNumber: 1, salt: "s", signature: "g"), policyLink: "/policy", backDate: nil,
            pause: BookingPause(publicReason: nil)
        )
        #expect(form.contains("id=\"pause-notice\">Booking is paused for now. You can see"))
    }

    @Test func fieldErrorsAreSummedUpFirstEachLinkingToItsField() {
        let pages = Pages(language: .en, time: VisitorTime(zone: tokyo, language: .en), here: "/book")
        let html = pages.formPage(
            form: Pages.BookingForm(), slot: nil, freshSlots: [slot("2026-12-02T11:00:00+03:00", in: tokyo)],
            errors: ["consent": "Consent <needed>", "name": "Please enter your name.", "topic": "Too long"], message: nil, formToken: "t",
            powChallenge: ProofOfWorkChallenge(challenge: "c", maxNumber: 1, salt: "s", signature: "g"), policyLink: "/policy", backDate: nil
        )
        let summary = "<div class=\"error-summary\" id=\"error-summary\" role=\"alert\" tabindex=\"-1\" autofocus aria-labelledby=\"error-summary-title\">"
            + "<h2 id=\"error-summary-title\">There is a problem</h2><ul><li><a href=\"#name\">Please enter your name.</a></li>"
            + "<li><a href=\"#consent\">Consent &lt;needed&gt;</a></li><li><a href=\"#topic\">Too long</a></li></ul></div>"
        #expect(html.contains(summary))
        #expect(html.range(of: "error-summary")!.lowerBound < html.range(of: "booking-form")!.lowerBound, "before the form")
        #expect(!pages.formPage(
            form: Pages.BookingForm(), slot: nil, freshSlots: [], errors: [:], message: nil, formToken: "t",
            powChallenge: ProofOfWorkChallenge(challenge: "c", maxNumber: 1, salt: "s", signature: "g"), policyLink: "/policy", backDate: nil
        ).contains("error-summary"))
    }

    @Test func theConfirmationSaysWhereItWentAndOffersBothCalendars() throws {
        let pages = Pages(language: .en, time: VisitorTime(zone: tokyo, language: .en), here: "/manage/BK-7Q2M-9XKD-4HPR-T3WNG")
        let appointment = try CalendarFileTests.appointment()
        let url = "https://booking.example.com/manage/BK-7Q2M-9XKD-4HPR-T3WNG"
        let booked = pages.appointmentPage(appointment, done: "booked", manageURL: url, formToken: "t")
        #expect(booked.contains("<p id=\"sent-to\">We sent the confirmation to <strong>i***@example.com</strong>.</p>"))
        #expect(booked.contains("<p id=\"phone-on-file\">Phone we may call: <strong>+7916*****67</strong></p>"))
        #expect(booked.contains("id=\"ics-link\" href=\"/manage/BK-7Q2M-9XKD-4HPR-T3WNG/calendar.ics\""))
        let google = escapeHTML(CalendarFile.googleCalendarLink(appointment, manageURL: url, language: .en))
        #expect(booked.contains("id=\"google-calendar-link\" href=\"\(google)\" target=\"_blank\" rel=\"noopener\">Add to Google Calendar</a>"))
        #expect(!booked.contains("i@example.com") && !booked.contains("+79161234567"), "masked only")
        #expect(!pages.appointmentPage(appointment, done: nil, manageURL: url, formToken: "t").contains("sent-to"), "only right after booking or moving")
    }

    @Test func theManagePageOffersTheClientsDataRequestsAndTheLinksPageActsOnlyOnItsButton() throws {
        let pages = Pages(language: .en, time: VisitorTime(zone: tokyo, language: .en), here: "/manage/BK-7Q2M-9XKD-4HPR-T3WNG")
        var appointment = try CalendarFileTests.appointment().shownOnTheWeb
        let url = "https://booking.example.com/manage/BK-7Q2M-9XKD-4HPR-T3WNG"
        let manage = pages.appointmentPage(appointment, done: nil, manageURL: url, formToken: "t")
        #expect(manage.contains("<section class=\"personal-data\" id=\"personal-data\"><h2>Your personal data</h2>"))
        for action in ["export", "erase"] {
            #expect(manage.contains("<form class=\"data-request\" method=\"post\" action=\"/manage/BK-7Q2M-9XKD-4HPR-T3WNG/data\"><input type=\"hidden\" name=\"form_token\" value=\"t\"><input type=\"hidden\" name=\"tz\" value=\"Asia/Tokyo\"><input type=\"hidden\" name=\"action\" value=\"\(action)\">"), "\(action)")
        }
        let sent = pages.appointmentPage(appointment, done: "data-link", manageURL: url, formToken: "t")
        #expect(sent.contains("<p class=\"notice\" role=\"status\" id=\"data-link-sent\">We sent the link to i***@example.com. It works for 24 hours.</p>"))
        #expect(!pages.appointmentPage(appointment, done: "booked", manageURL: url, formToken: "t").contains("personal-data"), "not while the booking is news")
        appointment.erasedAt = appointment.updatedAt
        #expect(!pages.appointmentPage(appointment, done: nil, manageURL: url, formToken: "t").contains("personal-data"), "nothing left to ask about")

        let erase = pages.dataRequestPage(appointment, action: .erase, expires: "1796200000000", token: "0123456789abcdef0123456789abcdef\"", formToken: "t")
        #expect(erase.contains("<h1>Erase your personal data</h1>") && erase.contains("This cannot be undone."))
        #expect(erase.contains("<form class=\"confirm\" method=\"post\" action=\"/manage/BK-7Q2M-9XKD-4HPR-T3WNG/data/confirm\">"))
        #expect(erase.contains("<input type=\"hidden\" name=\"action\" value=\"erase\">\n<input type=\"hidden\" name=\"expires\" value=\"1796200000000\">"))
        #expect(erase.contains("<input type=\"hidden\" name=\"token\" value=\"0123456789abcdef0123456789abcdef&quot;\">"), "escaped as typed into the URL")
        #expect(erase.contains("class=\"danger\" id=\"data-request-button\">Erase my data</button>"))
        let export = Pages(language: .ru, time: VisitorTime(zone: tokyo, language: .ru), here: "/")
            .dataRequestPage(appointment, action: .export, expires: "1", token: "t", formToken: "t")
        #expect(export.contains("<h1>Копия ваших персональных данных</h1>") && export.contains("id=\"data-request-button\">Скачать мои данные</button>"))
    }

    @Test func cancellingAndReschedulingAskFirstWithPlainForms() throws {
        let pages = Pages(language: .ru, time: VisitorTime(zone: tokyo, language: .ru), here: "/manage/BK-7Q2M-9XKD-4HPR-T3WNG/cancel")
        let appointment = try CalendarFileTests.appointment()
        let cancel = pages.cancelConfirmationPage(appointment, reason: "Планы \"изменились\"", formToken: "tok")
        #expect(cancel.contains("<h1>Отменить эту запись?</h1>"))
        #expect(cancel.contains("<form class=\"confirm\" method=\"post\" action=\"/manage/BK-7Q2M-9XKD-4HPR-T3WNG/cancel\">"))
        #expect(cancel.contains("<input type=\"hidden\" name=\"reason\" value=\"Планы &quot;изменились&quot;\">"))
        #expect(cancel.contains("<input type=\"hidden\" name=\"confirm\" value=\"yes\">"))
        #expect(cancel.contains("id=\"cancel-yes\">Да, отменить</button>"))
        #expect(cancel.contains("id=\"keep-booking\" href=\"/manage/BK-7Q2M-9XKD-4HPR-T3WNG?tz=Asia%2FTokyo\""))

        let target = slot("2026-12-03T12:00:00+03:00", in: tokyo)
        let move = pages.rescheduleConfirmationPage(appointment, to: target, formToken: "tok")
        #expect(move.contains("<dd id=\"booking-time\">среда, 2 декабря") && move.contains("17:00–17:30 (Asia/Tokyo) · 11:00 по Москве</dd>"))
        #expect(move.contains("<dd id=\"new-time\"><strong>четверг, 3 декабря") && move.contains("18:00–18:30 (Asia/Tokyo) · 12:00 по Москве</strong></dd>"))
        #expect(move.contains("<input type=\"hidden\" name=\"start\" value=\"2026-12-03T09:00:00.000Z\">"))
        #expect(move.contains("<input type=\"hidden\" name=\"confirm\" value=\"yes\">"))
        #expect(move.contains("id=\"choose-another\" href=\"/manage/BK-7Q2M-9XKD-4HPR-T3WNG/reschedule?date=2026-12-03&amp;tz=Asia%2FTokyo\""))
    }
}

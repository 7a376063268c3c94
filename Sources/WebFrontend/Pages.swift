import BookingDomain
import BookingProtocol
import CivilTime
import Foundation
import HTMLEscaping

/// The server-rendered pages: pure functions of what they show, so they work with JavaScript
/// off and can be checked without a server.
public struct Pages: Sendable {
    public let language: SupportedLocale
    public let time: VisitorTime
    /// The path and query of this page, for the language switch.
    public let here: String
    public let branding: Branding
    /// The funnel's visit token on the booking steps' pages, carried by their links and forms
    /// (`VisitToken`); nil elsewhere.
    public var visitToken: String?

    public init(language: SupportedLocale, time: VisitorTime, here: String, branding: Branding = Branding()) {
        self.language = language
        self.time = time
        self.here = here
        self.branding = branding
    }

    func t(_ phrase: Phrase) -> String { escapeHTML(language.text(phrase)) }

    /// The frame of every page.
    public func layout(title: String, step: Int? = nil, body: String, noindex: Bool = false) -> String {
        var switchLink = here.contains("?") ? here + "&lang=\(language.other.rawValue)" : here + "?lang=\(language.other.rawValue)"
        // `here` leaves the visit out: the link carries the one this page holds, not one refused.
        if let visitToken { switchLink += "&" + query([("visit", visitToken)]).dropFirst() }
        var steps = ""
        if let step {
            let names: [Phrase] = [.stepPick, .stepDetails, .stepDone]
            steps = "<ol class=\"steps\">" + names.enumerated().map { index, name in
                "<li\(index + 1 == step ? " aria-current=\"step\" class=\"current\"" : "")>\(t(name))</li>"
            }.joined() + "</ol>"
        }
        let company = escapeHTML(branding.companyName(language))
        let logo = branding.logo == nil ? "" : "<img class=\"logo\" id=\"logo\" src=\"/logo\" alt=\"\">"
        // The page tells its height only to the sites allowed to frame it (`site.js`).
        var metas = branding.embedOrigins.isEmpty ? "" : "<meta name=\"embed-origins\" content=\"\(escapeHTML(branding.embedOrigins.joined(separator: " ")))\">\n"
        // For the script's reload into the visitor's zone, which must stay in the same visit.
        if let visitToken { metas += "<meta name=\"visit\" content=\"\(escapeHTML(visitToken))\">\n" }
        if noindex { metas += "<meta name=\"robots\" content=\"noindex, nofollow\">\n" }
        let footer = branding.footer(language).split(separator: "\n", omittingEmptySubsequences: false).map { escapeHTML(String($0)) }.joined(separator: "<br>")
        return """
            <!doctype html>
            <html lang="\(language.rawValue)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escapeHTML(title)) · \(company)</title>
            <link rel="stylesheet" href="/assets/site.css">
            <link rel="stylesheet" href="/brand.css">
            <link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
            \(metas)<script src="/assets/site.js" defer></script>
            </head>
            <body>
            <a class="skip" href="#main">\(t(.skipToContent))</a>
            <header class="top">
            <a class="brand" href="/">\(logo)<span id="company-name">\(company)</span></a>
            <nav><a href="/manage">\(t(.manageTitle))</a> <a href="\(escapeHTML(switchLink))" lang="\(language.other.rawValue)" hreflang="\(language.other.rawValue)">\(t(.language))</a></nav>
            </header>
            <main id="main">
            \(steps)
            <h1>\(escapeHTML(title))</h1>
            \(body)
            </main>
            <footer class="legal" id="legal">\(footer)</footer>
            </body>
            </html>
            """
    }

    func alert(_ text: String?) -> String {
        guard let text else { return "" }
        return "<p class=\"alert\" role=\"alert\">\(escapeHTML(text))</p>"
    }

    func notice(_ text: String?) -> String {
        guard let text else { return "" }
        return "<p class=\"notice\" role=\"status\">\(escapeHTML(text))</p>"
    }

    // MARK: Step 1 and rescheduling: the calendar

    /// The slots of the two-week window, grouped by the visitor's local date.
    public struct Calendar: Sendable {
        public var today: LocalDate
        public var lastDay: LocalDate
        public var selected: LocalDate
        public var slotsByDay: [LocalDate: [SlotBody]]
        public var zones: [String]

        public init(today: LocalDate, lastDay: LocalDate, selected: LocalDate, slotsByDay: [LocalDate: [SlotBody]], zones: [String]) {
            self.today = today
            self.lastDay = lastDay
            self.selected = selected
            self.slotsByDay = slotsByDay
            self.zones = zones
        }

        public static func group(_ slots: [SlotBody]) -> [LocalDate: [SlotBody]] {
            var days: [LocalDate: [SlotBody]] = [:]
            for slot in slots {
                guard let date = LocalDate(String(slot.localStart.prefix(10))) else { continue }
                days[date, default: []].append(slot)
            }
            return days
        }

        /// The day to show first: the asked one if it is in the window, else the first with a free slot.
        public static func pick(_ asked: LocalDate?, today: LocalDate, lastDay: LocalDate, slotsByDay: [LocalDate: [SlotBody]]) -> LocalDate {
            if let asked, asked >= today, asked <= lastDay { return asked }
            return slotsByDay.keys.min() ?? today
        }
    }

    /// The month grid of the window, Monday first, and the chosen day's slots. `slotAction`
    /// makes each slot's control: a link (booking) or a submit button (rescheduling).
    func calendar(_ calendar: Calendar, basePath: String, extraQuery: [(String, String?)], slotControl: (SlotBody) -> String) -> String {
        let zone = time.zone.identifier
        func dayLink(_ date: LocalDate) -> String {
            escapeHTML(basePath + query(extraQuery + [("date", date.description), ("tz", zone)]))
        }
        let selected = calendar.selected
        var html = "<section class=\"calendar\" aria-labelledby=\"days-heading\"><h2 id=\"days-heading\">\(t(.chooseDay))</h2>"
        // Week and day navigation, clamped to the window.
        func clamp(_ date: LocalDate) -> LocalDate { min(max(date, calendar.today), calendar.lastDay) }
        let navigation: [(Phrase, LocalDate, String)] = [
            (.previousWeek, clamp(selected.adding(days: -7)), "prev-week"), (.previousDay, clamp(selected.adding(days: -1)), "prev-day"),
            (.nextDay, clamp(selected.adding(days: 1)), "next-day"), (.nextWeek, clamp(selected.adding(days: 7)), "next-week"),
        ]
        html += "<nav class=\"daynav\" aria-label=\"\(t(.chooseDay))\">"
        for (phrase, target, id) in navigation {
            if target == selected {
                html += "<span class=\"button disabled\" aria-disabled=\"true\" id=\"\(id)\">\(t(phrase))</span>"
            } else {
                html += "<a class=\"button\" id=\"\(id)\" href=\"\(dayLink(target))\">\(t(phrase))</a>"
            }
        }
        html += "</nav>"
        let first = calendar.today.adding(days: -(calendar.today.weekday - 1))
        let weeks = (first.days(until: calendar.lastDay) / 7) + 1
        // The window's months and years name the grid: on a phone the grid alone is numbers.
        var months: [String] = []
        for offset in 0...calendar.today.days(until: calendar.lastDay) {
            let month = time.monthYear(calendar.today.adding(days: offset))
            if months.last != month { months.append(month) }
        }
        html += "<table class=\"month\"><caption id=\"month-caption\">\(escapeHTML(months.joined(separator: " – ")))</caption><thead><tr>"
        for offset in 0..<7 {
            html += "<th scope=\"col\">\(escapeHTML(time.weekdayShort(first.adding(days: offset))))</th>"
        }
        html += "</tr></thead><tbody>"
        for week in 0..<weeks {
            html += "<tr>"
            for offset in 0..<7 {
                let date = first.adding(days: week * 7 + offset)
                let inWindow = date >= calendar.today && date <= calendar.lastDay
                let free = calendar.slotsByDay[date]?.count ?? 0
                let label = escapeHTML(time.monthDay(date))
                if inWindow && free > 0 {
                    let current = date == selected ? " aria-current=\"date\" class=\"day selected\"" : " class=\"day\""
                    // To the day's times, which a phone shows below the grid.
                    html += "<td><a\(current) href=\"\(dayLink(date))#slots\" data-date=\"\(date)\" aria-label=\"\(label)\">\(date.day)</a></td>"
                } else {
                    let current = date == selected ? " selected" : ""
                    html += "<td><span class=\"day unavailable\(current)\" aria-disabled=\"true\" data-date=\"\(date)\" aria-label=\"\(label)\">\(date.day)</span></td>"
                }
            }
            html += "</tr>"
        }
        html += "</tbody></table></section>"

        let slots = calendar.slotsByDay[selected] ?? []
        html += "<section class=\"slots\" id=\"slots\" aria-labelledby=\"slots-heading\"><h2 id=\"slots-heading\">\(escapeHTML(time.monthDay(selected)))</h2>"
        html += "<p class=\"zone-note\">\(t(.timesShownIn)) <strong id=\"zone-name\">\(escapeHTML(zone))</strong> (\(VisitorTime.offset(time.zone, at: selected.start(in: time.zone))))</p>"
        if slots.isEmpty {
            html += "<p class=\"empty\">\(t(calendar.slotsByDay.isEmpty ? .noSlotsAtAll : .noSlotsThatDay))</p>"
        } else {
            html += "<ul class=\"slot-list\">" + slots.map { "<li>\(slotControl($0))</li>" }.joined() + "</ul>"
        }
        html += "</section>"
        return html
    }

    /// What a slot says: the visitor's time, and Moscow's when it differs.
    func slotLabel(_ slot: SlotBody) -> String {
        var label = "<span class=\"local\">\(time.clock(slot.start))</span>"
        if !time.isMoscow {
            label += " <span class=\"msk\">\(VisitorTime.clock(slot.start, in: VisitorTime.moscow)) \(t(.moscowTime))</span>"
        }
        return label
    }

    func zoneSelector(_ calendar: Calendar, action: String, hidden: [(String, String)]) -> String {
        var zones = calendar.zones
        if !zones.contains(time.zone.identifier) { zones.insert(time.zone.identifier, at: 0) }
        let now = calendar.selected.start(in: time.zone)
        let options = zones.map { zone -> String in
            let tz = TimeZone(identifier: zone) ?? VisitorTime.moscow
            let moscowNow = VisitorTime.clock(now.addingTimeInterval(12 * 3600), in: VisitorTime.moscow)
            _ = moscowNow
            let selected = zone == time.zone.identifier ? " selected" : ""
            return "<option value=\"\(escapeHTML(zone))\"\(selected)>\(escapeHTML(zone.replacingOccurrences(of: "_", with: " "))) (\(VisitorTime.offset(tz, at: now)))</option>"
        }.joined()
        let fields = hidden.map { "<input type=\"hidden\" name=\"\(escapeHTML($0.0))\" value=\"\(escapeHTML($0.1))\">" }.joined()
        return """
            <form class="zone" method="get" action="\(escapeHTML(action))">
            \(fields)
            <label for="tz">\(t(.yourTimeZone))</label>
            <div class="row"><select id="tz" name="tz" data-auto-submit>\(options)</select>
            <button type="submit" class="secondary">\(t(.show))</button></div>
            <p class="hint" id="zone-compare">\(escapeHTML(time.zone.identifier)) \(VisitorTime.offset(time.zone, at: now)) · \(t(.moscowTime)) \(VisitorTime.offset(VisitorTime.moscow, at: now))</p>
            </form>
            """
    }

    /// The visit token as a form's hidden field, when the page has one.
    var visitField: [(String, String)] { visitToken.map { [("visit", $0)] } ?? [] }

    /// Why bookings are paused, shown before anyone types anything; nil while they are taken.
    func pauseNotice(_ pause: BookingPause?) -> String {
        guard let pause else { return "" }
        return "<p class=\"alert\" role=\"status\" id=\"pause-notice\">\(escapeHTML(language.text(.paused(pause.publicReason))))</p>"
    }

    public func pickPage(_ calendar: Calendar, message: String? = nil, pause: BookingPause? = nil) -> String {
        let body = "<p class=\"lead\" id=\"description\">\(escapeHTML(branding.description(language)))</p>" + pauseNotice(pause)
            + alert(message) + zoneSelector(calendar, action: "/", hidden: [("date", calendar.selected.description)] + visitField)
            + self.calendar(calendar, basePath: "/", extraQuery: [("visit", visitToken)]) { slot in
                let href = "/book" + query([("start", ISO8601.instant(slot.start)), ("tz", time.zone.identifier), ("visit", visitToken)])
                return "<a class=\"slot\" href=\"\(escapeHTML(href))\" data-start=\"\(ISO8601.instant(slot.start))\">\(slotLabel(slot))</a>"
            }
        return layout(title: language.text(.chooseTime), step: 1, body: body)
    }

    // MARK: Step 2: the form

    /// What the visitor typed, kept across a refused attempt.
    public struct BookingForm: Sendable {
        public var start: String = ""
        public var name = ""
        public var email = ""
        /// The phone's country (ISO 3166, e.g. `GB`); empty: the visitor's default.
        public var country = ""
        public var phone = ""
        public var company = ""
        public var topic = ""
        public var consent = false
        /// Apart from `consent`, optional: booking never depends on it.
        public var marketing = false
        public init() {}
    }

    public func formPage(
        form: BookingForm, slot: (start: Date, end: Date)?, freshSlots: [SlotBody]?, errors: [String: String], message: String?,
        formToken: String, powChallenge: ProofOfWorkChallenge, policyLink: String, backDate: String?, pause: BookingPause? = nil
    ) -> String {
        func field(_ name: String, _ label: Phrase, type: String, autocomplete: String, value: String, required: Bool, hint: Phrase? = nil, extra: String = "") -> String {
            let error = errors[name]
            var describedBy: [String] = []
            if hint != nil { describedBy.append("\(name)-hint") }
            if error != nil { describedBy.append("\(name)-error") }
            let requiredMark = required ? "" : " <span class=\"optional\">(\(t(.optional)))</span>"
            return """
                <div class="field\(error == nil ? "" : " invalid")">
                <label for="\(name)">\(t(label))\(requiredMark)</label>
                \(hint.map { "<p class=\"hint\" id=\"\(name)-hint\">\(t($0))</p>" } ?? "")
                \(error.map { "<p class=\"error\" id=\"\(name)-error\">\(escapeHTML($0))</p>" } ?? "")
                <input id="\(name)" name="\(name)" type="\(type)" autocomplete="\(autocomplete)" value="\(escapeHTML(value))"\(required ? " required aria-required=\"true\"" : "")\(error == nil ? "" : " aria-invalid=\"true\"")\(describedBy.isEmpty ? "" : " aria-describedby=\"\(describedBy.joined(separator: " "))\"")\(extra)>
                </div>
                """
        }
        var body = errorSummary(errors) + alert(message) + (message == nil ? pauseNotice(pause) : "")
        if let slot {
            body += "<p class=\"chosen\" id=\"chosen-time\"><strong>\(t(.when)):</strong> \(escapeHTML(time.span(slot.start, slot.end)))</p>"
            body += "<p><a href=\"\(escapeHTML("/" + query([("date", backDate), ("tz", time.zone.identifier), ("visit", visitToken)])))\">\(t(.back))</a></p>"
        }
        let challengeAttributes = "data-challenge=\"\(escapeHTML(powChallenge.challenge))\" data-salt=\"\(escapeHTML(powChallenge.salt))\" data-signature=\"\(escapeHTML(powChallenge.signature))\" data-max-number=\"\(powChallenge.maxNumber)\""
        body += "<form id=\"booking-form\" class=\"booking\" method=\"post\" action=\"/book\" novalidate \(challengeAttributes)>"
        body += "<input type=\"hidden\" name=\"form_token\" value=\"\(escapeHTML(formToken))\">"
        body += "<input type=\"hidden\" name=\"tz\" value=\"\(escapeHTML(time.zone.identifier))\">"
        body += "<input type=\"hidden\" name=\"lang\" value=\"\(language.rawValue)\">"
        body += "<input type=\"hidden\" name=\"pow\" id=\"pow\" value=\"\">"
        for (name, value) in visitField { body += "<input type=\"hidden\" name=\"\(name)\" value=\"\(escapeHTML(value))\">" }
        if let freshSlots {
            body += "<fieldset class=\"fresh\" id=\"fresh-slots\"><legend>\(t(.freshSlots)): \(escapeHTML(freshSlots.first.map { time.monthDay(LocalDate.containing($0.start, in: time.zone)) } ?? ""))</legend>"
            if let error = errors["start"] { body += "<p class=\"error\" id=\"start-error\">\(escapeHTML(error))</p>" }
            if freshSlots.isEmpty {
                body += "<p>\(t(.noSlotsThatDay)) <a href=\"/\(escapeHTML(query([("tz", time.zone.identifier), ("visit", visitToken)])))\">\(t(.chooseDay))</a></p>"
            }
            body += "<ul class=\"slot-list radios\">"
            for (index, slot) in freshSlots.enumerated() {
                let value = ISO8601.instant(slot.start)
                body += "<li><input type=\"radio\" name=\"start\" id=\"start-\(index)\" value=\"\(value)\"\(value == form.start ? " checked" : "")><label class=\"slot\" for=\"start-\(index)\">\(slotLabel(slot))</label></li>"
            }
            body += "</ul></fieldset>"
        } else {
            body += "<input type=\"hidden\" name=\"start\" value=\"\(escapeHTML(form.start))\">"
        }
        body += field("name", .name, type: "text", autocomplete: "name", value: form.name, required: true, extra: " maxlength=\"100\"")
        body += field("email", .email, type: "email", autocomplete: "email", value: form.email, required: true, hint: .emailHint, extra: " maxlength=\"254\" inputmode=\"email\"")
        let countries = language.phoneCountries
        let chosen = countries.first { $0.region == form.country } ?? countries.first { $0.region == language.defaultPhoneRegion(visitorZone: nil) }
        let countryOptions = countries.map { country in
            "<option value=\"\(country.region)\" data-example=\"\(escapeHTML(country.example.national))\"\(country == chosen ? " selected" : "")>\(escapeHTML(country.name)) +\(country.callingCode)</option>"
        }.joined()
        let phoneError = errors["phone"]
        body += """
            <fieldset class="field phone\(phoneError == nil ? "" : " invalid")"><legend>\(t(.phone))</legend>
            <p class="hint" id="phone-hint">\(t(.phoneHint)) \(t(.forExample)) <span id="phone-example">\(escapeHTML(chosen?.example.national ?? ""))</span></p>
            \(phoneError.map { "<p class=\"error\" id=\"phone-error\">\(escapeHTML($0))</p>" } ?? "")
            <div class="row"><label class="visually-hidden" for="country">\(t(.countryCode))</label>
            <select id="country" name="country" autocomplete="country">\(countryOptions)</select>
            <label class="visually-hidden" for="phone">\(t(.phone))</label>
            <input id="phone" name="phone" type="tel" autocomplete="tel-national" inputmode="tel" maxlength="32" required aria-required="true" value="\(escapeHTML(form.phone))" aria-describedby="phone-hint\(phoneError == nil ? "" : " phone-error")"\(phoneError == nil ? "" : " aria-invalid=\"true\"")></div>
            </fieldset>
            """
        body += field("company", .company, type: "text", autocomplete: "organization", value: form.company, required: false, extra: " maxlength=\"200\"")
        let topicError = errors["topic"]
        body += """
            <div class="field topic\(topicError == nil ? "" : " invalid")">
            <label for="topic">\(t(.topic)) <span class="optional">(\(t(.optional)))</span></label>
            <p class="hint" id="topic-hint">\(t(.topicHint))</p>
            \(topicError.map { "<p class=\"error\" id=\"topic-error\">\(escapeHTML($0))</p>" } ?? "")
            <textarea id="topic" name="topic" rows="3" maxlength="\(ConsultationTopic.maximumLength)" autocomplete="off" aria-describedby="topic-hint\(topicError == nil ? "" : " topic-error")"\(topicError == nil ? "" : " aria-invalid=\"true\"")>\(escapeHTML(form.topic))</textarea>
            </div>
            """
        // The honeypot: hidden from people (and from screen readers), filled in by naive bots.
        body += "<div class=\"trap\" aria-hidden=\"true\"><label for=\"website\">Website</label><input id=\"website\" name=\"website\" type=\"text\" tabindex=\"-1\" autocomplete=\"off\" value=\"\"></div>"
        let consentError = errors["consent"]
        body += """
            <div class="field consent\(consentError == nil ? "" : " invalid")">
            \(consentError.map { "<p class=\"error\" id=\"consent-error\">\(escapeHTML($0))</p>" } ?? "")
            <input type="checkbox" id="consent" name="consent" value="yes"\(form.consent ? " checked" : "") required aria-required="true"\(consentError == nil ? "" : " aria-invalid=\"true\" aria-describedby=\"consent-error\"")>
            <label for="consent">\(t(.consent)) (<a href="\(escapeHTML(policyLink))" target="_blank" rel="noopener">\(t(.policy))</a>)</label>
            </div>
            <div class="field consent">
            <input type="checkbox" id="marketing" name="marketing" value="yes"\(form.marketing ? " checked" : "")>
            <label for="marketing">\(t(.marketingConsent)) (\(t(.optional)))</label>
            </div>
            <p class="pow-status" id="pow-status" role="status" aria-live="polite"></p>
            <button type="submit" class="primary" id="book-button">\(t(.book))</button>
            </form>
            """
        return layout(title: language.text(.stepDetails).dropFirst(3).description, step: 2, body: body)
    }

    /// The form's field errors at its top, each linking to its field: announced (role alert)
    /// and focused when the page loads, so a screen reader starts with what to fix.
    func errorSummary(_ errors: [String: String]) -> String {
        guard !errors.isEmpty else { return "" }
        let order = ["start", "name", "email", "phone", "company", "consent"]
        let keys = order.filter { errors[$0] != nil } + errors.keys.filter { !order.contains($0) }.sorted()
        // Typed: with GRDB in the build, its `SQL` (expressible by a string literal) offers a `joined()` too.
        let items: String = keys.map { key -> String in
            let target = key == "start" ? "fresh-slots" : key
            return "<li><a href=\"#\(escapeHTML(target))\">\(escapeHTML(errors[key] ?? ""))</a></li>"
        }.joined()
        return "<div class=\"error-summary\" id=\"error-summary\" role=\"alert\" tabindex=\"-1\" autofocus aria-labelledby=\"error-summary-title\">"
            + "<h2 id=\"error-summary-title\">\(t(.errorSummaryTitle))</h2><ul>\(items)</ul></div>"
    }

    // MARK: Step 3 and managing

    /// A video call's link, an office's address, or who calls whom: HTML.
    func meetingDescription(_ meeting: MeetingBody, phone: String) -> String {
        if let link = meeting.link {
            return "\(t(.joinVideo)): <a href=\"\(escapeHTML(link))\" rel=\"noopener\">\(escapeHTML(link))</a>"
        }
        if let address = meeting.address { return escapeHTML(address) }
        // Masked as everywhere on the page: the page is anyone's who holds the reference.
        return escapeHTML(language.text(.meetingPhone(phone.isEmpty ? nil : ContactInfo.maskedPhone(phone))))
    }

    public func statusText(_ status: String) -> String {
        switch status {
        case "confirmed": language.text(.statusConfirmed)
        case "scheduled": language.text(.statusScheduled)
        case "cancelled": language.text(.statusCancelled)
        // Marked after it (the consultant's outcome link, bookctl attended / no-show).
        case "completed": language.text(.statusCompleted)
        case "no_show": language.text(.statusNoShow)
        default: language.text(.statusOther(status))
        }
    }

    public func appointmentPage(_ appointment: AppointmentBody, done: String?, manageURL: String, formToken: String, message: String? = nil) -> String {
        let reference = escapeHTML(appointment.reference)
        let base = "/manage/\(appointment.reference)"
        var body = ""
        let title: String
        switch done {
        case "booked" where appointment.status == "scheduled": title = language.text(.confirmTitle)
        case "booked": title = language.text(.confirmedTitle)
        case "confirmed": title = language.text(.confirmedDoneTitle)
        case "rescheduled": title = language.text(.rescheduledTitle)
        case "cancelled": title = language.text(.cancelledTitle)
        default: title = language.text(.manageTitle)
        }
        body += alert(message)
        if done == "data-link" {
            let hours = Int(DataLinkRequest.lifetime / 3600)
            body += "<p class=\"notice\" role=\"status\" id=\"data-link-sent\">\(escapeHTML(language.text(.dataLinkSent(appointment.contact.email, hours))))</p>"
        }
        body += "<dl class=\"booking-summary\">"
        body += "<dt>\(t(.yourReference))</dt><dd><strong class=\"reference\" id=\"reference\">\(reference)</strong></dd>"
        body += "<dt>\(t(.when))</dt><dd id=\"booking-time\">\(escapeHTML(time.span(appointment.start, appointment.end)))</dd>"
        body += "<dt>\(t(.status))</dt><dd id=\"booking-status\" data-status=\"\(escapeHTML(appointment.status))\">\(escapeHTML(statusText(appointment.status)))</dd>"
        if let meeting = appointment.meeting {
            body += "<dt>\(t(.meeting))</dt><dd id=\"booking-meeting\" data-format=\"\(escapeHTML(meeting.format))\">\(meetingDescription(meeting, phone: appointment.contact.phone))</dd>"
        }
        body += "</dl>"
        if appointment.status == "scheduled" {
            body += holdForm(appointment, formToken: formToken, token: nil)
        }
        if appointment.status == "confirmed" {
            if done == "booked" || done == "rescheduled" {
                body += "<p id=\"sent-to\">\(t(.confirmationSentTo)) <strong>\(escapeHTML(ContactInfo.maskedEmail(appointment.contact.email)))</strong>.</p>"
                if !appointment.contact.phone.isEmpty {
                    body += "<p id=\"phone-on-file\">\(t(.confirmationPhone)): <strong>\(escapeHTML(ContactInfo.maskedPhone(appointment.contact.phone)))</strong></p>"
                }
            }
            if done == "booked" { body += "<p>\(t(.keepReference))</p>" }
            let google = CalendarFile.googleCalendarLink(appointment, manageURL: manageURL, language: language)
            body += "<p class=\"calendar-links\"><a class=\"button\" id=\"ics-link\" href=\"\(escapeHTML(base))/calendar.ics\" download>\(t(.addToCalendar))</a> "
                + "<a class=\"button\" id=\"google-calendar-link\" href=\"\(escapeHTML(google))\" target=\"_blank\" rel=\"noopener\">\(t(.addToGoogleCalendar))</a></p>"
            body += "<p>\(t(.manageLink)): <a id=\"manage-link\" href=\"\(escapeHTML(manageURL))\">\(escapeHTML(manageURL))</a></p>"
            body += "<div class=\"actions\"><a class=\"button primary\" id=\"reschedule-link\" href=\"\(escapeHTML(base + "/reschedule" + query([("tz", time.zone.identifier)])))\">\(t(.reschedule))</a></div>"
            body += """
                <form class="cancel" method="post" action="\(escapeHTML(base))/cancel">
                <input type="hidden" name="form_token" value="\(escapeHTML(formToken))">
                <input type="hidden" name="tz" value="\(escapeHTML(time.zone.identifier))">
                <h2>\(t(.cancel))</h2>
                <div class="field"><label for="reason">\(t(.cancelReason)) <span class="optional">(\(t(.optional)))</span></label>
                <textarea id="reason" name="reason" maxlength="500" rows="3"></textarea></div>
                <button type="submit" class="danger" id="cancel-button">\(t(.cancelConfirm))</button>
                </form>
                """
        }
        if appointment.erasedAt == nil, done != "booked" {
            body += personalDataSection(appointment, formToken: formToken)
        }
        body += "<p><a href=\"/\(escapeHTML(query([("tz", time.zone.identifier)])))\">\(t(.bookAnother))</a></p>"
        return layout(title: title, step: done == "booked" ? 3 : nil, body: body)
    }

    /// The client's requests about their data: each button only has the link that confirms it
    /// emailed to the booking's address, so the reference alone neither reads nor erases anything.
    func personalDataSection(_ appointment: AppointmentBody, formToken: String) -> String {
        let action = escapeHTML("/manage/\(appointment.reference)/data")
        func form(_ request: DataRequestAction, id: String, style: String, label: Phrase) -> String {
            "<form class=\"data-request\" method=\"post\" action=\"\(action)\">"
                + "<input type=\"hidden\" name=\"form_token\" value=\"\(escapeHTML(formToken))\">"
                + "<input type=\"hidden\" name=\"tz\" value=\"\(escapeHTML(time.zone.identifier))\">"
                + "<input type=\"hidden\" name=\"action\" value=\"\(request.rawValue)\">"
                + "<button type=\"submit\" class=\"\(style)\" id=\"\(id)\">\(t(label))</button></form>"
        }
        return "<section class=\"personal-data\" id=\"personal-data\"><h2>\(t(.personalData))</h2><p>\(t(.personalDataIntro))</p>"
            + "<div class=\"actions\">"
            + form(.export, id: "ask-export", style: "", label: .askForExport)
            + form(.erase, id: "ask-erasure", style: "danger", label: .askForErasure)
            + "</div></section>"
    }

    /// The page the emailed link opens: what the request does, and one button. Opening it does
    /// nothing (mail scanners open links); the button posts the link's fields.
    public func dataRequestPage(_ appointment: AppointmentBody, action: DataRequestAction, expires: String, token: String, formToken: String,
                                message: String? = nil) -> String {
        let erase = action == .erase
        var body = alert(message)
        body += "<dl class=\"booking-summary\"><dt>\(t(.yourReference))</dt><dd><strong class=\"reference\" id=\"reference\">\(escapeHTML(appointment.reference))</strong></dd></dl>"
        body += "<p id=\"data-request-explained\">\(t(erase ? .erasureExplained : .exportExplained))</p>"
        let base = "/manage/\(appointment.reference)"
        body += confirmationForm(action: base + "/data/confirm", formToken: formToken,
                                 fields: [("action", action.rawValue), ("expires", expires), ("token", token)],
                                 yes: ("data-request-button", erase ? "danger" : "primary", erase ? .erasureButton : .exportButton),
                                 back: ("keep-data", base, .manageTitle))
        return layout(title: language.text(erase ? .erasureTitle : .exportTitle), body: body)
    }

    /// A held booking's confirmation: the code field (the manage page), or with the link's
    /// `token` a single button. Either way a POST: a mail scanner that opens the link confirms nothing.
    func holdForm(_ appointment: AppointmentBody, formToken: String, token: String?) -> String {
        let base = "/manage/\(appointment.reference)"
        var form = ""
        if token == nil {
            form += "<p id=\"sent-to\">\(t(.confirmSentTo)) <strong>\(escapeHTML(ContactInfo.maskedEmail(appointment.contact.email)))</strong>.</p>"
        }
        if let until = appointment.holdExpiresAt {
            form += "<p id=\"hold-waiting\" class=\"notice\">\(escapeHTML(language.text(.holdWaiting(time.clock(until)))))</p>"
        }
        form += "<form class=\"confirm\" method=\"post\" action=\"\(escapeHTML(base))/confirm\">"
            + "<input type=\"hidden\" name=\"form_token\" value=\"\(escapeHTML(formToken))\">"
            + "<input type=\"hidden\" name=\"tz\" value=\"\(escapeHTML(time.zone.identifier))\">"
        if let token {
            form += "<input type=\"hidden\" name=\"token\" value=\"\(escapeHTML(token))\">"
        } else {
            form += "<div class=\"field\"><label for=\"code\">\(t(.confirmCode))</label>"
                + "<input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9]{6}\" maxlength=\"6\" required></div>"
        }
        form += "<button type=\"submit\" class=\"primary\" id=\"confirm-button\">\(t(.confirmButton))</button></form>"
        return form
    }

    /// The page the email's link opens: the booking and one button.
    public func confirmPage(_ appointment: AppointmentBody, token: String, formToken: String, message: String? = nil) -> String {
        var body = alert(message)
        body += "<dl class=\"booking-summary\">"
        body += "<dt>\(t(.yourReference))</dt><dd><strong class=\"reference\" id=\"reference\">\(escapeHTML(appointment.reference))</strong></dd>"
        body += "<dt>\(t(.when))</dt><dd id=\"booking-time\">\(escapeHTML(time.span(appointment.start, appointment.end)))</dd>"
        body += "</dl>"
        body += holdForm(appointment, formToken: formToken, token: token)
        return layout(title: language.text(.confirmTitle), body: body)
    }

    /// A change's second step, a plain form so it asks without JavaScript too: the fields sent
    /// again with `confirm=yes`, the "yes" button and the way back.
    func confirmationForm(action: String, formToken: String, fields: [(String, String)], yes: (id: String, style: String, label: Phrase),
                          back: (id: String, href: String, label: Phrase)) -> String {
        let hidden = ([("form_token", formToken), ("tz", time.zone.identifier)] + fields + [("confirm", "yes")])
            .map { "<input type=\"hidden\" name=\"\($0.0)\" value=\"\(escapeHTML($0.1))\">" }.joined(separator: "\n")
        return """
            <form class="confirm" method="post" action="\(escapeHTML(action))">
            \(hidden)
            <div class="actions"><button type="submit" class="\(yes.style)" id="\(yes.id)">\(t(yes.label))</button>
            <a class="button" id="\(back.id)" href="\(escapeHTML(back.href))">\(t(back.label))</a></div>
            </form>
            """
    }

    public func cancelConfirmationPage(_ appointment: AppointmentBody, reason: String, formToken: String) -> String {
        let base = "/manage/\(appointment.reference)"
        let body = """
            <dl class="booking-summary"><dt>\(t(.yourReference))</dt><dd><strong class="reference" id="reference">\(escapeHTML(appointment.reference))</strong></dd>
            <dt>\(t(.when))</dt><dd id="booking-time">\(escapeHTML(time.span(appointment.start, appointment.end)))</dd></dl>
            """ + confirmationForm(action: base + "/cancel", formToken: formToken, fields: [("reason", reason)], yes: ("cancel-yes", "danger", .cancelYes),
                                   back: ("keep-booking", base + query([("tz", time.zone.identifier)]), .keepBooking))
        return layout(title: language.text(.cancelQuestion), body: body)
    }

    /// Rescheduling's second step: the old and the new time side by side.
    public func rescheduleConfirmationPage(_ appointment: AppointmentBody, to slot: SlotBody, formToken: String) -> String {
        let base = "/manage/\(appointment.reference)"
        let day = LocalDate.containing(slot.start, in: time.zone).description
        let body = """
            <dl class="booking-summary"><dt>\(t(.currentTime))</dt><dd id="booking-time">\(escapeHTML(time.span(appointment.start, appointment.end)))</dd>
            <dt>\(t(.newTime))</dt><dd id="new-time"><strong>\(escapeHTML(time.span(slot.start, slot.end)))</strong></dd></dl>
            """ + confirmationForm(action: base + "/reschedule", formToken: formToken, fields: [("start", ISO8601.instant(slot.start))],
                                   yes: ("reschedule-yes", "primary", .rescheduleYes),
                                   back: ("choose-another", base + "/reschedule" + query([("date", day), ("tz", time.zone.identifier)]), .back))
        return layout(title: language.text(.rescheduleQuestion), body: body)
    }

    public func findPage(reference: String, message: String?) -> String {
        let body = """
            \(alert(message))
            <form method="get" action="/manage" class="find">
            <div class="field\(message == nil ? "" : " invalid")"><label for="reference">\(t(.reference))</label>
            <p class="hint" id="reference-hint">\(t(.enterReference))</p>
            <input id="reference" name="reference" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required value="\(escapeHTML(reference))" aria-describedby="reference-hint"\(message == nil ? "" : " aria-invalid=\"true\"")></div>
            <button type="submit" class="primary">\(t(.open))</button>
            </form>
            """
        return layout(title: language.text(.manageTitle), body: body)
    }

    public func reschedulePage(_ appointment: AppointmentBody, calendar: Calendar, formToken: String, message: String?) -> String {
        let base = "/manage/\(appointment.reference)/reschedule"
        var body = alert(message)
        body += "<p><strong>\(t(.when)):</strong> \(escapeHTML(time.span(appointment.start, appointment.end)))</p>"
        body += zoneSelector(calendar, action: base, hidden: [("date", calendar.selected.description)])
        body += "<form method=\"post\" action=\"\(escapeHTML(base))\" class=\"reschedule\">"
        body += "<input type=\"hidden\" name=\"form_token\" value=\"\(escapeHTML(formToken))\">"
        body += "<input type=\"hidden\" name=\"tz\" value=\"\(escapeHTML(time.zone.identifier))\">"
        body += self.calendar(calendar, basePath: base, extraQuery: []) { slot in
            "<button type=\"submit\" class=\"slot\" name=\"start\" value=\"\(ISO8601.instant(slot.start))\" data-start=\"\(ISO8601.instant(slot.start))\" aria-label=\"\(t(.moveTo)): \(time.clock(slot.start))\">\(slotLabel(slot))</button>"
        }
        body += "</form>"
        body += "<p><a href=\"\(escapeHTML("/manage/\(appointment.reference)"))\">\(t(.manageTitle))</a></p>"
        return layout(title: language.text(.rescheduleTitle), body: body)
    }

    public func messagePage(title: String, message: String) -> String {
        layout(title: title, body: "<p>\(escapeHTML(message))</p><p><a href=\"/\">\(t(.title))</a></p>")
    }

    public func policyPage(text: String) -> String {
        let paragraphs = text.components(separatedBy: "\n\n").map { "<p>\(escapeHTML($0.trimmingCharacters(in: .whitespacesAndNewlines)))</p>" }.joined()
        return layout(title: language.text(.policyTitle), body: "<div class=\"policy\">\(paragraphs)</div>")
    }
}

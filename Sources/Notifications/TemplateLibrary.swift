import BookingDomain
import Foundation

/// An email's three parts as rendered from templates.
public struct RenderedEmail: Sendable, Equatable {
    public var subject: String
    public var text: String
    public var html: String

    public init(subject: String, text: String, html: String) {
        self.subject = subject
        self.text = text
        self.html = html
    }
}

/// A calendar event's title and notes.
public struct CalendarEventText: Sendable, Equatable {
    public var summary: String
    public var description: String

    public init(summary: String, description: String) {
        self.summary = summary
        self.description = description
    }
}

/// Every message template, loaded and checked once: `<directory>/<ru|en>/<purpose>.<part>.mustache`.
/// Operators edit the files and restart (or reload) notifyd; nothing is compiled in.
public struct TemplateLibrary: Sendable {
    private let templates: [Key: TemplateSource]

    private struct Key: Hashable, Sendable {
        var language: SupportedLocale
        /// A purpose's raw value, or `calendar-event`.
        var stem: String
        var part: TemplatePart
    }

    /// The stem of the templates that give the calendar event its title and notes.
    static let calendarEventStem = "calendar-event"

    /// The path of one template below `directory`.
    public static func relativePath(_ language: SupportedLocale, _ purpose: MessagePurpose, _ part: TemplatePart) -> String {
        relativePath(language, purpose.rawValue, part)
    }

    static func relativePath(_ language: SupportedLocale, _ stem: String, _ part: TemplatePart) -> String {
        "\(language.rawValue)/\(stem).\(part.rawValue).mustache"
    }

    /// Every template file load() reads, with the variables it may use.
    static var expectedFiles: [(language: SupportedLocale, stem: String, part: TemplatePart, variables: Set<String>)] {
        var files: [(SupportedLocale, String, TemplatePart, Set<String>)] = []
        for language in SupportedLocale.allCases {
            for purpose in MessagePurpose.allCases {
                for part in purpose.parts {
                    files.append((language, purpose.rawValue, part, MessageVariables.names(for: purpose)))
                }
            }
            for part in [TemplatePart.summary, .description] {
                files.append((language, calendarEventStem, part, MessageVariables.calendarEventNames))
            }
        }
        return files
    }

    /// Loads and checks every template every purpose needs in both languages: a missing file or a
    /// Mustache syntax error throws naming the file (path) and line.
    public static func load(directory: String) throws(TemplateError) -> TemplateLibrary {
        var templates: [Key: TemplateSource] = [:]
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        for file in expectedFiles {
            let path = "\(base)/\(relativePath(file.language, file.stem, file.part))"
            guard let data = FileManager.default.contents(atPath: path) else {
                let exists = FileManager.default.fileExists(atPath: path)
                throw TemplateError(file: path, problem: exists ? "cannot be read" : "missing: every message needs this template in both languages")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw TemplateError(file: path, problem: "not valid UTF-8")
            }
            templates[Key(language: file.language, stem: file.stem, part: file.part)] =
                try TemplateSource(path: path, text: text, part: file.part, variables: file.variables)
        }
        return TemplateLibrary(templates: templates)
    }

    /// Subject, plain text and HTML of a client-* or consultant-* message.
    public func email(_ purpose: MessagePurpose, _ facts: MessageFacts) throws -> RenderedEmail {
        guard purpose.addressee != .team else {
            throw MessageRenderError(problem: "\(purpose.rawValue) is a chat message, not an email")
        }
        return email(purpose, facts.language(of: purpose), try MessageVariables.values(for: purpose, facts))
    }

    /// The consultant's email about a conflict between their own calendar and a booking.
    public func calendarConflictEmail(_ facts: CalendarConflictFacts) throws -> RenderedEmail {
        let purpose = MessagePurpose.consultantCalendarConflict
        return email(purpose, facts.language(of: purpose), try MessageVariables.values(for: purpose, facts))
    }

    private func email(_ purpose: MessagePurpose, _ language: SupportedLocale, _ values: [String: Any]) -> RenderedEmail {
        RenderedEmail(
            subject: Self.singleLine(render(language, purpose.rawValue, .subject, values)),
            text: Self.tidy(render(language, purpose.rawValue, .text, values)) + "\n",
            html: render(language, purpose.rawValue, .html, values).trimmingWhitespace() + "\n")
    }

    /// The SMS text of a client-* message, trimmed to `maxSegments` segments.
    public func sms(_ purpose: MessagePurpose, _ facts: MessageFacts, maxSegments: Int) throws -> String {
        guard purpose.parts.contains(.sms) else {
            throw MessageRenderError(problem: "\(purpose.rawValue) is not sent by SMS; only client messages are, and not every one")
        }
        var values = try MessageVariables.values(for: purpose, facts)
        let language = facts.language(of: purpose)
        var text = Self.tidy(render(language, purpose.rawValue, .sms, values))
        // A link is all or nothing: cut short it leads nowhere, so it goes before any words do.
        if SMSText.segments(text) > max(1, maxSegments), values.removeValue(forKey: "manage_url") != nil {
            text = Self.tidy(render(language, purpose.rawValue, .sms, values))
        }
        return SMSText.fit(text, maxSegments: maxSegments)
    }

    /// The team chat's text of a team-* message; the contact appears only masked. Every value is
    /// escaped for `markup`, so what a client typed is shown, never acted on.
    public func chat(_ purpose: MessagePurpose, _ facts: MessageFacts, markup: ChatMarkup) throws -> String {
        guard purpose.addressee == .team else {
            throw MessageRenderError(problem: "\(purpose.rawValue) is not a team chat message")
        }
        return chat(purpose, facts.language(of: purpose), try MessageVariables.values(for: purpose, facts), markup: markup)
    }

    /// The team chat's text about a conflict between a consultant's own calendar and a booking.
    public func calendarConflictChat(_ facts: CalendarConflictFacts, markup: ChatMarkup) throws -> String {
        let purpose = MessagePurpose.teamCalendarConflict
        return chat(purpose, facts.language(of: purpose), try MessageVariables.values(for: purpose, facts), markup: markup)
    }

    private func chat(_ purpose: MessagePurpose, _ language: SupportedLocale, _ values: [String: Any], markup: ChatMarkup) -> String {
        let escaped = values.mapValues { value -> Any in (value as? String).map(markup.escaped) ?? value }
        return Self.tidy(render(language, purpose.rawValue, .chat, escaped))
    }

    /// The calendar event's title and notes (`calendar-event.summary` and `.description`), for a
    /// `CalendarInvite`; in `language`, the reader's (the booking's when nil).
    public func calendarEvent(_ facts: MessageFacts, language: SupportedLocale? = nil) throws -> CalendarEventText {
        let language = language ?? facts.language(of: .clientConfirmation)
        let values = try MessageVariables.values(for: .clientConfirmation, facts, language: language)
        return CalendarEventText(
            summary: Self.singleLine(render(language, Self.calendarEventStem, .summary, values)),
            description: Self.tidy(render(language, Self.calendarEventStem, .description, values)))
    }

    private func render(_ language: SupportedLocale, _ stem: String, _ part: TemplatePart, _ values: [String: Any]) -> String {
        // load() filled every (language, stem, part) the public functions ask for.
        templates[Key(language: language, stem: stem, part: part)]!.render(values)
    }

    /// Subjects are one header line: template line breaks and runs of spaces become one space.
    static func singleLine(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// Trailing spaces dropped and blank lines left by omitted sections collapsed to one, so an
    /// operator can lay out a template for reading without that showing in the message.
    static func tidy(_ text: String) -> String {
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = line
            while let last = line.last, last.isWhitespace { line.removeLast() }
            if line.isEmpty, lines.last?.isEmpty ?? true { continue }
            lines.append(line)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }
}

/// The values templates see. `names(for:)` is what load() checks templates against, so a
/// variable is either provided for a purpose or refused at start. Documented in
/// config/templates/README.md.
enum MessageVariables {
    static func names(for purpose: MessagePurpose) -> Set<String> {
        if purpose.isCalendarConflict { return calendarConflictNames }
        var names: Set<String> = ["reference", "consultant_name", "time", "short_time", "end_time", "date", "start_clock", "duration_minutes",
                                  "meeting_link", "meeting_address", "meeting_by_phone"]
        switch purpose.addressee {
        case .client: names.formUnion(["client_name", "client_phone", "calendar_time", "manage_url"])
        case .consultant: names.formUnion(["client_name", "client_email", "client_phone", "client_company", "masked_contact", "topic"])
        case .team: names.formUnion(["masked_contact"])
        }
        switch purpose {
        case .clientRescheduled, .consultantRescheduled, .teamRescheduled:
            names.formUnion(["previous_time", "previous_short_time", "previous_consultant_name"])
        case .clientCancelled, .consultantCancelled, .teamCancelled:
            names.formUnion(["reason", "changed_by_client"])
        case .clientConsultantChanged, .teamConsultantChanged, .consultantReleased:
            names.formUnion(["reason", "previous_consultant_name"])
        case .clientConfirmRequest:
            names.formUnion(["confirm_url", "confirm_code", "hold_until"])
        case .clientDataRequest:
            names.formUnion(["data_url", "data_expires", "erase"])
        default:
            break
        }
        if purpose == .consultantReleased { names.formUnion(["previous_time", "previous_short_time"]) }
        // The consultant marks the outcome from the emails that tell them of the consultation.
        if [.consultantCreated, .consultantRescheduled, .consultantReminder].contains(purpose) { names.formUnion(["attended_url", "no_show_url"]) }
        return names
    }

    /// The calendar event's templates see the client's variables (the event lands in the
    /// client's calendar) that do not depend on what changed.
    static let calendarEventNames: Set<String> = names(for: .clientConfirmation)

    /// A conflict's notice: the booking's time in the consultant's zone, its reference when
    /// known (masked for the team), which kind of conflict (a section each) and, for `moved`,
    /// where the event is now.
    static let calendarConflictNames: Set<String> = ["reference", "consultant_name", "time", "short_time", "date", "start_clock",
                                                     "overlap", "moved", "deleted", "event_time", "event_short_time"]

    static func values(for purpose: MessagePurpose, _ facts: CalendarConflictFacts) throws -> [String: Any] {
        guard purpose.isCalendarConflict else {
            throw MessageRenderError(problem: "\(purpose.rawValue) tells of a booking's change, not of a calendar conflict")
        }
        let time = try messageTime(facts.language(of: purpose), facts.consultant.timeZone, whose: "the consultant's")
        let start = facts.conflict.start
        var values: [String: Any] = [
            "consultant_name": facts.consultant.name, "time": time.long(start), "short_time": time.short(start),
            "date": time.format(start, "EEEE, d MMMM yyyy"), "start_clock": time.clock(start), facts.kind.rawValue: true,
        ]
        if let reference = nonEmpty(facts.conflict.reference) {
            // As in every team message: the chat is read by more people than the booking concerns.
            values["reference"] = purpose.addressee == .team ? BookingReference.masked(reference) : reference
        }
        if facts.kind == .moved, let now = facts.conflict.eventStart {
            values["event_time"] = time.long(now)
            values["event_short_time"] = time.short(now)
        }
        return values
    }

    /// `language`: the reader's (`facts.language(of: purpose)`) unless given.
    static func values(for purpose: MessagePurpose, _ facts: MessageFacts, language: SupportedLocale? = nil) throws -> [String: Any] {
        guard !purpose.isCalendarConflict else {
            throw MessageRenderError(problem: "\(purpose.rawValue) tells of a calendar conflict, not of a booking's change")
        }
        let appointment = facts.appointment
        let language = language ?? facts.language(of: purpose)
        let zoneIdentifier = purpose.addressee == .client ? appointment.timeZone : facts.reader(of: purpose).timeZone
        let time = try messageTime(language, zoneIdentifier, whose: purpose.addressee == .client ? "the client's" : "the consultant's")
        let contact = appointment.contact

        var values: [String: Any] = [
            "reference": appointment.reference,
            "consultant_name": facts.consultant.name,
            "time": time.long(appointment.start),
            "short_time": time.short(appointment.start),
            "date": time.format(appointment.start, "EEEE, d MMMM yyyy"),
            "start_clock": time.clock(appointment.start),
            "end_time": time.clock(appointment.end),
            "duration_minutes": String(Int((appointment.end.timeIntervalSince(appointment.start) / 60).rounded())),
        ]
        if let meeting = appointment.meeting {
            values["meeting_link"] = nonEmpty(meeting.link)
            values["meeting_address"] = nonEmpty(meeting.address)
            values["meeting_by_phone"] = meeting.format == MeetingFormat.Kind.phone.rawValue ? true : nil
        }
        switch purpose.addressee {
        case .client:
            values["client_name"] = contact.name
            values["client_phone"] = nonEmpty(contact.phone)
            let calendar = try messageTime(language, facts.calendarZone, whose: "the calendar's")
            if time.differs(from: calendar, at: appointment.start) {
                values["calendar_time"] = calendar.beside(appointment.start, sameDayAs: time)
            }
            values["manage_url"] = nonEmpty(facts.manageURL)
        case .consultant:
            values["client_name"] = contact.name
            values["client_email"] = contact.email
            values["client_phone"] = nonEmpty(contact.phone)
            values["client_company"] = nonEmpty(contact.company)
            values["masked_contact"] = ContactInfo.masked(name: contact.name, email: contact.email, phone: contact.phone)
            values["topic"] = nonEmpty(appointment.topic)
        case .team:
            // The chat is read by more people than the booking concerns: with the reference
            // alone anyone could read and change the booking, so it is masked like the contact.
            values["reference"] = BookingReference.masked(appointment.reference)
            values["masked_contact"] = ContactInfo.masked(name: contact.name, email: contact.email, phone: contact.phone)
        }
        let names = names(for: purpose)
        if names.contains("previous_time"), let previous = facts.previousStart {
            values["previous_time"] = time.long(previous)
            values["previous_short_time"] = time.short(previous)
        }
        if names.contains("previous_consultant_name"), let previous = facts.previousConsultant, previous.id != facts.consultant.id {
            values["previous_consultant_name"] = previous.name
        }
        // A client's own words are theirs, like their contact: the team's chat does not get them.
        if names.contains("reason"), purpose.addressee != .team || !facts.changedByClient { values["reason"] = nonEmpty(facts.clientMessage) }
        if names.contains("changed_by_client"), facts.changedByClient { values["changed_by_client"] = true }
        if names.contains("confirm_code"), let confirmation = facts.confirmation {
            values["confirm_code"] = confirmation.code
            values["confirm_url"] = facts.confirmURL
            if let until = appointment.holdExpiresAt { values["hold_until"] = time.clock(until) }
        }
        if names.contains("attended_url") {
            values["attended_url"] = facts.attendedURL
            values["no_show_url"] = facts.noShowURL
        }
        if names.contains("data_url"), let request = facts.dataRequest {
            values["data_url"] = facts.dataRequestURL
            values["data_expires"] = time.long(request.expiresAt)
            values["erase"] = request.action == .erase ? true : nil
        }
        return values
    }

    private static func messageTime(_ language: SupportedLocale, _ identifier: String, whose: String) throws -> MessageTime {
        guard TimeZone(identifier: identifier) != nil else {
            throw MessageRenderError(problem: "\(whose) time zone \"\(identifier)\" is not an IANA zone such as Europe/Moscow")
        }
        return MessageTime(language: language, zoneIdentifier: identifier)
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value = value?.trimmingWhitespace(), !value.isEmpty else { return nil }
        return value
    }
}

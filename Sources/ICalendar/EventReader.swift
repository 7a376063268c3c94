import CivilTime
import Foundation

/// Reads one VEVENT's properties; keeps the zones it looked up for the next event.
struct EventReader {
    let defaultZone: TimeZone
    let locations: [String: String]
    var zones: [String: TimeZone?] = [:]
    var warnings: [CalendarWarning] = []
    var currentUID: String?
    /// TZIDs this event was already warned about: one warning each, however many times it uses them.
    var unknownZones: Set<String> = []

    init(defaultZone: TimeZone, locations: [String: String]) {
        self.defaultZone = defaultZone
        self.locations = locations
    }

    func uid(of component: CalendarComponent) -> String? {
        guard let uid = component.property(named: "UID")?.textValue.trimmingCharacters(in: .whitespaces), !uid.isEmpty else { return nil }
        return uid
    }

    mutating func event(from component: CalendarComponent) throws(ICalendarReadError) -> ImportedEvent? {
        warnings = []
        unknownZones = []
        currentUID = uid(of: component)
        guard let startProperty = single("DTSTART", in: component) else { return nil }
        if currentUID == nil {
            warn(.unreadableProperty, line: component.line, "no UID: overrides cannot be matched with this event")
        }
        let start = try time(startProperty)
        var event = ImportedEvent(uid: currentUID ?? "", start: start, duration: try duration(of: component, start: start), line: component.line)

        if let property = single("RECURRENCE-ID", in: component) {
            event.recurrenceID = try time(property)
            event.recurrenceRange = property.parameter("RANGE")?.uppercased() == "THISANDFUTURE" ? .thisAndFuture : .thisInstance
        }
        if let property = single("STATUS", in: component) {
            switch property.value.trimmingCharacters(in: .whitespaces).uppercased() {
            case "TENTATIVE": event.status = .tentative
            case "CONFIRMED": event.status = .confirmed
            case "CANCELLED", "CANCELED": event.status = .cancelled
            default: warn(.unreadableProperty, line: property.line, "STATUS is not TENTATIVE, CONFIRMED or CANCELLED; read as absent")
            }
        }
        if let property = single("TRANSP", in: component) {
            switch property.value.trimmingCharacters(in: .whitespaces).uppercased() {
            case "OPAQUE": event.transparency = .opaque
            case "TRANSPARENT": event.transparency = .transparent
            default: warn(.unreadableProperty, line: property.line, "TRANSP is not OPAQUE or TRANSPARENT; read as OPAQUE")
            }
        }
        if let property = single("SEQUENCE", in: component) {
            if let sequence = ValueSyntax.integer(property.value.trimmingCharacters(in: .whitespaces)[...]), sequence >= 0 {
                event.sequence = sequence
            } else {
                warn(.unreadableProperty, line: property.line, "SEQUENCE is not a whole number; read as 0")
            }
        }
        event.summary = single("SUMMARY", in: component)?.textValue
        try readRecurrence(of: component, into: &event)
        for property in component.properties(named: "ATTENDEE") {
            event.attendees.append(Attendee(address: property.value.trimmingCharacters(in: .whitespaces),
                                            participation: participation(property.parameter("PARTSTAT"))))
        }
        event.warnings = warnings
        return event
    }

    /// RRULE, RDATE and EXDATE: each may come more than once and list several values.
    private mutating func readRecurrence(of component: CalendarComponent, into event: inout ImportedEvent) throws(ICalendarReadError) {
        for property in component.properties(named: "RRULE") {
            let rule = try RecurrenceRule(parsing: property.value, line: property.line)
            if event.start.isDate, rule.frequency < .daily {
                throw ICalendarReadError(.invalidRecurrenceRule, line: property.line,
                                         "RRULE: FREQ=\(RecurrenceRule.name(of: rule.frequency)) needs a DTSTART with a time, and this one is a DATE")
            }
            event.recurrenceRules.append(rule)
        }
        for property in component.properties(named: "RDATE") {
            for value in property.value.split(separator: ",") {
                event.recurrenceDates.append(try recurrenceDate(value, of: property))
            }
        }
        for property in component.properties(named: "EXDATE") {
            for value in property.value.split(separator: ",") {
                event.exceptionDates.append(try time(property, value))
            }
        }
        if !component.properties(named: "EXRULE").isEmpty {
            warn(.unreadableProperty, line: component.line, "EXRULE (removed by RFC 5545) is ignored: its instances stay busy")
        }
    }

    /// From DTEND (DTEND wins over DURATION, which RFC 5545 forbids beside it), from DURATION, or
    /// RFC 5545 §3.6.1's default: a day for a DATE start, nothing for a DATE-TIME.
    private mutating func duration(of component: CalendarComponent, start: EventTime) throws(ICalendarReadError) -> EventDuration {
        let duration: EventDuration
        let line: Int
        if let property = single("DTEND", in: component) {
            if component.property(named: "DURATION") != nil {
                warn(.unreadableProperty, line: property.line, "both DTEND and DURATION; DURATION is ignored")
            }
            let end = try time(property)
            line = property.line
            if start.isDate, end.isDate {
                duration = EventDuration(days: start.date.days(until: end.date))
            } else {
                duration = EventDuration(seconds: Int(end.instant.timeIntervalSince(start.instant).rounded()))
            }
        } else if let property = single("DURATION", in: component) {
            guard let parsed = ValueSyntax.duration(property.value.trimmingCharacters(in: .whitespaces)[...]) else {
                throw ICalendarReadError(.invalidValue, line: property.line, "DURATION must be a duration such as PT1H30M or P1D")
            }
            duration = parsed
            line = property.line
        } else {
            return start.isDate ? EventDuration(days: 1) : .zero
        }
        guard !duration.isNegative else {
            warn(.unreadableProperty, line: line, "the event ends before it starts; read as taking no time")
            return .zero
        }
        return duration
    }

    /// An RDATE value: a DATE, a DATE-TIME, or a PERIOD (`start/end` or `start/duration`).
    private mutating func recurrenceDate(_ value: Substring, of property: ContentLine) throws(ICalendarReadError) -> RecurrenceDate {
        guard let slash = value.firstIndex(of: "/") else { return RecurrenceDate(start: try time(property, value)) }
        let start = try time(property, value[..<slash])
        let rest = value[value.index(after: slash)...].trimmingCharacters(in: .whitespaces)
        if let first = rest.first, first == "P" || first == "p" || first == "+" || first == "-" {
            guard let duration = ValueSyntax.duration(rest[...]), !duration.isNegative else {
                throw ICalendarReadError(.invalidValue, line: property.line, "RDATE: a PERIOD's duration must be positive, such as PT1H")
            }
            return RecurrenceDate(start: start, duration: duration)
        }
        let end = try time(property, rest[...])
        return RecurrenceDate(start: start, duration: EventDuration(seconds: max(0, Int(end.instant.timeIntervalSince(start.instant).rounded()))))
    }

    private mutating func time(_ property: ContentLine) throws(ICalendarReadError) -> EventTime {
        try time(property, property.value[...])
    }

    /// A DATE on the default zone's clock; a DATE-TIME in UTC, on its TZID's clock, or floating
    /// on the default zone's clock.
    private mutating func time(_ property: ContentLine, _ value: Substring) throws(ICalendarReadError) -> EventTime {
        switch ValueSyntax.time(value.trimmingCharacters(in: .whitespaces)[...]) {
        case .date(let date)?:
            return EventTime(date: date, in: defaultZone)
        case .utc(let date, let seconds)?:
            return EventTime(date: date, secondsIntoDay: seconds, in: .gmt)
        case .local(let date, let seconds)?:
            return EventTime(date: date, secondsIntoDay: seconds, in: zone(property))
        case nil:
            throw ICalendarReadError(.invalidValue, line: property.line,
                                     "\(property.name) must be a DATE such as 20261201 or a DATE-TIME such as 20261201T100000 (Z at the end for UTC)")
        }
    }

    private mutating func zone(_ property: ContentLine) -> TimeZone {
        guard let tzid = property.parameter("TZID") else { return defaultZone }
        let zone: TimeZone?
        if let looked = zones[tzid] {
            zone = looked
        } else {
            zone = TimeZoneNames.zone(named: tzid) ?? locations[tzid].flatMap(TimeZoneNames.zone(named:))
            zones[tzid] = zone
        }
        if zone == nil, unknownZones.insert(tzid).inserted {
            warn(.unknownTimeZone, line: property.line, "TZID \"\(tzid)\" is not a known time zone; read on the clock of \(defaultZone.identifier)")
        }
        return zone ?? defaultZone
    }

    private func participation(_ value: String?) -> Attendee.Participation {
        switch value?.uppercased() {
        case nil, "NEEDS-ACTION": return .needsAction
        case "ACCEPTED": return .accepted
        case "DECLINED": return .declined
        case "TENTATIVE": return .tentative
        case "DELEGATED": return .delegated
        case let other?: return .other(other)
        }
    }

    /// The first `name` property; a second one is ignored with a warning.
    private mutating func single(_ name: String, in component: CalendarComponent) -> ContentLine? {
        let properties = component.properties(named: name)
        if properties.count > 1 {
            warn(.unreadableProperty, line: properties[1].line, "\(name) is given more than once; the first is used")
        }
        return properties.first
    }

    private mutating func warn(_ kind: CalendarWarning.Kind, line: Int, _ message: String) {
        let warning = CalendarWarning(kind, line: line, uid: currentUID, message)
        if !warnings.contains(warning) { warnings.append(warning) }
    }
}

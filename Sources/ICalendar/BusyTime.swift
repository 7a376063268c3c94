import Foundation

/// A span of time an imported event holds the consultant busy.
public struct BusyOccurrence: Sendable, Hashable {
    public var uid: String
    /// The original start of this instance of a recurring event (an override's RECURRENCE-ID);
    /// nil for an event that does not recur.
    public var recurrenceID: Date?
    public var start: Date
    public var end: Date
    public var summary: String?
    public var isAllDay: Bool

    public init(uid: String, recurrenceID: Date?, start: Date, end: Date, summary: String?, isAllDay: Bool) {
        self.uid = uid
        self.recurrenceID = recurrenceID
        self.start = start
        self.end = end
        self.summary = summary
        self.isAllDay = isAllDay
    }
}

/// The time a consultant's calendars hold them busy in a window: every instance of every event
/// that overlaps it (whole, not cut at the window's edges), oldest first.
///
/// An event holds time unless it is TRANSPARENT, CANCELLED, TENTATIVE with `tentativeBlocks`
/// off, declined by one of `attendeeAddresses`, or takes no time. All-day events hold their days
/// from midnight to midnight on the default zone's clock. Events are matched across the texts
/// by UID, so a master and its overrides may come from different CalDAV resources; an override
/// (RECURRENCE-ID) takes the place of the instance it names, with its own times, status,
/// transparency and attendees, wherever either lies. Where the same event comes more than once,
/// the highest SEQUENCE wins.
///
/// Not supported: RECURRENCE-ID;RANGE=THISANDFUTURE changes only the instance it names, not the
/// ones after it (calendar clients mostly split such a series in two instead); EXRULE is ignored.
public struct BusyTime: Sendable {
    public struct Options: Sendable {
        /// Whether TENTATIVE events hold time.
        public var tentativeBlocks: Bool
        /// The consultant's own addresses (with or without `mailto:`, any case): an event one of
        /// them has declined holds nothing.
        public var attendeeAddresses: Set<String>
        /// At most this many occurrences, and this many instances of any one event.
        public var maximumOccurrences: Int

        public init(tentativeBlocks: Bool = true, attendeeAddresses: Set<String> = [], maximumOccurrences: Int = 10_000) {
            self.tentativeBlocks = tentativeBlocks
            self.attendeeAddresses = attendeeAddresses
            self.maximumOccurrences = maximumOccurrences
        }
    }

    public let occurrences: [BusyOccurrence]
    /// The reader's warnings about every event, and any truncation.
    public let warnings: [CalendarWarning]
    /// An occurrence limit was reached: busy time may be missing from the window's end.
    public let isTruncated: Bool

    /// Reads each text (one per CalDAV resource, or whole calendars) and finds the busy time.
    public init(calendars: [String], window: Range<Date>, defaultZone: TimeZone, options: Options = Options()) throws(ICalendarReadError) {
        var documents: [CalendarDocument] = []
        for text in calendars { documents.append(try CalendarReader.read(text, defaultZone: defaultZone)) }
        self.init(documents: documents, window: window, options: options)
    }

    public init(documents: [CalendarDocument], window: Range<Date>, options: Options = Options()) {
        var warnings = documents.flatMap { $0.warnings + $0.events.flatMap(\.warnings) }
        let limit = max(0, options.maximumOccurrences)
        let declining = Set(options.attendeeAddresses.map(Attendee.normalizedEmail))
        func holdsTime(_ event: ImportedEvent) -> Bool {
            switch event.status {
            case .cancelled?: return false
            case .tentative?: if !options.tentativeBlocks { return false }
            default: break
            }
            return event.transparency == .opaque
                && !event.attendees.contains { $0.participation == .declined && declining.contains($0.emailAddress) }
        }

        var occurrences: [BusyOccurrence] = []
        var isTruncated = false
        for series in Self.series(of: documents.flatMap(\.events), warnings: &warnings) {
            if let master = series.master {
                let instances = master.instances(overlapping: window, limit: limit)
                if instances.isTruncated {
                    isTruncated = true
                    warnings.append(CalendarWarning(.truncatedExpansion, line: master.line, uid: master.uid,
                                                    "expansion stopped at its limit; later instances in the window are missing"))
                }
                if holdsTime(master) {
                    for instance in instances.instances where series.overrides[instance.start.instant] == nil {
                        let start = instance.start.instant
                        guard instance.end > start else { continue }
                        occurrences.append(BusyOccurrence(uid: master.uid, recurrenceID: master.isRecurring ? start : nil, start: start,
                                                          end: instance.end, summary: master.summary, isAllDay: master.isAllDay))
                    }
                }
            }
            for (recurrenceID, override) in series.overrides where holdsTime(override) {
                let start = override.start.instant
                let end = override.end
                guard end > start, start < window.upperBound, end > window.lowerBound, !window.isEmpty else { continue }
                occurrences.append(BusyOccurrence(uid: override.uid, recurrenceID: recurrenceID, start: start, end: end,
                                                  summary: override.summary, isAllDay: override.isAllDay))
            }
        }
        occurrences.sort {
            ($0.start, $0.end, $0.uid, $0.recurrenceID ?? .distantPast) < ($1.start, $1.end, $1.uid, $1.recurrenceID ?? .distantPast)
        }
        if occurrences.count > limit {
            occurrences.removeLast(occurrences.count - limit)
            isTruncated = true
            warnings.append(CalendarWarning(.truncatedExpansion, line: 0, uid: nil,
                                            "more than \(limit) busy occurrences in the window; the latest are left out"))
        }
        self.occurrences = occurrences
        self.warnings = warnings
        self.isTruncated = isTruncated
    }

    /// One UID's master and overrides (by the instant their RECURRENCE-ID names).
    private struct Series {
        var master: ImportedEvent?
        var overrides: [Date: ImportedEvent] = [:]
    }

    /// Events grouped by UID in the order first met; an event without a UID is a series of its own.
    private static func series(of events: [ImportedEvent], warnings: inout [CalendarWarning]) -> [Series] {
        var series: [Series] = []
        var indexByUID: [String: Int] = [:]
        func newer(_ candidate: ImportedEvent, than kept: ImportedEvent?) -> Bool {
            guard let kept else { return true }
            warnings.append(CalendarWarning(.duplicateEvent, line: candidate.line, uid: candidate.uid,
                                            "the same event as at line \(kept.line); the one with the higher SEQUENCE is used"))
            return candidate.sequence >= kept.sequence
        }
        for event in events {
            let index: Int
            if !event.uid.isEmpty, let known = indexByUID[event.uid] {
                index = known
            } else {
                index = series.count
                series.append(Series())
                if !event.uid.isEmpty { indexByUID[event.uid] = index }
            }
            if let recurrenceID = event.recurrenceID?.instant {
                if newer(event, than: series[index].overrides[recurrenceID]) { series[index].overrides[recurrenceID] = event }
            } else if newer(event, than: series[index].master) {
                series[index].master = event
            }
        }
        return series
    }
}

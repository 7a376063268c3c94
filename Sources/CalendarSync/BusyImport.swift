import BookingProtocol
import CalDAV
import CalendarSyncStore
import CivilTime
import Foundation
import ICalendar

/// A consultant's busy time in a window, from the events last read from their calendar: what
/// calsyncd hands availabilityd. Pure: the same events give the same intervals.
public struct BusyImport: Sendable, Equatable {
    public var intervals: [BusyIntervalBody]
    /// Events that could not be read (skipped whole) and what the reader noticed.
    public var warnings: [String]

    /// `zone`: the consultant's, for all-day events and times without a zone. `addresses`: the
    /// consultant's own, to tell the invitations they declined.
    /// `excludingUIDs`: events that are the suite's own bookings, not meetings.
    public init(events: [RemoteEvent], window: Range<Date>, zone: TimeZone, tentativeBlocks: Bool, addresses: Set<String>,
                excludingUIDs: Set<String> = []) {
        var documents: [CalendarDocument] = []
        var warnings: [String] = []
        for event in events {
            do {
                var document = try CalendarReader.read(utf8: Array(event.data.utf8), defaultZone: zone)
                document.events.removeAll { excludingUIDs.contains($0.uid) }
                documents.append(document)
            } catch {
                warnings.append("\(CalDAVCollection.name(of: event.href)): skipped, \(error)")
            }
        }
        let busy = BusyTime(documents: documents, window: window,
                            options: BusyTime.Options(tentativeBlocks: tentativeBlocks, attendeeAddresses: addresses))
        warnings += busy.warnings.map { warning in warning.uid.map { "\($0): \(warning.message)" } ?? warning.message }
        intervals = busy.occurrences.map { occurrence in
            BusyIntervalBody(start: occurrence.start, end: occurrence.end, eventId: Self.eventId(occurrence))
        }
        self.warnings = warnings
    }

    /// The UID, and for one instance of a recurring event its original start: enough for an
    /// operator to find the meeting, and within the protocol's 512 characters.
    static func eventId(_ occurrence: BusyOccurrence) -> String {
        let uid = String(occurrence.uid.prefix(450))
        guard let recurrenceID = occurrence.recurrenceID else { return uid.isEmpty ? "(no UID)" : uid }
        return "\(uid) \(ISO8601.instant(recurrenceID))"
    }
}

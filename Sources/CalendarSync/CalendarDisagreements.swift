import BookingProtocol
import CalDAV
import CalendarSyncStore
import Foundation
import ICalendar

/// What one read of a consultant's calendar says about the bookings written into it: the events
/// deleted there, the events moved there, and the meetings over a booking. Pure: the same
/// copies and events give the same answer, so a sync and its tests agree.
struct CalendarDisagreements: Equatable {
    /// Bookings whose event is gone from the calendar.
    var deleted: [BookingCopy] = []
    var conflicts: [CalendarConflict] = []

    /// `copies`: the consultant's copies; `events`: the calendar as just read; `overlaps`:
    /// availabilityd's answer to the busy time handed over (a meeting over a booking).
    init(consultantId: String, copies: [BookingCopy], events: [RemoteEvent], overlaps: [BusyConflictBody], zone: TimeZone, now: Date) {
        let byName = Dictionary(events.map { (CalDAVCollection.name(of: $0.href), $0) }, uniquingKeysWith: { first, _ in first })
        var byStart: [Date: (copy: BookingCopy, reference: String)] = [:]
        for copy in copies where copy.consultantId == consultantId {
            guard let appointment = try? WireJSON.decode(AppointmentBody.self, from: Array(copy.appointment.utf8)),
                  BookingEvent.belongsInCalendar(appointment) else { continue }
            byStart[appointment.start] = (copy, appointment.reference)
            // Only an event as it was last written says anything: a pending write changes it anyway.
            guard let remote = copy.remote, remote.consultantId == consultantId, !copy.isPending, copy.end > now else { continue }
            guard let event = byName[remote.name] else {
                deleted.append(copy)
                continue
            }
            if let start = Self.start(of: event, uid: copy.appointmentId, zone: zone), start != remote.start {
                conflicts.append(CalendarConflict(
                    id: "moved:\(copy.appointmentId):\(Int64(start.timeIntervalSince1970))", consultantId: consultantId, kind: .moved,
                    reference: appointment.reference, start: appointment.start, eventId: copy.appointmentId, eventStart: start, foundAt: now))
            }
        }
        for overlap in overlaps {
            guard let booked = byStart[overlap.start] else { continue }
            conflicts.append(CalendarConflict(
                id: "overlap:\(booked.copy.appointmentId):\(Self.digest(overlap.eventId ?? ""))", consultantId: consultantId, kind: .overlap,
                reference: booked.reference, start: overlap.start, eventId: overlap.eventId, eventStart: nil, foundAt: now))
        }
    }

    /// A conflict's id stays within the protocol's 200 characters whatever the meeting's UID:
    /// FNV-1a, enough to tell one meeting over a booking from another (not a secret).
    static func digest(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// A deleted event the connection does not recreate is a conflict until it is back.
    static func deletion(_ copy: BookingCopy, consultantId: String, now: Date) -> CalendarConflict? {
        guard let appointment = try? WireJSON.decode(AppointmentBody.self, from: Array(copy.appointment.utf8)) else { return nil }
        return CalendarConflict(id: "deleted:\(copy.appointmentId):\(copy.version)", consultantId: consultantId, kind: .deleted,
                                reference: appointment.reference, start: appointment.start, eventId: copy.appointmentId, eventStart: nil, foundAt: now)
    }

    /// The start of the booking's own event (not of an instance someone overrode) as the calendar has it.
    static func start(of event: RemoteEvent, uid: String, zone: TimeZone) -> Date? {
        guard let document = try? CalendarReader.read(utf8: Array(event.data.utf8), defaultZone: zone) else { return nil }
        return document.events.first { $0.uid == uid && $0.recurrenceID == nil }?.start.instant
    }
}

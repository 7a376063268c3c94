import AvailabilityStore
import BookingDomain
import BookingProtocol
import Foundation
import Metrics
import NIOConcurrencyHelpers

/// What availabilityd answers from: the calendar with its blocked days, the consultants, and
/// the taken slots as of event `sequence`. Replaced whole under a lock, read without copying
/// more than copy-on-write references.
struct AvailabilitySnapshot: Sendable {
    var calendar: WorkCalendar
    var availability: Availability
    var booked: Set<BookedSlot>
    var sequence: UInt64
    var synced: Bool
    /// Changes whenever anything above changes: answers computed from an older version are stale.
    var version: UInt64 = 0
    /// The store's change version the consultants, blocked days, time off and busy time are
    /// as of: another replica's change moves the store's past it.
    var storeVersion: Int64

    var policy: CalendarPolicy { calendar.policy }
    var consultants: [Consultant] { availability.consultants }
}

final class AvailabilityView: Sendable {
    private let state: NIOLockedValueBox<AvailabilitySnapshot>

    init(policy: CalendarPolicy, production: ProductionCalendar, served: ServedCalendar) {
        let calendar = WorkCalendar(policy: policy, production: production, blocked: served.blocked)
        state = NIOLockedValueBox(AvailabilitySnapshot(
            calendar: calendar,
            availability: Availability(calendar: calendar, consultants: served.consultants, timeOff: served.timeOff, busy: served.busy),
            booked: [], sequence: 0, synced: false, storeVersion: served.version
        ))
    }

    var current: AvailabilitySnapshot { state.withLockedValue { $0 } }
    var policy: CalendarPolicy { current.policy }
    var consultants: [Consultant] { current.consultants }

    /// Rules, production calendar, consultants, blocked days, time off and busy time, all at once
    /// (reload, calendar admin, imported busy time, another replica's change): the version moves
    /// on and cached answers are dropped. A load older than the one served (two reloads that
    /// crossed) is dropped; false then.
    @discardableResult
    func reconfigure(policy: CalendarPolicy, production: ProductionCalendar, served: ServedCalendar) -> Bool {
        let calendar = WorkCalendar(policy: policy, production: production, blocked: served.blocked)
        let availability = Availability(calendar: calendar, consultants: served.consultants, timeOff: served.timeOff, busy: served.busy)
        return state.withLockedValue {
            guard served.version >= $0.storeVersion else { return false }
            $0.calendar = calendar
            $0.availability = availability
            $0.storeVersion = served.version
            $0.version &+= 1
            return true
        }
    }

    /// Installs a snapshot from bookingd (Clone pattern): the booked slots as of `sequence`.
    func reset(booked: [BookedSlotBody], sequence: UInt64) {
        let slots = Set(booked.map { BookedSlot(consultantId: $0.consultantId, start: $0.start) })
        state.withLockedValue {
            $0.booked = slots
            $0.sequence = sequence
            $0.synced = true
            $0.version &+= 1
        }
    }

    enum Outcome { case applied, stale, gap }

    /// Applies an event if it is the next one; says `gap` if events are missing before it.
    func apply(_ event: EventBody) -> Outcome {
        state.withLockedValue { view in
            guard view.synced else { return .gap }
            if event.sequence <= view.sequence { return .stale }
            if event.sequence > view.sequence + 1 { return .gap }
            let appointment = event.appointment
            let slot = BookedSlot(consultantId: appointment.consultantId, start: appointment.start)
            switch event.kind {
            case .created:
                // A hold (`scheduled`) takes its slot like a confirmed booking.
                if AppointmentStatus(rawValue: appointment.status)?.isActive == true { view.booked.insert(slot) }
            case .rescheduled:
                if let previous = event.previous {
                    view.booked.remove(BookedSlot(consultantId: previous.consultantId, start: previous.start))
                }
                view.booked.insert(slot)
            case .cancelled, .released, .attended, .noShow:
                view.booked.remove(slot)
            case .reminderSent, .confirmed, .erased:
                break
            }
            view.sequence = event.sequence
            view.version &+= 1
            return .applied
        }
    }
}

/// Encoded slot replies by query. A reply depends on the query, the view's version and the
/// booking window (which moves on when a slot falls inside the minimum notice), so those make
/// the key; a new view version empties the cache. Most visitors ask the same few questions
/// (the next two weeks, in a handful of zones), so most queries are answered from here.
final class SlotReplyCache: Sendable {
    struct Key: Hashable {
        var request: SlotsRequest
        var version: UInt64
        /// The booking window, its start rounded up to the minute: slots start on whole minutes,
        /// so a slot is offered from a start exactly when it is offered from that minute, and
        /// the key changes at most once a minute without knowing anything of the slot grid.
        var windowStartMinute: Int64
        var windowEnd: Date

        init(request: SlotsRequest, version: UInt64, window: DateTimeRange) {
            self.request = request
            self.version = version
            windowStartMinute = Int64((window.start.timeIntervalSince1970 / 60).rounded(.up))
            windowEnd = window.end
        }
    }

    private static let capacity = 512
    private static let hits = Counter(label: "booking_slot_cache_total", dimensions: [("result", "hit")])
    private static let misses = Counter(label: "booking_slot_cache_total", dimensions: [("result", "miss")])
    private let entries = NIOLockedValueBox<(version: UInt64, replies: [Key: [UInt8]])>((0, [:]))

    func reply(for key: Key, compute: () throws -> [UInt8]) rethrows -> [UInt8] {
        if let cached = entries.withLockedValue({ $0.version == key.version ? $0.replies[key] : nil }) {
            Self.hits.increment()
            return cached
        }
        Self.misses.increment()
        let reply = try compute()
        entries.withLockedValue { cache in
            if cache.version != key.version || cache.replies.count >= Self.capacity {
                cache = (key.version, [:])
            }
            cache.replies[key] = reply
        }
        return reply
    }
}

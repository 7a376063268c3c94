import BookingDomain
import BookingProtocol
import Foundation
import Synchronization

/// What availabilityd answers from: the calendar with its blocked days, the consultants, and
/// the taken slots as of event `sequence`. Replaced whole under a lock, read without copying
/// more than copy-on-write references.
struct AvailabilitySnapshot: Sendable {
    var calendar: WorkCalendar
    var availability: Availability
    var booked: Set<BookedSlot>
    var sequence: UInt64
    var synced: Bool
}

final class AvailabilityView: Sendable {
    private let state: Mutex<AvailabilitySnapshot>
    let policy: CalendarPolicy
    let production: ProductionCalendar
    let consultants: [Consultant]

    init(policy: CalendarPolicy, production: ProductionCalendar, consultants: [Consultant], blocked: [BlockedPeriod], timeOff: [TimeOff]) {
        self.policy = policy
        self.production = production
        self.consultants = consultants
        let calendar = WorkCalendar(policy: policy, production: production, blocked: blocked)
        state = Mutex(AvailabilitySnapshot(
            calendar: calendar, availability: Availability(calendar: calendar, consultants: consultants, timeOff: timeOff),
            booked: [], sequence: 0, synced: false
        ))
    }

    var current: AvailabilitySnapshot { state.withLock { $0 } }

    func replaceCalendar(blocked: [BlockedPeriod], timeOff: [TimeOff]) {
        let calendar = WorkCalendar(policy: policy, production: production, blocked: blocked)
        let availability = Availability(calendar: calendar, consultants: consultants, timeOff: timeOff)
        state.withLock {
            $0.calendar = calendar
            $0.availability = availability
        }
    }

    /// Installs a snapshot from bookingd (Clone pattern): the booked slots as of `sequence`.
    func reset(booked: [BookedSlotBody], sequence: UInt64) {
        let slots = Set(booked.map { BookedSlot(consultantId: $0.consultantId, start: $0.start) })
        state.withLock {
            $0.booked = slots
            $0.sequence = sequence
            $0.synced = true
        }
    }

    enum Outcome { case applied, stale, gap }

    /// Applies an event if it is the next one; says `gap` if events are missing before it.
    func apply(_ event: EventBody) -> Outcome {
        state.withLock { view in
            guard view.synced else { return .gap }
            if event.sequence <= view.sequence { return .stale }
            if event.sequence > view.sequence + 1 { return .gap }
            let appointment = event.appointment
            let slot = BookedSlot(consultantId: appointment.consultantId, start: appointment.start)
            switch event.kind {
            case .created:
                if appointment.status == AppointmentStatus.confirmed.rawValue { view.booked.insert(slot) }
            case .rescheduled:
                if let previous = event.previous {
                    view.booked.remove(BookedSlot(consultantId: previous.consultantId, start: previous.start))
                }
                view.booked.insert(slot)
            case .cancelled, .completed, .noShow:
                view.booked.remove(slot)
            case .reminderSent:
                break
            }
            view.sequence = event.sequence
            return .applied
        }
    }
}

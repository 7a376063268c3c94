import BookingDomain
import CivilTime
import Foundation

/// The three groups every figure counts from, over the whole period or one day or week of it:
/// bookings made in it, consultations held in it (slot starting in it, not cancelled), and
/// the booking page's visits that began in it.
struct ReportCohorts {
    let made: [BookedConsultation]
    let held: [BookedConsultation]
    let visits: [FunnelVisit]
    let now: Date
    let unmarkedAfter: TimeInterval

    init(bookings: [BookedConsultation], visits: [FunnelVisit], in range: Range<Date>, now: Date, unmarkedAfter: TimeInterval) {
        made = bookings.filter { range.contains($0.bookedAt) }
        held = bookings.filter { range.contains($0.slot.start) && $0.status != .cancelled }
        self.visits = visits.filter { range.contains($0.viewedAt) }
        self.now = now
        self.unmarkedAfter = unmarkedAfter
    }

    func fate(_ booking: BookedConsultation) -> BookingFate {
        BookingFate(booking, now: now, unmarkedAfter: unmarkedAfter)
    }

    var funnel: FunnelCounts {
        FunnelCounts(
            viewed: visits.count,
            slots: visits.count { $0.slotsAt != nil || $0.choseAt != nil || $0.sentAt != nil || $0.bookedAt != nil },
            chose: visits.count { $0.choseAt != nil || $0.sentAt != nil || $0.bookedAt != nil },
            sent: visits.count { $0.sentAt != nil || $0.bookedAt != nil },
            booked: visits.count { $0.bookedAt != nil })
    }

    var cancelledCount: Int { made.count { $0.status == .cancelled } }
    var rescheduledCount: Int { made.count { $0.moves > 0 } }
    var attendedCount: Int { held.count { $0.status == .completed } }
    var noShowCount: Int { held.count { $0.status == .noShow } }

    /// From first page view to reference, for the visits that got one.
    var bookingTimes: [Double] {
        visits.compactMap { visit in visit.bookedAt.map { max(0, $0.timeIntervalSince(visit.viewedAt)) } }
    }

    func rates(from: LocalDate, to: LocalDate) -> RatePoint {
        let funnel = funnel, marked = attendedCount + noShowCount
        return RatePoint(
            from: from, to: to,
            completion: Ratio.of(funnel.booked, funnel.chose), conversion: Ratio.of(funnel.booked, funnel.viewed),
            cancellation: Ratio.of(cancelledCount, made.count), rescheduling: Ratio.of(rescheduledCount, made.count),
            attendance: Ratio.of(attendedCount, marked), noShow: Ratio.of(noShowCount, marked))
    }
}

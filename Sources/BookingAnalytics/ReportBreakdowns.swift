import BookingDomain
import CivilTime
import Foundation

// The report's tables beyond the headline: when, with whom and from where.
extension BookingReport {
    static let weekdayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    static func weekdays(_ cohorts: ReportCohorts, _ period: ReportPeriod) -> [WeekdayCount] {
        (1...7).map { weekday in
            WeekdayCount(weekday: weekday, name: weekdayNames[weekday - 1],
                         bookings: cohorts.made.count { period.day(of: $0.bookedAt).weekday == weekday },
                         consultations: cohorts.held.count { period.day(of: $0.slot.start).weekday == weekday })
        }
    }

    static func hours(_ cohorts: ReportCohorts, _ period: ReportPeriod) -> [HourCount] {
        (0..<24).map { hour in
            HourCount(hour: hour, bookings: cohorts.made.count { period.hour(of: $0.bookedAt) == hour },
                      consultations: cohorts.held.count { period.hour(of: $0.slot.start) == hour })
        }
    }

    /// Busiest first (by bookings made, then consultations held), then by id.
    static func consultants(_ cohorts: ReportCohorts) -> [ConsultantLoad] {
        var loads: [String: ConsultantLoad] = [:]
        func update(_ id: String, _ change: (inout ConsultantLoad) -> Void) {
            change(&loads[id, default: ConsultantLoad(consultantId: id)])
        }
        for booking in cohorts.made {
            update(booking.consultantId) { load in
                load.made += 1
                if booking.status == .cancelled { load.cancelled += 1 }
            }
        }
        for booking in cohorts.held {
            update(booking.consultantId) { load in
                load.held += 1
                switch cohorts.fate(booking) {
                case .attended: load.attended += 1
                case .noShow: load.noShow += 1
                case .unmarked: load.unmarked += 1
                case .pending, .cancelled: break
                }
            }
        }
        return loads.values.sorted { ($1.made, $1.held, $0.consultantId) < ($0.made, $0.held, $1.consultantId) }
    }

    /// Most bookings first, then by the source's values.
    static func sources(_ cohorts: ReportCohorts) -> [SourceCount] {
        var counts: [LeadSource: SourceCount] = [:]
        for booking in cohorts.made {
            let source = booking.source ?? LeadSource()
            var count = counts[source] ?? SourceCount(utmSource: source.utmSource, utmMedium: source.utmMedium,
                                                      utmCampaign: source.utmCampaign, referrer: source.referrer)
            count.made += 1
            if booking.status == .cancelled { count.cancelled += 1 }
            if booking.status == .completed { count.attended += 1 }
            counts[source] = count
        }
        return counts.values.sorted { lhs, rhs in
            if lhs.made != rhs.made { return lhs.made > rhs.made }
            return lhs.sortKey.lexicographicallyPrecedes(rhs.sortKey)
        }
    }

    static func days(_ cohorts: ReportCohorts, _ period: ReportPeriod) -> [DayOutcomes] {
        var byDay = Dictionary(uniqueKeysWithValues: period.days.map { ($0, DayOutcomes(date: $0)) })
        for booking in cohorts.made {
            let day = period.day(of: booking.bookedAt)
            switch cohorts.fate(booking) {
            case .attended: byDay[day]?.attended += 1
            case .noShow: byDay[day]?.noShow += 1
            case .unmarked: byDay[day]?.unmarked += 1
            case .pending: byDay[day]?.pending += 1
            case .cancelled: byDay[day]?.cancelled += 1
            }
        }
        return period.days.compactMap { byDay[$0] }
    }
}

extension SourceCount {
    var sortKey: [String] { [utmSource ?? "", utmMedium ?? "", utmCampaign ?? "", referrer ?? ""] }
}

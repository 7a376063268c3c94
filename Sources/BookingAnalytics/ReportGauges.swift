/// One value for bookingd's Prometheus exporter.
public struct ReportGauge: Sendable, Hashable {
    public var name: String
    /// Label name and value, in a fixed order.
    public var labels: [(String, String)]
    public var value: Double

    public static func == (lhs: ReportGauge, rhs: ReportGauge) -> Bool {
        lhs.name == rhs.name && lhs.value == rhs.value && lhs.labels.elementsEqual(rhs.labels, by: ==)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(value)
        for (key, value) in labels {
            hasher.combine(key)
            hasher.combine(value)
        }
    }
}

/// The report's headline as gauges, for the period bookingd exports (e.g. the last 30 days).
/// A rate or time with no data is left out rather than exported as 0: an absent series shows
/// as "no data" in Grafana, a 0 would read as a real figure.
///
/// - `booking_rate{rate}`: ratio 0...1; rate is completion, conversion, cancellation,
///   rescheduling, attendance or no_show.
/// - `booking_rate_target{rate}`: its target bound (all but no_show).
/// - `booking_target_met{figure}`: 1 met, 0 not met (omitted with no data); figure is a
///   headline key such as completion_rate or average_booking_time.
/// - `booking_time_seconds{stat}` and `booking_time_target_seconds`: first page view to
///   reference; stat is average or median.
/// - `booking_lead_time_seconds{stat}`: booking to appointment.
/// - `booking_appointments{count}`: the report's counts (made, rescheduled, cancelled, ...).
/// - `booking_funnel_visits{step}`: viewed, slots, chose, sent, booked.
public enum ReportGauges {
    public static let help: [String: String] = [
        "booking_rate": "Booking rates over the report period (ratio 0-1)",
        "booking_rate_target": "Target bound of each booking rate (ratio 0-1)",
        "booking_target_met": "1 when the headline figure meets its target, 0 when not",
        "booking_time_seconds": "Time from first view of the booking page to the booking reference",
        "booking_time_target_seconds": "Target bound of the average booking time",
        "booking_lead_time_seconds": "Time from booking to the appointment's start",
        "booking_appointments": "Appointments counted by the report over its period",
        "booking_funnel_visits": "Booking page visits that reached each funnel step",
    ]

    public static func values(_ report: BookingReport) -> [ReportGauge] {
        var gauges: [ReportGauge] = []
        func add(_ name: String, _ label: String, _ value: String, _ number: Double?) {
            if let number { gauges.append(ReportGauge(name: name, labels: [(label, value)], value: number)) }
        }
        let totals = RatePoint(from: report.from, to: report.to,
                               completion: report.figure(.completionRate)?.value, conversion: report.figure(.conversionRate)?.value,
                               cancellation: report.figure(.cancellationRate)?.value, rescheduling: report.figure(.reschedulingRate)?.value,
                               attendance: report.figure(.attendanceRate)?.value, noShow: report.figure(.noShowRate)?.value)
        for rate in RateName.allCases { add("booking_rate", "rate", rate.rawValue, totals[rate]) }
        for rate in RateName.allCases { add("booking_rate_target", "rate", rate.rawValue, report.targets.target(for: rate)?.bound) }
        for figure in report.figures where figure.verdict == .met || figure.verdict == .notMet {
            add("booking_target_met", "figure", figure.key.rawValue, figure.verdict == .met ? 1 : 0)
        }
        add("booking_time_seconds", "stat", "average", report.bookingTime.averageSeconds)
        add("booking_time_seconds", "stat", "median", report.bookingTime.medianSeconds)
        gauges.append(ReportGauge(name: "booking_time_target_seconds", labels: [], value: report.targets.averageBookingTime.bound))
        add("booking_lead_time_seconds", "stat", "average", report.leadTime.averageSeconds)
        add("booking_lead_time_seconds", "stat", "median", report.leadTime.medianSeconds)
        let counts = report.counts
        for (name, value) in [("made", counts.made), ("rescheduled", counts.rescheduled), ("moves", counts.moves),
                              ("cancelled", counts.cancelled), ("held", counts.held), ("attended", counts.attended),
                              ("no_show", counts.noShow), ("unmarked", counts.unmarked), ("pending", counts.pending)] {
            add("booking_appointments", "count", name, Double(value))
        }
        let funnel = report.funnel
        for (step, value) in [("viewed", funnel.viewed), ("slots", funnel.slots), ("chose", funnel.chose), ("sent", funnel.sent),
                              ("booked", funnel.booked)] {
            add("booking_funnel_visits", "step", step, Double(value))
        }
        return gauges
    }

    /// The gauges in Prometheus' text format, for a test or a text-file collector.
    public static func exposition(_ report: BookingReport) -> String {
        var out = "", described: Set<String> = []
        for gauge in values(report) {
            if described.insert(gauge.name).inserted {
                out += "# HELP \(gauge.name) \(help[gauge.name] ?? gauge.name)\n# TYPE \(gauge.name) gauge\n"
            }
            let labels = gauge.labels.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: ",")
            out += gauge.name + (labels.isEmpty ? "" : "{\(labels)}") + " " + FigureText.number(gauge.value) + "\n"
        }
        return out
    }
}

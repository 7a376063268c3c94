/// The headline figures, in the order the report shows them.
public enum FigureKey: String, Codable, Sendable, Hashable, CaseIterable {
    case completionRate = "completion_rate"
    case averageBookingTime = "average_booking_time"
    case cancellationRate = "cancellation_rate"
    case reschedulingRate = "rescheduling_rate"
    case attendanceRate = "attendance_rate"
    case conversionRate = "conversion_rate"
    case noShowRate = "no_show_rate"
    case medianBookingTime = "median_booking_time"

    public var label: String {
        switch self {
        case .completionRate: "Booking completion rate"
        case .averageBookingTime: "Average booking time"
        case .cancellationRate: "Cancellation rate"
        case .reschedulingRate: "Rescheduling rate"
        case .attendanceRate: "Attendance rate"
        case .conversionRate: "Lead conversion"
        case .noShowRate: "No-show rate"
        case .medianBookingTime: "Median booking time"
        }
    }

    public var unit: FigureUnit {
        switch self {
        case .averageBookingTime, .medianBookingTime: .seconds
        default: .ratio
        }
    }
}

public enum FigureUnit: String, Codable, Sendable, Hashable {
    /// 0...1; shown as a percentage.
    case ratio
    case seconds
}

/// One headline figure beside its target. A rate carries what it was computed from, so that a
/// reader can see how much a percentage rests on.
public struct ReportFigure: Codable, Sendable, Hashable {
    public var key: FigureKey
    /// Nil: no data (a rate whose denominator is zero, a time with no booking to time).
    public var value: Double?
    public var unit: FigureUnit
    public var numerator: Int?
    public var denominator: Int?
    public var target: ReportTarget?
    public var verdict: Verdict

    public init(key: FigureKey, value: Double?, numerator: Int? = nil, denominator: Int? = nil, target: ReportTarget?) {
        self.key = key
        self.value = value
        self.unit = key.unit
        self.numerator = numerator
        self.denominator = denominator
        self.target = target
        self.verdict = target?.verdict(for: value) ?? (value == nil ? .noData : .noTarget)
    }

    /// A share, or no data when there is nothing to share out.
    static func rate(_ key: FigureKey, _ numerator: Int, of denominator: Int, target: ReportTarget?) -> ReportFigure {
        ReportFigure(key: key, value: Ratio.of(numerator, denominator), numerator: numerator, denominator: denominator, target: target)
    }
}

enum Ratio {
    static func of(_ numerator: Int, _ denominator: Int) -> Double? {
        denominator == 0 ? nil : Double(numerator) / Double(denominator)
    }
}

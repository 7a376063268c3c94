/// Whether a figure must stay above or below its bound to meet its target.
public enum TargetRule: String, Codable, Sendable, Hashable {
    case above
    case below
}

/// What a figure is judged against. Both rules are strict, as the team states them (`> 90%`,
/// `< 1 minute`): a figure exactly on its bound has not met it.
public struct ReportTarget: Codable, Sendable, Hashable {
    public var rule: TargetRule
    /// A ratio (0...1) for a rate, seconds for a time.
    public var bound: Double

    public init(_ rule: TargetRule, _ bound: Double) {
        self.rule = rule
        self.bound = bound
    }

    public func verdict(for value: Double?) -> Verdict {
        guard let value else { return .noData }
        switch rule {
        case .above: return value > bound ? .met : .notMet
        case .below: return value < bound ? .met : .notMet
        }
    }
}

/// How a headline figure stands against its target.
public enum Verdict: String, Codable, Sendable, Hashable {
    case met
    case notMet = "not_met"
    /// Nothing to compute it from (a rate whose denominator is zero): never shown as 0%.
    case noData = "no_data"
    /// A figure shown for context, with no target of its own.
    case noTarget = "no_target"
}

/// The six figures the team judges booking by.
public struct ReportTargets: Codable, Sendable, Hashable {
    public var completionRate: ReportTarget
    /// Seconds.
    public var averageBookingTime: ReportTarget
    public var cancellationRate: ReportTarget
    public var reschedulingRate: ReportTarget
    public var attendanceRate: ReportTarget
    public var conversionRate: ReportTarget

    public init(completionRate: ReportTarget, averageBookingTime: ReportTarget, cancellationRate: ReportTarget,
                reschedulingRate: ReportTarget, attendanceRate: ReportTarget, conversionRate: ReportTarget) {
        self.completionRate = completionRate
        self.averageBookingTime = averageBookingTime
        self.cancellationRate = cancellationRate
        self.reschedulingRate = reschedulingRate
        self.attendanceRate = attendanceRate
        self.conversionRate = conversionRate
    }

    /// The team's requirements: completion > 90%, average booking time < 1 minute, cancellations
    /// < 10%, reschedules < 15%, attendance > 80%, lead conversion > 25%.
    public static let requirements = ReportTargets(
        completionRate: ReportTarget(.above, 0.90), averageBookingTime: ReportTarget(.below, 60),
        cancellationRate: ReportTarget(.below, 0.10), reschedulingRate: ReportTarget(.below, 0.15),
        attendanceRate: ReportTarget(.above, 0.80), conversionRate: ReportTarget(.above, 0.25))
}

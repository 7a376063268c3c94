/// The report's rates by one name each: the `rate` label of the gauges and the lines of the
/// rates-over-time chart.
public enum RateName: String, Codable, Sendable, Hashable, CaseIterable {
    case completion
    case conversion
    case cancellation
    case rescheduling
    case attendance
    case noShow = "no_show"

    public var figure: FigureKey {
        switch self {
        case .completion: .completionRate
        case .conversion: .conversionRate
        case .cancellation: .cancellationRate
        case .rescheduling: .reschedulingRate
        case .attendance: .attendanceRate
        case .noShow: .noShowRate
        }
    }
}

extension ReportTargets {
    /// Nil for the no-show rate: attendance is its target's other side.
    public func target(for rate: RateName) -> ReportTarget? {
        switch rate {
        case .completion: completionRate
        case .conversion: conversionRate
        case .cancellation: cancellationRate
        case .rescheduling: reschedulingRate
        case .attendance: attendanceRate
        case .noShow: nil
        }
    }
}

extension RatePoint {
    public subscript(rate: RateName) -> Double? {
        switch rate {
        case .completion: completion
        case .conversion: conversion
        case .cancellation: cancellation
        case .rescheduling: rescheduling
        case .attendance: attendance
        case .noShow: noShow
        }
    }
}

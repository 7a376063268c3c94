import Foundation

// The one place where instants and durations become numbers and back. Conversions to whole
// milliseconds round to the nearest (stored instants: what was written reads back the same) or
// up (timeouts: never shorter than asked).

extension Date {
    /// Milliseconds since 1970-01-01T00:00:00Z, rounded to the nearest: how stores keep instants.
    public var millisecondsSince1970: Int64 {
        Int64((timeIntervalSince1970 * 1000).rounded())
    }

    public init(millisecondsSince1970 milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}

extension Duration {
    /// The duration in seconds, for arithmetic with `Date` and `TimeInterval`.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// In milliseconds, with the fraction: for measurements.
    public var milliseconds: Double { seconds * 1000 }

    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }

    /// Whole milliseconds rounded up, at most `Int32.max` (a timeout for a C library); negative
    /// durations give -1, "no limit" in libzmq's options.
    public var timeoutMilliseconds: Int32 {
        if self < .zero { return -1 }
        let (seconds, attoseconds) = components
        let whole = seconds.multipliedReportingOverflow(by: 1000)
        if whole.overflow || whole.partialValue >= Int64(Int32.max) { return Int32.max }
        let rest = (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(min(whole.partialValue + rest, Int64(Int32.max)))
    }

    /// A duration of `seconds`, kept to the nanosecond (never truncated to whole milliseconds).
    public static func seconds(fractional seconds: Double) -> Duration {
        .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// "10 s", "0.25 s": how reasons and descriptions print a duration.
    public var secondsText: String {
        let (seconds, attoseconds) = components
        if attoseconds == 0 { return "\(seconds) s" }
        let milliseconds = seconds * 1000 + (attoseconds + 500_000_000_000_000) / 1_000_000_000_000_000
        var fraction = String(milliseconds % 1000)
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? "\(milliseconds / 1000) s" : "\(milliseconds / 1000).\(fraction) s"
    }
}

import Foundation

/// How the summary, the CSV's human columns and the page write figures: one wording everywhere.
enum FigureText {
    static func value(_ value: Double?, _ unit: FigureUnit) -> String {
        guard let value else { return "no data" }
        switch unit {
        case .ratio: return percent(value)
        case .seconds: return seconds(value)
        }
    }

    static func target(_ target: ReportTarget?, _ unit: FigureUnit) -> String {
        guard let target else { return "" }
        return (target.rule == .above ? "> " : "< ") + value(target.bound, unit)
    }

    static func verdict(_ verdict: Verdict) -> String {
        switch verdict {
        case .met: "met"
        case .notMet: "not met"
        case .noData: "no data"
        case .noTarget: ""
        }
    }

    /// One decimal, without a trailing `.0`: `92.3%`, `90%`.
    static func percent(_ ratio: Double) -> String {
        trimmed(String(format: "%.1f", ratio * 100)) + "%"
    }

    /// `42 s`, `1 min`, `1 min 05 s`, `3 d 4 h` for lead times.
    static func seconds(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        switch whole {
        case ..<60: return "\(whole) s"
        case ..<3600: return "\(whole / 60) min" + (whole % 60 == 0 ? "" : String(format: " %02d s", whole % 60))
        case ..<86_400: return "\(whole / 3600) h " + String(format: "%02d min", whole % 3600 / 60)
        default: return "\(whole / 86_400) d \(whole % 86_400 / 3600) h"
        }
    }

    /// A machine figure: at most four decimals, no exponent, no trailing zeros.
    static func number(_ value: Double) -> String {
        trimmed(String(format: "%.4f", value))
    }

    private static func trimmed(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var text = text
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }
}

import CivilTime
import Foundation

/// Every store keeps an instant as integer milliseconds since 1970 (UTC). Rounded, not
/// truncated: a `Date` made from milliseconds is a binary fraction a hair below or above, and
/// truncating would move it back a millisecond on the way in.
public enum Millis {
    // The conversion itself is CivilTime's, the suite's one; this names it for SQL columns.
    public static func of(_ date: Date) -> Int64 { date.millisecondsSince1970 }
    public static func date(_ millis: Int64) -> Date { Date(millisecondsSince1970: millis) }
    public static func date(_ millis: Int64?) -> Date? { millis.map(date) }

    /// SQL turning a column of text instants (ISO 8601 or `YYYY-MM-DD HH:MM:SS`, UTC) into
    /// milliseconds, for migrations of tables written before this format was the rule.
    public static func fromTextSQL(_ column: String) -> String {
        "CAST(ROUND((julianday(\(column)) - 2440587.5) * 86400000.0) AS INTEGER)"
    }
}

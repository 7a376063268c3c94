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
}

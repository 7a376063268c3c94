import Foundation

/// The one text form of instants in the suite: on the wire, in stores' exports, in messages and
/// logs. Written and read by hand, byte by byte: every message carries instants and slot lists
/// format hundreds per query, where Foundation's formatters cost microseconds each and differ
/// between platforms.
public enum ISO8601 {
    /// `2026-12-01T07:00:00.000Z`: UTC, always with milliseconds, rounded to the millisecond so
    /// that formatting what was parsed gives the same text.
    public static func instant(_ date: Date) -> String {
        let milliseconds = date.millisecondsSince1970
        let (seconds, fraction) = floorDivision(milliseconds, 1000)
        var bytes = wallClock(seconds: seconds)
        bytes.append(UInt8(ascii: "."))
        appendDigits(fraction, width: 3, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `2026-12-01T10:00:00+03:00`: the wall-clock time of `zone` to the second, with its offset
    /// (`+00:00` for UTC, so that a reader always sees which zone's clock it is).
    public static func local(_ date: Date, in zone: TimeZone) -> String {
        let offset = zone.secondsFromGMT(for: date)
        let (seconds, _) = floorDivision(date.millisecondsSince1970, 1000)
        var bytes = wallClock(seconds: seconds + Int64(offset))
        let minutes = Int64(abs(offset) / 60)
        bytes.append(offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        appendDigits(minutes / 60, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(minutes % 60, width: 2, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, with `t`/`z` in
    /// either case and the ISO 8601 basic offset `±HHMM` also accepted; a fraction of any length
    /// (digits past the ninth, below a nanosecond, are ignored) and a leap second (`:59:60`, read
    /// as the next minute's first second). Nothing looser: no missing offset, no day rolled over
    /// into the next month.
    public static func parseInstant(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse($0) }
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        let count = bytes.count
        guard count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = number(bytes, 0, 4), let month = number(bytes, 5, 2), let day = number(bytes, 8, 2),
              let hour = number(bytes, 11, 2), let minute = number(bytes, 14, 2), let second = number(bytes, 17, 2),
              hour < 24, minute < 60, second < 60 || second == 60 && minute == 59,
              let date = LocalDate.valid(year: Int(year), month: Int(month), day: Int(day))
        else { return nil }
        var index = 19
        var fractionDigits: Int64 = 0
        var fractionScale: Int64 = 1
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < count, bytes[index] &- UInt8(ascii: "0") < 10 {
                if index - start < 9 {
                    fractionDigits = fractionDigits * 10 + Int64(bytes[index] &- UInt8(ascii: "0"))
                    fractionScale *= 10
                }
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < count else { return nil }
        var offset: Int64 = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let hours: Int64?, minutes: Int64?
            if index + 6 == count, bytes[index + 3] == UInt8(ascii: ":") {
                (hours, minutes) = (number(bytes, index + 1, 2), number(bytes, index + 4, 2))
            } else if index + 5 == count {
                (hours, minutes) = (number(bytes, index + 1, 2), number(bytes, index + 3, 2))
            } else {
                return nil
            }
            guard let hours, let minutes, hours < 24, minutes < 60 else { return nil }
            offset = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        let seconds = Int64(date.daysSinceEpoch) * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + Double(fractionDigits) / Double(fractionScale))
    }

    private static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ length: Int) -> Int64? {
        var value: Int64 = 0
        for index in start..<(start + length) {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
        }
        return value
    }

    /// `YYYY-MM-DDTHH:MM:SS` of `seconds` since 1970-01-01T00:00:00 on some wall clock.
    private static func wallClock(seconds: Int64) -> [UInt8] {
        let (days, inDay) = floorDivision(seconds, 86_400)
        let date = LocalDate(daysSinceEpoch: Int(days))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(29)
        appendDigits(Int64(date.year), width: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(Int64(date.month), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(Int64(date.day), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendDigits(inDay / 3600, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(inDay % 3600 / 60, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(inDay % 60, width: 2, to: &bytes)
        return bytes
    }

    private static func appendDigits(_ value: Int64, width: Int, to bytes: inout [UInt8]) {
        let start = bytes.count
        var rest = value
        for _ in 0..<width {
            bytes.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        }
        bytes[start...].reverse()
    }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        var quotient = value / divisor
        var remainder = value % divisor
        if remainder < 0 {
            remainder += divisor
            quotient -= 1
        }
        return (quotient, remainder)
    }
}

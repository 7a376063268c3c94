import Foundation

/// ISO 8601 text for instants, written by hand so that it is identical on every platform and
/// cheap enough for logs and messages built per request.
public enum Timestamp {
    /// `2026-03-02T06:00:00Z`; milliseconds are added only when the instant has them.
    public static func iso8601(_ instant: Date) -> String {
        iso8601(instant, in: TimeZone(secondsFromGMT: 0)!)
    }

    /// The wall time in `timeZone` with that zone's offset, e.g. `2026-03-02T09:00:00+03:00`
    /// (`Z` when the offset is zero).
    public static func iso8601(_ instant: Date, in timeZone: TimeZone) -> String {
        let offset = timeZone.secondsFromGMT(for: instant)
        let milliseconds = Int((instant.timeIntervalSince1970 * 1000).rounded())
        let localMilliseconds = milliseconds + offset * 1000
        let days = floorDiv(localMilliseconds, 86_400_000)
        let inDay = localMilliseconds - days * 86_400_000
        let date = LocalDate(daysSinceEpoch: days)
        let seconds = inDay / 1000
        var text = date.description + "T" + ASCIIDigits.padded(seconds / 3600, 2) + ":"
            + ASCIIDigits.padded(seconds / 60 % 60, 2) + ":" + ASCIIDigits.padded(seconds % 60, 2)
        if inDay % 1000 != 0 { text += "." + ASCIIDigits.padded(inDay % 1000, 3) }
        if offset == 0 { return text + "Z" }
        let minutes = abs(offset) / 60
        return text + (offset < 0 ? "-" : "+") + ASCIIDigits.padded(minutes / 60, 2) + ":" + ASCIIDigits.padded(minutes % 60, 2)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM)`; a lowercase `t`/`z` or a space for `T` is accepted.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20,
              let date = LocalDate(String(decoding: bytes[0..<10], as: UTF8.self)),
              [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(bytes[10]),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let hour = ASCIIDigits.value(bytes[11..<13]), hour < 24,
              let minute = ASCIIDigits.value(bytes[14..<16]), minute < 60,
              let second = ASCIIDigits.value(bytes[17..<19]), second < 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: ",") {
            index += 1
            var scale = 0.1
            let digitsStart = index
            while index < bytes.count, let digit = ASCIIDigits.value(bytes[index...index]) {
                fraction += Double(digit) * scale
                scale /= 10
                index += 1
            }
            guard index > digitsStart, index < bytes.count else { return nil }
        }
        let zone = bytes[index...]
        var offset = 0
        if zone.count == 1, zone.first == UInt8(ascii: "Z") || zone.first == UInt8(ascii: "z") {
            offset = 0
        } else if let sign = zone.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            let rest = Array(zone.dropFirst())
            let hours: Int?, minutes: Int?
            switch rest.count {
            case 5 where rest[2] == UInt8(ascii: ":"):
                hours = ASCIIDigits.value(rest[0..<2]); minutes = ASCIIDigits.value(rest[3..<5])
            case 4:
                hours = ASCIIDigits.value(rest[0..<2]); minutes = ASCIIDigits.value(rest[2..<4])
            case 2:
                hours = ASCIIDigits.value(rest[0..<2]); minutes = 0
            default:
                return nil
            }
            guard let hours, let minutes, hours < 24, minutes < 60 else { return nil }
            offset = (hours * 3600 + minutes * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
        } else {
            return nil
        }
        let local = date.daysSinceEpoch * 86_400 + hour * 3600 + minute * 60 + second
        return Date(timeIntervalSince1970: Double(local - offset) + fraction)
    }

    private static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}

import CivilTime

/// The written forms of RFC 5545 §3.3's DATE, DATE-TIME, DURATION and INTEGER values, read
/// without any zone: which clock a time is on is the reader's business.
enum ValueSyntax {
    /// A DATE or DATE-TIME as written.
    enum Time: Equatable {
        /// `YYYYMMDD`.
        case date(LocalDate)
        /// `YYYYMMDDTHHMMSS`: on the clock of its TZID, or floating.
        case local(LocalDate, secondsIntoDay: Int)
        /// `YYYYMMDDTHHMMSSZ`.
        case utc(LocalDate, secondsIntoDay: Int)
    }

    /// `YYYYMMDD`, `YYYYMMDDTHHMMSS` or `YYYYMMDDTHHMMSSZ` (`t` and `z` in either case); a leap
    /// second (`60`) reads as the next minute's first second.
    static func time(_ text: Substring) -> Time? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 8, let year = digits(bytes, 0, 4), let month = digits(bytes, 4, 2), let day = digits(bytes, 6, 2),
              let date = LocalDate.valid(year: year, month: month, day: day)
        else { return nil }
        if bytes.count == 8 { return .date(date) }
        guard bytes.count == 15 || bytes.count == 16, bytes[8] == UInt8(ascii: "T") || bytes[8] == UInt8(ascii: "t"),
              let hour = digits(bytes, 9, 2), let minute = digits(bytes, 11, 2), let second = digits(bytes, 13, 2),
              hour < 24, minute < 60, second <= 60
        else { return nil }
        let secondsIntoDay = hour * 3600 + minute * 60 + second
        guard bytes.count == 16 else { return .local(date, secondsIntoDay: secondsIntoDay) }
        guard bytes[15] == UInt8(ascii: "Z") || bytes[15] == UInt8(ascii: "z") else { return nil }
        return .utc(date, secondsIntoDay: secondsIntoDay)
    }

    /// `[+|-]P[nW][nD][T[nH][nM][nS]]` with at least one part and the parts in this order. RFC
    /// 5545 allows weeks only alone; weeks with days (as some producers write) are accepted too.
    static func duration(_ text: Substring) -> EventDuration? {
        var bytes = Array(text.utf8)[...]
        var sign = 1
        if let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            sign = first == UInt8(ascii: "-") ? -1 : 1
            bytes = bytes.dropFirst()
        }
        guard bytes.first == UInt8(ascii: "P") || bytes.first == UInt8(ascii: "p") else { return nil }
        bytes = bytes.dropFirst()
        var days = 0
        var seconds = 0
        var inTime = false
        var parts = 0
        var timeParts = 0
        // Designators in the order they may appear; each is used at most once.
        var allowed: [UInt8] = Array("WDTHMS".utf8)
        while let first = bytes.first {
            if first == UInt8(ascii: "T") || first == UInt8(ascii: "t") {
                guard !inTime, let at = allowed.firstIndex(of: UInt8(ascii: "T")) else { return nil }
                allowed.removeFirst(at + 1)
                inTime = true
                bytes = bytes.dropFirst()
                continue
            }
            let numberEnd = bytes.firstIndex { $0 < UInt8(ascii: "0") || $0 > UInt8(ascii: "9") } ?? bytes.endIndex
            // Nine digits (over 31 years in seconds) is more than any event lasts and cannot overflow.
            guard numberEnd > bytes.startIndex, numberEnd - bytes.startIndex <= 9, numberEnd < bytes.endIndex,
                  let number = Int(String(decoding: bytes[..<numberEnd], as: UTF8.self))
            else { return nil }
            let designator = bytes[numberEnd] & ~0x20  // upper case
            guard let at = allowed.firstIndex(of: designator) else { return nil }
            let isTimePart = designator == UInt8(ascii: "H") || designator == UInt8(ascii: "S") || designator == UInt8(ascii: "M")
            guard isTimePart == inTime else { return nil }
            allowed.removeFirst(at + 1)
            switch designator {
            case UInt8(ascii: "W"): days += number * 7
            case UInt8(ascii: "D"): days += number
            case UInt8(ascii: "H"): seconds += number * 3600
            case UInt8(ascii: "M"): seconds += number * 60
            default: seconds += number
            }
            parts += 1
            if inTime { timeParts += 1 }
            bytes = bytes[(numberEnd + 1)...]
        }
        // "P" alone, or a "T" with nothing after it, is not a duration.
        guard parts > 0, !inTime || timeParts > 0 else { return nil }
        return EventDuration(days: sign * days, seconds: sign * seconds)
    }

    /// An optionally signed decimal integer of at most nine digits.
    static func integer(_ text: Substring) -> Int? {
        var digits = text
        var sign = 1
        if let first = digits.first, first == "+" || first == "-" {
            sign = first == "-" ? -1 : 1
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.count <= 9, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let value = Int(digits)
        else { return nil }
        return sign * value
    }

    private static func digits(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<(start + count)] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}

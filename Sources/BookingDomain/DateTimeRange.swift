import CivilTime
import Foundation

/// A half-open span of time `[start, end)` between two instants, e.g. a booked slot.
public struct DateTimeRange: Sendable, Hashable, Codable, CustomStringConvertible {
    public let start: Date
    public let end: Date

    /// - Throws: `RangeError.endNotAfterStart` unless `end > start`.
    public init(start: Date, end: Date) throws(RangeError) {
        guard end > start else { throw RangeError.endNotAfterStart(start: start, end: end) }
        self.start = start
        self.end = end
    }

    /// For spans built from a positive length, which cannot be empty.
    init(start: Date, length: TimeInterval) {
        precondition(length > 0, "a range needs a positive length")
        self.start = start
        self.end = start.addingTimeInterval(length)
    }

    public var duration: TimeInterval { end.timeIntervalSince(start) }

    /// Ranges that merely touch (one ends when the other starts) do not overlap.
    public func overlaps(_ other: DateTimeRange) -> Bool {
        start < other.end && other.start < end
    }

    public func contains(_ instant: Date) -> Bool {
        start <= instant && instant < end
    }

    public func contains(_ other: DateTimeRange) -> Bool {
        start <= other.start && other.end <= end
    }

    /// `2026-03-02T06:00:00Z/2026-03-02T06:30:00Z` (an ISO 8601 interval).
    public var description: String { ISO8601.instant(start) + "/" + ISO8601.instant(end) }

    private enum CodingKeys: String, CodingKey { case start, end }

    /// Written as ISO 8601 text whatever the encoder's date strategy, so that stored and wire
    /// forms of a slot read the same everywhere.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ISO8601.instant(start), forKey: .start)
        try container.encode(ISO8601.instant(end), forKey: .end)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func instant(_ key: CodingKeys) throws -> Date {
            let text = try container.decode(String.self, forKey: key)
            guard let date = ISO8601.parseInstant(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container,
                    debugDescription: "expected an ISO 8601 time with an offset, e.g. 2026-03-02T09:00:00+03:00, got \"\(text)\"")
            }
            return date
        }
        let start = try instant(.start), end = try instant(.end)
        do {
            try self.init(start: start, end: end)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .end, in: container, debugDescription: error.message)
        }
    }
}

public enum RangeError: Error, Sendable, Hashable, CustomStringConvertible {
    case endNotAfterStart(start: Date, end: Date)

    public var message: String {
        switch self {
        case let .endNotAfterStart(start, end):
            "a time range must end after it starts (start \(ISO8601.instant(start)), end \(ISO8601.instant(end)))"
        }
    }

    public var description: String { message }
}

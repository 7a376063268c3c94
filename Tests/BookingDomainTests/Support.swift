import Foundation
import Yams
@testable import BookingDomain
import CivilTime

/// The real config/production-calendar.yaml, found from this file (through the symlinks of a
/// private build package, if any) so the tests check what production reads.
enum Fixture {
    static let productionCalendarURL: URL = URL(fileURLWithPath: #filePath)
        .resolvingSymlinksInPath()
        .deletingLastPathComponent()  // BookingDomainTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("config/production-calendar.yaml")

    private static let loaded = Result<ProductionCalendar, any Error> {
        let text = try String(contentsOf: productionCalendarURL, encoding: .utf8)
        return try YAMLDecoder().decode(ProductionCalendar.self, from: text)
    }

    static func productionCalendar() throws -> ProductionCalendar { try loaded.get() }

    static func calendar(policy: CalendarPolicy = CalendarPolicy(), blocked: [BlockedPeriod] = []) throws -> WorkCalendar {
        WorkCalendar(policy: policy, production: try productionCalendar(), blocked: blocked)
    }
}

/// Replays fixed words, to pin down how bits become symbols.
struct ScriptedGenerator: RandomNumberGenerator {
    var words: [UInt64]
    mutating func next() -> UInt64 { words.removeFirst() }
}

func date(_ iso: String) -> LocalDate {
    guard let value = LocalDate(iso) else { fatalError("bad test date \(iso)") }
    return value
}

/// An instant written with its offset, e.g. `2026-03-02T09:00:00+03:00`.
func instant(_ iso: String) -> Date {
    guard let value = ISO8601.parseInstant(iso) else { fatalError("bad test instant \(iso)") }
    return value
}

/// Moscow wall time, e.g. `msk("2026-03-02 09:00")`.
func msk(_ text: String) -> Date {
    instant(text.replacingOccurrences(of: " ", with: "T") + ":00+03:00")
}

func zone(_ identifier: String) -> TimeZone {
    guard let value = TimeZone(identifier: identifier) else { fatalError("unknown zone \(identifier)") }
    return value
}

func range(_ start: Date, minutes: Double = 30) -> DateTimeRange {
    try! DateTimeRange(start: start, end: start.addingTimeInterval(minutes * 60))
}

let moscow = zone("Europe/Moscow")

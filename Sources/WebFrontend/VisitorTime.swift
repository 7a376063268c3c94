import BookingDomain
import BookingProtocol
import CivilTime
import Foundation

/// How the page shows an instant to a visitor: in their zone and language, with Moscow time
/// beside it when their zone is another.
public struct VisitorTime: Sendable {
    public let zone: TimeZone
    public let language: SupportedLocale
    public static let moscow = TimeZone(identifier: "Europe/Moscow")!

    public init(zone: TimeZone, language: SupportedLocale) {
        self.zone = zone
        self.language = language
    }

    /// `11:00`, read off the wire's local form (`2026-12-02T11:00:00+03:00`) without a formatter.
    public static func clock(_ date: Date, in zone: TimeZone) -> String {
        String(ISO8601.local(date, in: zone).dropFirst(11).prefix(5))
    }

    public func clock(_ date: Date) -> String { Self.clock(date, in: zone) }

    public var isMoscow: Bool { zone.secondsFromGMT() == Self.moscow.secondsFromGMT() && zone.identifier == Self.moscow.identifier }

    /// `среда, 2 декабря 2026 г.` / `Wednesday 2 December 2026`.
    public func day(_ date: Date) -> String {
        DateFormatCache.string(from: date, .localized("EEEEdMMMMyyyy"), locale: language.locale, zone: zone)
    }

    public func weekdayShort(_ date: LocalDate) -> String {
        DateFormatCache.string(from: date.start(in: Self.utc), .localized("EEE"), locale: language.locale, zone: Self.utc)
    }

    public func monthDay(_ date: LocalDate) -> String {
        DateFormatCache.string(from: date.start(in: Self.utc), .localized("EEEEdMMMM"), locale: language.locale, zone: Self.utc)
    }

    /// `Декабрь 2026 г.` / `December 2026`: a label, so capitalised in Russian too.
    public func monthYear(_ date: LocalDate) -> String {
        let text = DateFormatCache.string(from: date.start(in: Self.utc), .localized("LLLLyyyy"), locale: language.locale, zone: Self.utc)
        return text.prefix(1).uppercased() + text.dropFirst()
    }

    private static let utc = TimeZone(identifier: "UTC")!

    /// `среда, 2 декабря 2026 г., 03:00–03:30 (America/New_York) · 11:00 по Москве`.
    public func span(_ start: Date, _ end: Date) -> String {
        var text = "\(day(start)), \(clock(start))–\(clock(end)) (\(zone.identifier))"
        if !isMoscow { text += " · \(Self.clock(start, in: Self.moscow)) \(language.text(.moscowTime))" }
        return text
    }

    /// `UTC+03:00`.
    public static func offset(_ zone: TimeZone, at date: Date) -> String {
        let seconds = zone.secondsFromGMT(for: date)
        let minutes = abs(seconds) / 60
        return "UTC" + (seconds < 0 ? "−" : "+") + String(format: "%02d:%02d", minutes / 60, minutes % 60)
    }
}

import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import SuiteCalendar
import ZeroMQ

/// Why `bookctl slots` found nothing, in words an operator can act on: the days asked are past
/// the booking horizon, closed (weekend, holiday, day off, blocked), or new bookings are paused.
enum NoSlotsExplanation {
    /// `configuration`: the one the command already read (its own connection is closed by now).
    static func reasons(_ global: GlobalOptions, _ configuration: SuiteConfiguration, from: String?, days: Int?) async throws -> [String] {
        let suite = Suite(configuration: configuration, context: try ZMQContext(), options: global)
        do {
            let reasons = try await reasons(suite, from: from, days: days)
            await suite.context.shutdown()
            return reasons
        } catch {
            await suite.context.shutdown()
            throw error
        }
    }

    private static func reasons(_ suite: Suite, from: String?, days: Int?) async throws -> [String] {
        let zone = suite.calendarZone
        let today = LocalDate.containing(SuiteClock(configuration: suite.configuration).now(), in: zone)
        let horizonDays = (try? CalendarSettings.load(suite.configuration))?.policy.horizonDays ?? 14
        let lastOpen = today.adding(days: horizonDays - 1)
        var first = today
        if let from {
            guard let date = LocalDate(from) else { return ["'\(from)' is not a date like 2026-12-01"] }
            first = date
        }
        let last = first.adding(days: max(days ?? horizonDays, 1) - 1)
        var reasons: [String] = []
        if first > lastOpen {
            reasons.append("\(first) is beyond the booking horizon: bookings are open until \(lastOpen) (\(horizonDays) days from today, \(today))")
        }
        return reasons + (try await closedDaysAndPause(suite, first: first, through: min(last, lastOpen)))
    }

    private static func closedDaysAndPause(_ suite: Suite, first: LocalDate, through: LocalDate) async throws -> [String] {
        var reasons: [String] = []
        if first <= through {
            let calendar: CalendarReply = try await suite.client("availabilityd").call(MessageType.calendar, CalendarRequest(from: first.description, through: through.description))
            let closed = calendar.days.filter { $0.opens == nil }
            let listed = closed.map { "\($0.date) \($0.kind.replacingOccurrences(of: "_", with: " "))\($0.reason.map { " (\($0))" } ?? "")" }
            if !closed.isEmpty && closed.count == calendar.days.count {
                reasons.append("every day asked is closed: \(listed.joined(separator: ", "))")
            } else {
                if !closed.isEmpty { reasons.append("closed: \(listed.joined(separator: ", "))") }
                reasons.append("every slot on the working days is booked, within the minimum notice, or its consultants are away (bookctl consultants)")
            }
        }
        if let ping: PingReply = try? await suite.client("bookingd").call(MessageType.ping, Empty()), ping.state == "paused" {
            reasons.append("new bookings are paused\(ping.pauseReason.map { " (\($0))" } ?? ""); bookctl resume takes them again")
        }
        return reasons
    }
}

import BookingProtocol
import DaemonKit
import Foundation
import LoopbackServers
import RequestHistory
import Testing

/// A compressed day: the suite's clock runs 720 times as fast (`clock.rate`), so from 07:58 on
/// 2026-12-01 to the next morning passes in two minutes, under the drills' load of bookings,
/// reschedules and cancellations, with the reminders of 2026-12-02 going out on the way. Each
/// daemon's resident memory is sampled; after the warm-up its least-squares slope must be flat.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["BOOKING_QUICK"] == nil, "script/test --quick skips the soak"))
struct SoakTests {
    static let rate = 720.0
    static let realDuration: Duration = .seconds(120)
    /// What a daemon may grow by, fitted over the day after its warm-up: far above allocator noise
    /// (a few MiB), far below a leak of a kilobyte per request (tens of MiB over the day's requests).
    static let allowedGrowthMiB = 16.0

    @Test func aDayOfTrafficLeavesEveryDaemonsMemoryFlat() async throws {
        let drill = try await Drill("soak") { suite in
            try suite.editConfiguration { $0.replacingOccurrences(of: "clock:\n  start: ", with: "clock:\n  rate: \(Self.rate)\n  start: ") }
            return [:]
        }
        defer { drill.tearDown() }
        let (smtp, suite, load) = (drill.smtp, drill.suite, drill.load)
        let daemons = ["bookingd", "availabilityd", "notifyd", "webd"]
        let began = ContinuousClock.now
        var samples: [String: [(seconds: Double, kib: Double)]] = [:]
        let running = DrillSwitch()
        async let clients: Void = load.run(while: { running.isOn })
        while ContinuousClock.now - began < Self.realDuration {
            let at = (ContinuousClock.now - began) / .seconds(1)
            for daemon in daemons {
                if let pid = suite.pid(daemon), let kib = Self.residentKiB(pid) { samples[daemon, default: []].append((at, kib)) }
            }
            try await Task.sleep(for: .seconds(1))
        }
        running.turnOff()
        try await clients

        // The load books far faster than a real day, and notifyd sends what it owes in due order: the
        // reminders queue behind the day's backlog and go out as it drains.
        var reminders = Self.reminders(smtp)
        let draining = ContinuousClock.now
        while reminders.isEmpty && ContinuousClock.now - draining < .seconds(300) {
            try await Task.sleep(for: .seconds(5))
            reminders = Self.reminders(smtp)
        }
        print("soak: \(load.requests.count) requests over \(Int(Self.realDuration / .seconds(1))) s (a day at rate \(Int(Self.rate))), "
              + "\(smtp.messages.count) emails, \(reminders.count) reminders")
        #expect(!reminders.isEmpty, "the day passed the reminders' lead, yet none went out")
        for daemon in daemons {
            let all = samples[daemon] ?? []
            // The first quarter is warm-up: caches, pools and SQLite's page cache fill.
            let settled = Array(all.dropFirst(all.count / 4))
            #expect(settled.count > 20, "\(daemon): too few samples (\(settled.count))")
            let slope = Self.leastSquaresSlope(settled)
            let span = (settled.last?.seconds ?? 0) - (settled.first?.seconds ?? 0)
            let growthMiB = slope * span / 1024
            print(String(format: "soak: %@ RSS %.1f → %.1f MiB, slope after warm-up %.1f KiB/s (%.2f MiB over %.0f s)",
                         daemon, (all.first?.kib ?? 0) / 1024, (all.last?.kib ?? 0) / 1024, slope, growthMiB, span))
            #expect(growthMiB < Self.allowedGrowthMiB, "\(daemon) grew \(growthMiB) MiB after its warm-up: a leak?")
        }
        checkHistory("soak", load.requests, try await suite.storedAppointments())
    }

    static func reminders(_ smtp: LoopbackSMTPServer) -> [ReceivedMail] {
        smtp.messages.filter { String(decoding: $0.bytes.prefix(4096), as: UTF8.self).contains("\r\nX-Booking-Purpose: client-reminder\r\n") }
    }

    /// VmRSS from /proc/<pid>/status.
    static func residentKiB(_ pid: Int32) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Double($0) }
    }

    static func leastSquaresSlope(_ points: [(seconds: Double, kib: Double)]) -> Double {
        let n = Double(points.count)
        guard n > 1 else { return 0 }
        let meanX = points.map(\.seconds).reduce(0, +) / n, meanY = points.map(\.kib).reduce(0, +) / n
        let covariance = points.map { ($0.seconds - meanX) * ($0.kib - meanY) }.reduce(0, +)
        let variance = points.map { ($0.seconds - meanX) * ($0.seconds - meanX) }.reduce(0, +)
        return variance == 0 ? 0 : covariance / variance
    }
}

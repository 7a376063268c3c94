import ArgumentParser
import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import NIOConcurrencyHelpers
import SeededRandom
import Synchronization
import ZeroMQ

/// Measures a live suite over its real sockets: availability queries, durable bookings and a
/// same-slot storm, at each concurrency asked for.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a running suite: latency percentiles and throughput of slot queries and bookings.",
        discussion: """
            Start the suite first (script/server), then: swift run -c release bench --config config/booking.yaml
            Bookings are made on free slots and cancelled after each measurement, so the calendar is left as it was.
            For enough free slots, run the suite with config/bench.yaml (24 consultants).
            """
    )

    @Option(help: "The suite's configuration file.") var config: String?
    @Option(help: "Comma-separated concurrencies.") var concurrency = "1,100"
    @Option(help: "Requests per measurement.") var requests = 2000
    @Option(help: "Bookings per measurement (each is cancelled afterwards).") var bookings = 500
    @Option(help: "availability, booking, storm, notifications or all (notifications only with --mail-directory).") var scenario = "all"
    @Option(help: "notifications: the --out directory of the SMTP server notifyd sends to (Tests/Support/smtp_server.py).") var mailDirectory: String?
    @Option(help: "notifications: bookings in the burst.") var burst = 1000
    @Option(help: "availability: busy intervals handed to each consultant first, as calsyncd hands over their own calendars' meetings; taken away afterwards.")
    var busyIntervals = 0
    @Flag(help: "booking: take the free pairs day by day in turn (measured as booking_spread), not in order of start, so that concurrent bookings fall on different days.")
    var spreadDays = false
    @Flag(help: "One JSON object per line per measurement.") var json = false
    @Option(name: .customLong("curve-key"), help: "A CURVE secret key file the daemons admit, for tcp:// endpoints (default: curve.admin_secret_key).")
    var curveKey: String?

    func run() async throws {
        let configuration = try SuiteConfiguration.load(path: config)
        let levels = concurrency.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 }
        guard !levels.isEmpty else { throw ValidationError("--concurrency needs positive numbers, e.g. 1,100") }
        guard ["availability", "booking", "storm", "notifications", "all"].contains(scenario) else {
            throw ValidationError("--scenario is availability, booking, storm, notifications or all")
        }
        if scenario == "notifications" && mailDirectory == nil {
            throw ValidationError("--scenario notifications needs --mail-directory (the SMTP server's --out directory); see docs/performance.md")
        }
        let context = try ZMQContext()
        let timeout = Duration.seconds(10)
        let security = SocketSecurity.admin(curveKey: curveKey, configuration: configuration)
        let availability = try await DaemonClient(daemon: "availabilityd", endpoints: configuration.endpoints.availabilityd, context: context, timeout: timeout, attempts: 1,
                                                  curve: try security.client(of: "availabilityd", at: configuration.endpoints.availabilityd))
        let bookingd = try await DaemonClient(daemon: "bookingd", endpoints: configuration.endpoints.bookingd, context: context, timeout: timeout, attempts: 1,
                                              curve: try security.client(of: "bookingd", at: configuration.endpoints.bookingd))
        let report = Report(json: json)

        if scenario == "availability" || scenario == "all" {
            let consultants: ConsultantsReply = try await availability.call(MessageType.consultants, Empty())
            if busyIntervals > 0 {
                try await BusyLoad.hand(busyIntervals, to: consultants.consultants.map(\.id), availability: availability)
            }
            // Warm up connections and caches.
            for _ in 0..<50 { let _: SlotsReply = try await availability.call(MessageType.slots, SlotsRequest()) }
            // The daemon's answer: the reply is received and its type checked (an error reply
            // throws), its body is not decoded.
            let query = try WireJSON.encode(SlotsRequest(days: 14, timeZone: "Europe/Berlin"))
            for level in levels {
                let measurement = try await Load.run(name: "availability", concurrency: level, count: requests) { _ in
                    _ = try await availability.exchange(MessageType.slots, body: query)
                    return true
                }
                report.print(measurement)
            }
            // The same with the client decoding the whole slot list into Swift values.
            let measurement = try await Load.run(name: "availability_decoded", concurrency: 1, count: requests) { _ in
                let _: SlotsReply = try await availability.call(MessageType.slots, SlotsRequest(days: 14, timeZone: "Europe/Berlin"))
                return true
            }
            report.print(measurement)
            // Queries that differ one from the next (first day, length, consultant), more than
            // the reply cache holds: what the slot rule itself costs.
            let today = LocalDate.containing(Date(), in: TimeZone(identifier: "Europe/Moscow")!)
            var varied: [[UInt8]] = []
            for consultant in [nil] + consultants.consultants.map(\.id) {
                for offset in 0..<14 {
                    for days in 1...14 {
                        varied.append(try WireJSON.encode(SlotsRequest(from: today.adding(days: offset).description, days: days, consultantId: consultant)))
                    }
                }
            }
            let queries = varied
            let position = TicketCounter()
            for level in levels {
                let measurement = try await Load.run(name: "availability_varied", concurrency: level, count: requests) { _ in
                    _ = try await availability.exchange(MessageType.slots, body: queries[position.take() % queries.count])
                    return true
                }
                report.print(measurement)
            }
            if busyIntervals > 0 {
                try await BusyLoad.hand(0, to: consultants.consultants.map(\.id), availability: availability)
            }
        }

        if scenario == "booking" || scenario == "all" {
            // Every booking takes its own (slot, consultant) pair, so bookings never compete;
            // they are all cancelled after the measurement, untimed.
            let free = try await Load.freePairs(availability)
            let pairs = spreadDays ? Load.spreadOverDays(free) : free
            for level in levels {
                guard pairs.count >= bookings else {
                    FileHandle.standardError.write(Data("bench: only \(pairs.count) free consultant-slots for \(bookings) bookings; start the suite with config/bench.yaml (more consultants) or lower --bookings\n".utf8))
                    break
                }
                let booked = NIOLockedValueBox<[String]>([])
                let ticket = TicketCounter()
                let measurement = try await Load.run(name: spreadDays ? "booking_spread" : "booking", concurrency: level, count: bookings) { worker in
                    let (start, consultant) = pairs[ticket.take()]
                    let appointment = try await Load.book(bookingd, start: start, consultant: consultant, worker: worker)
                    booked.withLockedValue { $0.append(appointment.reference) }
                    return true
                }
                report.print(measurement)
                try await Load.cancel(booked.withLockedValue { $0 }, bookingd: bookingd)
            }
        }

        if scenario == "storm" || scenario == "all" {
            guard let (start, consultant) = try await Load.freePairs(availability).last else {
                throw ValidationError("no free slot for the storm")
            }
            let level = levels.max() ?? 100
            let winners = NIOLockedValueBox<[String]>([])
            let measurement = try await Load.run(name: "storm", concurrency: level, count: level) { worker in
                do {
                    let booked: AppointmentBody = try await bookingd.call(
                        MessageType.book,
                        BookRequest(start: start, contact: ContactBody(name: "Storm \(worker)", email: "storm\(worker)@example.com", phone: "+79161111\(String(format: "%03d", worker % 1000))"),
                                    consultantId: consultant, actor: "admin"),
                        idempotencyKey: UUID().uuidString
                    )
                    winners.withLockedValue { $0.append(booked.reference) }
                    return true
                } catch let error as ProtocolError where error.code == .slotUnavailable {
                    return false
                }
            }
            report.print(measurement)
            try await Load.cancel(winners.withLockedValue { $0 }, bookingd: bookingd)
        }

        if let mailDirectory, scenario == "notifications" || scenario == "all" {
            let result = try await NotificationBench.run(bookingd: bookingd, availability: availability, mailDirectory: mailDirectory,
                                                         burst: burst, concurrency: levels.max() ?? 100)
            report.print(result, burst: burst)
        }

        for (name, client) in [("bookingd", bookingd), ("availabilityd", availability)] {
            let ping: PingReply = try await client.call(MessageType.ping, Empty())
            report.memory(daemon: name, pid: ping.pid)
        }
        await context.shutdown()
    }
}

struct Measurement {
    var name: String
    var concurrency: Int
    var latencies: [Duration]
    var elapsed: Duration
    var successes: Int

    func percentile(_ p: Double) -> Double {
        let sorted = latencies.sorted()
        guard !sorted.isEmpty else { return 0 }
        let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
        return sorted[max(0, index)].milliseconds
    }
}


enum Load {
    /// Every free (slot start, consultant) pair in the horizon.
    static func freePairs(_ availability: DaemonClient) async throws -> [(Date, String)] {
        let consultants: ConsultantsReply = try await availability.call(MessageType.consultants, Empty())
        var pairs: [(Date, String)] = []
        for consultant in consultants.consultants {
            let free: SlotsReply = try await availability.call(MessageType.slots, SlotsRequest(consultantId: consultant.id))
            pairs += free.slots.map { ($0.start, consultant.id) }
        }
        return pairs.sorted { $0.0 < $1.0 }
    }

    /// The pairs one day after another in turn (days in UTC), each day's in order of start: in
    /// start order the bookings in flight share a day, and on PostgreSQL a day's bookings take
    /// turns (`WriterTurns`); spread, they share a day only as often as there are more in flight
    /// than days.
    static func spreadOverDays(_ pairs: [(Date, String)]) -> [(Date, String)] {
        var days: [Int: [(Date, String)]] = [:]
        for pair in pairs { days[Int(pair.0.timeIntervalSince1970 / 86_400), default: []].append(pair) }
        let queues = days.keys.sorted().map { days[$0]! }
        var spread: [(Date, String)] = []
        for index in 0..<(queues.map(\.count).max() ?? 0) {
            spread += queues.compactMap { index < $0.count ? $0[index] : nil }
        }
        return spread
    }

    /// One booking of a free pair, as an admin (no client-side limits), with its own key.
    static func book(_ bookingd: DaemonClient, start: Date, consultant: String, worker: Int) async throws -> AppointmentBody {
        try await bookingd.call(
            MessageType.book,
            BookRequest(start: start, contact: ContactBody(name: "Bench Client \(worker)", email: "bench\(worker)@example.com", phone: "+79160000\(String(format: "%03d", worker % 1000))"),
                        consultantId: consultant, actor: "admin"),
            idempotencyKey: UUID().uuidString
        )
    }

    /// Cancels what a measurement booked, leaving the calendar as it was.
    static func cancel(_ references: [String], bookingd: DaemonClient) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, reference) in references.enumerated() {
                if index >= 50 { try await group.next() }
                group.addTask {
                    let _: AppointmentBody = try await bookingd.call(
                        MessageType.cancel, CancelRequest(reference: reference, reason: "bench", actor: "admin"), idempotencyKey: UUID().uuidString
                    )
                }
            }
            try await group.waitForAll()
        }
    }

    /// Runs `count` operations over `concurrency` workers, timing each.
    static func run(name: String, concurrency: Int, count: Int, _ operation: @escaping @Sendable (Int) async throws -> Bool) async throws -> Measurement {
        let next = TicketCounter()
        let clock = ContinuousClock()
        let started = clock.now
        let results = try await withThrowingTaskGroup(of: ([Duration], Int).self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var latencies: [Duration] = []
                    var successes = 0
                    while next.take() < count {
                        let begin = clock.now
                        if try await operation(worker) { successes += 1 }
                        latencies.append(clock.now - begin)
                    }
                    return (latencies, successes)
                }
            }
            var all: [Duration] = []
            var successes = 0
            for try await (latencies, wins) in group {
                all += latencies
                successes += wins
            }
            return (all, successes)
        }
        return Measurement(name: name, concurrency: concurrency, latencies: results.0, elapsed: clock.now - started, successes: results.1)
    }
}

final class Report: Sendable {
    let json: Bool
    init(json: Bool) { self.json = json }

    func print(_ measurement: Measurement) {
        let rps = Double(measurement.latencies.count) / max(measurement.elapsed.seconds, 1e-9)
        if json {
            var fields: [String] = [
                "\"name\":\"\(measurement.name)\"", "\"concurrency\":\(measurement.concurrency)", "\"n\":\(measurement.latencies.count)",
                "\"p50_ms\":\(round3(measurement.percentile(0.5)))", "\"p99_ms\":\(round3(measurement.percentile(0.99)))",
                "\"max_ms\":\(round3(measurement.percentile(1.0)))", "\"rps\":\(round1(rps))",
            ]
            if measurement.name == "storm" { fields.append("\"successes\":\(measurement.successes)") }
            Swift.print("{" + fields.joined(separator: ",") + "}")
        } else {
            var line = String(format: "%-13@ c=%-4d n=%-6d p50 %8.3f ms  p99 %8.3f ms  max %8.3f ms  %9.1f req/s",
                              measurement.name as NSString, measurement.concurrency, measurement.latencies.count,
                              measurement.percentile(0.5), measurement.percentile(0.99), measurement.percentile(1.0), rps)
            if measurement.name == "storm" { line += "  successes \(measurement.successes)" }
            Swift.print(line)
        }
    }

    /// Commit-to-mail-server delays of a notification burst.
    func print(_ result: NotificationBench.Result, burst: Int) {
        func percentile(_ p: Double) -> Double {
            guard !result.delays.isEmpty else { return 0 }
            return result.delays[min(result.delays.count - 1, Int((Double(result.delays.count) * p).rounded(.up)) - 1)]
        }
        let rate = Double(result.messages) / max(result.elapsed, 1e-9)
        if json {
            Swift.print("{\"name\":\"notifications\",\"bookings\":\(burst),\"emails\":\(result.messages),\"p50_ms\":\(round3(percentile(0.5))),"
                + "\"p99_ms\":\(round3(percentile(0.99))),\"max_ms\":\(round3(percentile(1.0))),\"emails_per_s\":\(round1(rate))}")
        } else {
            Swift.print(String(format: "%-13@ bookings %-5d emails %-5d commit→SMTP p50 %8.3f ms  p99 %8.3f ms  max %8.3f ms  %7.1f emails/s",
                               "notifications" as NSString, burst, result.messages, percentile(0.5), percentile(0.99), percentile(1.0), rate))
        }
    }

    func memory(daemon: String, pid: Int32) {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else {
            return
        }
        let megabytes = kilobytes / 1024
        if json {
            Swift.print("{\"name\":\"rss\",\"daemon\":\"\(daemon)\",\"pid\":\(pid),\"rss_mb\":\(round1(megabytes))}")
        } else {
            Swift.print(String(format: "%-13@ pid %-7d resident %.1f MB", daemon as NSString, pid, megabytes))
        }
    }

    private func round3(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
    private func round1(_ value: Double) -> Double { (value * 10).rounded() / 10 }
}

/// Hands out operation numbers to the workers.
final class TicketCounter: Sendable {
    private let value = Atomic<Int>(0)
    func take() -> Int { value.add(1, ordering: .relaxed).oldValue }
}

/// Busy time as calsyncd would hand it over: meetings of 15 to 90 minutes between 08:00 and
/// 20:00 Moscow time, from a week back to three weeks ahead, the same for every run (seeded).
enum BusyLoad {
    static func hand(_ count: Int, to consultants: [String], availability: DaemonClient) async throws {
        let zone = TimeZone(identifier: "Europe/Moscow")!
        let firstDay = LocalDate.containing(Date(), in: zone).adding(days: -7)
        for (index, consultant) in consultants.enumerated() {
            var random = SeededGenerator(seed: UInt64(index + 1))
            let intervals = (0..<count).map { number -> BusyIntervalBody in
                let day = firstDay.adding(days: Int.random(in: 0..<28, using: &random))
                let start = day.instant(at: LocalTime(hour: 8), in: zone).addingTimeInterval(TimeInterval(Int.random(in: 0..<48, using: &random) * 15 * 60))
                return BusyIntervalBody(start: start, end: start.addingTimeInterval(TimeInterval(Int.random(in: 1...6, using: &random) * 15 * 60)),
                                        eventId: "bench-\(number)@example.com")
            }
            let _: BusyReplaceReply = try await availability.call(
                MessageType.busyReplace, BusyReplaceRequest(consultantId: consultant, source: "bench", intervals: intervals))
        }
    }
}

import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import LoopbackServers
import RequestHistory
import SeededRandom
import Synchronization
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

extension SeededGenerator {
    /// A drill's seed: `DRILL_SEED` when set, otherwise a fresh one; printed either way, so a
    /// failing run can be replayed.
    static func seed(for drill: String) -> UInt64 {
        let seed = ProcessInfo.processInfo.environment["DRILL_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64(UInt32.max))
        print("drill \(drill): seed \(seed) (replay with DRILL_SEED=\(seed))")
        return seed
    }
}

/// The suite set up for a drill: two consultants, SMTP to a real server on loopback, and the
/// production request timeouts (bookingd waits 3 × 2 s for availabilityd), under which the
/// ghost bookings were found.
enum DrillSuite {
    static func notifications(smtpPort: Int) -> String {
        """
            notifications:
              templates: \(SuiteProcess.repositoryRoot)/config/templates
              sender: {name: "Консультации", address: booking@example.com}
              manage_url: "https://book.example.com/manage/{reference}"
              email:
                transport: smtp
                smtp: {host: 127.0.0.1, port: \(smtpPort), security: none, timeout_seconds: 5, connections: 4}
              sms: {enabled: false}
              retry: {initial_seconds: 1, max_seconds: 2, give_up_hours: 1}
            """
    }

    static func make(smtpPort: Int) throws -> SuiteProcess {
        var options = SuiteProcess.Options()
        options.notifications = notifications(smtpPort: smtpPort)
        let suite = try SuiteProcess(options)
        try suite.editConfiguration {
            $0.replacingOccurrences(of: "  timeout_milliseconds: 1500\n  attempts: 2\n", with: "  timeout_milliseconds: 2000\n  attempts: 3\n")
        }
        return suite
    }

    /// The starts the load books and moves between: four working days, 10:00 to 16:30, so two
    /// consultants hold 112 appointments: clients compete for them, yet most bookings find room.
    static let starts: [Date] = ["2026-12-02", "2026-12-03", "2026-12-04", "2026-12-07"].flatMap { day in
        (0..<14).map { half in
            let hour = 10 + half / 2, minute = half % 2 * 30
            return ISO8601.parseInstant("\(day)T\(String(format: "%02d:%02d", hour, minute)):00+03:00")!
        }
    }
}

/// One drill's world: its seed, a real mail server, the suite started, and the load ready to run.
final class Drill: Sendable {
    let seed: UInt64
    let smtp: LoopbackSMTPServer
    let suite: SuiteProcess
    let load: DrillLoad

    /// `clients`, `timeout`: the load's (`DrillLoad`); `moved`: the system clock the drill moves,
    /// from which the load stamps its deadlines. `prepare` may change the suite's files before its
    /// daemons start, and gives their environment.
    init(_ name: String, clients: Int = 6, timeout: Duration = .seconds(2), moved: FakedSystemClock? = nil,
         prepare: (SuiteProcess) throws -> [String: String] = { _ in [:] }) async throws {
        seed = SeededGenerator.seed(for: name)
        smtp = try LoopbackSMTPServer()
        suite = try DrillSuite.make(smtpPort: smtp.port)
        do {
            let environment = try prepare(suite)
            for daemon in ["bookingd", "availabilityd", "notifyd", "webd"] { try await suite.start(daemon, environment: environment) }
            let systemClock: @Sendable () -> Date = if let moved { moved.now } else { { Date() } }
            load = try DrillLoad(suite: suite, seed: seed, clients: clients, timeout: timeout, systemClock: systemClock)
        } catch {
            suite.tearDown()
            smtp.stop()
            throw error
        }
    }

    func tearDown() {
        suite.tearDown()
        smtp.stop()
    }
}

/// Concurrent clients booking, rescheduling and cancelling through bookingd, each request
/// recorded as its client saw it, on the suite's clock (as the test's process reads it). A request
/// without an answer within `timeout` is sent again with the same idempotency key (Lazy Pirate),
/// up to `attempts` times; each sending is recorded with its own deadline. The header's deadline
/// is stamped from `systemClock`.
final class DrillLoad: Sendable {
    let suite: SuiteProcess
    let clock: SuiteClock
    let seed: UInt64
    let clients: Int
    let timeout: Duration
    let attempts: Int
    let systemClock: @Sendable () -> Date
    private let recorded = Mutex<[RecordedRequest]>([])
    private let unexpected = Mutex<[String]>([])

    init(suite: SuiteProcess, seed: UInt64, clients: Int = 6, timeout: Duration = .seconds(2), attempts: Int = 3,
         systemClock: @escaping @Sendable () -> Date = { Date() }) throws {
        self.systemClock = systemClock
        self.suite = suite
        self.clock = SuiteClock(configuration: try suite.configuration())
        self.seed = seed
        self.clients = clients
        self.timeout = timeout
        self.attempts = attempts
    }

    var requests: [RecordedRequest] { recorded.withLock { $0 } }

    /// Runs the clients until `stop` says so.
    func run(while going: @escaping @Sendable () -> Bool) async throws {
        let connections = try await (0..<clients).asyncMap { _ in try await suite.client("bookingd", timeout: timeout, attempts: 1, systemClock: systemClock) }
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<clients {
                group.addTask { await self.client(index, connections[index], while: going) }
            }
        }
        for connection in connections { await connection.close() }
        let odd = unexpected.withLock { $0 }
        #expect(odd.isEmpty, "answers that are neither a reply nor a refusal: \(odd)")
    }

    private func client(_ index: Int, _ bookingd: DaemonClient, while going: @Sendable () -> Bool) async {
        var random = SeededGenerator(seed: seed &+ UInt64(index) &* 7919)
        var held: [String] = []
        var n = 0
        while going() {
            n += 1
            let key = "drill-\(seed)-\(index)-\(n)"
            let start = DrillSuite.starts.randomElement(using: &random)!
            if !held.isEmpty && random.next() % 2 == 0 {
                let slot = Int(random.next() % UInt64(held.count))
                if random.next() % 5 < 2 {
                    let request = RescheduleRequest(reference: held[slot], start: start)
                    _ = await send(index, .reschedule(reference: held[slot], start: start), key: key) {
                        try await bookingd.call(MessageType.reschedule, request, as: AppointmentBody.self, idempotencyKey: key)
                    }
                } else {
                    let request = CancelRequest(reference: held[slot], reason: "drill")
                    _ = await send(index, .cancel(reference: held[slot]), key: key) {
                        try await bookingd.call(MessageType.cancel, request, as: AppointmentBody.self, idempotencyKey: key)
                    }
                    held.remove(at: slot)
                }
            } else {
                let email = "drill\(index)-\(n)@example.com"
                let body = BookRequest(start: start, contact: ContactBody(name: "Клиент \(index)-\(n)", email: email,
                                                                       phone: "+7 916 \(String(format: "%07d", index * 100_000 + n))"))
                if let reference = await send(index, .book(contact: email, start: start), key: key, {
                    try await bookingd.call(MessageType.book, body, as: AppointmentBody.self, idempotencyKey: key)
                }) {
                    held.append(reference)
                }
            }
        }
    }

    /// Sends one request, again on no answer; the reference of an acknowledged one.
    private func send(_ index: Int, _ operation: RecordedRequest.Operation, key: String,
                      _ call: () async throws -> AppointmentBody) async -> String? {
        for _ in 1...attempts {
            let invoked = clock.now()
            let outcome: RecordedRequest.Outcome
            do {
                let answer = try await call()
                outcome = .ok(reference: answer.reference, start: answer.start)
            } catch let error as ProtocolError {
                outcome = .refused(code: error.code.rawValue)
            } catch is DaemonUnreachable {
                outcome = .noAnswer
            } catch {
                unexpected.withLock { $0.append("\(key): \(error)") }
                outcome = .noAnswer
            }
            recorded.withLock {
                $0.append(RecordedRequest(client: "client\(index)", operation: operation, idempotencyKey: key,
                                          deadline: invoked.addingTimeInterval(timeout.seconds * clock.rate), invokedAt: invoked, outcome: outcome,
                                          answeredAt: clock.now()))
            }
            switch outcome {
            case .ok(let reference, _): return reference
            case .refused: return nil
            case .noAnswer: continue
            }
        }
        return nil
    }
}

extension SuiteProcess {
    /// Every appointment at the drill's starts, with the earliest moment each of its changes can
    /// have been committed. A change's history stamp is bookingd's clock when it began handling
    /// the request, before it asked availabilityd or waited for the writer; but bookingd's log
    /// numbers its changes in commit order, so a change committed no earlier than any change
    /// numbered before it was stamped. That bound is what the checker compares with deadlines: a
    /// change that waited past its client's deadline is seen even though its own stamp is early.
    /// `onTestClock` takes bookingd's stamps to the test's clock first (a drill that moves it).
    func storedAppointments(onTestClock: (Date) -> Date = { $0 }) async throws -> [StoredAppointment] {
        let bookingd = try await client("bookingd", timeout: .seconds(20))
        defer { Task { await bookingd.close() } }
        // A start at a time: one reply of every appointment would exceed `max_message_bytes`.
        var appointments: [AppointmentBody] = []
        for start in DrillSuite.starts {
            let list: ListReply = try await bookingd.call(MessageType.list, ListRequest(from: start, to: start.addingTimeInterval(1800), limit: 5000))
            appointments += list.appointments
        }
        struct Stamped: Hashable { var reference: String, at: Int64 }
        var committedNoEarlier: [Stamped: Date] = [:]
        var latestStamp = Date.distantPast
        var after: UInt64 = 0
        while true {
            let page: ReplayReply = try await bookingd.call(MessageType.replay, ReplayRequest(after: after, limit: 50))
            for event in page.events {
                latestStamp = max(latestStamp, onTestClock(event.occurredAt))
                let stamped = Stamped(reference: event.appointment.reference, at: event.occurredAt.millisecondsSince1970)
                committedNoEarlier[stamped] = min(committedNoEarlier[stamped] ?? latestStamp, latestStamp)
            }
            guard let last = page.events.last?.sequence, last < page.lastSequence else { break }
            after = last
        }
        var stored: [StoredAppointment] = []
        for appointment in appointments {
            let history: HistoryReply = try await bookingd.call(MessageType.history, ReferenceRequest(reference: appointment.reference))
            let changes = history.entries.map { entry -> StoredAppointment.Change in
                let kind: StoredAppointment.Change.Kind
                switch entry.kind {
                case "created": kind = .created
                case "rescheduled": kind = entry.newStart.map { .rescheduled(to: $0) } ?? .other("rescheduled without a new start")
                case "cancelled": kind = .cancelled
                default: kind = .other(entry.kind)
                }
                let stamped = Stamped(reference: appointment.reference, at: entry.at.millisecondsSince1970)
                return StoredAppointment.Change(kind: kind, committedAt: committedNoEarlier[stamped] ?? onTestClock(entry.at))
            }
            stored.append(StoredAppointment(reference: appointment.reference, contact: appointment.contact.email,
                                            consultantId: appointment.consultantId, start: appointment.start, end: appointment.end,
                                            active: ["confirmed", "scheduled"].contains(appointment.status), changes: changes))
        }
        return stored
    }

    /// Starts every daemon that is not running (one the drill killed and has not restarted yet).
    func restartStopped() async throws {
        for daemon in ["bookingd", "availabilityd", "notifyd", "webd"] where !(daemons[daemon].map(Self.isAlive) ?? false) {
            try await start(daemon)
        }
    }
}

/// The drill's verdict: the checker's violations as test issues, and its counts printed for
/// docs/reliability.md.
func checkHistory(_ drill: String, _ requests: [RecordedRequest], _ stored: [StoredAppointment],
                  checker: HistoryChecker = HistoryChecker()) {
    let violations = checker.violations(requests: requests, final: stored)
    var outcomes: [String: Int] = [:]
    for request in requests {
        switch request.outcome {
        case .ok: outcomes["ok", default: 0] += 1
        case .refused(let code): outcomes[code, default: 0] += 1
        case .noAnswer: outcomes["no answer", default: 0] += 1
        }
    }
    print("drill \(drill): \(requests.count) requests \(outcomes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")); "
          + "\(stored.count) appointments, \(stored.filter(\.active).count) active; \(violations.count) violations")
    for violation in violations { Issue.record("\(drill): \(violation)") }
    #expect(requests.contains { if case .ok = $0.outcome { return true } else { return false } }, "the load made no booking at all")
}

/// The host's system clock as a drill moves it. Every daemon runs under libfaketime, which reads
/// the offset from `file` at each read of the system clock and leaves the monotonic clocks alone,
/// as a real jump does; the drill's clients stamp their deadlines from `now()`, so every process
/// sees the same jumps. What the drill records stays on the test's own clock, which never jumps:
/// `unmoved` takes a daemon's stamp back to it.
final class FakedSystemClock: Sendable {
    let directory: String
    var file: String { directory + "/faketime" }
    private let offset = Atomic<Int>(0)
    /// Each offset (seconds) from when it took effect, on the test's own clock.
    private let phases = Mutex<[(from: Date, offset: Int)]>([(.distantPast, 0)])

    init() throws {
        var template = Array("/tmp/bk-clock-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        directory = String(cString: made)
        try write(0)
    }

    /// libfaketime for a daemon (the build for multi-threaded programs).
    func environment(configPath: String) throws -> [String: String] {
        let libraries = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib")) ?? []).map { "/usr/lib/\($0)/faketime/libfaketimeMT.so.1" }
        guard let library = libraries.first(where: FileManager.default.fileExists) else {
            throw SuiteFailure("libfaketime is not installed (script/bootstrap installs faketime)")
        }
        return ["LD_PRELOAD": library, "FAKETIME_TIMESTAMP_FILE": file, "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
                // The suite's clock counts from the configuration file's modification time, as read by the test.
                "NO_FAKE_STAT": "1",
                // Under libfaketime the daemons do not see their `--config` argument and would read
                // ./config/booking.yaml: the default file names this suite's instead.
                "BOOKING_CONFIG": configPath]
    }

    func now() -> Date { Date().addingTimeInterval(TimeInterval(offset.load(ordering: .relaxed))) }

    /// Moves every process's system clock to `seconds` ahead of the real one, from `stamp` on the
    /// test's clock. The clients move first on a jump back and last on a jump forward, so none
    /// stamps a deadline that the daemons read as later than its client keeps.
    func jump(to seconds: Int, at stamp: Date) throws {
        if seconds < offset.load(ordering: .relaxed) {
            offset.store(seconds, ordering: .relaxed)
            try write(seconds)
        } else {
            try write(seconds)
            offset.store(seconds, ordering: .relaxed)
        }
        phases.withLock { $0.append((stamp, seconds)) }
    }

    /// A daemon's stamp, taken before `now` on the test's clock, on the test's clock: the stamp less
    /// the offset of the phase it was taken in (the phases' moved spans lie hours apart, so each
    /// stamp falls near exactly one; near, as a jump reaches the daemons a moment after it is noted).
    func unmoved(_ stamp: Date, now: Date) -> Date {
        let phases = phases.withLock { $0 }
        let candidates = phases.indices.map { index -> (distance: TimeInterval, unmoved: Date) in
            let unmoved = stamp.addingTimeInterval(-TimeInterval(phases[index].offset))
            let end = index + 1 < phases.count ? phases[index + 1].from : now
            let distance = max(0, phases[index].from.timeIntervalSince(unmoved), unmoved.timeIntervalSince(end))
            return (distance, unmoved)
        }
        return candidates.min { $0.distance < $1.distance }!.unmoved
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func write(_ seconds: Int) throws {
        try "\(seconds < 0 ? "" : "+")\(seconds)\n".write(toFile: file, atomically: true, encoding: .utf8)
    }
}

import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The suite as systemd and an operator see it.
@Suite(.serialized) struct OperationsTests {
    @Test func daemonsSpeakTheNotifyProtocolAndTheWatchdogNoticesAWedgedDaemon() async throws {
        var options = SuiteProcess.Options()
        options.extra = "debug:\n  allow_stall: true\n"
        let suite = try SuiteProcess(options)
        defer { suite.tearDown() }
        let listener = try NotifyListener(path: suite.directory + "/notify")
        defer { listener.close() }
        try await suite.start("bookingd", environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "400000"])

        let ready = try #require(await listener.first { $0.hasPrefix("READY=1") })
        #expect(ready.contains("STATUS=serving"), "\(ready)")
        // Watchdog pings come at half of WATCHDOG_USEC while the daemon works.
        try await eventually { listener.messages.filter { $0.text == "WATCHDOG=1" }.count >= 4 }

        // Wedge its request loop for 4 s: once the loop's heartbeat is 1.5 s old the pings stop,
        // and they come back when it beats again.
        // (Its answer comes through that same loop, so it arrives when the stall is over.)
        let bookingd = try await suite.client("bookingd", timeout: .seconds(10))
        let stalled = Date()
        let answered = Task { let _: Empty = try await bookingd.call(MessageType.debugStall, StallRequest(seconds: 4)) }
        try await answered.value
        let took = Date().timeIntervalSince(stalled)
        #expect(took >= 3.5, "the loop was stalled (\(took) s)")
        let resumed = Date()
        try await eventually { listener.messages.contains { $0.text == "WATCHDOG=1" && $0.at > resumed } }
        // The pings (timed by the listener's own thread, so a busy test process cannot blur
        // them) fell silent while the loop was wedged: 4 s less the 1.5 s a heartbeat may age.
        let pings = listener.messages.filter { $0.text == "WATCHDOG=1" && $0.at > stalled.addingTimeInterval(-1) }.map(\.at)
        let silence = zip(pings, pings.dropFirst()).map { $1.timeIntervalSince($0) }.max() ?? 0
        #expect(silence >= 2.0, "no watchdog ping while wedged: the longest silence was \(silence) s")
        #expect(silence < 4.5, "and they came back: \(silence) s")

        #expect(suite.terminate("bookingd") == 0, "a clean SIGTERM exits 0")
        #expect(listener.messages.contains { $0.text.hasPrefix("STOPPING=1") })
    }

    @Test func sighupWithAChangedCalendarChangesTheOfferWithoutARestart() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try await suite.start()
        let pid = suite.pid("availabilityd")
        func slots() throws -> Int {
            (try suite.bookctlJSON(["slots", "--from", "2026-12-02", "--days", "1"]) as? [Any])?.count ?? -1
        }
        #expect(try slots() == 18)

        try suite.editConfiguration { $0.replacingOccurrences(of: "  time_zone: Europe/Moscow\n", with: "  time_zone: Europe/Moscow\n  closes: \"16:00\"\n") }
        suite.signal("availabilityd", SIGHUP)
        try await eventually { (try? slots()) == 14 }
        #expect(suite.pid("availabilityd") == pid)

        // A broken file is refused by name and key, by bookctl and by the daemon; the running
        // configuration stays. (bookctl reads a good copy beside it to reach the daemons.)
        let good = suite.directory + "/good.yaml"
        try FileManager.default.copyItem(atPath: suite.configPath, toPath: good)
        try suite.editConfiguration { $0.replacingOccurrences(of: "closes: \"16:00\"", with: "closes: \"late\"") }
        let refused = try suite.bookctl(["reload"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("calendar.closes: 'late' is not a time HH:MM"), "\(refused.stderr)")
        suite.signal("availabilityd", SIGHUP)
        try await eventually {
            let run = try SuiteProcess.run(SuiteProcess.binDirectory + "/bookctl", ["status", "--json", "--config", good])
            let rows = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]] ?? []
            return (rows.first { $0["daemon"] as? String == "availabilityd" }?["lastError"] as? String)?.contains("calendar.closes") == true
        }
        let still = try SuiteProcess.run(SuiteProcess.binDirectory + "/bookctl", ["slots", "--from", "2026-12-02", "--days", "1", "--json", "--config", good])
        #expect((try JSONSerialization.jsonObject(with: Data(still.stdout.utf8)) as? [Any])?.count == 14)

        try suite.editConfiguration { $0.replacingOccurrences(of: "  closes: \"late\"\n", with: "") }
        let reloaded = try suite.bookctl(["reload"])
        #expect(reloaded.status == 0, "\(reloaded.stderr)")
        #expect(try slots() == 18)
    }

    @Test func pauseStopsNewBookingsOnlyAndSurvivesARestart() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try await suite.start()
        let book = ["book", "--start", "2026-12-02T10:00", "--name", "A", "--email", "a@example.com", "--phone", "+79161234567"]
        let first = try suite.bookctl(book)
        #expect(first.status == 0)
        let reference = first.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        #expect(try suite.bookctl(["pause", "--reason", "database upgrade"]).status == 0)
        var refused = try suite.bookctl(book.map { $0 == "10:00" ? "10:30" : $0 == "2026-12-02T10:00" ? "2026-12-02T10:30" : $0 })
        #expect(refused.status == 1, "refused, not unreachable: \(refused.stderr)")
        #expect(refused.stderr.contains("temporarily unavailable (database upgrade)"))
        // Queries and management go on.
        #expect(try suite.bookctl(["show", reference]).status == 0)
        #expect(try suite.bookctl(["reschedule", reference, "--start", "2026-12-02T11:00"]).status == 0)

        suite.terminate("bookingd")
        try await suite.start("bookingd")
        let status = try #require(try suite.bookctlJSON(["status"]) as? [[String: Any]])
        #expect(status.first { $0["daemon"] as? String == "bookingd" }?["state"] as? String == "paused")
        refused = try suite.bookctl(book)
        #expect(refused.status == 1)

        #expect(try suite.bookctl(["resume"]).status == 0)
        #expect(try suite.bookctl(book).status == 0)
    }

    @Test func statusAndHealthTellTheStateOfEveryDaemon() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try await suite.start()
        _ = try suite.bookctl(["book", "--start", "2026-12-02T10:00", "--name", "A", "--email", "a@example.com", "--phone", "+79161234567"])
        try await eventually {
            let rows = try suite.bookctlJSON(["status"]) as? [[String: Any]] ?? []
            // Every daemon but webd (which follows no events) has seen the booking.
            return rows.count == 4 && rows.allSatisfy { $0["state"] as? String == "ready" && ($0["daemon"] as? String == "webd" || $0["lastSequence"] as? Int == 1) }
        }
        let rows = try #require(try suite.bookctlJSON(["status"]) as? [[String: Any]])
        let availability = try #require(rows.first { $0["daemon"] as? String == "availabilityd" })
        #expect(availability["lag"] as? Int == 0)
        #expect(availability["pid"] as? Int32 == suite.pid("availabilityd"))
        #expect((rows.first { $0["daemon"] as? String == "bookingd" }?["backlog"] as? Int) == 0)
        let table = try suite.bookctl(["status"])
        #expect(table.stdout.contains("bookingd: serving; last event #1 published"))

        #expect(try suite.bookctl(["health"]).status == 0)
        suite.kill9("availabilityd")
        let down = try suite.bookctl(["health"])
        #expect(down.status == 3)
        #expect(down.stderr.contains("availabilityd does not answer"))
        // status prints every row and says with its exit code that a daemon is down, for scripts.
        let status = try suite.bookctl(["status"])
        #expect(status.status == 3, "\(status.stderr)")
        #expect(status.stdout.contains("availabilityd") && status.stdout.contains("unreachable"))
        #expect(try suite.bookctl(["status", "--json"]).status == 3)
    }

    @Test func theConfigurationFileMayComeBeforeTheCommand() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try await suite.start()
        // Without $BOOKING_CONFIG, bookctl would otherwise read the repository's config/booking.yaml.
        let bookctl = SuiteProcess.binDirectory + "/bookctl"
        let before = try SuiteProcess.run(bookctl, ["--config", suite.configPath, "consultants", "list", "--json"], environment: ["BOOKING_CONFIG": ""])
        #expect(before.status == 0 && before.stdout.contains("anna"), "\(before.stderr)")
        let after = try SuiteProcess.run(bookctl, ["consultants", "list", "--json", "--config", suite.configPath], environment: ["BOOKING_CONFIG": ""])
        #expect(before.stdout == after.stdout)
        let equals = try SuiteProcess.run(bookctl, ["--config=\(suite.configPath)", "status"], environment: ["BOOKING_CONFIG": ""])
        #expect(equals.status == 0, "\(equals.stderr)")
        // A --config after the command still wins.
        let wins = try SuiteProcess.run(bookctl, ["--config", "/nonexistent/booking.yaml", "status", "--config", suite.configPath])
        #expect(wins.status == 0, "\(wins.stderr)")
        let missing = try SuiteProcess.run(bookctl, ["--config", "/nonexistent/booking.yaml", "status"])
        #expect(missing.status == 2 && missing.stderr.contains("/nonexistent/booking.yaml"), "\(missing.stderr)")
    }

    @Test func metricsAreServedOverHTTPAndSummarisedByBookctl() async throws {
        let port = try SuiteProcess.freePort()
        var options = SuiteProcess.Options()
        options.extra = "metrics:\n  bookingd: \"127.0.0.1:\(port)\"\n"
        let suite = try SuiteProcess(options)
        defer { suite.tearDown() }
        try await suite.start()
        #expect(try suite.bookctl(["book", "--start", "2026-12-02T10:00", "--name", "A", "--email", "a@example.com", "--phone", "+79161234567"]).status == 0)
        #expect(try suite.bookctl(["book", "--start", "2026-12-02T10:10", "--name", "A", "--email", "a@example.com", "--phone", "+79161234567"]).status == 1)

        let http = try SuiteProcess.run("/usr/bin/env", ["python3", "-c", "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:\(port)/metrics').read().decode())"])
        #expect(http.status == 0, "\(http.stderr)")
        #expect(http.stdout.contains(#"booking_requests_total{daemon="bookingd",type="book",outcome="ok"} 1"#), "\(http.stdout.prefix(2000))")
        #expect(http.stdout.contains(#"booking_requests_total{daemon="bookingd",type="book",outcome="off_grid"} 1"#))
        #expect(http.stdout.contains(#"booking_changes_total{kind="created"} 1"#))
        #expect(http.stdout.contains("booking_request_duration_seconds_bucket"))

        let summary = try suite.bookctl(["metrics"])
        #expect(summary.status == 0, "\(summary.stderr)")
        #expect(summary.stdout.contains("check_slot"))
        #expect(summary.stdout.contains("booking_changes_total{kind=created} 1"))
    }

    @Test func everyAdminCommandIsAuditedWithTheOSUserWhoSentIt() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try await suite.start()
        let user = String(cString: getpwuid(geteuid())!.pointee.pw_name)
        let booked = try suite.bookctl(["book", "--start", "2026-12-02T10:00", "--name", "A", "--email", "a@example.com", "--phone", "+79161234567"])
        #expect(try suite.bookctl(["block", "2026-12-02", "--reason", "offsite"]).status == 1)  // refused: a booking that day
        #expect(try suite.bookctl(["block", "2026-12-03", "--reason", "offsite"]).status == 0)
        #expect(try suite.bookctl(["unblock", "2026-12-03"]).status == 0)
        #expect(try suite.bookctl(["pause"]).status == 0)
        #expect(try suite.bookctl(["resume"]).status == 0)
        #expect(try suite.bookctl(["reload"]).status == 0)
        #expect(try suite.bookctl(["cancel", booked.stdout.trimmingCharacters(in: .whitespacesAndNewlines)]).status == 0)
        #expect(try suite.bookctl(["slots"]).status == 0)  // a query: not audited

        func audit(_ database: String, _ query: String) throws -> [String] {
            let run = try SuiteProcess.run("/usr/bin/env", ["python3", "-c", "import sqlite3,sys; [print('|'.join(map(str,r))) for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])]", database, query])
            return run.stdout.split(separator: "\n").map(String.init)
        }
        let booking = try audit(suite.directory + "/lib/bookingd.sqlite", "SELECT command, user, outcome FROM audit ORDER BY id")
        #expect(booking.map { $0.split(separator: "|").first.map(String.init) ?? "" } == ["book", "pause", "resume", "reload", "cancel"], "\(booking)")
        #expect(booking.allSatisfy { $0.contains("|\(user)|") })
        let availability = try audit(suite.directory + "/lib/availabilityd.sqlite", "SELECT command, user, outcome FROM audit ORDER BY id")
        #expect(availability == ["block|\(user)|conflict", "block|\(user)|ok", "unblock|\(user)|ok", "reload|\(user)|ok"], "\(availability)")
    }

    @Test func consultantsAreAddedGivenTimeOffAndRemoved() async throws {
        var options = SuiteProcess.Options()
        options.consultants = ["anna"]
        let suite = try SuiteProcess(options)
        defer { suite.tearDown() }
        try await suite.start()
        func free(_ day: String) throws -> Int {
            let slots = try suite.bookctlJSON(["slots", "--from", day, "--days", "1"]) as? [[String: Any]] ?? []
            return slots.first?["free"] as? Int ?? 0
        }
        #expect(try free("2026-12-02") == 1)
        let added = try suite.bookctl(["consultants", "add", "boris", "--name", "Борис", "--email", "boris@example.com"])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(try free("2026-12-02") == 2)
        #expect(try suite.bookctl(["consultants", "add", "boris", "--name", "Again", "--email", "again@example.com"]).status == 1)
        let withoutEmail = try suite.bookctl(["consultants", "add", "carl", "--name", "Carl"])
        #expect(withoutEmail.status == 1 && withoutEmail.stderr.contains("a consultant needs an email"), "\(withoutEmail.stderr)")
        let malformed = try suite.bookctl(["consultants", "add", "carl", "--name", "Carl", "--email", "carl.example.com"])
        #expect(malformed.status == 1 && malformed.stderr.contains("name@domain"), "\(malformed.stderr)")

        let booked = try suite.bookctl(["book", "--start", "2026-12-03T10:00", "--consultant", "boris", "--name", "A", "--email", "a@example.com", "--phone", "+79161234567"])
        #expect(booked.status == 0, "\(booked.stderr)")
        let reference = booked.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let refused = try suite.bookctl(["consultants", "time-off", "boris", "2026-12-03..2026-12-04", "--reason", "conference"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains(reference))
        #expect(try free("2026-12-03") == 2, "a refused change changes nothing")
        let forced = try suite.bookctl(["consultants", "time-off", "boris", "2026-12-03..2026-12-04", "--reason", "conference", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stdout.contains("moved \(reference) to anna"), "a colleague free then takes it: \(forced.stdout)")
        #expect(try free("2026-12-03") == 1)
        #expect(try free("2026-12-07") == 2)

        let listed = try #require(try suite.bookctlJSON(["consultants"]) as? [[String: Any]])
        let timeOff = try #require((listed.first { $0["id"] as? String == "boris" }?["timeOff"] as? [[String: Any]])?.first)
        let number = try #require(timeOff["id"] as? Int)
        #expect(try suite.bookctl(["consultants", "time-off-remove", "\(number)"]).status == 0)
        #expect(try free("2026-12-03") == 2)

        // Kept by availabilityd across a restart; the configuration only seeded the list.
        suite.terminate("availabilityd")
        try await suite.start("availabilityd")
        #expect(try free("2026-12-02") == 2)

        #expect(try suite.bookctl(["consultants", "remove", "boris"]).status == 0)
        #expect(try free("2026-12-02") == 1)
        let last = try suite.bookctl(["consultants", "remove", "anna"])
        #expect(last.status == 1)
        #expect(last.stderr.contains("last consultant"))
    }

    @Test func sigtermDuringABurstLosesNoAcknowledgedBooking() async throws {
        var options = SuiteProcess.Options()
        options.consultants = (1...8).map { "c\($0)" }
        let suite = try SuiteProcess(options)
        defer { suite.tearDown() }
        try await suite.start()
        let bookingd = try await suite.client("bookingd", timeout: .seconds(5))
        let acknowledged = Collected<String>()
        let burst = Task {
            await withTaskGroup(of: Void.self) { group in
                for n in 0..<120 {
                    group.addTask {
                        let day = 2 + n / 18, slot = n % 18
                        let start = ISO8601.parseInstant(String(format: "2026-12-%02dT%02d:%02d:00+03:00", day == 5 || day == 6 ? day + 2 : day, 9 + slot / 2, slot % 2 * 30))!
                        if let booked: AppointmentBody = try? await bookingd.call(MessageType.book, BookRequest(start: start, contact: contact(n)), idempotencyKey: "burst-\(n)") {
                            acknowledged.append(booked.reference)
                        }
                    }
                }
            }
        }
        try await eventually { acknowledged.items.count >= 10 }
        #expect(suite.terminate("bookingd") == 0)
        await burst.value
        let answered = acknowledged.items
        #expect(!answered.isEmpty)

        try await suite.start("bookingd")
        let listed = try #require(try suite.bookctlJSON(["list"]) as? [[String: Any]])
        let stored = Set(listed.compactMap { $0["reference"] as? String })
        #expect(Set(answered).isSubset(of: stored), "every acknowledged booking is stored")
        // And every stored booking's event is in the log, in order, without a gap.
        let sequences = try suite.bookctl(["events", "--json"]).stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["sequence"] as? Int
        }
        #expect(sequences == Array(1...stored.count))
    }
}

/// A datagram socket standing in for systemd's notify socket.
final class NotifyListener: @unchecked Sendable {
    struct Message: Sendable {
        var text: String
        var at: Date
    }

    let path: String
    private let descriptor: Int32
    private let received = Collected<Message>()
    private let thread: Thread

    init(path: String) throws {
        self.path = path
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        descriptor = fd
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let received = self.received
        thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !Thread.current.isCancelled {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count > 0 {
                    received.append(Message(text: String(decoding: buffer[0..<count], as: UTF8.self), at: Date()))
                }
            }
        }
        guard result == 0 else { throw POSIXError(.EADDRINUSE) }
        thread.start()
    }

    var messages: [Message] { received.items }

    func first(where matches: (String) -> Bool) async -> String? {
        for _ in 0..<200 {
            if let message = messages.first(where: { matches($0.text) }) { return message.text }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    func close() {
        thread.cancel()
        usleep(300_000)
        Glibc.close(descriptor)
        unlink(path)
    }
}

/// Items gathered from concurrent tasks.
final class Collected<Item: Sendable>: Sendable {
    private let storage = Mutex<[Item]>([])
    func append(_ item: Item) { storage.withLock { $0.append(item) } }
    var items: [Item] { storage.withLock { $0 } }
}

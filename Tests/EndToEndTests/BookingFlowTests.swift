import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import Testing
import ZeroMQ

/// The suite as an admin and a client see it: real daemons, real sockets, real SQLite files.
@Suite(.serialized) struct BookingFlowTests {
    @Test func bookShowRescheduleCancelAndHistoryThroughBookctl() async throws {
        let suite = try SuiteProcess()
        try await suite.start()
        defer { suite.tearDown() }

        let slots = try #require(try suite.bookctlJSON(["slots", "--tz", "America/New_York"]) as? [[String: Any]])
        #expect(slots.count > 100, "two weeks of slots with two consultants")
        let first = try #require(slots.first)
        #expect((first["start"] as? String)?.hasSuffix("-05:00") == true, "times in the asked zone: \(first)")
        #expect(first["free"] as? Int == 2)

        // The clock starts 2026-12-01 07:58 MSK; with 2 hours' notice the first slot is 10:00 MSK = 02:00 New York.
        #expect(first["start"] as? String == "2026-12-01T02:00:00-05:00")

        let booked = try #require(try suite.bookctlJSON([
            "book", "--start", "2026-12-02T11:00", "--name", "Иван Петров", "--email", "ivan@example.com",
            "--phone", "8 (916) 123-45-67", "--phone-region", "RU", "--company", "ООО Ромашка", "--locale", "ru",
        ]) as? [String: Any])
        let reference = try #require(booked["reference"] as? String)
        #expect(reference.hasPrefix("BK-"))
        #expect(booked["start"] as? String == "2026-12-02T11:00:00+03:00")
        #expect(booked["status"] as? String == "confirmed")
        #expect(["anna", "boris"].contains(booked["consultantId"] as? String ?? ""))

        let shown = try #require(try suite.bookctlJSON(["show", reference.lowercased()]) as? [String: Any])
        #expect(shown["reference"] as? String == reference)
        #expect((shown["contact"] as? [String: Any])?["phone"] as? String == "+79161234567", "read as dialled in Russia, stored in E.164")

        let text = try suite.bookctl(["show", reference])
        #expect(text.status == 0)
        #expect(text.stdout.contains("Иван Петров (ООО Ромашка)"))

        let moved = try #require(try suite.bookctlJSON(["reschedule", reference, "--start", "2026-12-03T15:30", "--reason", "client asked"]) as? [String: Any])
        #expect(moved["reference"] as? String == reference)
        #expect(moved["start"] as? String == "2026-12-03T15:30:00+03:00")

        let cancelled = try #require(try suite.bookctlJSON(["cancel", reference, "--reason", "no longer needed"]) as? [String: Any])
        #expect(cancelled["status"] as? String == "cancelled")

        let history = try #require(try suite.bookctlJSON(["history", reference]) as? [String: Any])
        let entries = try #require(history["entries"] as? [[String: Any]])
        #expect(entries.map { $0["kind"] as? String } == ["created", "rescheduled", "cancelled"])
        #expect(entries[1]["reason"] as? String == "client asked")
        #expect(entries[1]["oldStart"] as? String == "2026-12-02T08:00:00.000Z")
        #expect(entries[1]["newStart"] as? String == "2026-12-03T12:30:00.000Z")
        #expect(entries.allSatisfy { $0["actor"] as? String == "admin" && $0["user"] as? String != nil })

        let table = try suite.bookctl(["history", reference])
        #expect(table.stdout.contains("2026-12-02 11:00 → 2026-12-03 15:30"))

        let events = try suite.bookctl(["events", "--json"])
        let kinds = events.stdout.split(separator: "\n").compactMap { line -> String? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["kind"] as? String
        }
        #expect(kinds == ["created", "rescheduled", "cancelled"])

        let listed = try #require(try suite.bookctlJSON(["list", "--status", "cancelled"]) as? [[String: Any]])
        #expect(listed.map { $0["reference"] as? String } == [reference])
    }

    @Test func aHundredConcurrentBookingsOfOneSlotGiveOneSuccess() async throws {
        var options = SuiteProcess.Options()
        options.consultants = ["solo"]
        let suite = try SuiteProcess(options)
        try await suite.start()
        defer { suite.tearDown() }

        let start = try #require(ISO8601.parseInstant("2026-12-02T10:00:00+03:00"))
        let clients = try await (0..<4).asyncMap { _ in try await suite.client("bookingd", timeout: .seconds(20)) }
        let outcomes = await withTaskGroup(of: String.self) { group in
            for n in 0..<100 {
                group.addTask {
                    do {
                        let _: AppointmentBody = try await clients[n % 4].call(
                            MessageType.book, BookRequest(start: start, contact: contact(n)), idempotencyKey: "storm-\(n)"
                        )
                        return "ok"
                    } catch let error as ProtocolError {
                        return error.code.rawValue
                    } catch {
                        return "\(error)"
                    }
                }
            }
            var all: [String] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.filter { $0 == "ok" }.count == 1)
        #expect(outcomes.filter { $0 == "slot_unavailable" }.count == 99, "\(Set(outcomes))")

        let listed = try #require(try suite.bookctlJSON(["list"]) as? [[String: Any]])
        #expect(listed.count == 1)
    }

    @Test func aRetryWithTheSameIdempotencyKeyGetsTheFirstAnswer() async throws {
        let suite = try SuiteProcess()
        try await suite.start()
        defer { suite.tearDown() }
        let bookingd = try await suite.client("bookingd")
        let request = BookRequest(start: try #require(ISO8601.parseInstant("2026-12-02T12:00:00+03:00")), contact: contact(1))
        let first: AppointmentBody = try await bookingd.call(MessageType.book, request, idempotencyKey: "same-key")
        let second: AppointmentBody = try await bookingd.call(MessageType.book, request, idempotencyKey: "same-key")
        #expect(first == second)
        do {
            let other = BookRequest(start: try #require(ISO8601.parseInstant("2026-12-02T12:30:00+03:00")), contact: contact(1))
            let _: AppointmentBody = try await bookingd.call(MessageType.book, other, idempotencyKey: "same-key")
            Issue.record("a reused key for another request was accepted")
        } catch let error as ProtocolError {
            #expect(error.code == .idempotencyConflict)
        }
        let listed = try #require(try suite.bookctlJSON(["list"]) as? [[String: Any]])
        #expect(listed.count == 1)
    }

    @Test func anAcknowledgedBookingSurvivesKillNineAndItsEventIsDelivered() async throws {
        let suite = try SuiteProcess()
        try await suite.start()
        defer { suite.tearDown() }
        let bookingd = try await suite.client("bookingd", attempts: 3)
        let booked: AppointmentBody = try await bookingd.call(
            MessageType.book, BookRequest(start: try #require(ISO8601.parseInstant("2026-12-04T16:00:00+03:00")), contact: contact(7)),
            idempotencyKey: "kill-9"
        )
        suite.kill9("bookingd")
        try await suite.start("bookingd")

        let shown: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: booked.reference))
        #expect(shown == booked)

        // A subscriber that joins now gets the event by replay, then new ones live.
        let python = try SuiteProcess.run("/usr/bin/env", [
            "python3", SuiteProcess.repositoryRoot + "/docs/examples/subscriber.py",
            "--events", suite.eventsEndpoint, "--commands", suite.bookingdEndpoint, "--count", "1", "--timeout", "20",
        ])
        #expect(python.status == 0, "\(python.stderr)")
        let event = try #require(try JSONSerialization.jsonObject(with: Data(python.stdout.split(separator: "\n").first.map(String.init)?.utf8 ?? "".utf8)) as? [String: Any])
        #expect(event["sequence"] as? Int == 1)
        #expect(event["kind"] as? String == "created")
        #expect((event["appointment"] as? [String: Any])?["reference"] as? String == booked.reference)
    }

    @Test func thePythonExampleFollowsTheLiveStreamInOrder() async throws {
        let suite = try SuiteProcess()
        try await suite.start()
        defer { suite.tearDown() }

        let follower = Process()
        follower.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        follower.arguments = ["python3", SuiteProcess.repositoryRoot + "/docs/examples/subscriber.py",
                              "--events", suite.eventsEndpoint, "--commands", suite.bookingdEndpoint, "--count", "6", "--timeout", "30"]
        let output = Pipe()
        follower.standardOutput = output
        try follower.run()

        let bookingd = try await suite.client("bookingd")
        var references: [String] = []
        for (n, time) in ["10:00", "10:30", "11:00"].enumerated() {
            let booked: AppointmentBody = try await bookingd.call(
                MessageType.book, BookRequest(start: try #require(ISO8601.parseInstant("2026-12-07T\(time):00+03:00")), contact: contact(n)),
                idempotencyKey: "live-\(n)"
            )
            references.append(booked.reference)
        }
        for reference in references {
            let _: AppointmentBody = try await bookingd.call(MessageType.cancel, CancelRequest(reference: reference), idempotencyKey: "cancel-\(reference)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        follower.waitUntilExit()
        #expect(follower.terminationStatus == 0)
        let events = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(events.map { $0["sequence"] as? Int } == [1, 2, 3, 4, 5, 6])
        #expect(events.map { $0["kind"] as? String } == ["created", "created", "created", "cancelled", "cancelled", "cancelled"])
    }

    @Test func aRestartedAvailabilitydRebuildsItsViewOfTakenSlots() async throws {
        var options = SuiteProcess.Options()
        options.consultants = ["solo"]
        let suite = try SuiteProcess(options)
        try await suite.start()
        defer { suite.tearDown() }
        let bookingd = try await suite.client("bookingd")
        let availability = try await suite.client("availabilityd")
        let start = try #require(ISO8601.parseInstant("2026-12-02T10:00:00+03:00"))
        let booked: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: start, contact: contact(1)), idempotencyKey: "a")

        func offered() async throws -> Bool {
            let reply: SlotsReply = try await availability.call(MessageType.slots, SlotsRequest(from: "2026-12-02", days: 1))
            return reply.slots.contains { $0.start == start }
        }
        try await eventually { try await offered() == false }

        // Changes made while availabilityd is down are picked up from the snapshot on start.
        suite.kill9("availabilityd")
        let _: AppointmentBody = try await bookingd.call(MessageType.cancel, CancelRequest(reference: booked.reference), idempotencyKey: "b")
        let other = try #require(ISO8601.parseInstant("2026-12-02T10:30:00+03:00"))
        try await suite.start("availabilityd")
        try await eventually { try await offered() == true }
        let _: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: other, contact: contact(2)), idempotencyKey: "c")
        let reply: SlotsReply = try await availability.call(MessageType.slots, SlotsRequest(from: "2026-12-02", days: 1))
        try await eventually {
            let reply: SlotsReply = try await availability.call(MessageType.slots, SlotsRequest(from: "2026-12-02", days: 1))
            return !reply.slots.contains { $0.start == other }
        }
        #expect(reply.timeZone == "Europe/Moscow")
    }

    @Test func blockingADayWithBookingsNeedsForceAndThenCancelsThem() async throws {
        let suite = try SuiteProcess()
        try await suite.start()
        defer { suite.tearDown() }
        let bookingd = try await suite.client("bookingd")
        let booked: AppointmentBody = try await bookingd.call(
            MessageType.book, BookRequest(start: try #require(ISO8601.parseInstant("2026-12-08T14:00:00+03:00")), contact: contact(3)), idempotencyKey: "x"
        )
        let refused = try suite.bookctl(["block", "2026-12-08", "--reason", "Team offsite"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("conflict"))
        #expect(refused.stderr.contains(booked.reference))
        let calendarBefore = try #require(try suite.bookctlJSON(["calendar", "2026"]) as? [[String: Any]])
        #expect(calendarBefore.first { $0["date"] as? String == "2026-12-08" }?["kind"] as? String == "working")

        let forced = try suite.bookctl(["block", "2026-12-08..2026-12-09", "--reason", "Team offsite", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stdout.contains("cancelled \(booked.reference)"))
        let shown: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: booked.reference))
        #expect(shown.status == "cancelled")
        let history: HistoryReply = try await bookingd.call(MessageType.history, ReferenceRequest(reference: booked.reference))
        #expect(history.entries.last?.actor == "system")
        #expect(history.entries.last?.reason == "The day was blocked: Team offsite")

        let calendar = try #require(try suite.bookctlJSON(["calendar", "2026"]) as? [[String: Any]])
        #expect(calendar.count == 365)
        let blocked = try #require(calendar.first { $0["date"] as? String == "2026-12-09" })
        #expect(blocked["kind"] as? String == "blocked")
        #expect(blocked["opens"] is NSNull)
        let slots = try #require(try suite.bookctlJSON(["slots", "--from", "2026-12-08", "--days", "2"]) as? [[String: Any]])
        #expect(slots.isEmpty)

        // Blocks persist across a restart.
        suite.terminate("availabilityd")
        try await suite.start("availabilityd")
        let after = try #require(try suite.bookctlJSON(["slots", "--from", "2026-12-08", "--days", "2"]) as? [[String: Any]])
        #expect(after.isEmpty)

        let unblocked = try suite.bookctl(["unblock", "2026-12-09"])
        #expect(unblocked.status == 0, "\(unblocked.stderr)")
        let reopened = try #require(try suite.bookctlJSON(["slots", "--from", "2026-12-08", "--days", "2"]) as? [[String: Any]])
        #expect(reopened.count == 18, "Dec 9 is open again; Dec 8 stays blocked")
    }

    @Test func theCalendarOfAYearMatchesTheDecree() async throws {
        let suite = try SuiteProcess()
        try await suite.start()
        defer { suite.tearDown() }
        let days = try #require(try suite.bookctlJSON(["calendar", "2027"]) as? [[String: Any]])
        func day(_ date: String) -> [String: Any]? { days.first { $0["date"] as? String == date } }
        #expect(day("2027-01-05")?["kind"] as? String == "holiday")
        #expect(day("2027-02-20")?["kind"] as? String == "working_weekend")
        #expect(day("2027-02-20")?["closes"] as? String == "17:00")
        #expect(day("2027-02-22")?["kind"] as? String == "day_off")
        #expect(day("2027-11-03")?["kind"] as? String == "shortened")
        #expect(day("2027-11-03")?["opens"] as? String == "09:00")
        #expect(day("2027-11-06")?["kind"] as? String == "weekend")

        let unknown = try suite.bookctl(["calendar", "2031"])
        #expect(unknown.status == 0)
        #expect(unknown.stderr.contains("has no data for 2031"))
    }
}

func eventually(_ timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("condition not met within \(timeout)")
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}

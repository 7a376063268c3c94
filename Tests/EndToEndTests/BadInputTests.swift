import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import Testing
import ZeroMQ

/// Every kind of bad input gets its own error, changes nothing, and the daemon keeps serving.
@Suite(.serialized) struct BadInputTests {
    @Test func everyBadRequestGetsItsSpecificErrorAndNothingChanges() async throws {
        let suite = try SuiteProcess()
        try await suite.start()
        defer { suite.tearDown() }
        let bookingd = try await suite.client("bookingd")

        func refusal(_ request: BookRequest) async -> ProtocolError? {
            do {
                let _: AppointmentBody = try await bookingd.call(MessageType.book, request)
                return nil
            } catch {
                return error as? ProtocolError
            }
        }
        func at(_ text: String) -> Date { ISO8601.parseInstant(text)! }
        let good = contact(1)

        let cases: [(String, BookRequest, ErrorCode, String?)] = [
            ("off the grid", BookRequest(start: at("2026-12-02T10:15:00+03:00"), contact: good), .offGrid, "start"),
            ("in the past", BookRequest(start: at("2026-11-30T10:00:00+03:00"), contact: good), .inPast, "start"),
            ("too soon", BookRequest(start: at("2026-12-01T09:30:00+03:00"), contact: good), .tooSoon, "start"),
            ("beyond the horizon", BookRequest(start: at("2026-12-28T10:00:00+03:00"), contact: good), .beyondHorizon, "start"),
            ("before opening", BookRequest(start: at("2026-12-02T08:30:00+03:00"), contact: good), .outsideWorkingHours, "start"),
            ("at closing", BookRequest(start: at("2026-12-02T18:00:00+03:00"), contact: good), .outsideWorkingHours, "start"),
            ("on a weekend", BookRequest(start: at("2026-12-05T10:00:00+03:00"), contact: good), .outsideWorkingHours, "start"),
            ("bad email", BookRequest(start: at("2026-12-02T10:00:00+03:00"), contact: ContactBody(name: "A", email: "not-an-email", phone: "+79161234567")), .validationFailed, "contact.email"),
            ("phone without country code", BookRequest(start: at("2026-12-02T10:00:00+03:00"), contact: ContactBody(name: "A", email: "a@example.com", phone: "8 916 123-45-67")), .validationFailed, "contact.phone"),
            ("empty name", BookRequest(start: at("2026-12-02T10:00:00+03:00"), contact: ContactBody(name: "   ", email: "a@example.com", phone: "+79161234567")), .validationFailed, "contact.name"),
            ("unknown zone", BookRequest(start: at("2026-12-02T10:00:00+03:00"), contact: good, timeZone: "Mars/Olympus"), .validationFailed, "time_zone"),
            ("unknown locale", BookRequest(start: at("2026-12-02T10:00:00+03:00"), contact: good, locale: "fr"), .validationFailed, "locale"),
            ("unknown consultant", BookRequest(start: at("2026-12-02T10:00:00+03:00"), contact: good, consultantId: "nobody"), .notFound, "consultant_id"),
        ]
        for (name, request, code, field) in cases {
            let error = await refusal(request)
            #expect(error?.code == code, "\(name): \(String(describing: error))")
            #expect(error?.field == field, "\(name): \(String(describing: error))")
            #expect(error?.message.isEmpty == false)
        }

        // A holiday inside the horizon: move the clock to the end of December.
        let holidaySuite = try SuiteProcess(.init(clockStart: "2026-12-28T09:00:00+03:00"))
        try await holidaySuite.start()
        defer { holidaySuite.tearDown() }
        let holidayBookingd = try await holidaySuite.client("bookingd")
        do {
            let _: AppointmentBody = try await holidayBookingd.call(MessageType.book, BookRequest(start: at("2027-01-05T10:00:00+03:00"), contact: good))
            Issue.record("booked a holiday")
        } catch let error as ProtocolError {
            #expect(error.code == .outsideWorkingHours)
            #expect(error.message.lowercased().contains("holiday"), "\(error.message)")
        }

        // References: unknown, and mistyped (caught by the check symbol before any look-up).
        let booked: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: at("2026-12-02T10:00:00+03:00"), contact: good))
        var mistyped = Array(booked.reference)
        let index = mistyped.count - 2  // the last data symbol, just before the check symbol
        mistyped[index] = mistyped[index] == "7" ? "8" : "7"
        for (text, code) in [(String(mistyped), ErrorCode.invalidReference), ("BK-0000", .invalidReference), ("hello", .invalidReference)] {
            do {
                let _: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: text))
                Issue.record("\(text) was accepted")
            } catch let error as ProtocolError {
                #expect(error.code == code, "\(text): \(error)")
                #expect(error.field == "reference")
            }
        }
        let unknown = try suite.bookctl(["show", "BK-0000-0000-0000-00000"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("not_found"), "\(unknown.stderr)")

        // A confirmed appointment cannot be cancelled twice.
        let _: AppointmentBody = try await bookingd.call(MessageType.cancel, CancelRequest(reference: booked.reference), idempotencyKey: "c1")
        do {
            let _: AppointmentBody = try await bookingd.call(MessageType.cancel, CancelRequest(reference: booked.reference), idempotencyKey: "c2")
            Issue.record("cancelled twice")
        } catch let error as ProtocolError {
            #expect(error.code == .invalidTransition)
        }

        let listed = try #require(try suite.bookctlJSON(["list"]) as? [[String: Any]])
        #expect(listed.count == 1, "only the one good booking was stored")
    }

    @Test func malformedFramesUnknownTypesAndOversizedMessagesAreAnsweredOrDropped() async throws {
        let suite = try SuiteProcess()
        try await suite.start()
        defer { suite.tearDown() }

        // A plain DEALER speaking raw frames.
        var options = SocketOptions()
        options.linger = .zero
        let dealer = try suite.context.socket(.dealer, options: options, label: "raw")
        try await dealer.connect(suite.bookingdEndpoint)
        func exchange(_ frames: [[UInt8]]) async throws -> ErrorBody? {
            try await dealer.send(frames)
            let reply = try await dealer.receive(timeout: .seconds(5))
            let envelope = try Envelope.decode(reply)
            guard envelope.type == MessageType.error else { return nil }
            return try envelope.decodeBody(ErrorBody.self)
        }
        let header = WireJSON.encodeHeader(MessageHeader())
        let signature = Array("booking/1".utf8)

        #expect(try await exchange([[], signature, Array("teleport".utf8), header, Array("{}".utf8)])?.code == .unknownType)
        #expect(try await exchange([[], signature, Array("get".utf8), header, Array("{not json".utf8)])?.code == .malformed)
        #expect(try await exchange([[], signature, Array("get".utf8), header, Array("{}".utf8)])?.field == "reference")
        #expect(try await exchange([[], signature, Array("get".utf8)])?.code == .malformed)
        #expect(try await exchange([[], Array("booking/9".utf8), Array("get".utf8), header, Array("{}".utf8)])?.code == .unsupportedVersion)
        #expect(try await exchange([[], signature, Array("get".utf8), Array("[]".utf8), Array("{}".utf8)])?.code == .malformed)
        let big = Array(repeating: UInt8(ascii: "x"), count: 70_000)
        let tooBig = try await exchange([[], signature, Array("get".utf8), header, big])
        #expect(tooBig?.code == .validationFailed)
        #expect(tooBig?.field == "body")

        // Past the transport limit libzmq drops the message (and the peer): no answer, no harm.
        let huge = Array(repeating: UInt8(ascii: "x"), count: 300_000)
        let other = try suite.context.socket(.dealer, options: options, label: "huge")
        try await other.connect(suite.bookingdEndpoint)
        try await other.send([[], signature, Array("get".utf8), header, huge])
        await #expect(throws: ZMQSocketError.timeout) { try await other.receive(timeout: .milliseconds(500)) }
        await other.close()

        let bookingd = try await suite.client("bookingd")
        let ping: PingReply = try await bookingd.call(MessageType.ping, Empty())
        #expect(ping.daemon == "bookingd")
        await dealer.close()
    }

    @Test func bookctlExitCodesTellRefusalUsageAndUnreachableApart() async throws {
        let suite = try SuiteProcess()
        let down = try suite.bookctl(["slots"])
        #expect(down.status == 3, "\(down.stderr)")
        #expect(down.stderr.contains("availabilityd did not answer"))

        let usage = try suite.bookctl(["book", "--start", "tomorrow", "--name", "A", "--email", "a@example.com", "--phone", "+79161234567"])
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("'tomorrow' is not a time"))

        let missing = try suite.bookctl(["book", "--name", "A"])
        #expect(missing.status == 2)

        let badConfig = try SuiteProcess.run(SuiteProcess.binDirectory + "/bookctl", ["slots", "--config", "/nonexistent.yaml"])
        #expect(badConfig.status == 2)
        #expect(badConfig.stderr.contains("/nonexistent.yaml"))
        suite.tearDown()
    }

    @Test func aDaemonWithABadConfigurationSaysWhichKeyAndStops() throws {
        let directory = NSTemporaryDirectory() + "bk-config-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/booking.yaml"
        let cases = [
            ("calendar:\n  time_zone: Mars/Olympus\nconsultants: [{id: a, name: A}]\n", "calendar.time_zone"),
            ("calendar:\n  horizon_days: many\nconsultants: [{id: a, name: A}]\n", "calendar.horizon_days"),
            ("consultants: []\n", "consultants"),
            ("consultants: [{id: 'a b', name: A}]\n", "consultants.0.id"),
            ("consultants: [{id: a, name: A}]\n", "consultants.0.email"),
        ]
        for (yaml, key) in cases {
            try ("runtime_directory: run\nstate_directory: lib\nnotifications: {}\nweb: {}\n" + yaml.replacingOccurrences(
                of: "calendar:\n", with: "calendar:\n  production_calendar: \(SuiteProcess.repositoryRoot)/config/production-calendar.yaml\n"
            ) + (yaml.contains("calendar:") ? "" : "calendar:\n  production_calendar: \(SuiteProcess.repositoryRoot)/config/production-calendar.yaml\n"))
                .write(toFile: file, atomically: true, encoding: .utf8)
            // availabilityd reads the calendar and the consultants: it names the key and stops.
            let run = try SuiteProcess.run(SuiteProcess.binDirectory + "/availabilityd", ["--config", file])
            #expect(run.status == 78, "\(key): \(run.stderr)")
            #expect(run.stderr.contains(key), "\(key): \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)")
        }
    }
}

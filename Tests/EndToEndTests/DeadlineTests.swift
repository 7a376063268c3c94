import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A dependency that does not answer (availabilityd stopped with SIGSTOP): bookingd answers
/// every booking within its client's deadline, and none it refused is committed afterwards.
@Suite(.serialized) struct DeadlineTests {
    static func start(_ day: Int, _ slot: Int) -> Date {
        ISO8601.parseInstant(String(format: "2026-12-%02dT%02d:%02d:00+03:00", day, 10 + slot / 2, slot % 2 * 30))!
    }

    static func booking(_ n: Int, at start: Date) -> BookRequest {
        BookRequest(start: start, contact: ContactBody(name: "Client \(n)", email: "stop\(n)@example.com", phone: "+7916555\(String(format: "%04d", n))"))
    }

    @Test func withAvailabilitydStoppedEveryBookingIsRefusedInTimeAndNoneIsCommittedLater() async throws {
        let suite = try SuiteProcess()
        try await suite.start("bookingd")
        try await suite.start("availabilityd")
        defer {
            suite.signal("availabilityd", SIGCONT)
            suite.tearDown()
        }
        // Each attempt waits 4 s: bookingd must answer within it, though availabilityd never does.
        let client = try await suite.client("bookingd", timeout: .seconds(4), attempts: 1)
        let before: AppointmentBody = try await client.call(MessageType.book, Self.booking(0, at: Self.start(2, 0)), idempotencyKey: "stop-0")

        suite.signal("availabilityd", SIGSTOP)
        enum Outcome: Sendable { case booked(String), refused(ErrorCode, String), noAnswer(String) }
        let outcomes = await withTaskGroup(of: (Int, Outcome).self) { group in
            for n in 1...20 {
                group.addTask {
                    do {
                        let booked: AppointmentBody = try await client.call(
                            MessageType.book, Self.booking(n, at: Self.start(2 + n / 10, n % 10 + 1)), idempotencyKey: "stop-\(n)"
                        )
                        return (n, .booked(booked.reference))
                    } catch let error as ProtocolError {
                        return (n, .refused(error.code, error.message))
                    } catch {
                        return (n, .noAnswer("\(error)"))
                    }
                }
            }
            var outcomes: [Int: Outcome] = [:]
            for await (n, outcome) in group { outcomes[n] = outcome }
            return outcomes
        }
        for (n, outcome) in outcomes.sorted(by: { $0.key < $1.key }) {
            switch outcome {
            case .refused(.unavailable, let message):
                #expect(message.contains("availabilityd did not answer within"), "booking \(n): \(message)")
                #expect(message.contains(suite.availabilitydEndpoint), "booking \(n) names where it asked: \(message)")
            case .refused(.deadlineExceeded, _):
                break
            default:
                Issue.record("booking \(n) got \(outcome), not a refusal within its deadline")
            }
        }

        // What was committed in time is answered from its record, availabilityd or not.
        let retried: AppointmentBody = try await client.call(MessageType.book, Self.booking(0, at: Self.start(2, 0)), idempotencyKey: "stop-0")
        #expect(retried == before)

        // bookctl prints bookingd's refusal instead of saying bookingd did not answer.
        let run = try suite.bookctl(["book", "--start", "2026-12-04T10:00", "--name", "Admin Case", "--email", "admin-case@example.com", "--phone", "+79165550777"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("unavailable: availabilityd did not answer within"), "\(run.stderr)")
        #expect(!run.stderr.contains("bookingd did not answer"), "\(run.stderr)")

        suite.signal("availabilityd", SIGCONT)
        // Once availabilityd answers a new booking, what it was sent while stopped has been answered too.
        try await eventually(.seconds(60)) {
            let after: AppointmentBody? = try? await client.call(MessageType.book, Self.booking(99, at: Self.start(4, 3)), idempotencyKey: "after")
            return after != nil
        }
        let listed: ListReply = try await client.call(MessageType.list, ListRequest(limit: 100))
        let refused = Set((1...20).map { "stop\($0)@example.com" })
        let ghosts = listed.appointments.filter { refused.contains($0.contact.email) }
        #expect(ghosts.isEmpty, "committed after they were refused: \(ghosts.map { "\($0.reference) \($0.contact.email)" })")
        #expect(!listed.appointments.contains { $0.contact.email == "admin-case@example.com" })
        #expect(listed.appointments.count == 2)
    }
}

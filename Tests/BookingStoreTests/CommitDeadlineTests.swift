import BookingDomain
import BookingProtocol
@testable import BookingStore
import Deadlines
import FieldEncryption
import Foundation
import NIOConcurrencyHelpers
import Testing

/// A change is not committed after its request's deadline, read just before COMMIT on an
/// injected clock: alone, inside a group commit, and for an admin change.
@Suite struct CommitDeadlineTests {
    let temporary = TemporaryDirectory()
    let store: SQLiteBookingStore
    let now = Date(timeIntervalSince1970: 1_796_101_200)  // 2026-12-01T05:00:00Z
    let slot = try! DateTimeRange(start: Date(timeIntervalSince1970: 1_796_194_800), end: Date(timeIntervalSince1970: 1_796_196_600))
    /// The clock the deadlines are read on; a test moves it.
    let clock = ManualClock(Date(timeIntervalSince1970: 1_796_101_200))

    init() throws {
        store = try SQLiteBookingStore(path: temporary.path + "/bookingd.sqlite", masterKey: MasterKey(SecretKey.random()))
    }

    func context(key: String? = nil) -> CommandContext {
        CommandContext(command: "book", correlationId: UUID().uuidString, idempotencyKey: key, digest: "d", actor: .client, user: nil, now: now)
    }

    func booking(_ n: Int, candidates: [String] = ["anna"], daysLater: Int = 0) throws -> NewBooking {
        let start = slot.start.addingTimeInterval(Double(daysLater) * 86_400)
        return NewBooking(
            reference: .random(), slot: try DateTimeRange(start: start, end: start.addingTimeInterval(1800)), candidates: candidates,
            requestedConsultant: nil, horizonEnd: now.addingTimeInterval(400 * 86_400),
            contact: try ContactInfo.validated(name: "Client \(n)", email: "c\(n)@example.com", phone: "+7916123\(String(format: "%04d", n))"),
            timeZone: "Europe/Moscow", locale: "ru"
        )
    }

    /// Applies the change as a request handler would, with `deadline` as the request's.
    func apply(_ change: Change, key: String? = nil, deadline: Date) async throws -> ChangeResult {
        try await RequestDeadline.$current.withValue(arriving(deadline)) {
            try await store.apply(change, context: context(key: key))
        }
    }

    /// `deadline` as a request arriving now has it: counted down as `clock` moves on.
    func arriving(_ deadline: Date) -> RequestDeadline {
        let clock = self.clock
        let arrival = clock.now
        return RequestDeadline(deadline, arrival: arrival, monotonic: { .seconds(clock.now.timeIntervalSince(arrival)) })
    }

    func isDeadlinePassed(_ error: any Error) -> Bool {
        error is DeadlinePassed
    }

    @Test func aChangeAfterItsDeadlineIsRolledBackAndItsKeyStaysUnused() async throws {
        let deadline = clock.now.addingTimeInterval(2)
        clock.now = deadline.addingTimeInterval(0.001)
        do {
            _ = try await apply(.book(try booking(1)), key: "k-1", deadline: deadline)
            Issue.record("committed after its deadline")
        } catch {
            #expect(isDeadlinePassed(error), "\(error)")
        }
        #expect(try await store.appointments(from: nil, to: nil, status: nil, limit: 10).isEmpty)
        #expect(try await store.lastSequence() == 0, "no event either")
        #expect(try await store.storedAnswer(idempotencyKey: "k-1", command: "book", digest: "d") == nil)

        // The retry, in time, books; a later retry with the same key gets that first answer.
        let retry = clock.now.addingTimeInterval(2)
        let first = try await apply(.book(try booking(1)), key: "k-1", deadline: retry)
        #expect(!first.replayed)
        clock.now = retry.addingTimeInterval(60)
        let again = try await apply(.book(try booking(1)), key: "k-1", deadline: retry)
        #expect(again.replayed)
        #expect(again.reply == first.reply)
        #expect(try await store.lastSequence() == 1)
    }

    @Test func aGroupCommitCommitsOnlyTheMembersStillInTime() async throws {
        let late = clock.now.addingTimeInterval(1)
        let inTime = clock.now.addingTimeInterval(3600)
        clock.now = late.addingTimeInterval(1)
        // Many at once, so batches mix late and timely members.
        let outcomes = await withTaskGroup(of: (Int, Result<ChangeResult, any Error>).self) { group in
            for n in 0..<40 {
                group.addTask {
                    do {
                        return (n, .success(try await apply(.book(try booking(n, daysLater: n + 1)), deadline: n.isMultiple(of: 2) ? late : inTime)))
                    } catch {
                        return (n, .failure(error))
                    }
                }
            }
            var outcomes: [Int: Result<ChangeResult, any Error>] = [:]
            for await (n, outcome) in group { outcomes[n] = outcome }
            return outcomes
        }
        for (n, outcome) in outcomes {
            switch outcome {
            case .success where n.isMultiple(of: 2): Issue.record("booking \(n) was committed after its deadline")
            case .failure(let error) where !n.isMultiple(of: 2): Issue.record("booking \(n), in time, failed: \(error)")
            case .failure(let error): #expect(isDeadlinePassed(error), "booking \(n): \(error)")
            case .success: break
            }
        }
        let stored = try await store.appointments(from: nil, to: nil, status: nil, limit: 100)
        #expect(stored.count == 20)
        #expect(Set(stored.map(\.contactInfo.name)) == Set((0..<40).filter { !$0.isMultiple(of: 2) }.map { "Client \($0)" }))
        let (events, last) = try await store.events(after: 0, limit: 100)
        #expect(last == 20)
        #expect(events.map(\.sequence) == Array(1...20), "sequences stay gap-free")
    }

    @Test func aLateMemberNeverTakesASlotFromATimelyOne() async throws {
        let late = clock.now.addingTimeInterval(1)
        let inTime = clock.now.addingTimeInterval(3600)
        clock.now = late.addingTimeInterval(1)
        // One consultant, one slot: ten late requests race one in time. Were a late member's
        // savepoint kept until the batch's end, the timely one would be refused the slot.
        let timely = await withTaskGroup(of: Result<ChangeResult, any Error>?.self) { group in
            for n in 0..<10 {
                group.addTask {
                    _ = try? await apply(.book(try booking(n)), deadline: late)
                    return nil
                }
            }
            group.addTask {
                do { return .success(try await apply(.book(try booking(99)), deadline: inTime)) } catch { return .failure(error) }
            }
            var timely: Result<ChangeResult, any Error>?
            for await outcome in group where outcome != nil { timely = outcome }
            return timely
        }
        let booked = try #require(try timely?.get())
        #expect(booked.appointment.contact.name == "Client 99")
        #expect(try await store.appointments(from: nil, to: nil, status: nil, limit: 100).count == 1)
    }

    @Test func anAdminChangeAfterItsDeadlineIsRolledBack() async throws {
        let deadline = clock.now.addingTimeInterval(1)
        clock.now = deadline.addingTimeInterval(1)
        await #expect(throws: DeadlinePassed(deadline: deadline)) {
            try await RequestDeadline.$current.withValue(arriving(deadline)) {
                try await store.setPause("maintenance", user: "alice", correlationId: "c-1", at: now)
            }
        }
        #expect(try await store.pauseReason() == nil)
    }
}

/// A clock a test sets by hand.
final class ManualClock: Sendable {
    private let instant: NIOLockedValueBox<Date>

    init(_ start: Date) {
        instant = NIOLockedValueBox(start)
    }

    var now: Date {
        get { instant.withLockedValue { $0 } }
        set { instant.withLockedValue { $0 = newValue } }
    }
}

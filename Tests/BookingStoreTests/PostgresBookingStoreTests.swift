import BookingDomain
import BookingProtocol
@testable import BookingStore
import FieldEncryption
import Foundation
import PostgresStorage
import PostgresTesting
import SharedTables
import StoreSQL
import Testing

/// What only PostgreSQL's store has to show: the exclusion constraint, and several instances
/// (pools) writing to one database at once.
@Suite struct PostgresBookingStoreTests: StoreScenario {
    func range(minutesAfterSlot start: Double, length: Double) throws -> DateTimeRange {
        let from = slot.start.addingTimeInterval(start * 60)
        return try DateTimeRange(start: from, end: from.addingTimeInterval(length * 60))
    }

    @Test func overlappingAppointmentsOfOneConsultantAreRefusedWhateverTheirStartsAndLengths() async throws {
        let tests = try await StoreFixture(.postgresql)
        let store = tests.store
        // Anna from 0 to 60 minutes; a 30-minute slot from 30 overlaps it, one from 60 does not.
        _ = try await store.apply(.book(try booking(1, slot: try range(minutesAfterSlot: 0, length: 60), consultant: "anna")), context: context())
        await #expect(throws: BookingRefusal.slotTaken) {
            try await store.apply(.book(try booking(2, slot: try range(minutesAfterSlot: 30, length: 30), consultant: "anna")), context: context())
        }
        await #expect(throws: BookingRefusal.slotTaken) {
            try await store.apply(.book(try booking(3, slot: try range(minutesAfterSlot: -15, length: 120), consultant: "anna")), context: context())
        }
        _ = try await store.apply(.book(try booking(4, slot: try range(minutesAfterSlot: 60, length: 30), consultant: "anna")), context: context())
        _ = try await store.apply(.book(try booking(5, slot: try range(minutesAfterSlot: 30, length: 30), consultant: "boris")), context: context())
        // A move into an overlap is refused as well; a cancelled appointment holds nothing.
        let later = try await store.apply(.book(try booking(6, slot: try range(minutesAfterSlot: 120, length: 30), consultant: "anna")), context: context())
        let reference = try BookingReference(parsing: later.appointment.reference)
        await #expect(throws: BookingRefusal.slotTaken) {
            try await store.apply(.reschedule(Move(reference: reference, slot: try range(minutesAfterSlot: 75, length: 30), candidates: ["anna"],
                                                   requestedConsultant: "anna", horizonEnd: horizon, reason: nil)), context: context("reschedule"))
        }
        _ = try await store.apply(.cancel(reference: reference, reason: nil), context: context("cancel"))
        _ = try await store.apply(.book(try booking(7, slot: try range(minutesAfterSlot: 120, length: 45), consultant: "anna")), context: context())
        #expect(try await store.appointments(from: nil, to: nil, status: .confirmed, limit: 10).count == 4)
        withExtendedLifetime(tests) {}
    }

    @Test func theContactLimitHoldsAcrossTwoInstances() async throws {
        let tests = try await StoreFixture(.postgresql)
        let instances = [tests.store, try await tests.secondInstance()]
        let outcomes = await withTaskGroup(of: Result<ChangeResult, any Error>.self) { group in
            for n in 0..<20 {
                group.addTask {
                    var booking = try! booking(n, candidates: ["anna"], slot: try! range(minutesAfterSlot: Double(n) * 30, length: 30))
                    booking.contact = try! ContactInfo.validated(name: "Client", email: "race@example.com", phone: "+7916555\(String(format: "%04d", n))")
                    booking.contactLimit = 2
                    do {
                        return .success(try await instances[n % 2].apply(.book(booking), context: context()))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var outcomes: [Result<ChangeResult, any Error>] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let refusals = outcomes.compactMap { outcome -> String? in
            guard case let .failure(error) = outcome else { return nil }
            return "\(error)"
        }
        #expect(outcomes.count - refusals.count == 2)
        #expect(Set(refusals) == ["\(BookingRefusal.contactLimitReached(limit: 2, field: .email))"])
        withExtendedLifetime(tests) {}
    }

    /// Both instances booking one slot at once, with consultants free for all: each booking
    /// gets a consultant of its own, none is told the slot was taken (the day's bookings take
    /// turns, so each choice sees the one before).
    @Test func bookingsOfOneSlotRacingOnTwoInstancesEachGetAFreeConsultant() async throws {
        let tests = try await StoreFixture(.postgresql)
        let instances = [tests.store, try await tests.secondInstance()]
        let candidates = ["anna", "boris", "vera", "gleb"]
        for round in 0..<5 {
            let slot = try range(minutesAfterSlot: Double(round) * 60, length: 30)
            let booked = try await withThrowingTaskGroup(of: ChangeResult.self) { group in
                for n in 0..<candidates.count {
                    group.addTask {
                        try await instances[n % 2].apply(.book(try booking(round * 10 + n, candidates: candidates, slot: slot)), context: context())
                    }
                }
                var booked: [ChangeResult] = []
                for try await result in group { booked.append(result) }
                return booked
            }
            #expect(Set(booked.map(\.appointment.consultantId)) == Set(candidates), "round \(round)")
        }
        withExtendedLifetime(tests) {}
    }

    @Test func aRetryThroughAnotherInstanceGetsTheFirstAnswerEvenWhenBothRace() async throws {
        let tests = try await StoreFixture(.postgresql)
        let second = try await tests.secondInstance()
        let first = try await tests.store.apply(.book(try booking(1)), context: context(key: "k1"))
        let retried = try await second.apply(.book(try booking(1)), context: context(key: "k1"))
        #expect(retried.replayed)
        #expect(retried.appointment == first.appointment)
        // The same request on both at once, several times: one booking each time, one answer.
        for round in 0..<5 {
            let request = try booking(10 + round, slot: try range(minutesAfterSlot: Double(round + 2) * 60, length: 30))
            async let one = tests.store.apply(.book(request), context: context(key: "race-\(round)"))
            async let other = second.apply(.book(request), context: context(key: "race-\(round)"))
            let (a, b) = try await (one, other)
            #expect(a.appointment == b.appointment)
            #expect(a.replayed != b.replayed)
        }
        #expect(try await second.appointments(from: nil, to: nil, status: nil, limit: 100).count == 6)
        #expect(try await tests.store.events(after: 0, limit: 100).lastSequence == 6)
        withExtendedLifetime(tests) {}
    }

    /// A master key rotation run on one instance while another serves: the other reads the
    /// keys re-wrapped already, and makes its new clients' keys under the new key, also after
    /// the rotation is finished, so the new key alone reads everything either instance wrote.
    @Test func aRotationOnOneInstanceIsFollowedByTheOther() async throws {
        let tests = try await StoreFixture(.postgresql)
        let second = try await tests.secondInstance()
        _ = try await tests.store.apply(.book(try booking(1)), context: context())
        _ = try await second.apply(.book(try booking(2, slot: try range(minutesAfterSlot: 60, length: 30))), context: context())
        let next = MasterKey(SecretKey.random())
        #expect(try await tests.store.rotateMasterKey(to: next, limit: 1).remaining == 1)
        // One client's key is under the new master key now.
        #expect(try await second.appointments(from: nil, to: nil, status: nil, limit: 10).map(\.contactInfo.email).sorted() == ["c1@example.com", "c2@example.com"])
        #expect(try await tests.store.rotateMasterKey(to: next, limit: 10).rewrappedAll)
        #expect(try await tests.store.finishMasterKeyRotation(to: next.fingerprint) == tests.master.fingerprint)
        _ = try await second.apply(.book(try booking(3, slot: try range(minutesAfterSlot: 120, length: 30))), context: context())

        let settings = try #require(tests.postgres)
        let reopened = try await PostgresBookingStore(pool: PostgresPool(settings: settings), masterKey: next)
        let emails = try await reopened.appointments(from: nil, to: nil, status: nil, limit: 10).map(\.contactInfo.email)
        #expect(emails.sorted() == ["c1@example.com", "c2@example.com", "c3@example.com"])
        await reopened.close()
        withExtendedLifetime(tests) {}
    }

    @Test func twoInstancesStartingTogetherMigrateOnceAndShareOneKeyring() async throws {
        let settings = try await PostgresTestServer.shared.makeDatabase().schema("bookingd")
        let master = MasterKey(SecretKey.random())
        async let one = PostgresBookingStore(pool: PostgresPool(settings: settings), masterKey: master)
        async let other = PostgresBookingStore(pool: PostgresPool(settings: settings), masterKey: master)
        let (a, b) = try await (one, other)
        let booked = try await a.apply(.book(try booking(1)), context: context())
        let read = try await b.appointment(reference: try BookingReference(parsing: booked.appointment.reference))
        #expect(read?.contactInfo.email == "c1@example.com", "both instances have the one keyring")
        let migrations = try await a.pool.transaction { try $0.rows("SELECT store, version FROM schema_migrations", []) }
        #expect(migrations.map { [$0["store"], $0["version"]] } == [[.text("bookingd"), .integer(1)]])
        await #expect(throws: KeyMismatch.self) {
            try await PostgresBookingStore(pool: PostgresPool(settings: settings), masterKey: MasterKey(SecretKey.random()))
        }
    }

    @Test func aTransactionRefusedEveryTimeEndsAsACommitFailure() async throws {
        let tests = try await StoreFixture(.postgresql)
        let database = try #require(tests.postgres)
        // A lock not granted in 50 ms is refused as retryable (55P03), on every connection made from now.
        try await PostgresPool(settings: database, connections: 1).withoutTransaction {
            try $0.execute("ALTER DATABASE \(database.database) SET lock_timeout = '50ms'", [])
        }
        let instance = try await tests.secondInstance(retryPolicy: .init(attempts: 3, firstPause: .milliseconds(1)))
        // Another instance holds the event counter while the booking is tried.
        let holder = PostgresPool(settings: database, connections: 1)
        let locked = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let holding = Task {
            try await holder.transaction { transaction in
                try transaction.execute("SELECT last FROM event_counter WHERE id = 1 FOR UPDATE", [])
                locked.signal()
                release.wait()
            }
        }
        await withCheckedContinuation { continuation in DispatchQueue.global().async { locked.wait(); continuation.resume() } }
        let error = await #expect(throws: StoreError.self) {
            try await instance.apply(.book(try booking(1)), context: context())
        }
        release.signal()
        try await holding.value
        guard case let .commitFailed(problem) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(problem.contains("3 times"), "\(problem)")
        #expect(try await instance.appointments(from: nil, to: nil, status: nil, limit: 10).isEmpty, "nothing of it was kept")
        withExtendedLifetime(tests) {}
    }

    @Test func theEpochIsTheDatabasesIdentity() async throws {
        let tests = try await StoreFixture(.postgresql)
        let other = try await StoreFixture(.postgresql)
        let epoch = try await #require(tests.store as? PostgresBookingStore).epoch()
        #expect(epoch.split(separator: "-").count == 3, "\(epoch)")
        #expect(try await tests.secondInstance().epoch() == epoch, "every instance on one database gives the same")
        #expect(try await #require(other.store as? PostgresBookingStore).epoch() != epoch, "another database gives another")
    }

    @Test func eachConnectionUsesTheDaemonsSchemaAndAStatementTimeout() async throws {
        let tests = try await StoreFixture(.postgresql)
        let instance = try await tests.secondInstance()
        let row = try await instance.pool.transaction { try $0.row("SELECT current_schema() AS schema, current_setting('statement_timeout') AS timeout", []) }
        #expect(row?["schema"] == .text("bookingd"))
        #expect(row?["timeout"] == .text("30s"))
    }
}

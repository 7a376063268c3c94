@testable import AvailabilityService
import AvailabilityStore
import BookingDomain
import CivilTime
import DaemonKit
import Foundation
import PostgresStorage
import PostgresTesting
import Synchronization
import SuiteCalendar
import SuiteTesting
import Testing

/// How a replica notices another's changes (`ReplicaChanges`): two stores on one database (and,
/// on SQLite, two handles on one file), each with the view a replica serves from.
@Suite struct ReplicaChangesTests {
    enum Engine: String, CaseIterable, Sendable { case sqlite, postgresql }

    static let now = ISO8601.parseInstant("2026-12-01T08:00:00+03:00")!
    static let day = LocalDate("2026-12-03")!

    /// One replica: its store, the view it serves and its check.
    struct Replica {
        let store: any CalendarStore
        let view: AvailabilityView
        let changes: ReplicaChanges
        let reloads: Counter

        init(_ store: any CalendarStore, calendar: CalendarSettings) async throws {
            self.store = store
            let view = AvailabilityView(policy: calendar.policy, production: calendar.productionCalendar, served: try await store.served(now: ReplicaChangesTests.now))
            let reloads = Counter()
            self.view = view
            self.reloads = reloads
            changes = ReplicaChanges(store: store, view: view) {
                reloads.add()
                let served = try await store.served(now: ReplicaChangesTests.now)
                let current = view.current
                view.reconfigure(policy: current.policy, production: current.calendar.production, served: served)
            }
        }

        var blocksTheDay: Bool { view.current.calendar.day(ReplicaChangesTests.day).kind == .blocked }
    }

    final class Counter: Sendable {
        private let count = Mutex(0)
        func add() { count.withLock { $0 += 1 } }
        var value: Int { count.withLock { $0 } }
    }

    static func calendar() throws -> CalendarSettings {
        let text = SuiteFiles.configuration(consultants: ["anna"], clockStart: "2026-12-01T07:58:00+03:00", minimumNoticeMinutes: 120, logLevel: "warning",
                                            notifications: SuiteFiles.developmentNotifications, extra: "\nweb: {}\n")
        return try CalendarSettings.load(try SuiteConfiguration.parse(text, file: NSTemporaryDirectory() + "booking.yaml"))
    }

    static func stores(_ engine: Engine) async throws -> (any CalendarStore, any CalendarStore) {
        switch engine {
        case .sqlite:
            let path = NSTemporaryDirectory() + "replica-changes-\(UUID().uuidString)/availabilityd.sqlite"
            return (try SQLiteCalendarStore(path: path), try SQLiteCalendarStore(path: path))
        case .postgresql:
            let settings = try await PostgresTestServer.shared.makeDatabase().schema("availabilityd")
            return (try await PostgresCalendarStore(settings: settings), try await PostgresCalendarStore(settings: settings))
        }
    }

    @Test(arguments: Engine.allCases)
    func aReplicaReloadsOnceWhenAnotherChangedTheStore(engine: Engine) async throws {
        let calendar = try Self.calendar()
        let (first, second) = try await Self.stores(engine)
        let one = try await Replica(first, calendar: calendar), other = try await Replica(second, calendar: calendar)
        #expect(try await !other.changes.check(), "nothing changed yet")
        #expect(!other.blocksTheDay)

        try await one.store.block(BlockedPeriod(from: Self.day, through: Self.day, reason: "works"), user: "ops", at: Self.now)
        let before = other.view.current.version
        #expect(try await other.changes.check())
        #expect(other.blocksTheDay)
        #expect(other.view.current.version != before, "the reply cache's key moved on")
        #expect(try await !other.changes.check(), "once per change")
        #expect(other.reloads.value == 1)

        try await one.store.addConsultant(Consultant(id: "vera", name: "Vera"))
        try await one.store.replaceBusy(consultantId: "vera", source: "caldav", with: [], now: Self.now)
        #expect(try await other.changes.check())
        #expect(other.view.consultants.map(\.id) == ["vera"], "two changes, one reload")
        #expect(other.reloads.value == 2)
    }

    /// A replica's own change reloads its view at once: the check then finds nothing to do.
    @Test(arguments: Engine.allCases)
    func aReplicasOwnChangeLeavesItsCheckNothingToDo(engine: Engine) async throws {
        let calendar = try Self.calendar()
        let (first, _) = try await Self.stores(engine)
        let one = try await Replica(first, calendar: calendar)
        try await one.store.block(BlockedPeriod(from: Self.day, through: Self.day, reason: "works"), user: "ops", at: Self.now)
        let served = try await one.store.served(now: Self.now)
        let current = one.view.current
        one.view.reconfigure(policy: current.policy, production: current.calendar.production, served: served)
        #expect(one.blocksTheDay)
        #expect(try await !one.changes.check())
        #expect(one.reloads.value == 0)
    }

    /// Two reloads that crossed: the older load does not replace the newer one.
    @Test func anOlderLoadDoesNotReplaceANewerOne() async throws {
        let calendar = try Self.calendar()
        let (first, _) = try await Self.stores(.sqlite)
        let one = try await Replica(first, calendar: calendar)
        let older = try await first.served(now: Self.now)
        try await first.block(BlockedPeriod(from: Self.day, through: Self.day, reason: "works"), user: "ops", at: Self.now)
        let newer = try await first.served(now: Self.now)
        #expect(one.view.reconfigure(policy: calendar.policy, production: calendar.productionCalendar, served: newer))
        #expect(!one.view.reconfigure(policy: calendar.policy, production: calendar.productionCalendar, served: older))
        #expect(one.blocksTheDay)
        #expect(one.view.current.storeVersion == newer.version)
    }
}

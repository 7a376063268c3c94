import BookingDomain
import CivilTime
import Foundation
import SharedTables
import StoreSQL

/// A consultant id already taken by an active consultant.
public struct ConsultantExists: Error, Sendable, Hashable, CustomStringConvertible {
    public var id: String

    public init(id: String) {
        self.id = id
    }

    public var description: String { "a consultant with the id '\(id)' exists already" }
}

/// Everything availabilityd serves from its store, read in one transaction, with the change
/// version it is as of.
public struct ServedCalendar: Sendable {
    public var version: Int64
    public var consultants: [Consultant]
    public var blocked: [BlockedPeriod]
    public var timeOff: [TimeOff]
    public var busy: [BusyInterval]

    public init(version: Int64, consultants: [Consultant], blocked: [BlockedPeriod], timeOff: [TimeOff], busy: [BusyInterval]) {
        self.version = version
        self.consultants = consultants
        self.blocked = blocked
        self.timeOff = timeOff
        self.busy = busy
    }
}

/// availabilityd's store, on either engine: the days an admin blocked, the consultants, their
/// time off, the busy time imported from their calendars, and the audit trail. Every change of
/// what availabilityd serves moves the store's change version (`changeVersion`), so replicas
/// on one database see each other's changes.
public protocol CalendarStore: Sendable {
    func recordAudit(command: String, user: String, outcome: String, correlationId: String, at: Date) async throws

    /// Counts the changes of what the replicas serve; moves in the same transaction as each.
    func changeVersion() async throws -> Int64
    /// The active consultants, blocked days, time off and busy time still to come at `now`, as
    /// of one change version.
    func served(now: Date) async throws -> ServedCalendar

    // Consultants
    /// Fills the consultants table from the configuration if it has never been filled.
    func seedConsultants(_ consultants: [Consultant]) async throws -> Bool
    /// The consultants on offer, in their configured order (`active: false`: those taken out of it).
    func consultants(active: Bool) async throws -> [Consultant]
    /// Adds a consultant, or brings back a removed one with the new details; `ConsultantExists`
    /// when an active one has the id.
    func addConsultant(_ consultant: Consultant) async throws
    /// Writes an active consultant's name, email, zone and locale.
    func updateConsultant(_ consultant: Consultant) async throws
    /// Removes a consultant from the offer (kept, inactive, so past bookings still name them).
    func setConsultant(_ id: String, active: Bool) async throws

    // Time off
    func addTimeOff(_ timeOff: TimeOff) async throws -> Int64
    func removeTimeOff(id: Int64) async throws -> Bool
    /// Time off with its ids, for listing.
    func timeOffEntries() async throws -> [(id: Int64, timeOff: TimeOff)]

    // Busy time
    /// Replaces everything `source` gave for the consultant; intervals that ended before `now`
    /// are not kept, since they can take no slot.
    func replaceBusy(consultantId: String, source: String, with intervals: [BusyInterval], now: Date) async throws
    /// Busy time still to come (or under way) at `now`, in time order.
    func busy(now: Date) async throws -> [BusyInterval]

    // Blocked days
    func blockedPeriods() async throws -> [BlockedPeriod]
    @discardableResult
    func block(_ period: BlockedPeriod, user: String?, at now: Date) async throws -> Int64
    func removeBlock(id: Int64) async throws
    /// Removes every blocked period that lies within `from...through`, and trims those that
    /// overlap it, so the days in the range end up unblocked; returns the days unblocked.
    func unblock(from: LocalDate, through: LocalDate, at now: Date) async throws -> [BlockedPeriod]
}

extension CalendarStore {
    public func consultants() async throws -> [Consultant] {
        try await consultants(active: true)
    }
}

/// What every engine's store does the same way: a read or a write transaction of the one logic
/// (`CalendarTransaction`). An engine's shell says how it opens them and does itself only what
/// differs (the file and its backups; the pool and its schema).
public protocol CalendarStoreShell: CalendarStore {
    associatedtype Transaction: SQLTransaction

    func read<Value: Sendable>(_ body: @escaping @Sendable (CalendarTransaction<Transaction>) throws -> Value) async throws -> Value
    /// A write transaction, rolled back if the request's deadline passed meanwhile (`beforeDeadline`).
    func write<Value: Sendable>(beforeDeadline: Bool, _ body: @escaping @Sendable (CalendarTransaction<Transaction>) throws -> Value) async throws -> Value
}

extension CalendarStoreShell {
    public func recordAudit(command: String, user: String, outcome: String, correlationId: String, at: Date) async throws {
        try await write(beforeDeadline: false) {
            try AuditTrail.record(AuditEntry(command: command, user: user, outcome: outcome, correlationId: correlationId, at: at), in: $0.transaction)
        }
    }

    public func changeVersion() async throws -> Int64 {
        try await read { try $0.changeVersion() }
    }

    public func served(now: Date) async throws -> ServedCalendar {
        try await read { store in
            ServedCalendar(version: try store.changeVersion(), consultants: try store.consultants(active: true), blocked: try store.blockedPeriods(),
                           timeOff: try store.timeOffEntries().map(\.timeOff), busy: try store.busy(now: now))
        }
    }

    public func seedConsultants(_ consultants: [Consultant]) async throws -> Bool {
        try await write(beforeDeadline: false) { try $0.seedConsultants(consultants) }
    }

    public func consultants(active: Bool) async throws -> [Consultant] {
        try await read { try $0.consultants(active: active) }
    }

    public func addConsultant(_ consultant: Consultant) async throws {
        try await write(beforeDeadline: true) { try $0.addConsultant(consultant) }
    }

    public func updateConsultant(_ consultant: Consultant) async throws {
        try await write(beforeDeadline: true) { try $0.updateConsultant(consultant) }
    }

    public func setConsultant(_ id: String, active: Bool) async throws {
        try await write(beforeDeadline: true) { try $0.setConsultant(id, active: active) }
    }

    public func addTimeOff(_ timeOff: TimeOff) async throws -> Int64 {
        try await write(beforeDeadline: true) { try $0.addTimeOff(timeOff) }
    }

    public func removeTimeOff(id: Int64) async throws -> Bool {
        try await write(beforeDeadline: true) { try $0.removeTimeOff(id: id) }
    }

    public func timeOffEntries() async throws -> [(id: Int64, timeOff: TimeOff)] {
        try await read { try $0.timeOffEntries() }
    }

    public func replaceBusy(consultantId: String, source: String, with intervals: [BusyInterval], now: Date) async throws {
        try await write(beforeDeadline: true) { try $0.replaceBusy(consultantId: consultantId, source: source, with: intervals, now: now) }
    }

    public func busy(now: Date) async throws -> [BusyInterval] {
        try await read { try $0.busy(now: now) }
    }

    public func blockedPeriods() async throws -> [BlockedPeriod] {
        try await read { try $0.blockedPeriods() }
    }

    @discardableResult
    public func block(_ period: BlockedPeriod, user: String?, at now: Date) async throws -> Int64 {
        try await write(beforeDeadline: true) { try $0.block(period, user: user, at: now) }
    }

    public func removeBlock(id: Int64) async throws {
        try await write(beforeDeadline: true) { try $0.removeBlock(id: id) }
    }

    public func unblock(from: LocalDate, through: LocalDate, at now: Date) async throws -> [BlockedPeriod] {
        try await write(beforeDeadline: true) { try $0.unblock(from: from, through: through, at: now) }
    }
}

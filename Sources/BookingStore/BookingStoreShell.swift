import BookingAnalytics
import BookingDomain
import BookingProtocol
import CivilTime
import Foundation
import SharedTables
import StoreSQL

/// What every engine's store does the same way: a read or a write transaction of the one logic
/// (`BookingTransaction`). An engine's shell says how it opens them (`read`, `write`) and does
/// itself only what differs: applying a change (SQLite's group commit), erasure's aftermath, the
/// master key, backups.
public protocol BookingStoreShell: BookingStore {
    associatedtype Transaction: SQLTransaction

    /// A read transaction of the store's logic.
    func read<Value: Sendable>(_ body: @escaping @Sendable (BookingTransaction<Transaction>) throws -> Value) async throws -> Value
    /// A write transaction of the store's logic, rolled back if the request's deadline passed
    /// meanwhile (`beforeDeadline`).
    func write<Value: Sendable>(beforeDeadline: Bool, _ body: @escaping @Sendable (BookingTransaction<Transaction>) throws -> Value) async throws -> Value
}

extension BookingStoreShell {
    public func storedAnswer(idempotencyKey: String, command: String, digest: String) async throws -> ChangeResult? {
        try await read { try $0.storedAnswer(idempotencyKey: idempotencyKey, command: command, digest: digest) }
    }

    public func appointment(reference: BookingReference) async throws -> Appointment? {
        try await read { try $0.appointment(reference: reference) }
    }

    public func history(reference: BookingReference) async throws -> [HistoryEntryBody]? {
        try await read { try $0.history(reference: reference) }
    }

    public func personalData(reference: BookingReference, eventId: String?) async throws -> PersonalData? {
        try await read { try $0.personalData(reference: reference, eventId: eventId) }
    }

    public func appointments(from: Date?, to: Date?, status: AppointmentStatus?, limit: Int, email: String?, phone: String?,
                             after: BookingReference?) async throws -> [Appointment] {
        try await read { try $0.appointments(from: from, to: to, status: status, limit: limit, email: email, phone: phone, after: after) }
    }

    public func events(after sequence: UInt64, limit: Int) async throws -> (events: [EventBody], lastSequence: UInt64) {
        try await read { try $0.events(after: sequence, limit: limit) }
    }

    public func lastSequence() async throws -> UInt64 {
        try await read { try EventLog.lastSequence($0.transaction) }
    }

    public func outbox(after sequence: UInt64, limit: Int) async throws -> [OutboxEvent] {
        try await read { try $0.outbox(after: sequence, limit: limit) }
    }

    public func snapshot(from: Date, to: Date) async throws -> (sequence: UInt64, booked: [BookedSlotBody]) {
        try await read { try $0.snapshot(from: from, to: to) }
    }

    public func publishedThrough() async throws -> UInt64 {
        try await read { try $0.publishedThrough() }
    }

    public func setPublishedThrough(_ sequence: UInt64) async throws {
        try await write(beforeDeadline: false) { try $0.setPublishedThrough(sequence) }
    }

    public func recordAudit(command: String, user: String, outcome: String, correlationId: String, at: Date) async throws {
        try await write(beforeDeadline: false) {
            try $0.recordAudit(AuditEntry(command: command, user: user, outcome: outcome, correlationId: correlationId, at: at))
        }
    }

    public func expiredHolds(at now: Date, limit: Int) async throws -> [BookingReference] {
        try await read { try $0.expiredHolds(at: now, limit: limit) }
    }

    public func isKnownContact(email: String) async throws -> Bool {
        try await read { try $0.isKnownContact(email: email) }
    }

    public func pauseReason() async throws -> String? {
        try await read { try $0.pauseReason() }
    }

    public func setPause(_ reason: String?, user: String?, correlationId: String, at: Date) async throws {
        try await write(beforeDeadline: true) { try $0.setPause(reason, user: user, correlationId: correlationId, at: at) }
    }

    public func pruneIdempotencyRecords(olderThan cutoff: Date) async throws -> Int {
        try await write(beforeDeadline: false) { try $0.pruneIdempotencyRecords(olderThan: cutoff) }
    }

    public func recordVisitStep(visit: String, step: VisitStep, reference: String?, at now: Date) async throws {
        try await write(beforeDeadline: true) { try Visits.record($0.transaction, visit: visit, step: step, reference: reference, at: now) }
    }

    public func reportFacts(from: LocalDate, to: LocalDate, zone: TimeZone, consultantId: String?, now: Date,
                            unmarkedAfter: TimeInterval) async throws -> ReportFacts {
        try await read { try $0.reportFacts(from: from, to: to, zone: zone, consultantId: consultantId, now: now, unmarkedAfter: unmarkedAfter) }
    }

    public func feedState(scope: String) async throws -> FeedState {
        try await read { try Feeds.state($0.transaction, scope: scope) }
    }

    public func rotateFeed(scope: String, at now: Date) async throws -> FeedState {
        try await write(beforeDeadline: true) { try Feeds.rotate($0.transaction, scope: scope, at: now) }
    }

    public func revokeFeed(scope: String, at now: Date) async throws -> FeedState {
        try await write(beforeDeadline: true) { try Feeds.revoke($0.transaction, scope: scope, at: now) }
    }

    public func feedAppointments(consultantId: String?, from: Date, after: String?, limit: Int) async throws -> [Appointment] {
        try await read { try $0.feedAppointments(consultantId: consultantId, from: from, after: after, limit: limit) }
    }

    public func clientIds(of subject: DataSubject) async throws -> [UUID] {
        try await read { try $0.clientIds(of: subject) }
    }

    public func activeAppointments(ofClients clientIds: [UUID], after now: Date) async throws -> [BookingReference] {
        try await read { try $0.activeAppointments(ofClients: clientIds, after: now) }
    }

    public func export(clients clientIds: [UUID]) async throws -> PersonalDataExport {
        try await read { try $0.export(clients: clientIds) }
    }
}

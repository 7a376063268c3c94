import Foundation

/// What a fault drill recorded of one request it sent, as its client saw it. Times are on one
/// clock (the suite's clock, which the daemons stamp their records with).
public struct RecordedRequest: Sendable, Equatable {
    public enum Operation: Sendable, Equatable {
        /// A booking for `contact` (unique to this booking in a drill) at `start`.
        case book(contact: String, start: Date)
        case reschedule(reference: String, start: Date)
        case cancel(reference: String)
    }

    public enum Outcome: Sendable, Equatable {
        /// The daemon answered that it did it; `start` is where the appointment is now.
        case ok(reference: String, start: Date)
        /// A definite error answer: nothing was done.
        case refused(code: String)
        /// No answer before the client gave up: done or not, either may be true.
        case noAnswer
    }

    public var client: String
    public var operation: Operation
    public var idempotencyKey: String
    /// The header's deadline: nothing the request changes may be committed after it.
    public var deadline: Date
    public var invokedAt: Date
    public var outcome: Outcome
    /// When the answer came, or when the client gave up.
    public var answeredAt: Date

    public init(client: String, operation: Operation, idempotencyKey: String, deadline: Date, invokedAt: Date, outcome: Outcome, answeredAt: Date) {
        self.client = client
        self.operation = operation
        self.idempotencyKey = idempotencyKey
        self.deadline = deadline
        self.invokedAt = invokedAt
        self.outcome = outcome
        self.answeredAt = answeredAt
    }

    var reference: String? {
        switch operation {
        case .book: if case .ok(let reference, _) = outcome { return reference } else { return nil }
        case .reschedule(let reference, _), .cancel(let reference): return reference
        }
    }
}

/// An appointment as the store holds it after the drill, with the times its changes were committed.
public struct StoredAppointment: Sendable, Equatable {
    public struct Change: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case created
            case rescheduled(to: Date)
            case cancelled
            /// Any other change (a reminder marked, a completion): not a client's request.
            case other(String)
        }

        public var kind: Kind
        public var committedAt: Date

        public init(kind: Kind, committedAt: Date) {
            self.kind = kind
            self.committedAt = committedAt
        }
    }

    public var reference: String
    public var contact: String
    public var consultantId: String
    public var start: Date
    public var end: Date
    /// Whether it holds its slot (confirmed or scheduled), as opposed to cancelled or over.
    public var active: Bool
    public var changes: [Change]

    public init(reference: String, contact: String, consultantId: String, start: Date, end: Date, active: Bool, changes: [Change]) {
        self.reference = reference
        self.contact = contact
        self.consultantId = consultantId
        self.start = start
        self.end = end
        self.active = active
        self.changes = changes
    }
}

/// One broken promise, naming the slot and the requests concerned.
public struct HistoryViolation: Sendable, Equatable, CustomStringConvertible {
    public enum Promise: String, Sendable {
        case noDoubleBooking = "double booking"
        case noLostAcknowledgement = "lost acknowledged change"
        case noCommitAfterDeadline = "committed after the client's deadline"
        case noRefusedChangeDone = "refused change done"
    }

    public var promise: Promise
    public var detail: String
    public var description: String { "\(promise.rawValue): \(detail)" }
}

/// Checks a drill's recorded requests against the store's final state, over every slot.
public struct HistoryChecker: Sendable {
    /// How late a commit may be stamped and still count as in time: the stamp is taken inside the
    /// transaction, stored to the millisecond, and compared with a deadline the client computed
    /// a moment before its header's.
    public var tolerance: TimeInterval
    /// Whether deadlines are checked: not when the drill moves a daemon's clock.
    public var checksDeadlines: Bool

    public init(tolerance: TimeInterval = 0.05, checksDeadlines: Bool = true) {
        self.tolerance = tolerance
        self.checksDeadlines = checksDeadlines
    }

    public func violations(requests: [RecordedRequest], final appointments: [StoredAppointment]) -> [HistoryViolation] {
        doubleBookings(appointments)
            + lostAcknowledgements(requests, appointments)
            + lateCommits(requests, appointments)
            + refusedChangesDone(requests, appointments)
    }

    private func doubleBookings(_ appointments: [StoredAppointment]) -> [HistoryViolation] {
        var found: [HistoryViolation] = []
        let active = appointments.filter(\.active).sorted { ($0.consultantId, $0.start) < ($1.consultantId, $1.start) }
        for (earlier, later) in zip(active, active.dropFirst()) where earlier.consultantId == later.consultantId && later.start < earlier.end {
            found.append(HistoryViolation(promise: .noDoubleBooking,
                                          detail: "\(slot(earlier.consultantId, later.start)) is held by \(earlier.reference) and \(later.reference)"))
        }
        return found
    }

    /// After a reference's last acknowledged change, with no unanswered request after it, the
    /// store must show that change.
    private func lostAcknowledgements(_ requests: [RecordedRequest], _ appointments: [StoredAppointment]) -> [HistoryViolation] {
        let stored = Dictionary(appointments.map { ($0.reference, $0) }, uniquingKeysWith: { first, _ in first })
        var found: [HistoryViolation] = []
        for (reference, onReference) in Dictionary(grouping: requests.filter { $0.reference != nil }, by: { $0.reference! }) {
            let ordered = onReference.sorted { $0.invokedAt < $1.invokedAt }
            guard let lastAcknowledged = ordered.lastIndex(where: { if case .ok = $0.outcome { return true } else { return false } }) else { continue }
            let acknowledged = ordered[lastAcknowledged]
            guard let appointment = stored[reference] else {
                found.append(HistoryViolation(promise: .noLostAcknowledgement, detail: "\(reference) is not in the store; acknowledged \(describe(acknowledged))"))
                continue
            }
            let indeterminateAfter = ordered[(lastAcknowledged + 1)...].contains { $0.outcome == .noAnswer }
            if indeterminateAfter { continue }
            guard case .ok(_, let start) = acknowledged.outcome else { continue }
            switch acknowledged.operation {
            case .book, .reschedule:
                if !appointment.active || appointment.start != start {
                    found.append(HistoryViolation(promise: .noLostAcknowledgement,
                                                  detail: "\(reference) is \(appointment.active ? "at \(stamp(appointment.start))" : "not active"), but \(describe(acknowledged)) was acknowledged"))
                }
            case .cancel:
                if appointment.active {
                    found.append(HistoryViolation(promise: .noLostAcknowledgement,
                                                  detail: "\(reference) still holds \(slot(appointment.consultantId, appointment.start)), but \(describe(acknowledged)) was acknowledged"))
                }
            }
        }
        return found
    }

    /// Each committed change belongs to requests that asked for it; one of them (a retry with the
    /// same key may carry a later deadline) must still have been waiting for it.
    private func lateCommits(_ requests: [RecordedRequest], _ appointments: [StoredAppointment]) -> [HistoryViolation] {
        guard checksDeadlines else { return [] }
        var found: [HistoryViolation] = []
        for appointment in appointments {
            for change in appointment.changes {
                let asking = requests.filter { asks($0, for: change.kind, of: appointment) && $0.invokedAt <= change.committedAt + tolerance }
                guard let latest = asking.map(\.deadline).max() else { continue }
                if change.committedAt > latest + tolerance {
                    let late = String(format: "%.3f s", change.committedAt.timeIntervalSince(latest))
                    found.append(HistoryViolation(promise: .noCommitAfterDeadline,
                                                  detail: "\(appointment.reference) \(describe(change.kind)) on \(slot(appointment.consultantId, appointment.start)) committed at \(stamp(change.committedAt)), \(late) after the deadline of \(asking.map(describe).joined(separator: "; "))"))
                }
            }
        }
        return found
    }

    /// A change every request for which was refused must not be in the store.
    private func refusedChangesDone(_ requests: [RecordedRequest], _ appointments: [StoredAppointment]) -> [HistoryViolation] {
        var found: [HistoryViolation] = []
        for appointment in appointments {
            for change in appointment.changes {
                let asking = requests.filter { asks($0, for: change.kind, of: appointment) }
                guard !asking.isEmpty, asking.allSatisfy({ if case .refused = $0.outcome { return true } else { return false } }) else { continue }
                found.append(HistoryViolation(promise: .noRefusedChangeDone,
                                              detail: "\(appointment.reference) \(describe(change.kind)) (\(slot(appointment.consultantId, appointment.start)) now) was committed at \(stamp(change.committedAt)), but every request for it was refused: \(asking.map(describe).joined(separator: "; "))"))
            }
        }
        return found
    }

    private func asks(_ request: RecordedRequest, for kind: StoredAppointment.Change.Kind, of appointment: StoredAppointment) -> Bool {
        switch (request.operation, kind) {
        case (.book(let contact, _), .created): return contact == appointment.contact
        case (.reschedule(let reference, let start), .rescheduled(let to)): return reference == appointment.reference && start == to
        case (.cancel(let reference), .cancelled): return reference == appointment.reference
        default: return false
        }
    }

    private func describe(_ request: RecordedRequest) -> String {
        let what: String
        switch request.operation {
        case .book(let contact, let start): what = "book \(stamp(start)) for \(contact)"
        case .reschedule(let reference, let start): what = "reschedule \(reference) to \(stamp(start))"
        case .cancel(let reference): what = "cancel \(reference)"
        }
        let outcome: String
        switch request.outcome {
        case .ok(let reference, let start): outcome = "ok \(reference) at \(stamp(start))"
        case .refused(let code): outcome = "refused \(code)"
        case .noAnswer: outcome = "no answer"
        }
        return "\(request.client) \(what) [key \(request.idempotencyKey), invoked \(stamp(request.invokedAt)), deadline \(stamp(request.deadline)), \(outcome) at \(stamp(request.answeredAt))]"
    }

    private func describe(_ kind: StoredAppointment.Change.Kind) -> String {
        switch kind {
        case .created: return "created"
        case .rescheduled(let to): return "rescheduled to \(stamp(to))"
        case .cancelled: return "cancelled"
        case .other(let name): return name
        }
    }

    private func slot(_ consultantId: String, _ start: Date) -> String { "slot \(consultantId) \(stamp(start))" }

    private func stamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeSeparator(.colon).dateSeparator(.dash))
    }
}

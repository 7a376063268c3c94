import BookingDomain
import BookingProtocol
import CalDAV
import CalendarSyncStore
import CivilTime
import DaemonKit
import Delivery
import Foundation
import Logging
import Metrics

/// Reads each connected calendar and hands its busy time to availabilityd. One sync at a time:
/// a sync asked for while one runs waits for it and then runs, so its answer reflects the
/// calendars as they were when it was asked.
public actor CalendarSyncEngine {
    let store: CalendarSyncStore
    let availabilityd: DaemonClient
    let access: CalendarAccess
    /// Asked for a client's contact when a connection's privacy is `full`.
    let bookingd: DaemonClient?
    /// Wakes the writer when a sync finds an event to write again.
    let writerWake: WakeSignal
    /// Wakes the notices when a sync finds a conflict not yet told.
    let noticeWake: WakeSignal
    let settings: Reloadable<CalendarSyncSettings>
    let clock: SuiteClock
    let logger: Logger
    private var running: Task<Void, Never>?
    /// The last sync in a few words, for the status line.
    nonisolated let summary = Reloadable("no calendar read yet")

    private static let syncs = Counter(label: "booking_calendar_syncs_total", dimensions: [("result", "ok")])
    private static let failures = Counter(label: "booking_calendar_syncs_total", dimensions: [("result", "failed")])

    init(store: CalendarSyncStore, availabilityd: DaemonClient, access: CalendarAccess, bookingd: DaemonClient? = nil,
         writerWake: WakeSignal = WakeSignal(), noticeWake: WakeSignal = WakeSignal(), settings: Reloadable<CalendarSyncSettings>, clock: SuiteClock, logger: Logger) {
        self.store = store
        self.availabilityd = availabilityd
        self.access = access
        self.bookingd = bookingd
        self.writerWake = writerWake
        self.noticeWake = noticeWake
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    /// Syncs every connection (or one consultant's), after any sync already running.
    public func sync(consultantId: String? = nil) async {
        await serialized { await self.syncNow(consultantId: consultantId) }
    }

    /// Runs `work` after whatever sync or write runs or waits already.
    func serialized(_ work: @escaping @Sendable () async -> Void) async {
        let previous = running
        let next = Task {
            await previous?.value
            await work()
        }
        running = next
        await next.value
    }

    private func syncNow(consultantId: String?) async {
        let connections: [(connection: CalendarConnection, status: SyncStatus)]
        do {
            connections = try await store.connections().filter { consultantId == nil || $0.connection.consultantId == consultantId }
        } catch {
            logger.error("cannot read the calendar connections", metadata: ["error": "\(error)"])
            return
        }
        guard !connections.isEmpty else { return }
        let consultants: [ConsultantBody]
        do {
            let reply: ConsultantsReply = try await availabilityd.call(MessageType.consultants, ConsultantsRequest())
            consultants = reply.consultants
        } catch {
            // Without availabilityd there is nobody to hand busy time to: every connection says so.
            for (connection, _) in connections { await failed(connection, "availabilityd: \(error)") }
            return
        }
        var failing = 0
        for (connection, status) in connections {
            guard let consultant = consultants.first(where: { $0.id == connection.consultantId }) else {
                await failed(connection, "availabilityd has no consultant '\(connection.consultantId)' (removed?); disconnect the calendar")
                failing += 1
                continue
            }
            if await !sync(connection, status: status, consultant: consultant) { failing += 1 }
        }
        if consultantId == nil {
            summary.replace(with: "\(connections.count) calendars read at \(ISO8601.instant(clock.now())), \(failing) failing")
        }
    }

    /// Whether the calendar was read and its busy time handed over.
    private func sync(_ connection: CalendarConnection, status: SyncStatus, consultant: ConsultantBody) async -> Bool {
        let calendar: CalDAVCollection
        do {
            calendar = try await access.collection(for: connection)
        } catch {
            await failed(connection, error.problem)
            return false
        }
        let now = clock.now()
        let window = now.addingTimeInterval(-86_400)..<now.addingTimeInterval(Double(settings.value.daysAhead) * 86_400)
        do {
            try await read(calendar, for: connection, since: status.syncToken, window: window)
            let zone = TimeZone(identifier: consultant.timeZone) ?? TimeZone(identifier: "UTC")!
            let events = try await store.events(of: connection.consultantId)
            let copies = try await store.copies(of: connection.consultantId)
            // The bookings' own events (written here, or an invite the consultant accepted) are
            // the bookings themselves, not meetings over them.
            let imported = BusyImport(events: events, window: window, zone: zone, tentativeBlocks: connection.tentativeBlocks,
                                      addresses: Set([consultant.email, connection.username].compactMap { $0 }),
                                      excludingUIDs: Set(copies.map(\.appointmentId)))
            let reply: BusyReplaceReply = try await availabilityd.call(
                MessageType.busyReplace,
                BusyReplaceRequest(consultantId: connection.consultantId, source: Self.source(connection), intervals: imported.intervals))
            await settle(CalendarDisagreements(consultantId: connection.consultantId, copies: copies, events: events, overlaps: reply.conflicts,
                                               zone: zone, now: clock.now()), for: connection)
            try await store.recordSuccess(consultantId: connection.consultantId, at: clock.now(), busyIntervals: reply.count, warnings: imported.warnings)
            try await store.retryWritesNow(consultantId: connection.consultantId)
            writerWake.notify()
            Self.syncs.increment()
            return true
        } catch let error as CalDAVError {
            await failed(connection, "\(Self.host(connection.url)): \(error)")
        } catch {
            await failed(connection, "\(error)")
        }
        return false
    }

    /// Recreates the bookings' events deleted in the calendar (or reports them, as the
    /// connection says), keeps the conflicts found, and tells notifyd of those not yet told.
    private func settle(_ found: CalendarDisagreements, for connection: CalendarConnection) async {
        let id = connection.consultantId
        var conflicts = found.conflicts
        for copy in found.deleted {
            switch connection.onRemoteDelete {
            case .recreate:
                logger.notice("a booking's event was deleted in the consultant's calendar; writing it again",
                              metadata: ["consultant": "\(id)", "appointment": "\(copy.appointmentId)"])
                try? await store.rewrite(copy.appointmentId, forgettingRemote: true)
                writerWake.notify()
            case .report:
                if let conflict = CalendarDisagreements.deletion(copy, consultantId: id, now: clock.now()) { conflicts.append(conflict) }
            }
        }
        let new: [CalendarConflict]
        do {
            new = try await store.recordConflicts(consultantId: id, found: conflicts)
        } catch {
            logger.error("cannot keep the calendar conflicts", metadata: ["consultant": "\(id)", "error": "\(error)"])
            return
        }
        for conflict in new {
            logger.warning("the consultant's own calendar and a booking disagree", metadata: [
                "consultant": "\(id)", "kind": "\(conflict.kind.rawValue)", "reference": "\(conflict.reference.map(BookingReference.masked) ?? "-")",
                "start": "\(ISO8601.instant(conflict.start))",
            ])
        }
        if !new.isEmpty { noticeWake.notify() }
    }

    static func body(_ conflict: CalendarConflict) -> CalendarConflictBody {
        CalendarConflictBody(id: conflict.id, consultantId: conflict.consultantId, kind: conflict.kind.rawValue, reference: conflict.reference,
                             start: conflict.start, eventId: conflict.eventId, eventStart: conflict.eventStart, foundAt: conflict.foundAt,
                             notified: conflict.notified)
    }

    /// Brings the kept events up to date: the changes since the token where the server keeps
    /// them (RFC 6578), everything again when it forgot the token, and the events in the window
    /// from a server without sync-collection.
    private func read(_ calendar: CalDAVCollection, for connection: CalendarConnection, since token: String?, window: Range<Date>) async throws {
        let id = connection.consultantId
        switch try await Self.fetch(calendar, since: token, window: window) {
        case let .changes(changes, complete):
            try await store.apply(consultantId: id, changed: changes.changed.map(Self.event), removed: complete ? [] : changes.removed,
                                  complete: complete, syncToken: changes.syncToken)
        case let .events(events):
            try await store.apply(consultantId: id, changed: events.map(Self.event), removed: [], complete: true, syncToken: nil)
        }
    }

    enum CalendarRead {
        case changes(CollectionChanges, complete: Bool)
        case events([RemoteResource])
    }

    static func fetch(_ calendar: CalDAVCollection, since token: String?, window: Range<Date>) async throws(CalDAVError) -> CalendarRead {
        let first: Result<CollectionChanges, CalDAVError>
        do {
            first = .success(try await calendar.changes(since: token))
        } catch {
            first = .failure(error)
        }
        switch first {
        case let .success(changes):
            return .changes(changes, complete: token == nil)
        case .failure(.syncTokenExpired):
            return .changes(try await calendar.changes(since: nil), complete: true)
        case let .failure(error) where lacksSyncCollection(error):
            return .events(try await calendar.events(from: window.lowerBound, to: window.upperBound))
        case let .failure(error):
            throw error
        }
    }

    private func failed(_ connection: CalendarConnection, _ problem: String) async {
        Self.failures.increment()
        logger.warning("calendar sync failed; the last known busy time stays in force", metadata: [
            "consultant": "\(connection.consultantId)", "error": "\(problem)",
        ])
        try? await store.recordFailure(consultantId: connection.consultantId, at: clock.now(), error: problem)
    }

    /// How servers without RFC 6578 refuse a sync-collection REPORT.
    static func lacksSyncCollection(_ error: CalDAVError) -> Bool {
        if case let .unexpectedStatus(status, _) = error { return [400, 403, 405, 501].contains(status) }
        return false
    }

    /// availabilityd keeps busy time by source: one per connection.
    static func source(_ connection: CalendarConnection) -> String {
        "\(connection.provider.rawValue):\(connection.consultantId)"
    }

    static func event(_ resource: RemoteResource) -> RemoteEvent {
        RemoteEvent(href: resource.href, etag: resource.etag, data: resource.calendarData)
    }

    static func host(_ url: String) -> String {
        URLComponents(string: url)?.host ?? url
    }
}

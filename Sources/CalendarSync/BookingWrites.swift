import BookingProtocol
import CalDAV
import CalendarSyncStore
import DaemonKit
import Foundation
import Metrics

/// Writing each booking into its consultant's calendar: a create is `If-None-Match: *` and a
/// change `If-Match` its ETag, under a name made of the appointment's id, so a retry or a
/// replay never makes a second event. Runs on the engine, between syncs, so a sync never reads
/// a calendar half-written.
extension CalendarSyncEngine {
    static let writesDone = Counter(label: "booking_calendar_writes_total", dimensions: [("result", "ok")])
    static let writesFailed = Counter(label: "booking_calendar_writes_total", dimensions: [("result", "failed")])

    /// Writes what is pending and due, after any sync or write already running.
    public func writeBookings() async {
        await serialized { await self.writePending() }
    }

    private func writePending() async {
        let now = clock.now()
        let pending: [BookingCopy]
        let connections: [String: CalendarConnection]
        let failing: Set<String>
        do {
            pending = try await store.pendingCopies(at: now, limit: 64)
            guard !pending.isEmpty else { return }
            let all = try await store.connections()
            connections = Dictionary(all.map { ($0.connection.consultantId, $0.connection) }, uniquingKeysWith: { $1 })
            failing = Set(all.filter { $0.status.lastError != nil }.map(\.connection.consultantId))
        } catch {
            logger.error("cannot read the bookings to write into calendars", metadata: ["error": "\(error)"])
            return
        }
        var locales: [String: String]?
        for copy in pending {
            // A calendar that failed its last read is written after its next successful one,
            // not hammered meanwhile (a wrong password, a server down).
            if [copy.consultantId, copy.remote?.consultantId].contains(where: { $0.map(failing.contains) ?? false }) {
                try? await store.postpone(copy.appointmentId, until: now.addingTimeInterval(settings.value.interval.seconds))
                continue
            }
            if locales == nil, connections[copy.consultantId]?.writeBookings == true {
                let reply: ConsultantsReply? = try? await availabilityd.call(MessageType.consultants, ConsultantsRequest())
                locales = Dictionary(reply?.consultants.map { ($0.id, $0.locale ?? "ru") } ?? [], uniquingKeysWith: { $1 })
            }
            await write(copy, connections: connections, locale: locales?[copy.consultantId], now: now)
        }
    }

    private func write(_ copy: BookingCopy, connections: [String: CalendarConnection], locale: String?, now: Date) async {
        let appointment: AppointmentBody
        do {
            appointment = try WireJSON.decode(AppointmentBody.self, from: Array(copy.appointment.utf8))
        } catch {
            // Kept from an event bookingd published: a later event replaces it.
            logger.error("a kept booking cannot be read; skipped until its next change", metadata: ["appointment": "\(copy.appointmentId)"])
            try? await store.recordWritten(copy.appointmentId, version: copy.version, remote: copy.remote)
            return
        }
        let target = connections[copy.consultantId].flatMap { $0.writeBookings ? $0 : nil }
        let wanted = BookingEvent.belongsInCalendar(appointment) ? target : nil
        var blamed = target?.consultantId ?? copy.remote?.consultantId
        do {
            var remote = copy.remote
            // Off a calendar it no longer belongs in: cancelled, reassigned, or writes switched off.
            if let written = remote, written.consultantId != wanted?.consultantId {
                blamed = written.consultantId
                if let connection = connections[written.consultantId] {
                    try await remove(written, from: connection)
                }
                remote = nil
            }
            if let wanted {
                blamed = wanted.consultantId
                remote = try await put(appointment, copy: copy, into: wanted, existing: remote, locale: locale)
            }
            try await store.recordWritten(copy.appointmentId, version: copy.version, remote: remote)
            Self.writesDone.increment()
        } catch {
            Self.writesFailed.increment()
            let delay = min(3_600, 5 * pow(2, Double(min(copy.attempts, 10))))
            logger.warning("cannot write a booking into a calendar; will try again", metadata: [
                "appointment": "\(copy.appointmentId)", "consultant": "\(blamed ?? "-")", "error": "\(error)", "retry_in_s": "\(Int(delay))",
            ])
            try? await store.recordWriteFailure(copy.appointmentId, connection: blamed, error: "writing a booking: \(error)",
                                                retryAt: now.addingTimeInterval(delay))
        }
    }

    /// Writes the booking's event; answers where it now is.
    private func put(_ appointment: AppointmentBody, copy: BookingCopy, into connection: CalendarConnection, existing: RemoteCopy?,
                     locale: String?) async throws -> RemoteCopy {
        let calendar = try await access.collection(for: connection)
        var contact: ContactReply?
        if connection.privacy == .full, appointment.erasedAt == nil, let bookingd {
            contact = try await bookingd.call(MessageType.contact, ContactRequest(reference: appointment.reference))
        }
        let text = BookingEvent(appointment, privacy: connection.privacy, contact: contact, manageURL: settings.value.manageURL,
                                consultantLocale: locale).resource
        let name = existing?.name ?? BookingEvent.resourceName(appointmentId: copy.appointmentId)
        var ifMatch = existing?.etag
        if existing == nil, connection.provider == .google {
            // Google's CalDAV honours If-Match only, not If-None-Match: an event written before a
            // crash is found by its name first. The name is the appointment's id either way, so
            // no second event can come of it.
            ifMatch = try await calendar.get(name)?.etag
        }
        var etag = try await Self.put(text, name: name, ifMatch: ifMatch, on: calendar)
        if etag == nil {
            // Some servers answer a write without the ETag: it is read, for the next write's If-Match.
            etag = try await calendar.get(name)?.etag
        }
        return RemoteCopy(consultantId: connection.consultantId, name: name, etag: etag, start: appointment.start)
    }

    /// A conditional write; refused with 412 (written before a crash, or changed in the
    /// calendar since), the event is read for its ETag and written over once: the booking is
    /// what the suite says it is, and a move in the calendar was reported by the sync.
    static func put(_ text: String, name: String, ifMatch: String?, on calendar: CalDAVCollection) async throws(CalDAVError) -> String? {
        let first: Result<String?, CalDAVError>
        do {
            first = .success(try await calendar.put(name, calendar: text, ifMatch: ifMatch))
        } catch {
            first = .failure(error)
        }
        switch first {
        case let .success(etag): return etag
        case .failure(.preconditionFailed):
            let current = try await calendar.get(name)
            return try await calendar.put(name, calendar: text, ifMatch: current?.etag)
        case let .failure(error): throw error
        }
    }

    /// Removes a booking's event; one changed in the calendar since is removed all the same,
    /// since the booking it stood for is gone from there.
    private func remove(_ remote: RemoteCopy, from connection: CalendarConnection) async throws {
        let calendar = try await access.collection(for: connection)
        let first: Result<Void, CalDAVError>
        do {
            try await calendar.delete(remote.name, ifMatch: remote.etag)
            first = .success(())
        } catch {
            first = .failure(error)
        }
        switch first {
        case .success: return
        case .failure(.preconditionFailed): try await calendar.delete(remote.name, ifMatch: nil)
        case let .failure(error): throw error
        }
    }

    /// One round of the writer's loop (woken when the follower keeps a change or a sync finds an
    /// event to write again): what is due, then how long until the next is due.
    func writeRound(store: CalendarSyncStore) async -> Duration {
        await writeBookings()
        let due = (try? await store.nextPendingAt()).flatMap { $0 }
        let wait = due.map { min(60, max(0.05, $0.timeIntervalSince(clock.now()) / clock.rate)) } ?? 60
        return .milliseconds(Int(wait * 1_000))
    }
}

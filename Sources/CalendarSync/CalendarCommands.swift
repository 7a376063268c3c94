import BookingProtocol
import CalendarSyncStore
import DaemonKit
import Deadlines
import Foundation
import Logging

/// calsyncd's request handlers: connecting and disconnecting calendars, their status, and a
/// sync on demand.
struct CalendarCommands: Sendable {
    let store: CalendarSyncStore
    let engine: CalendarSyncEngine
    let availabilityd: DaemonClient
    let settings: Reloadable<CalendarSyncSettings>
    let configuration: Reloadable<SuiteConfiguration>
    let clock: SuiteClock
    let control: DaemonControl
    let logger: Logger

    var routes: RequestRoutes {
        var routes = RequestRoutes()
        routes.on(MessageType.calendarConnect, CalendarConnectRequest.self) { request, _ in try await connect(request) }
        routes.on(MessageType.calendarDisconnect, CalendarConsultantRequest.self) { request, _ in
            guard let id = request.consultantId else { throw ProtocolError(.validationFailed, "give the consultant_id", field: "consultant_id") }
            guard let connection = try await store.connections().first(where: { $0.connection.consultantId == id })?.connection else {
                throw ProtocolError(.notFound, "'\(id)' has no calendar connected", field: "consultant_id")
            }
            // What the calendar made busy goes first: a connection forgotten with its busy time
            // still in force would block the consultant with nothing left to lift it.
            let _: BusyReplaceReply = try await availabilityd.call(
                MessageType.busyReplace, BusyReplaceRequest(consultantId: id, source: CalendarSyncEngine.source(connection), intervals: []))
            _ = try await store.disconnect(consultantId: id)
            logger.notice("calendar disconnected", metadata: ["consultant": "\(id)"])
            return CalendarsReply(connections: [])
        }
        routes.on(MessageType.calendars, CalendarConsultantRequest.self) { request, _ in try await connections(request.consultantId) }
        routes.on(MessageType.calendarSync, CalendarConsultantRequest.self) { request, _ in
            try await known(request.consultantId)
            // Writes the calendars now answer are done too, so the answer shows them.
            try await RequestDeadline.lifted {
                await engine.sync(consultantId: request.consultantId)
                await engine.writeBookings()
            }
            return try await connections(request.consultantId)
        }
        routes.on(MessageType.calendarConflicts, CalendarConflictsRequest.self) { request, _ in
            try await known(request.consultantId)
            return CalendarConflictsReply(conflicts: try await store.conflicts(consultantId: request.consultantId, includingPast: request.all ?? false)
                .map(CalendarSyncEngine.body))
        }
        routes.on(MessageType.ping, Empty.self) { _, _ in
            let stale = try await connections(nil).connections.filter(\.stale).map {
                "the calendar of \($0.consultantId) is stale: \($0.lastError ?? "no successful sync yet")"
            }
            return control.pingReply(state: "ready", lastSequence: nil, warnings: stale)
        }
        return routes
    }

    /// Checks the request, keeps the connection and syncs it at once, so the answer says whether
    /// the calendar can be read.
    private func connect(_ request: CalendarConnectRequest) async throws -> CalendarsReply {
        guard let provider = CalendarProvider(rawValue: request.provider) else {
            throw ProtocolError(.validationFailed, "provider must be one of \(CalendarProvider.allCases.map(\.rawValue).joined(separator: ", "))", field: "provider")
        }
        guard let url = URLComponents(string: request.url), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), let host = url.host, !host.isEmpty,
              request.url.count <= 2048 else {
            throw ProtocolError(.validationFailed, "the url must be the calendar's http(s) address", field: "url")
        }
        if provider == .yandex, host.lowercased() != "caldav.yandex.ru" {
            throw ProtocolError(.validationFailed, "a Yandex calendar's url is on caldav.yandex.ru, e.g. https://caldav.yandex.ru/calendars/LOGIN@yandex.ru/events-123/",
                                field: "url")
        }
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(host)
        // Loopback too for Google: the tests' stand-in for its endpoint.
        if provider == .google, !loopback, host.lowercased() != "apidata.googleusercontent.com" || url.scheme?.lowercased() != "https" {
            throw ProtocolError(.validationFailed, "a Google calendar's url is https://apidata.googleusercontent.com/caldav/v2/CALENDAR_ID/events/ "
                                + "(CALENDAR_ID: the owner's address for their main calendar)", field: "url")
        }
        if url.scheme?.lowercased() == "http", !loopback {
            throw ProtocolError(.validationFailed, "the password would cross the network in clear: use https", field: "url")
        }
        let username = request.username.trimmingCharacters(in: .whitespaces)
        guard (1...256).contains(username.count), !username.contains(where: \.isNewline) else {
            throw ProtocolError(.validationFailed, "a user name of 1 to 256 characters is required", field: "username")
        }
        if provider == .google, !username.contains("@") {
            throw ProtocolError(.validationFailed, "a Google calendar's username is its owner's address, whom a service account acts for",
                                field: "username")
        }
        let credential = request.passwordCredential
        guard (1...255).contains(credential.count), !credential.contains(where: { $0.isNewline || $0 == "\0" }) else {
            throw ProtocolError(.validationFailed, "password_credential names the credential (or file) holding the password", field: "password_credential")
        }
        let secret: String
        do {
            secret = try CredentialFile.read(credential, configuration: configuration.value, daemon: "calsyncd")
        } catch {
            throw ProtocolError(.validationFailed, "\(CalendarAccess.secretName(provider)): \(error.problem)", field: "password_credential")
        }
        if provider == .google {
            do {
                _ = try GoogleCredential(json: secret)
            } catch {
                throw ProtocolError(.validationFailed, error.description, field: "password_credential")
            }
        }
        let consultants: ConsultantsReply = try await availabilityd.call(MessageType.consultants, ConsultantsRequest())
        guard consultants.consultants.contains(where: { $0.id == request.consultantId }) else {
            throw ProtocolError(.notFound, "no consultant has the id '\(request.consultantId)'", field: "consultant_id")
        }
        let privacy = try request.privacy.map { text throws(ProtocolError) in
            guard let privacy = CopyPrivacy(rawValue: text) else { throw ProtocolError(.validationFailed, "privacy must be minimal or full", field: "privacy") }
            return privacy
        }
        let onRemoteDelete = try request.onRemoteDelete.map { text throws(ProtocolError) in
            guard let policy = RemoteDeletePolicy(rawValue: text) else {
                throw ProtocolError(.validationFailed, "on_remote_delete must be recreate or report", field: "on_remote_delete")
            }
            return policy
        } ?? .recreate
        try await store.connect(CalendarConnection(consultantId: request.consultantId, provider: provider, url: request.url, username: username,
                                                   passwordCredential: credential, tentativeBlocks: request.tentativeBlocks ?? true,
                                                   writeBookings: request.writeBookings ?? true, privacy: privacy, onRemoteDelete: onRemoteDelete),
                                at: clock.now())
        logger.notice("calendar connected", metadata: ["consultant": "\(request.consultantId)", "provider": "\(provider.rawValue)", "host": "\(host)"])
        try await RequestDeadline.lifted {
            await engine.sync(consultantId: request.consultantId)
            await engine.writeBookings()
        }
        return try await connections(request.consultantId)
    }

    private func known(_ consultantId: String?) async throws {
        guard let consultantId else { return }
        guard try await store.connections().contains(where: { $0.connection.consultantId == consultantId }) else {
            throw ProtocolError(.notFound, "'\(consultantId)' has no calendar connected", field: "consultant_id")
        }
    }

    private func connections(_ consultantId: String?) async throws -> CalendarsReply {
        let now = clock.now()
        let staleAfter = settings.value.staleAfter.seconds
        return CalendarsReply(connections: try await store.connections().filter { consultantId == nil || $0.connection.consultantId == consultantId }
            .map { connection, status in
                CalendarConnectionBody(
                    consultantId: connection.consultantId, provider: connection.provider.rawValue, url: connection.url, username: connection.username,
                    passwordCredential: connection.passwordCredential, tentativeBlocks: connection.tentativeBlocks, lastSyncAt: status.lastSyncAt,
                    lastAttemptAt: status.lastAttemptAt, lastError: status.lastError,
                    stale: status.lastSyncAt.map { now.timeIntervalSince($0) > staleAfter } ?? true,
                    busyIntervals: status.busyIntervals, events: status.events, warnings: status.warnings,
                    writeBookings: connection.writeBookings, privacy: connection.privacy.rawValue, onRemoteDelete: connection.onRemoteDelete.rawValue,
                    bookingsWritten: status.bookingsWritten, bookingsPending: status.bookingsPending, lastWriteError: status.lastWriteError)
            })
    }
}

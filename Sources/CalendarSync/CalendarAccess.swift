import CalDAV
import CalendarSyncStore
import DaemonKit
import Delivery
import Foundation

/// How calsyncd reaches a connection's calendar: the collection with the account's credentials,
/// read from their credential file each time (so a rotated secret is used without a restart).
/// The sync that reads busy time and the writer that writes bookings both ask here.
actor CalendarAccess {
    let transport: HTTPTransport
    let configuration: Reloadable<SuiteConfiguration>
    let settings: Reloadable<CalendarSyncSettings>

    init(transport: HTTPTransport, configuration: Reloadable<SuiteConfiguration>, settings: Reloadable<CalendarSyncSettings>) {
        self.transport = transport
        self.configuration = configuration
        self.settings = settings
    }

    func collection(for connection: CalendarConnection) async throws(CalendarAccessError) -> CalDAVCollection {
        let password: String
        do {
            password = try CredentialFile.read(connection.passwordCredential, configuration: configuration.value, daemon: "calsyncd")
        } catch {
            throw CalendarAccessError(problem: "the password: \(error.problem)")
        }
        return CalDAVCollection(account: CalDAVAccount(collectionURL: connection.url, username: connection.username, password: password),
                                transport: transport, timeout: settings.value.requestTimeout)
    }
}

/// The credentials of a connection could not be had: the calendar is not asked at all.
struct CalendarAccessError: Error, CustomStringConvertible {
    var problem: String
    var description: String { problem }
}

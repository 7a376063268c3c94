import BookingProtocol
import Crypto
import DaemonKit
import Foundation
import ServiceLifecycle
import SuiteCalendar

/// webd: the public booking page and JSON API over HTTP (`web.listen`), in front of
/// availabilityd and bookingd; its control socket (`endpoints.webd`) answers ping, reload and metrics.
public enum WebDaemon {
    public static let name = "webd"

    /// What `bookctl config check` says of webd's part of a file: the same loading as at start.
    public static func checkConfiguration(_ configuration: SuiteConfiguration) throws(ConfigurationError) -> String {
        let web = try WebConfiguration.load(from: configuration)
        _ = try CalendarSettings.businessZone(configuration)
        if let problem = SecretKeyFile.problem(web.secretFile) {
            throw ConfigurationError(file: configuration.file, key: "web.secret_file", problem: problem)
        }
        let feeds = web.feedDetail == .full ? "the client's name and phone (web.feeds.detail: full)" : "nothing of the client"
        return "the booking page on http://\(web.listenHost):\(web.listenPort), public at \(web.publicURL); calendar feeds show \(feeds)"
    }

    public static func services(_ parts: DaemonRunner.Parts) async throws -> [any Service] {
        let configuration = parts.configuration
        let web = try WebConfiguration.load(from: configuration)
        let key: SymmetricKey
        do {
            key = try SecretKeyFile.loadOrCreate(web.secretFile)
        } catch {
            // A configuration problem like any other: exit 78, named by its key.
            throw ConfigurationError(file: configuration.file, key: "web.secret_file", problem: "\(error)")
        }
        let services = DaemonBookingServices(
            bookingd: try await parts.client(for: "bookingd", at: configuration.endpoints.bookingd),
            availabilityd: try await parts.client(for: "availabilityd", at: configuration.endpoints.availabilityd),
            notifyd: try await parts.client(for: "notifyd", at: configuration.endpoints.notifyd)
        )
        let site = try BookingWebsite(configuration: web, key: key, services: services, calendarZone: try CalendarSettings.businessZone(configuration),
                                      clock: parts.clock, logger: parts.logger)
        var routes = RequestRoutes()
        routes.on(MessageType.ping, Empty.self) { _, _ in
            parts.control.pingReply(state: "ready", lastSequence: nil)
        }
        parts.control.addRoutes(to: &routes)
        parts.control.setStatus {
            "serving http://\(web.listenHost):\(web.listenPort); \(parts.control.requestsAnswered) control requests answered"
        }
        parts.control.setReload { configuration in
            let fresh = try WebConfiguration.load(from: configuration)
            if fresh.listenHost != web.listenHost || fresh.listenPort != web.listenPort {
                parts.logger.warning("web.listen changed; it takes effect at the next restart")
            }
            try site.apply(fresh)
        }
        let server = try RequestServer(
            name: name, endpoint: configuration.endpoints.webd, context: parts.context, routes: routes,
            maxMessageBytes: configuration.maxMessageBytes, logger: parts.logger, control: parts.control,
            patience: configuration.requestPatience,
            access: try PeerAccess(configuration),
            curve: try parts.curve(binding: configuration.endpoints.webd)
        )
        try await server.bind()
        parts.logger.notice("serving the booking page", metadata: ["url": "http://\(web.listenHost):\(web.listenPort)", "public_url": "\(web.publicURL)"])
        return [server, site.application(host: web.listenHost, port: web.listenPort)]
    }
}

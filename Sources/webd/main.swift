import BookingProtocol
import DaemonKit
import Foundation
import Hummingbird
import SuiteCalendar
import WebFrontend

// webd: the public booking page and JSON API over HTTP (web.listen), in front of availabilityd
// and bookingd; its control socket (endpoints.webd) answers ping, reload and metrics.
await DaemonRunner.main(name: "webd") { parts in
    let configuration = parts.configuration
    let web = try WebConfiguration.load(from: configuration)
    let key = try SecretKeyFile.loadOrCreate(web.secretFile)
    func client(_ daemon: String, _ endpoint: String) async throws -> DaemonClient {
        try await DaemonClient(daemon: daemon, endpoint: endpoint, context: parts.context, timeout: configuration.requestTimeout,
                               attempts: configuration.requestAttempts, maxMessageBytes: configuration.maxMessageBytes)
    }
    let services = DaemonBookingServices(
        bookingd: try await client("bookingd", configuration.endpoints.bookingd),
        availabilityd: try await client("availabilityd", configuration.endpoints.availabilityd)
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
        name: "webd", endpoint: configuration.endpoints.webd, context: parts.context, routes: routes,
        maxMessageBytes: configuration.maxMessageBytes, logger: parts.logger, control: parts.control
    )
    try await server.bind()
    parts.logger.notice("serving the booking page", metadata: ["url": "http://\(web.listenHost):\(web.listenPort)", "public_url": "\(web.publicURL)"])
    return [server, site.application(host: web.listenHost, port: web.listenPort)]
}

import ArgumentParser
import BookingDomain
import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import SuiteCalendar
import ZeroMQ

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The suite's configuration file (default: $BOOKING_CONFIG, ./config/booking.yaml, /etc/booking/booking.yaml).")
    var config: String?

    @Flag(name: .long, help: "Print JSON for scripts instead of tables.")
    var json = false

    @Option(name: .customLong("curve-key"), help: "Your CURVE secret key file, for daemons on tcp:// (default: curve.admin_secret_key).")
    var curveKey: String?

    /// `bookctl --config FILE status` works as `bookctl status --config FILE` does: a leading
    /// `--config` becomes the default file (`$BOOKING_CONFIG`) of whatever command follows, and a
    /// `--config` after the command still wins.
    static func leadingConfig(_ arguments: [String]) -> [String] {
        var arguments = arguments
        if arguments.first == "--config", arguments.count >= 2 {
            setenv("BOOKING_CONFIG", arguments[1], 1)
            arguments.removeFirst(2)
        } else if let first = arguments.first, first.hasPrefix("--config=") {
            setenv("BOOKING_CONFIG", String(first.dropFirst("--config=".count)), 1)
            arguments.removeFirst()
        }
        return arguments
    }
}

/// Exit codes, documented in the README.
enum Exit {
    static let refused: Int32 = 1
    static let usage: Int32 = 2
    static let unreachable: Int32 = 3
}

/// An outcome that ends the command with a message and an exit code.
struct CommandFailure: Error {
    var message: String
    var code: Int32
}

/// The suite as seen from bookctl: its configuration and a client per daemon.
struct Suite {
    /// The daemons bookctl asks about status, health, reload and metrics: calsyncd only where
    /// calendars are configured (the file has a `calendars:` section).
    var daemons: [String] {
        ["bookingd", "availabilityd", "notifyd", "webd"] + (configuration.presentKeys.contains("calendars") ? ["calsyncd"] : [])
    }
    /// The daemons that own a database (webd keeps nothing): what backup and restore cover.
    static let databaseOwners = ["bookingd", "availabilityd", "notifyd"]

    let configuration: SuiteConfiguration
    let context: ZMQContext
    let options: GlobalOptions
    /// The admin's CURVE side: one for the command, so its secret key is read once however many
    /// daemons it talks to.
    let security: SocketSecurity

    init(configuration: SuiteConfiguration, context: ZMQContext, options: GlobalOptions) {
        self.configuration = configuration
        self.context = context
        self.options = options
        security = SocketSecurity.admin(curveKey: options.curveKey, configuration: configuration)
    }

    static func open(_ options: GlobalOptions) throws -> Suite {
        Suite(configuration: try loadConfiguration(options), context: try ZMQContext(), options: options)
    }

    /// The configuration file, its error as bookctl reports one.
    static func loadConfiguration(_ options: GlobalOptions) throws -> SuiteConfiguration {
        do {
            return try SuiteConfiguration.load(path: options.config)
        } catch {
            throw CommandFailure(message: "configuration error: \(error)", code: Exit.usage)
        }
    }

    func client(_ daemon: String) async throws -> DaemonClient {
        guard let endpoints = configuration.endpoints.requests(of: daemon) else {
            throw CommandFailure(message: "'\(daemon)' is not one of the suite's daemons: \(daemons.joined(separator: ", "))", code: Exit.usage)
        }
        return try await DaemonClient(
            daemon: daemon, endpoints: endpoints, context: context, timeout: configuration.requestTimeout,
            attempts: configuration.requestAttempts, maxMessageBytes: configuration.maxMessageBytes, user: OSUser.current,
            curve: try curve(connectingTo: daemon, at: endpoints)
        )
    }

    /// CURVE for a connection to `daemon` on tcp, with the admin's own key pair (nil on ipc).
    func curve(connectingTo daemon: String, at endpoints: [String]) throws -> CurveSecurity? {
        do {
            return try security.client(of: daemon, at: endpoints)
        } catch {
            throw CommandFailure(message: "configuration error: \(error)", code: Exit.usage)
        }
    }

    /// Sends one request and shuts the connection down, whatever happens.
    /// `patience`: for a request that waits on something slower than a daemon (a calendar
    /// server), how long to wait for its one attempt instead of the usual timeout and retries.
    func call<Request: Encodable, Answer: Decodable>(_ daemon: String, _ type: String, _ body: Request, as: Answer.Type = Answer.self, idempotent: Bool = false,
                                                     patience: Duration? = nil) async throws -> Answer {
        let client = try await client(daemon)
        do {
            // Changes carry a key, so a retry after a lost reply is answered, not done twice.
            let key = idempotent ? UUID().uuidString.lowercased() : nil
            let answer: Answer = try await client.call(type, body, idempotencyKey: key, timeout: patience, attempts: patience == nil ? nil : 1)
            await context.shutdown()
            return answer
        } catch {
            await context.shutdown()
            throw error
        }
    }

    /// Every appointment `request` selects, page by page over one connection.
    func appointments(_ request: ListRequest) async throws -> [AppointmentBody] {
        let client = try await client("bookingd")
        do {
            let appointments = try await client.allAppointments(request)
            await context.shutdown()
            return appointments
        } catch {
            await context.shutdown()
            throw error
        }
    }

    var calendarZone: TimeZone { (try? CalendarSettings.businessZone(configuration)) ?? CalendarPolicy().timeZone }

    func zone(_ identifier: String?) throws -> TimeZone {
        guard let identifier else { return calendarZone }
        guard let zone = TimeZone(identifier: identifier) else {
            throw CommandFailure(message: "'\(identifier)' is not an IANA time zone such as Europe/Moscow", code: Exit.usage)
        }
        return zone
    }
}

/// Reads an instant from the command line: with an offset (`2026-12-01T10:00:00+03:00`) it is
/// exact; without one (`2026-12-01T10:00`, `2026-12-01 10:00`) it is read in `zone`.
enum InstantArgument {
    static func parse(_ text: String, in zone: TimeZone) throws -> Date {
        if let date = ISO8601.parseInstant(text) { return date }
        let normalized = text.replacingOccurrences(of: " ", with: "T")
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = zone
            formatter.dateFormat = format
            if let date = formatter.date(from: normalized) { return date }
        }
        throw CommandFailure(message: "'\(text)' is not a time like 2026-12-01T10:00 (read in \(zone.identifier)) or 2026-12-01T10:00:00+03:00", code: Exit.usage)
    }

    /// A `--from`/`--to` bound: a day (its midnight in `zone`) or an instant.
    static func bound(_ text: String?, in zone: TimeZone) throws -> Date? {
        guard let text else { return nil }
        return try parse(text.count == 10 ? text + "T00:00" : text, in: zone)
    }
}

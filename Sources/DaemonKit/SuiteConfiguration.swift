import BookingProtocol
import CivilTime
import Foundation
import Yams

/// `booking.yaml`: one file configures the whole suite. Relative paths are read against the
/// directory of the file itself, so a daemon finds the same files whatever its working directory.
public struct SuiteConfiguration: Sendable {
    public var file: String
    public var runtimeDirectory: String
    public var stateDirectory: String
    public var logLevel: String
    public var maxMessageBytes: Int
    public var endpoints: Endpoints
    /// CURVE keys for the tcp:// endpoints (`curve:`); empty when every endpoint is ipc://.
    public var curve = CurveConfiguration()
    /// Testing and demos only: the suite's clock starts at this instant and runs at real speed.
    public var clockStart: Date?
    /// Testing and demos only (`clock.rate`, with `clock.start`): suite seconds per real second,
    /// so that a soak lives a day in minutes.
    public var clockRate: Double = 1
    public var requestTimeout: Duration
    public var requestAttempts: Int
    /// The longest one of the suite's clients waits for an answer, over all its attempts: what a
    /// daemon gives a request that carries no deadline of its own.
    public var requestPatience: Duration { requestTimeout * requestAttempts }
    /// Where each daemon serves Prometheus metrics (`HOST:PORT`), by daemon name.
    public var metrics: [String: String]
    /// Daily backups of every database under `<state directory>/backups/<date>/`, if configured.
    public var backups: BackupPolicy?
    /// SQLite files (the default) or PostgreSQL (`storage:` and `postgresql:`).
    public var storage = StorageConfiguration.sqlite
    /// Testing only: daemons answer `debug_stall` (to prove the watchdog notices a wedged daemon).
    public var allowStall: Bool
    /// The file's text: each service reads its own section from it (`section(_:as:)`).
    public var text: String = ""
    /// The top-level keys the file gives a value (a key with nothing after it is absent).
    public var presentKeys: Set<String> = []

    public struct Endpoints: Sendable, Equatable {
        /// One ROUTER per bookingd instance; clients connect to every one (`DaemonClient`).
        public var bookingd: [String]
        /// One PUB per bookingd instance, in the order of `bookingd`; subscribers connect to every one.
        public var bookingdEvents: [String]
        /// One ROUTER per availabilityd replica (on one PostgreSQL database); clients connect to every one.
        public var availabilityd: [String]
        public var notifyd: String
        /// webd's control socket (status, reload, metrics); its HTTP address is `web.listen`.
        public var webd: String
        public var calsyncd: String

        /// Every endpoint, with its key in the file and the daemon that binds it (each of a
        /// list's under the list's key).
        public var named: [(key: String, daemon: String, endpoint: String)] {
            bookingd.map { ("bookingd", "bookingd", $0) } + bookingdEvents.map { ("bookingd_events", "bookingd", $0) }
                + availabilityd.map { ("availabilityd", "availabilityd", $0) }
                + [("notifyd", "notifyd", notifyd), ("webd", "webd", webd), ("calsyncd", "calsyncd", calsyncd)]
        }

        /// The ROUTERs a daemon answers requests (and control messages) on, by daemon name:
        /// one per instance.
        public func requests(of daemon: String) -> [String]? {
            switch daemon {
            case "bookingd": bookingd
            case "availabilityd": availabilityd
            case "notifyd": [notifyd]
            case "webd": [webd]
            case "calsyncd": [calsyncd]
            default: nil
            }
        }
    }

    public struct BackupPolicy: Sendable, Equatable {
        /// How many daily backups to keep.
        public var keepDaily: Int
        /// When, in the calendar's zone, the day's backup is taken.
        public var at: LocalTime
    }

    public var backupDirectory: String {
        (stateDirectory as NSString).appendingPathComponent("backups")
    }

    public func databasePath(_ name: String) -> String {
        (stateDirectory as NSString).appendingPathComponent(name)
    }
}

extension SuiteConfiguration {
    /// The default file: `$BOOKING_CONFIG`, else `./config/booking.yaml` if present, else `/etc/booking/booking.yaml`.
    public static func defaultPath() -> String {
        if let path = ProcessInfo.processInfo.environment["BOOKING_CONFIG"], !path.isEmpty { return path }
        if FileManager.default.fileExists(atPath: "config/booking.yaml") { return "config/booking.yaml" }
        return "/etc/booking/booking.yaml"
    }

    /// Reads and checks the file as every daemon does at start and on reload, and as bookctl
    /// does: a file without a required section is refused.
    public static func load(path: String? = nil) throws(ConfigurationError) -> SuiteConfiguration {
        let path = path ?? defaultPath()
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(file: path, problem: "cannot read the file (missing or not readable)")
        }
        let configuration = try parse(String(decoding: data, as: UTF8.self), file: path)
        try configuration.requireSections()
        return configuration
    }

    public static func parse(_ text: String, file: String) throws(ConfigurationError) -> SuiteConfiguration {
        let raw = try ConfigurationYAML.decode(RawConfiguration.self, from: text, file: file, otherTopLevelKeys: sections)
        func resolve(_ path: String) -> String { Self.resolve(path, against: file) }

        let runtime = resolve(raw.runtimeDirectory ?? "/run/booking")
        let state = resolve(raw.stateDirectory ?? "/var/lib/booking")
        let endpoints = Endpoints(
            bookingd: raw.endpoints?.bookingd?.endpoints ?? [DefaultEndpoint.bookingd(runtimeDirectory: runtime)],
            bookingdEvents: raw.endpoints?.bookingdEvents?.endpoints ?? [DefaultEndpoint.bookingdEvents(runtimeDirectory: runtime)],
            availabilityd: raw.endpoints?.availabilityd?.endpoints ?? [DefaultEndpoint.availabilityd(runtimeDirectory: runtime)],
            notifyd: raw.endpoints?.notifyd ?? DefaultEndpoint.notifyd(runtimeDirectory: runtime),
            webd: raw.endpoints?.webd ?? DefaultEndpoint.webd(runtimeDirectory: runtime),
            calsyncd: raw.endpoints?.calsyncd ?? DefaultEndpoint.calsyncd(runtimeDirectory: runtime)
        )
        try checkInstances(endpoints, file: file)
        for (key, _, endpoint) in endpoints.named {
            guard endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("tcp://") || endpoint.hasPrefix("inproc://") else {
                throw ConfigurationError(file: file, key: "endpoints.\(key)", problem: "'\(endpoint)' is not an ipc://, tcp:// or inproc:// endpoint")
            }
            if endpoint.hasPrefix("ipc://"), endpoint.utf8.count - 6 > 107 {
                throw ConfigurationError(file: file, key: "endpoints.\(key)", problem: "the socket path is longer than the 107 bytes a Unix socket allows")
            }
        }
        let curve = try CurveConfiguration.parse(raw.curve, endpoints: endpoints, file: file)

        var clockStart: Date?
        if let start = raw.clock?.start {
            guard let date = ISO8601.parseInstant(start) else {
                throw ConfigurationError(file: file, key: "clock.start", problem: "'\(start)' is not an ISO 8601 instant with an offset")
            }
            clockStart = date
        }
        var clockRate = 1.0
        if let rate = raw.clock?.rate {
            guard clockStart != nil else {
                throw ConfigurationError(file: file, key: "clock.rate", problem: "a rate needs `clock.start`: the production clock runs at real speed")
            }
            guard rate > 0, rate <= 100_000 else {
                throw ConfigurationError(file: file, key: "clock.rate", problem: "must be above 0 and at most 100000, got \(rate)")
            }
            clockRate = rate
        }
        let maxBytes = raw.maxMessageBytes ?? 1 << 20
        guard (4096...(64 << 20)).contains(maxBytes) else {
            throw ConfigurationError(file: file, key: "max_message_bytes", problem: "must be between 4096 and 67108864, got \(maxBytes)")
        }
        let level = raw.logLevel ?? "info"
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(level) else {
            throw ConfigurationError(file: file, key: "log_level", problem: "'\(level)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        for (daemon, address) in raw.metrics ?? [:] {
            let parts = address.split(separator: ":")
            guard parts.count == 2, UInt16(parts[1]).map({ $0 > 0 }) == true else {
                throw ConfigurationError(file: file, key: "metrics.\(daemon)", problem: "'\(address)' is not HOST:PORT, e.g. 127.0.0.1:9401")
            }
        }
        var backups: BackupPolicy?
        if let raw = raw.backups {
            let keep = raw.keepDaily ?? 7
            guard (1...366).contains(keep) else {
                throw ConfigurationError(file: file, key: "backups.keep_daily", problem: "must be between 1 and 366, got \(keep)")
            }
            let text = raw.at ?? "03:00"
            guard let at = LocalTime(text) else {
                throw ConfigurationError(file: file, key: "backups.at", problem: "'\(text)' is not a time HH:MM")
            }
            backups = BackupPolicy(keepDaily: keep, at: at)
        }
        let timeoutMs = raw.requests?.timeoutMilliseconds ?? 2000
        guard (10...60_000).contains(timeoutMs) else {
            throw ConfigurationError(file: file, key: "requests.timeout_milliseconds", problem: "must be between 10 and 60000, got \(timeoutMs)")
        }
        let attempts = raw.requests?.attempts ?? 3
        guard (1...10).contains(attempts) else {
            throw ConfigurationError(file: file, key: "requests.attempts", problem: "must be between 1 and 10, got \(attempts)")
        }

        var configuration = SuiteConfiguration(
            file: file, runtimeDirectory: runtime, stateDirectory: state, logLevel: level, maxMessageBytes: maxBytes,
            endpoints: endpoints, clockStart: clockStart, requestTimeout: .milliseconds(timeoutMs), requestAttempts: attempts,
            metrics: raw.metrics ?? [:], backups: backups, allowStall: raw.debug?.allowStall ?? false
        )
        configuration.text = text
        configuration.clockRate = clockRate
        configuration.curve = curve
        configuration.storage = try StorageConfiguration.parse(storage: raw.storage, postgresql: raw.postgresql, file: file)
        // The decoding above has read it as YAML already: composing it again cannot fail.
        if case .mapping(let mapping)? = try? Yams.compose(yaml: text) {
            configuration.presentKeys = Set(mapping.compactMap { key, value in value.null != nil ? nil : key.string })
        }
        return configuration
    }

    /// The daemons that may run as several instances, each binding its own place in the lists
    /// of their keys (`instance(of:)`).
    static let instanceLists = [("bookingd", "bookingd"), ("bookingd_events", "bookingd"), ("availabilityd", "availabilityd")]

    /// One events endpoint per bookingd instance, none listed twice.
    static func checkInstances(_ endpoints: Endpoints, file: String) throws(ConfigurationError) {
        for (key, daemon) in instanceLists {
            let list = endpoints.named.filter { $0.key == key }.map(\.endpoint)
            guard !list.isEmpty else {
                throw ConfigurationError(file: file, key: "endpoints.\(key)", problem: "lists no endpoint; give one, or one per \(daemon) instance")
            }
            if let repeated = list.first(where: { endpoint in list.filter { $0 == endpoint }.count > 1 }) {
                throw ConfigurationError(file: file, key: "endpoints.\(key)", problem: "lists '\(repeated)' twice: each \(daemon) instance binds its own")
            }
        }
        guard endpoints.bookingd.count == endpoints.bookingdEvents.count else {
            throw ConfigurationError(file: file, key: "endpoints.bookingd_events",
                                     problem: "lists \(endpoints.bookingdEvents.count) endpoints for the \(endpoints.bookingd.count) of endpoints.bookingd: one per bookingd instance, in the same order")
        }
    }

    /// The environment variable naming which instance of its daemon a process is, from 1: its
    /// place in the daemon's list of endpoints. The unit templates (`bookingd@.service`,
    /// `availabilityd@.service`) set it to their instance name (`%i`).
    public static let instanceVariable = "BOOKING_INSTANCE"

    /// The ROUTER this instance of `daemon` binds: `$BOOKING_INSTANCE`'s place in its list, the
    /// first when it is unset.
    public func instance(of daemon: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigurationError) -> (number: Int, requests: String) {
        let list = endpoints.requests(of: daemon) ?? []
        let text = environment[Self.instanceVariable] ?? ""
        let number = text.isEmpty ? 1 : Int(text) ?? 0
        guard number >= 1, number <= list.count else {
            throw ConfigurationError(file: file, key: "endpoints.\(daemon)",
                                     problem: "lists \(list.count) instance\(list.count == 1 ? "" : "s"), and \(Self.instanceVariable)='\(text)' is not one of 1...\(list.count)")
        }
        return (number, list[number - 1])
    }

    /// The endpoints this bookingd instance binds: its ROUTER (`instance(of:)`) and the PUB in
    /// the same place of `bookingd_events`.
    public func bookingdInstance(environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigurationError) -> (number: Int, requests: String, events: String) {
        let own = try instance(of: "bookingd", environment: environment)
        return (own.number, own.requests, endpoints.bookingdEvents[own.number - 1])
    }

    /// This process among the instances of its daemon that share a database: the host's name,
    /// with `$BOOKING_INSTANCE` after it when set. The same after a restart, so an instance
    /// knows what it had itself claimed (notifyd's leases).
    public static func instanceName(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let host = ProcessInfo.processInfo.hostName
        guard let number = environment[instanceVariable], !number.isEmpty else { return host }
        return host + "/" + number
    }

    /// The sections whose default would silently change what the suite does: who may be
    /// booked and when, where messages go, what the public page says. Every daemon refuses a
    /// file without one, even a section it does not read itself: one file configures the whole
    /// suite, and a section missing is most often a file cut short.
    public static let requiredSections = ["calendar", "consultants", "notifications", "web"]

    /// Refuses a file without one of `requiredSections`, naming those missing.
    public func requireSections() throws(ConfigurationError) {
        let missing = Self.requiredSections.filter { !presentKeys.contains($0) }
        guard !missing.isEmpty else { return }
        let names = missing.map { "`\($0)`" }.joined(separator: ", ")
        throw ConfigurationError(
            file: file,
            problem: "has no \(names) section\(missing.count == 1 ? "" : "s"); every daemon requires \(Self.requiredSections.joined(separator: ", ")) (was the file cut short?)"
        )
    }

    /// One line for a top-level key the file leaves out, saying the default that takes its
    /// place; nil when the file has the key. Each daemon logs these once at start, and
    /// `bookctl config check` lists them.
    public func defaultApplied(_ key: String, _ consequence: String) -> String? {
        presentKeys.contains(key) ? nil : "\(file) has no `\(key)` section: \(consequence)"
    }

    /// The defaults `daemon` applies for the suite's own keys that the file leaves out (every
    /// daemon when nil), from the values they gave.
    public func defaultsApplied(by daemon: String?) -> [String] {
        let seconds = Double(requestTimeout.components.seconds) + Double(requestTimeout.components.attoseconds) / 1e18
        let metricsConsequence = daemon.map { "\($0) serves no metrics" } ?? "no daemon serves metrics"
        return [
            defaultApplied("runtime_directory", "sockets in \(runtimeDirectory)"),
            defaultApplied("state_directory", "databases in \(stateDirectory)"),
            defaultApplied("log_level", "logging at \(logLevel)"),
            defaultApplied("max_message_bytes", "messages of up to \(maxMessageBytes) bytes"),
            defaultApplied("requests", "a request waits \(seconds) s for an answer, \(requestAttempts) attempts"),
            defaultApplied("endpoints", "every endpoint is an ipc socket in \(runtimeDirectory)"),
            defaultApplied("metrics", metricsConsequence),
            defaultApplied("backups", "no daily backups (bookctl backup takes one)"),
            defaultApplied("access", "admins are root and the group \(PeerAccess.defaultAdminGroup); the daemons run as "
                + PeerAccess.defaultDaemonUsers.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")),
        ].compactMap { $0 }
    }

    /// The top-level sections the daemons read with `section(_:as:)`; with the suite's own keys,
    /// every key a file may have at the top level.
    public static let sections: Set<String> = ["calendar", "consultants", "meeting", "bookings", "notifications", "web", "access", "privacy", "calendars"]

    /// Decodes one top-level section of the file (nil when it is absent), with errors that name
    /// the file and the key like every other configuration error.
    public func section<Section: Decodable>(_ key: String, as type: Section.Type) throws(ConfigurationError) -> Section? {
        try ConfigurationYAML.decode(
            SectionWrapper<Section>.self, from: text, file: file, userInfo: [SectionWrapper<Section>.keyInfo: key], checkTopLevel: false
        ).value
    }

    /// One scalar of a section another daemon reads, without checking that section's keys: its
    /// own daemon and `bookctl config check` do, and refuse the file if it is wrong.
    public func scalar(_ section: String, _ key: String) -> String? {
        guard let root = (try? Yams.load(yaml: text)) as? [String: Any], let part = root[section] as? [String: Any] else { return nil }
        return part[key].map { "\($0)" }
    }

    /// Resolves a path from the file the way every path in it is read: relative to its directory.
    public func path(_ path: String) -> String { Self.resolve(path, against: file) }

    /// Absolute, so that a daemon's paths do not depend on its working directory.
    static func resolve(_ path: String, against file: String) -> String {
        let directory = (file as NSString).deletingLastPathComponent
        let base = directory.hasPrefix("/") ? directory : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(directory)
        let joined = path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
        return URL(fileURLWithPath: joined).standardizedFileURL.path
    }

    /// Creates the runtime and state directories (development; systemd makes them in
    /// production), 0750 whatever the umask: the group (admins) may reach the sockets, others nothing.
    public func makeDirectories() throws {
        for directory in [runtimeDirectory, stateDirectory] where !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
            chmod(directory, 0o750)
        }
    }
}

private struct RawConfiguration: Decodable {
    var runtimeDirectory: String?
    var stateDirectory: String?
    var logLevel: String?
    var maxMessageBytes: Int?
    var endpoints: RawEndpoints?
    var clock: RawClock?
    var requests: RawRequests?
    var debug: RawDebug?
    var backups: RawBackups?
    var metrics: [String: String]?
    var curve: RawCurve?
    var storage: String?
    var postgresql: RawPostgres?

    enum CodingKeys: String, CodingKey {
        case runtimeDirectory = "runtime_directory", stateDirectory = "state_directory", logLevel = "log_level"
        case maxMessageBytes = "max_message_bytes", endpoints, clock, requests, debug, backups, metrics, curve, storage, postgresql
    }
}

private struct RawEndpoints: Decodable {
    var bookingd: RawEndpointList?
    var bookingdEvents: RawEndpointList?
    var availabilityd: RawEndpointList?
    var notifyd: String?
    var webd: String?
    var calsyncd: String?
    enum CodingKeys: String, CodingKey { case bookingd, bookingdEvents = "bookingd_events", availabilityd, notifyd, webd, calsyncd }
}

/// One endpoint, or a list of them (one per instance).
private struct RawEndpointList: Decodable {
    var endpoints: [String]

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) {
            endpoints = [one]
        } else {
            endpoints = try container.decode([String].self)
        }
    }
}

/// Decodes only the top-level key named in `userInfo`, so the coding path of an error inside
/// it starts with that key.
private struct SectionWrapper<Value: Decodable>: Decodable {
    static var keyInfo: CodingUserInfoKey { CodingUserInfoKey(rawValue: "booking.section")! }
    var value: Value?

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let key = Key(stringValue: decoder.userInfo[Self.keyInfo] as? String ?? "")
        let container = try decoder.container(keyedBy: Key.self)
        value = try container.decodeIfPresent(Value.self, forKey: key)
    }
}

private struct RawBackups: Decodable {
    var keepDaily: Int?
    var at: String?
    enum CodingKeys: String, CodingKey { case keepDaily = "keep_daily", at }
}

private struct RawDebug: Decodable {
    var allowStall: Bool?
    enum CodingKeys: String, CodingKey { case allowStall = "allow_stall" }
}

private struct RawClock: Decodable {
    var start: String?
    var rate: Double?
}

private struct RawRequests: Decodable {
    var timeoutMilliseconds: Int?
    var attempts: Int?
    enum CodingKeys: String, CodingKey { case timeoutMilliseconds = "timeout_milliseconds", attempts }
}


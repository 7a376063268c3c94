import Foundation
import ZeroMQ

/// The `curve:` section: CURVE keys for the tcp:// endpoints between hosts. On tcp every
/// endpoint needs CURVE; only an endpoint on loopback, listed in `insecure`, goes without (for
/// development). ipc:// and inproc:// endpoints never use it: the kernel names their peers.
public struct CurveConfiguration: Sendable, Equatable {
    /// Each daemon's public key: what its clients connect to it with, and (unless an entry of
    /// `admits` gives another) the key a server admits it by.
    public var publicKeys: [String: CurveKey] = [:]
    /// Where each daemon's secret key is: a systemd credential (`LoadCredential=`) of that name,
    /// else a file, relative to the configuration file. Default `<daemon>-curve.secret`.
    public var secretKeyFiles: [String: String] = [:]
    /// Each server daemon's admitted client keys.
    public var admits: [String: [AdmittedKey]] = [:]
    /// bookctl's key pair: the admin's secret key file (`bookctl --curve-key` wins).
    public var adminSecretKeyFile: String?
    /// The tcp:// endpoints (on loopback) that go without CURVE, by endpoint, for development.
    public var insecureEndpoints: Set<String> = []

    public init() {}

    /// A client key a server admits: a daemon, by its name, or an admin, by their user name.
    public struct AdmittedKey: Sendable, Equatable {
        public enum Kind: String, Sendable, Equatable { case daemon, admin }
        public var kind: Kind
        public var name: String
        public var publicKey: CurveKey
    }

    /// Whether `endpoint` is one that must use CURVE.
    public func requiresCurve(_ endpoint: String) -> Bool {
        endpoint.hasPrefix("tcp://") && !insecureEndpoints.contains(endpoint)
    }

    /// The credential name or file holding `daemon`'s secret key.
    public func secretKeyFile(of daemon: String) -> String {
        secretKeyFiles[daemon] ?? Self.defaultSecretKeyFile(of: daemon)
    }

    public static func defaultSecretKeyFile(of daemon: String) -> String { "\(daemon)-curve.secret" }

    /// The keys `daemon` admits, by the name its peers are known by.
    public func admissions(of daemon: String) -> [CurveKey: String] {
        Dictionary((admits[daemon] ?? []).map { ($0.publicKey, $0.name) }) { first, _ in first }
    }
}

extension CurveConfiguration {
    /// The section as the file gives it, checked against the endpoints: every tcp:// endpoint
    /// has its server's public key, or is on loopback and listed as insecure.
    static func parse(_ raw: RawCurve?, endpoints: SuiteConfiguration.Endpoints, file: String) throws(ConfigurationError) -> CurveConfiguration {
        var curve = CurveConfiguration()
        func key(_ text: String, at path: String) throws(ConfigurationError) -> CurveKey {
            do {
                return try CurveKey(z85: text)
            } catch {
                throw ConfigurationError(file: file, key: path, problem: "the key \(error) (bookctl keys generate NAME writes one)")
            }
        }
        func requireDaemon(_ name: String, at path: String) throws(ConfigurationError) {
            guard PeerAccess.defaultDaemonUsers[name] != nil else {
                throw ConfigurationError(file: file, key: path, problem: "is not a daemon of the suite (\(Self.daemonList))")
            }
        }
        for (daemon, text) in raw?.publicKeys ?? [:] {
            try requireDaemon(daemon, at: "curve.public_keys.\(daemon)")
            curve.publicKeys[daemon] = try key(text, at: "curve.public_keys.\(daemon)")
        }
        for (daemon, file) in raw?.secretKeys ?? [:] {
            try requireDaemon(daemon, at: "curve.secret_keys.\(daemon)")
            curve.secretKeyFiles[daemon] = file
        }
        curve.adminSecretKeyFile = raw?.adminSecretKey
        for (server, entries) in raw?.admits ?? [:] {
            try requireDaemon(server, at: "curve.admits.\(server)")
            curve.admits[server] = try entries.enumerated().map { (index, entry) throws(ConfigurationError) in
                let path = "curve.admits.\(server).\(index)"
                switch (entry.daemon, entry.admin) {
                case let (daemon?, nil):
                    try requireDaemon(daemon, at: "\(path).daemon")
                    if let text = entry.publicKey {
                        return AdmittedKey(kind: .daemon, name: daemon, publicKey: try key(text, at: "\(path).public_key"))
                    }
                    guard let known = curve.publicKeys[daemon] else {
                        throw ConfigurationError(file: file, key: "\(path).public_key",
                                                 problem: "is required: curve.public_keys has no key for \(daemon) to admit it by")
                    }
                    return AdmittedKey(kind: .daemon, name: daemon, publicKey: known)
                case let (nil, admin?):
                    guard PeerAccess.defaultDaemonUsers[admin] == nil else {
                        throw ConfigurationError(file: file, key: "\(path).admin", problem: "'\(admin)' is a daemon's name; admit it with `daemon: \(admin)`")
                    }
                    guard !admin.isEmpty, !admin.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                        throw ConfigurationError(file: file, key: "\(path).admin", problem: "is not a user name")
                    }
                    guard let text = entry.publicKey else {
                        throw ConfigurationError(file: file, key: "\(path).public_key", problem: "is required for an admin's key")
                    }
                    return AdmittedKey(kind: .admin, name: admin, publicKey: try key(text, at: "\(path).public_key"))
                default:
                    throw ConfigurationError(file: file, key: path, problem: "names either `daemon:` or `admin:`, exactly one")
                }
            }
        }
        var seen = Set<String>()
        let keys = endpoints.named.map(\.key).filter { seen.insert($0).inserted }
        for name in raw?.insecure ?? [] {
            let listed = endpoints.named.filter { $0.key == name }
            guard !listed.isEmpty else {
                throw ConfigurationError(file: file, key: "curve.insecure", problem: "'\(name)' is not an endpoint (\(keys.joined(separator: ", ")))")
            }
            for endpoint in listed {
                guard endpoint.endpoint.hasPrefix("tcp://") else {
                    throw ConfigurationError(file: file, key: "curve.insecure", problem: "endpoints.\(name) is not tcp://: only tcp goes without CURVE")
                }
                guard Self.isLoopback(endpoint.endpoint) else {
                    throw ConfigurationError(file: file, key: "curve.insecure",
                                             problem: "endpoints.\(name) (\(endpoint.endpoint)) is not on loopback: between hosts, tcp is always CURVE")
                }
                curve.insecureEndpoints.insert(endpoint.endpoint)
            }
        }
        // One socket connects to every instance of a list, with one set of CURVE options.
        for (key, list) in [("bookingd", endpoints.bookingd), ("bookingd_events", endpoints.bookingdEvents)]
        where Set(list.map(curve.requiresCurve)).count > 1 {
            throw ConfigurationError(file: file, key: "endpoints.\(key)",
                                     problem: "mixes endpoints with and without CURVE: a client reaches every instance the same way (all tcp with keys, or all ipc)")
        }
        for named in endpoints.named where curve.requiresCurve(named.endpoint) && curve.publicKeys[named.daemon] == nil {
            throw ConfigurationError(
                file: file, key: "curve.public_keys.\(named.daemon)",
                problem: "is required: endpoints.\(named.key) is \(named.endpoint), and tcp needs CURVE keys (bookctl keys generate \(named.daemon); "
                    + "for development on loopback only, list \(named.key) in curve.insecure)"
            )
        }
        return curve
    }

    /// `tcp://127.x.x.x:port`, `tcp://[::1]:port` or `tcp://localhost:port`.
    static func isLoopback(_ endpoint: String) -> Bool {
        let address = endpoint.dropFirst("tcp://".count)
        if address.hasPrefix("[::1]:") || address.hasPrefix("localhost:") { return true }
        let host = address.split(separator: ":").first.map(String.init) ?? ""
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    static var daemonList: String { PeerAccess.defaultDaemonUsers.keys.sorted().joined(separator: ", ") }
}

struct RawCurve: Decodable {
    var publicKeys: [String: String]?
    var secretKeys: [String: String]?
    var admits: [String: [RawAdmittedKey]]?
    var adminSecretKey: String?
    var insecure: [String]?

    enum CodingKeys: String, CodingKey {
        case publicKeys = "public_keys", secretKeys = "secret_keys", admits, adminSecretKey = "admin_secret_key", insecure
    }
}

struct RawAdmittedKey: Decodable {
    var daemon: String?
    var admin: String?
    var publicKey: String?
    enum CodingKeys: String, CodingKey { case daemon, admin, publicKey = "public_key" }
}

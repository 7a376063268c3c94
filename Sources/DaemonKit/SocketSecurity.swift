import Foundation
import NIOConcurrencyHelpers
import ZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// CURVE for one process's sockets, from the `curve:` section: its own key pair, what the servers
/// it binds admit, and each server's public key for the clients it connects. An endpoint that
/// needs no CURVE (ipc://, inproc://, an insecure loopback tcp://) gets none, and a process that
/// uses none never reads its secret key.
public final class SocketSecurity: Sendable {
    /// Whose key pair this is: a daemon's, or the admin's running bookctl.
    public enum Owner: Sendable, Equatable {
        case daemon(String)
        /// The secret key file given with `--curve-key`, else `curve.admin_secret_key`.
        case admin(secretKeyFile: String?)
    }

    private let owner: Owner
    private let configuration: NIOLockedValueBox<SuiteConfiguration>
    private let keyPair = NIOLockedValueBox<CurveKeyPair?>(nil)
    private let admissions: CurveAdmissions

    public init(_ owner: Owner, configuration: SuiteConfiguration) {
        self.owner = owner
        self.configuration = NIOLockedValueBox(configuration)
        if case let .daemon(name) = owner {
            admissions = CurveAdmissions(configuration.curve.admissions(of: name))
        } else {
            admissions = CurveAdmissions([:])
        }
    }

    /// An admin's tool (bookctl, bench): `curveKey` is the `--curve-key` given on its command line,
    /// read against the working directory as a command line's paths are.
    public static func admin(curveKey: String?, configuration: SuiteConfiguration) -> SocketSecurity {
        let path = curveKey.map { $0.hasPrefix("/") ? $0 : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent($0) }
        return SocketSecurity(.admin(secretKeyFile: path), configuration: configuration)
    }

    /// CURVE for the socket a daemon binds at `endpoint` (its requests, bookingd's events), or nil.
    public func server(binding endpoint: String) throws(ConfigurationError) -> CurveSecurity? {
        guard configuration.withLockedValue({ $0.curve.requiresCurve(endpoint) }) else { return nil }
        return .server(keyPair: try ownKeyPair(), admissions: admissions)
    }

    /// CURVE for a socket that connects to `daemon` at `endpoint`, or nil.
    public func client(of daemon: String, at endpoint: String) throws(ConfigurationError) -> CurveSecurity? {
        let configuration = configuration.withLockedValue { $0 }
        guard configuration.curve.requiresCurve(endpoint) else { return nil }
        guard let serverKey = configuration.curve.publicKeys[daemon] else {
            throw ConfigurationError(file: configuration.file, key: "curve.public_keys.\(daemon)",
                                     problem: "is required: \(endpoint) is tcp, and a client needs the server's public key")
        }
        return .client(keyPair: try ownKeyPair(), serverKey: serverKey)
    }

    /// CURVE for one socket that connects to every instance of `daemon` at `endpoints`: the
    /// configuration requires them to agree on CURVE, and the instances share one key pair.
    public func client(of daemon: String, at endpoints: [String]) throws(ConfigurationError) -> CurveSecurity? {
        try client(of: daemon, at: endpoints.first ?? "")
    }

    /// A reloaded file: the keys it admits count for the next connection (those open stay).
    public func reload(_ configuration: SuiteConfiguration) {
        self.configuration.withLockedValue { $0 = configuration }
        if case let .daemon(name) = owner { admissions.replace(with: configuration.curve.admissions(of: name)) }
    }

    /// The key pair, read once: from the secret key alone (the public key is derived from it),
    /// which must match the public key the file gives for this daemon.
    private func ownKeyPair() throws(ConfigurationError) -> CurveKeyPair {
        if let pair = keyPair.withLockedValue({ $0 }) { return pair }
        let configuration = configuration.withLockedValue { $0 }
        let (file, key, reader) = try source(configuration)
        let fail = { (problem: String) in ConfigurationError(file: configuration.file, key: key, problem: problem) }
        let text: String
        do {
            text = try CredentialFile.read(file, configuration: configuration, daemon: reader, privateFile: true)
        } catch {
            throw fail("\(reader) needs its CURVE secret key for tcp: \(error)")
        }
        let pair: CurveKeyPair
        do {
            pair = try CurveKeyPair(secretKey: try CurveKey(z85: text))
        } catch {
            throw fail("the secret key in \(file) \(error)")
        }
        if case let .daemon(name) = owner, let expected = configuration.curve.publicKeys[name], expected != pair.publicKey {
            throw ConfigurationError(file: configuration.file, key: "curve.public_keys.\(name)",
                                     problem: "is not the public key of the secret key in \(file) (that one is \(pair.publicKey))")
        }
        keyPair.withLockedValue { $0 = pair }
        return pair
    }

    /// Where the secret key is, the key of the file that says so, and who reads it.
    private func source(_ configuration: SuiteConfiguration) throws(ConfigurationError) -> (file: String, key: String, reader: String) {
        switch owner {
        case let .daemon(name):
            return (configuration.curve.secretKeyFile(of: name), "curve.secret_keys.\(name)", name)
        case let .admin(given):
            if let given { return (given, "--curve-key", "bookctl") }
            guard let file = configuration.curve.adminSecretKeyFile else {
                throw ConfigurationError(file: configuration.file, key: "curve.admin_secret_key",
                                         problem: "bookctl needs your CURVE secret key for tcp: give --curve-key FILE or curve.admin_secret_key "
                                             + "(bookctl keys generate \(OSUser.current) writes a pair)")
            }
            return (file, "curve.admin_secret_key", "bookctl")
        }
    }
}

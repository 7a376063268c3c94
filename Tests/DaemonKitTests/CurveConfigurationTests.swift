import DaemonKit
import Foundation
import Testing
import ZeroMQ

/// The `curve:` section: tcp:// needs CURVE keys, loopback may go without only when marked, and a
/// daemon's secret key is read from its credential (or file) when a tcp endpoint needs it.
@Suite struct CurveConfigurationTests {
    static let keys = (bookingd: try! CurveKeyPair.generate(), availabilityd: try! CurveKeyPair.generate(), alice: try! CurveKeyPair.generate())

    func parse(_ yaml: String, file: String = "/etc/booking/booking.yaml") throws(ConfigurationError) -> SuiteConfiguration {
        try SuiteConfiguration.parse(yaml, file: file)
    }

    var curve: String {
        """
        endpoints:
          bookingd: tcp://10.0.0.5:5550
          bookingd_events: tcp://10.0.0.5:5551
          availabilityd: tcp://10.0.0.6:5552
        curve:
          public_keys:
            bookingd: "\(Self.keys.bookingd.publicKey)"
            availabilityd: "\(Self.keys.availabilityd.publicKey)"
          admits:
            bookingd:
              - daemon: availabilityd
              - admin: alice
                public_key: "\(Self.keys.alice.publicKey)"
            availabilityd:
              - daemon: bookingd

        """
    }

    @Test func tcpWithKeysNamesWhomEachServerAdmits() throws {
        let configuration = try parse(curve)
        #expect(configuration.curve.requiresCurve(configuration.endpoints.bookingd[0]))
        #expect(!configuration.curve.requiresCurve(configuration.endpoints.notifyd), "ipc:// needs no CURVE")
        #expect(configuration.curve.admissions(of: "bookingd") == [Self.keys.availabilityd.publicKey: "availabilityd", Self.keys.alice.publicKey: "alice"])
        #expect(configuration.curve.admissions(of: "availabilityd") == [Self.keys.bookingd.publicKey: "bookingd"])
        #expect(configuration.curve.admissions(of: "notifyd").isEmpty)
    }

    @Test func loopbackTcpGoesWithoutCurveOnlyWhenMarkedInsecure() throws {
        let marked = try parse("endpoints:\n  bookingd: tcp://127.0.0.1:5550\n  availabilityd: tcp://[::1]:5552\ncurve:\n  insecure: [bookingd, availabilityd]\n")
        #expect(!marked.curve.requiresCurve(marked.endpoints.bookingd[0]))
        #expect(!marked.curve.requiresCurve(marked.endpoints.availabilityd[0]))
        #expect(throws: ConfigurationError.self) { try parse("endpoints:\n  bookingd: tcp://127.0.0.1:5550\n") }
        #expect(try parse("log_level: info\n").curve == CurveConfiguration(), "the default file has no tcp and no keys")
    }

    /// A directory holding `<daemon>-curve.secret` files, and the configuration file in it.
    func directory(_ secrets: [String: CurveKeyPair], mode: mode_t = 0o600) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("curve-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (daemon, pair) in secrets {
            let path = "\(directory)/\(daemon)-curve.secret"
            try Data((pair.secretKey.z85 + "\n").utf8).write(to: URL(fileURLWithPath: path))
            chmod(path, mode)
        }
        return directory
    }

    /// bookingd's CURVE on its tcp endpoint: its key pair and what it admits.
    func bookingdServer(_ security: SocketSecurity, _ configuration: SuiteConfiguration) throws -> (CurveKeyPair, CurveAdmissions) {
        guard case let .server(pair, admissions)? = try security.server(binding: configuration.endpoints.bookingd[0]) else {
            throw ConfigurationError(file: configuration.file, problem: "bookingd's tcp endpoint has no CURVE")
        }
        return (pair, admissions)
    }

    @Test func aDaemonReadsItsSecretKeyWhenATcpEndpointNeedsIt() throws {
        let directory = try directory(["bookingd": Self.keys.bookingd, "availabilityd": Self.keys.alice])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = try parse(curve, file: "\(directory)/booking.yaml")

        let bookingd = SocketSecurity(.daemon("bookingd"), configuration: configuration)
        let (pair, admissions) = try bookingdServer(bookingd, configuration)
        #expect(pair == Self.keys.bookingd)
        #expect(admissions.name(of: Self.keys.alice.publicKey) == "alice")
        guard case let .client(_, serverKey)? = try bookingd.client(of: "availabilityd", at: configuration.endpoints.availabilityd) else {
            Issue.record("bookingd's calls to availabilityd have no CURVE")
            return
        }
        #expect(serverKey == Self.keys.availabilityd.publicKey)
        #expect(try bookingd.server(binding: configuration.endpoints.notifyd) == nil, "ipc:// has no CURVE")

        // availabilityd's file holds another daemon's key: its public key is not the configured one.
        let availabilityd = SocketSecurity(.daemon("availabilityd"), configuration: configuration)
        #expect { try availabilityd.server(binding: configuration.endpoints.availabilityd[0]) } throws: { error in
            (error as? ConfigurationError)?.key == "curve.public_keys.availabilityd" && "\(error)".contains("is not the public key of the secret key")
        }
        // notifyd has no key file at all: named, with where it was looked for.
        let notifyd = SocketSecurity(.daemon("notifyd"), configuration: configuration)
        #expect { try notifyd.client(of: "bookingd", at: configuration.endpoints.bookingd) } throws: { error in
            (error as? ConfigurationError)?.key == "curve.secret_keys.notifyd" && "\(error)".contains("notifyd needs its CURVE secret key for tcp")
        }
        // An admin without --curve-key or curve.admin_secret_key is told how to give one.
        #expect { try SocketSecurity(.admin(secretKeyFile: nil), configuration: configuration).client(of: "bookingd", at: configuration.endpoints.bookingd) }
            throws: { error in (error as? ConfigurationError)?.key == "curve.admin_secret_key" }
    }

    @Test func aSecretKeyOthersMayReadOrThatIsNoKeyIsRefused() throws {
        let readable = try directory(["bookingd": Self.keys.bookingd], mode: 0o644)
        defer { try? FileManager.default.removeItem(atPath: readable) }
        let configuration = try parse(curve, file: "\(readable)/booking.yaml")
        #expect { try SocketSecurity(.daemon("bookingd"), configuration: configuration).server(binding: configuration.endpoints.bookingd[0]) }
            throws: { error in "\(error)".contains("may be read by others (mode 644); make it 0600") }

        let garbled = try directory([:])
        defer { try? FileManager.default.removeItem(atPath: garbled) }
        let path = "\(garbled)/bookingd-curve.secret"
        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        let other = try parse(curve, file: "\(garbled)/booking.yaml")
        #expect { try SocketSecurity(.daemon("bookingd"), configuration: other).server(binding: other.endpoints.bookingd[0]) }
            throws: { error in "\(error)".contains("the secret key in bookingd-curve.secret is 9 characters long") }
    }

    @Test func anAdmittedKeyIsIdentifiedAsTheDaemonOrTheAdminItNames() {
        let access = PeerAccess(daemonUsers: PeerAccess.defaultDaemonUsers.merging(["availabilityd": OSUser.current]) { $1 })
        let alice = access.identify(.curveKey(name: "alice"))
        #expect(alice.name == "alice" && alice.isAdmin && alice.daemons.isEmpty && !alice.isDaemonItself)
        let notifyd = access.identify(.curveKey(name: "notifyd"))
        #expect(notifyd.name == "notifyd" && !notifyd.isAdmin && notifyd.daemons == ["notifyd"] && !notifyd.isDaemonItself)
        #expect(access.identify(.curveKey(name: "availabilityd")).isDaemonItself, "a daemon of this daemon's OS user counts as over ipc")
    }

    @Test func theMultiHostExampleIsValidAndAdmitsWhomItSays() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("config/multi-host.example.yaml").path
        let configuration = try parse(try String(contentsOfFile: path, encoding: .utf8), file: path)
        #expect(configuration.endpoints.named.allSatisfy { configuration.curve.requiresCurve($0.endpoint) })
        #expect(Set(configuration.curve.admissions(of: "bookingd").values) == ["availabilityd", "notifyd", "webd", "calsyncd", "alice"])
        #expect(Array(configuration.curve.admissions(of: "webd").values) == ["alice"])
    }

    @Test func aReloadChangesWhichKeysTheNextConnectionsMayUse() throws {
        let directory = try directory(["bookingd": Self.keys.bookingd])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = try parse(curve, file: "\(directory)/booking.yaml")
        let security = SocketSecurity(.daemon("bookingd"), configuration: configuration)
        let (_, admissions) = try bookingdServer(security, configuration)
        let withoutAlice = curve.replacingOccurrences(of: "      - admin: alice\n        public_key: \"\(Self.keys.alice.publicKey)\"\n", with: "")
        #expect(withoutAlice != curve, "the file without alice's entry")
        security.reload(try parse(withoutAlice, file: "\(directory)/booking.yaml"))
        #expect(admissions.name(of: Self.keys.alice.publicKey) == nil, "alice's key is withdrawn")
        #expect(admissions.name(of: Self.keys.availabilityd.publicKey) == "availabilityd")
    }
}

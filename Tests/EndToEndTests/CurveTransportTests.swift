import BookingProtocol
import DaemonKit
import Foundation
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// bookingd and availabilityd on tcp:// with CURVE, as between hosts (here on loopback, which
/// still needs keys unless marked insecure): booking works, availabilityd follows bookingd's
/// events through CURVE, a key nobody admitted gets nothing, and the audit trail names the
/// admin by their key.
@Suite(.serialized)
struct CurveTransportTests {
    struct Keys {
        let bookingd = try! CurveKeyPair.generate()
        let availabilityd = try! CurveKeyPair.generate()
        let alice = try! CurveKeyPair.generate()
        let tester = try! CurveKeyPair.generate()
        let mallory = try! CurveKeyPair.generate()
    }

    /// The suite with bookingd's and availabilityd's endpoints on tcp, their secret keys in the
    /// default files beside the configuration, and alice's for bookctl.
    func suite(_ keys: Keys) throws -> SuiteProcess {
        let ports = try (0..<3).map { _ in try SuiteProcess.freePort() }
        let endpoints = ["bookingd": "tcp://127.0.0.1:\(ports[0])", "bookingd_events": "tcp://127.0.0.1:\(ports[1])",
                         "availabilityd": "tcp://127.0.0.1:\(ports[2])"]
        var options = SuiteProcess.Options()
        func admins(_ indent: String) -> String {
            "\(indent)- admin: alice\n\(indent)  public_key: \"\(keys.alice.publicKey)\"\n\(indent)- admin: tester\n\(indent)  public_key: \"\(keys.tester.publicKey)\"\n"
        }
        options.extra = """
            endpoints:
              bookingd: \(endpoints["bookingd"]!)
              bookingd_events: \(endpoints["bookingd_events"]!)
              availabilityd: \(endpoints["availabilityd"]!)
            curve:
              public_keys:
                bookingd: "\(keys.bookingd.publicKey)"
                availabilityd: "\(keys.availabilityd.publicKey)"
              admin_secret_key: alice-curve.secret
              admits:
                bookingd:
                  - daemon: availabilityd
            \(admins("      "))    availabilityd:
                  - daemon: bookingd
            \(admins("      "))
            """
        let suite = try SuiteProcess(options)
        for (name, pair) in [("bookingd", keys.bookingd), ("availabilityd", keys.availabilityd), ("alice", keys.alice), ("mallory", keys.mallory)] {
            let path = suite.directory + "/\(name)-curve.secret"
            try Data((pair.secretKey.z85 + "\n").utf8).write(to: URL(fileURLWithPath: path))
            chmod(path, 0o600)
        }
        suite.tcpEndpoints = ["bookingd": endpoints["bookingd"]!, "availabilityd": endpoints["availabilityd"]!]
        suite.clientCurve = ["bookingd": .client(keyPair: keys.tester, serverKey: keys.bookingd.publicKey),
                             "availabilityd": .client(keyPair: keys.tester, serverKey: keys.availabilityd.publicKey)]
        return suite
    }

    @Test func aBookingCrossesCurveAndTheAuditTrailNamesTheAdminsKey() async throws {
        let keys = Keys()
        let suite = try suite(keys)
        defer { suite.tearDown() }
        try await suite.start("bookingd")
        try await suite.start("availabilityd")

        let slots = ["slots", "--from", "2026-12-02", "--days", "1", "--json"]
        let before = try #require(try suite.bookctlJSON(slots) as? [Any])
        let booked = try suite.bookctl(["book", "--start", "2026-12-02T10:00", "--name", "Алиса Клиентова", "--email", "client@example.com", "--phone", "+79161234567"])
        #expect(booked.status == 0, "\(booked.stderr)")
        // availabilityd follows bookingd's events over CURVE: the slot's last free consultant... one fewer offer.
        var after: [Any] = before
        for _ in 0..<50 {
            after = try #require(try suite.bookctlJSON(slots) as? [Any])
            if "\(after)" != "\(before)" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect("\(after)" != "\(before)", "availabilityd saw the booking's event")
        let audit = try suite.auditTrail("bookingd")
        #expect(audit.contains("book|alice|ok"), "\(audit)")

        // A key nobody admitted: refused at the handshake, so bookctl hears nothing.
        let mallory = try suite.bookctl(["list", "--curve-key", suite.directory + "/mallory-curve.secret"])
        #expect(mallory.status == 3, "\(mallory.stdout) \(mallory.stderr)")
        #expect(mallory.stderr.contains("did not answer"), "\(mallory.stderr)")
        // Nor a client without CURVE.
        let plain = try await DaemonClient(daemon: "bookingd", endpoint: suite.endpoint("bookingd"), context: suite.context, timeout: .milliseconds(500), attempts: 1)
        await #expect(throws: DaemonUnreachable.self) { let _: PingReply = try await plain.call(MessageType.ping, Empty()) }
        await plain.close()
        // Neither got as far as the audit trail: it has no line of theirs.
        #expect(try suite.auditTrail("bookingd").allSatisfy { !$0.contains("mallory") })
    }

    @Test func aDaemonWithATcpEndpointAndNoKeyRefusesToStart() async throws {
        let keys = Keys()
        let suite = try suite(keys)
        defer { suite.tearDown() }
        unlink(suite.directory + "/bookingd-curve.secret")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: SuiteProcess.binDirectory + "/bookingd")
        process.arguments = ["--config", suite.configPath]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 78, "\(output)")
        #expect(output.contains("curve.secret_keys.bookingd: bookingd needs its CURVE secret key for tcp: cannot read"), "\(output)")
    }
}

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
    /// `host`: the address they bind (loopback by default, another namespace's in `HostNetwork`).
    func suite(_ keys: Keys, host: String = "127.0.0.1") throws -> SuiteProcess {
        let ports = host == "127.0.0.1" ? try (0..<3).map { _ in try SuiteProcess.freePort() } : [5550, 5551, 5552]
        let endpoints = ["bookingd": "tcp://\(host):\(ports[0])", "bookingd_events": "tcp://\(host):\(ports[1])",
                         "availabilityd": "tcp://\(host):\(ports[2])"]
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
            try suite.installSecretKey(name, pair)
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

    @Test func aKeyAdmittedOnReloadGetsInWhileTheDaemonServesAndKeysListSaysWho() async throws {
        let keys = Keys()
        let suite = try suite(keys)
        defer { suite.tearDown() }
        try await suite.start("bookingd")
        let mallory = ["list", "--curve-key", suite.directory + "/mallory-curve.secret"]
        #expect(try suite.bookctl(mallory).status == 3)

        // Admitted in the file, and the file reloaded (SIGHUP, as systemctl reload does).
        try suite.editConfiguration {
            $0.replacingOccurrences(of: "    bookingd:\n      - daemon: availabilityd\n",
                                    with: "    bookingd:\n      - daemon: availabilityd\n      - admin: mallory\n        public_key: \"\(keys.mallory.publicKey)\"\n")
        }
        let listed = try #require(try suite.bookctlJSON(["keys", "list"]) as? [[String: Any]])
        let bookingdAdmits = listed.filter { $0["daemon"] as? String == "bookingd" }.map { "\($0["admits"]!) \($0["kind"]!)" }
        #expect(bookingdAdmits == ["availabilityd daemon", "mallory admin", "alice admin", "tester admin"], "\(listed)")
        #expect(listed.contains { $0["admits"] as? String == "mallory" && $0["publicKey"] as? String == keys.mallory.publicKey.z85 })

        suite.signal("bookingd", SIGHUP)
        var run = try suite.bookctl(mallory)
        for _ in 0..<50 where run.status != 0 {
            try await Task.sleep(for: .milliseconds(100))
            run = try suite.bookctl(mallory)
        }
        #expect(run.status == 0, "\(run.stderr)")
        // The keys admitted before are still admitted.
        #expect(try suite.bookctl(["list"]).status == 0)
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

    /// bookingd and availabilityd on another "host" (a network namespace, on a link to this
    /// one), the client here: while a booking crosses the link, the frames captured on it
    /// carry neither the client's email nor their name, though a plaintext canary sent over the
    /// same link is seen (the capture works).
    @Test(.enabled(if: HostNetwork.isAvailable, "needs root and ip(8): it makes a network namespace and a link"))
    func nothingPersonalCrossesTheLinkInClear() async throws {
        let network = try HostNetwork(hosts: ["server"])
        defer { network.remove() }
        let host = network["server"]
        let keys = Keys()
        let suite = try suite(keys, host: host.address)
        defer { suite.tearDown() }
        try await suite.start("bookingd", namespace: host.namespace)
        try await suite.start("availabilityd", namespace: host.namespace)

        let capture = try await LinkCapture(host.link, into: suite.directory + "/link.bin")
        defer { capture.stop() }

        let (name, email) = ("Zinaida Capturova", "zinaida.capturova@example.com")
        let booked = try suite.bookctl(["book", "--start", "2026-12-02T10:00", "--name", name, "--email", email, "--phone", "+79161234567"])
        #expect(booked.status == 0, "\(booked.stderr)")
        // The appointments, contacts and all, come back across the link too.
        let listed = try suite.bookctl(["list", "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        // The positive control: bytes in clear on the same link, to bookingd's port.
        let canary = "CANARY-IN-CLEAR-\(UUID().uuidString)"
        try LinkCapture.sendCanary(canary, to: host.address, port: 5550)
        try await Task.sleep(for: .milliseconds(300))

        let frames = try capture.frames
        #expect(frames.range(of: Data(canary.utf8)) != nil, "the capture sees the link (\(frames.count) bytes)")
        #expect(frames.count > 2_000, "the booking's traffic crossed the link (\(frames.count) bytes)")
        for secret in [email, name, "zinaida", "Capturova", "+79161234567", "79161234567"] {
            #expect(frames.range(of: Data(secret.utf8)) == nil, "\(secret) crossed the link in clear")
        }
        // And from this "host", a key nobody admitted gets nothing.
        let mallory = try suite.bookctl(["list", "--curve-key", suite.directory + "/mallory-curve.secret"])
        #expect(mallory.status == 3, "\(mallory.stderr)")
    }
}

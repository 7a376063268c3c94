import BookingProtocol
import DaemonKit
import Foundation
import LoopbackServers
import NIOConcurrencyHelpers
import PostgresTesting
import SuiteTesting
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// The suite on several "hosts" of one machine (issue 12's proof): PostgreSQL, two bookingd
/// instances, availabilityd and notifyd each in a network namespace of its own, on one link
/// (`HostNetwork`), every endpoint tcp:// with CURVE and PostgreSQL over TCP with a password.
/// The test process is a host too, on the bridge: bookctl, the test's clients and the mail server
/// (aiosmtpd, STARTTLS) are there.
@Suite(.serialized, .enabled(if: HostNetwork.isAvailable, "needs root and ip(8): it makes network namespaces, veth pairs and a bridge"))
struct SeveralHostsTests {
    /// The hosts, in the order of their addresses (10.232.N.2 on).
    static let hostNames = ["pg", "b1", "b2", "av", "nt"]
    /// Where each daemon listens on its host; the canary goes to the same port.
    static let ports = ["pg": 5432, "b1": 5550, "b2": 5550, "av": 5552, "nt": 5553]
    static let eventsPort = 5551

    /// Everything one test runs, removed by `tearDown` whatever happened.
    final class Deployment: @unchecked Sendable {
        let network: HostNetwork
        /// bookingd's (both instances'), availabilityd's, the admins' and mallory's, and notifyd's.
        let keys = CurveTransportTests.Keys()
        let notifydKeys = try! CurveKeyPair.generate()
        private(set) var postgres: PostgresTestServer?
        private(set) var smtp: LoopbackSMTPServer?
        private(set) var suite: SuiteProcess?
        private let certificates: String

        /// The hosts, the database, the mail server and the configuration; nothing runs yet but
        /// PostgreSQL and the mail server.
        init() async throws {
            let network = try HostNetwork(hosts: SeveralHostsTests.hostNames)
            self.network = network
            var template = Array("/tmp/bk-cert-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else {
                network.remove()
                throw POSIXError(.EIO)
            }
            certificates = String(cString: made)
            do {
                try await prepare()
            } catch {
                tearDown()
                throw error
            }
        }

        private func prepare() async throws {
            let pg = network["pg"]
            let postgres = try await PostgresTestServer.start(in: .init(namespace: pg.namespace, address: pg.address, clients: network.subnet))
            self.postgres = postgres
            let local = try await postgres.makeDatabase()
            let database = try #require(postgres.overTCP(local))

            // STARTTLS with a certificate for the bridge's address, so notifyd's mail crosses nt's
            // link encrypted, as it would to a relay on another host.
            let (certificate, key) = (certificates + "/smtp.pem", certificates + "/smtp.key")
            let made = try SuiteProcess.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=\(network.bridgeAddress)",
                                                                 "-addext", "subjectAltName=IP:\(network.bridgeAddress)", "-keyout", key, "-out", certificate])
            guard made.status == 0 else { throw SuiteFailure("openssl req: \(made.stderr)") }
            let smtp = try LoopbackSMTPServer(options: ["--host", network.bridgeAddress, "--tls-cert", certificate, "--tls-key", key, "--starttls"])
            self.smtp = smtp

            var options = SuiteProcess.Options()
            options.consultants = SeveralInstancesTests.consultants
            // The drills' mail settings, the server on the bridge and over STARTTLS.
            options.notifications = DrillSuite.notifications(smtpPort: smtp.port)
                .replacingOccurrences(of: "host: 127.0.0.1, port: \(smtp.port), security: none",
                                      with: "host: \(network.bridgeAddress), port: \(smtp.port), security: starttls, ca_file: \(certificate)")
            guard options.notifications.contains("starttls") else { throw SuiteFailure("DrillSuite.notifications changed: no SMTP line to point at the bridge") }
            let endpoints = endpointsByDaemon
            let admins = """
                      - admin: alice
                        public_key: "\(keys.alice.publicKey)"
                      - admin: tester
                        public_key: "\(keys.tester.publicKey)"
                """
            options.extra = try SuiteProcess.Options.postgresql(database, connections: 4) + """
                endpoints:
                  bookingd: [\(endpoints["bookingd"]!), \(endpoints["bookingd-2"]!)]
                  bookingd_events: [tcp://\(network["b1"].address):\(SeveralHostsTests.eventsPort), tcp://\(network["b2"].address):\(SeveralHostsTests.eventsPort)]
                  availabilityd: \(endpoints["availabilityd"]!)
                  notifyd: \(endpoints["notifyd"]!)
                curve:
                  public_keys:
                    bookingd: "\(keys.bookingd.publicKey)"
                    availabilityd: "\(keys.availabilityd.publicKey)"
                    notifyd: "\(notifydKeys.publicKey)"
                  admin_secret_key: alice-curve.secret
                  admits:
                    bookingd:
                      - daemon: availabilityd
                      - daemon: notifyd
                \(admins)
                    availabilityd:
                      - daemon: bookingd
                      - daemon: notifyd
                \(admins)
                    notifyd:
                \(admins)

                """
            let suite = try SuiteProcess(options)
            self.suite = suite
            for (name, pair) in [("bookingd", keys.bookingd), ("availabilityd", keys.availabilityd), ("notifyd", notifydKeys),
                                 ("alice", keys.alice), ("mallory", keys.mallory)] {
                try suite.installSecretKey(name, pair)
            }
            suite.tcpEndpoints = endpoints
            suite.clientCurve = serverKeys.mapValues { CurveSecurity.client(keyPair: keys.tester, serverKey: $0.publicKey) }
        }

        /// The key pair each daemon (and the second instance) answers with.
        var serverKeys: [String: CurveKeyPair] {
            ["bookingd": keys.bookingd, "bookingd-2": keys.bookingd, "availabilityd": keys.availabilityd, "notifyd": notifydKeys]
        }

        /// Each daemon's (and the second instance's) command endpoint, on its host.
        var endpointsByDaemon: [String: String] {
            let hosts = ["bookingd": "b1", "bookingd-2": "b2", "availabilityd": "av", "notifyd": "nt"]
            return hosts.mapValues { "tcp://\(network[$0].address):\(SeveralHostsTests.ports[$0]!)" }
        }

        /// The daemons, each on its host; the first bookingd instance first (it takes the
        /// publisher's lock).
        func startDaemons() async throws {
            let suite = try #require(suite)
            try await suite.start("bookingd", environment: ["BOOKING_INSTANCE": "1"], namespace: network["b1"].namespace)
            try await suite.start("bookingd", as: "bookingd-2", environment: ["BOOKING_INSTANCE": "2"], namespace: network["b2"].namespace)
            try await suite.start("availabilityd", namespace: network["av"].namespace)
            try await suite.start("notifyd", namespace: network["nt"].namespace)
        }

        /// A client of both bookingd instances, as bookctl and webd are.
        func bookingd(timeout: Duration = .seconds(3), attempts: Int = 4, as pair: CurveKeyPair? = nil) async throws -> DaemonClient {
            let suite = try #require(suite)
            return try await DaemonClient(daemon: "bookingd", endpoints: [suite.endpoint("bookingd"), suite.endpoint("bookingd-2")], context: suite.context,
                                          timeout: timeout, attempts: attempts, user: "tester",
                                          curve: .client(keyPair: pair ?? keys.tester, serverKey: keys.bookingd.publicKey))
        }

        /// Daemons first (their links must still be there to stop cleanly), then PostgreSQL,
        /// the mail server, the hosts and the certificate.
        func tearDown() {
            suite?.tearDown()
            postgres?.stopForGood()
            smtp?.stop()
            network.remove()
            try? FileManager.default.removeItem(atPath: certificates)
        }
    }

    /// One client's contact, distinctive enough that no byte sequence of the protocol holds it by chance.
    struct Person {
        let name: String
        let email: String
        let phone: String

        /// What must not be seen in clear: the whole and its parts, in the forms a store or a
        /// template might write them.
        var secrets: [String] {
            let digits = phone.filter(\.isNumber)
            return [name, email, email.lowercased(), phone, digits, String(digits.dropFirst())] + name.split(separator: " ").map(String.init)
        }
    }

    static let people = [
        Person(name: "Zinaida Capturova", email: "zinaida.capturova@example.com", phone: "+79161234567"),
        Person(name: "Tikhon Perekhvatov", email: "tikhon.perekhvatov@example.org", phone: "+79031112233"),
        Person(name: "Фёкла Снифферова", email: "fyokla.sniffer@example.net", phone: "+79257654321"),
    ]

    @Test func bookingsCrossTheLinksAKeyNobodyAdmittedIsRefusedAndNothingPersonalCrossesInClear() async throws {
        let deployment = try await Deployment()
        defer { deployment.tearDown() }
        let suite = try #require(deployment.suite)
        let smtp = try #require(deployment.smtp)
        try await deployment.startDaemons()

        var captures: [String: LinkCapture] = [:]
        defer { captures.values.forEach { $0.stop() } }
        for host in deployment.network.hosts {
            captures[host.name] = try await LinkCapture(host.link, into: suite.directory + "/\(host.name).bin")
        }

        // (a) Bookings through bookctl from this namespace, and read back across the links.
        var references: [String: Person] = [:]
        for (index, person) in Self.people.enumerated() {
            let booked = try #require(try suite.bookctlJSON(["book", "--start", "2026-12-02T1\(index):00", "--name", person.name, "--email", person.email,
                                                             "--phone", person.phone]) as? [String: Any])
            references[try #require(booked["reference"] as? String)] = person
        }
        let listed = try #require(try suite.bookctlJSON(["list"]) as? [[String: Any]])
        for (reference, person) in references {
            let row = listed.first { $0["reference"] as? String == reference }
            #expect(row != nil, "\(reference) is listed")
            #expect("\(row ?? [:])".contains(person.email), "\(reference) comes back with its contact: \(row ?? [:])")
        }
        let slots = try suite.bookctl(["slots", "--from", "2026-12-02", "--days", "1", "--json"])
        #expect(slots.status == 0, "availabilityd answers across its link: \(slots.stderr)")
        // The confirmations: notifyd, on its host, hears the events and mails each client.
        let deadline = ContinuousClock.now + TestTimeouts.scaled(.seconds(60))
        var mailed: Set<String> = []
        while ContinuousClock.now < deadline {
            mailed = Set(smtp.messages.flatMap(\.rcptTos))
            if Self.people.allSatisfy({ mailed.contains($0.email) }) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        for person in Self.people { #expect(mailed.contains(person.email), "\(person.email)'s confirmation reached the mail server: \(mailed)") }
        let overTLS = smtp.messages.allSatisfy { $0.tls }
        #expect(overTLS, "every message came over STARTTLS")

        // (b) A key nobody admitted, at each daemon on each host: refused at the handshake.
        let malloryKey = suite.directory + "/mallory-curve.secret"
        for (command, daemon) in [(["list"], "bookingd"), (["slots", "--from", "2026-12-02", "--days", "1"], "availabilityd"),
                                  (["notifications", "show", "--failed"], "notifyd")] {
            let refused = try suite.bookctl(command + ["--curve-key", malloryKey])
            #expect(refused.status == 3, "\(daemon) refuses mallory: \(refused.stdout) \(refused.stderr)")
            #expect(refused.stderr.contains("did not answer"), "\(daemon): \(refused.stderr)")
        }
        let serverKeys = deployment.serverKeys
        for (daemon, endpoint) in deployment.endpointsByDaemon.sorted(by: { $0.key < $1.key }) {
            let mallory = try await DaemonClient(daemon: daemon, endpoint: endpoint, context: suite.context, timeout: .milliseconds(1500), attempts: 1,
                                                 curve: .client(keyPair: deployment.keys.mallory, serverKey: serverKeys[daemon]!.publicKey))
            await #expect(throws: DaemonUnreachable.self, "\(daemon) at \(endpoint) refuses mallory") {
                let _: PingReply = try await mallory.call(MessageType.ping, Empty())
            }
            await mallory.close()
        }

        // (c) The positive control: a canary in clear to each host, over its link.
        var canaries: [String: String] = [:]
        for host in deployment.network.hosts {
            let canary = "CANARY-IN-CLEAR-\(host.name)-\(UUID().uuidString)"
            try LinkCapture.sendCanary(canary, to: host.address, port: Self.ports[host.name]!)
            canaries[host.name] = canary
        }
        try await Task.sleep(for: .milliseconds(500))
        captures.values.forEach { $0.stop() }

        let secrets = Self.people.flatMap(\.secrets)
        for host in deployment.network.hosts {
            let frames = try captures[host.name]!.frames
            #expect(frames.range(of: Data(canaries[host.name]!.utf8)) != nil, "the capture sees \(host.name)'s link (\(frames.count) bytes)")
            #expect(frames.count > 2_000, "the suite's traffic crossed \(host.name)'s link (\(frames.count) bytes)")
            let inClear = secrets.filter { frames.range(of: Data($0.utf8)) != nil }
            print("several hosts: \(host.name)'s link carried \(frames.count) bytes; in clear: \(inClear.isEmpty ? "nothing personal" : Self.contexts(of: inClear, in: frames))")
            #expect(inClear.isEmpty, "on \(host.name)'s link in clear: \(Self.contexts(of: inClear, in: frames))")
        }
    }

    /// What became of the stream's bookings.
    struct Outcomes {
        var acknowledged: [Int: AppointmentBody] = [:]
        /// Answered with an error other than `unavailable`: the booking was refused.
        var refused: [Int: String] = [:]
        /// Given up after every try: neither acknowledged nor refused.
        var unanswered: [Int: String] = [:]
        /// Requests sent again with their idempotency key, after no answer or `unavailable`.
        var retried = 0
    }

    /// The links taken down in turn while bookings stream in, and how long each stays down.
    static let cuts: [(host: String, seconds: Int)] = [("b1", 5), ("nt", 5), ("pg", 3)]

    @Test func linksTakenDownAndBroughtBackLoseNoAcknowledgedBookingAndNoNotification() async throws {
        let deployment = try await Deployment()
        defer { deployment.tearDown() }
        let smtp = try #require(deployment.smtp)
        try await deployment.startDaemons()
        // One try per call: every request sent again is the test's, and counted.
        let bookingd = try await deployment.bookingd(attempts: 1)

        let outcomes = NIOLockedValueBox(Outcomes())
        let cutsDone = NIOLockedValueBox(false)
        // At least 200 bookings, and on until the last link is back: the stream spans every cut.
        let next = NIOLockedValueBox(0)
        let take: @Sendable () -> Int? = {
            let done = cutsDone.withLockedValue { $0 }
            return next.withLockedValue { n in
                guard n < 200 || !done, n < 800 else { return nil }
                defer { n += 1 }
                return n
            }
        }
        let network = deployment.network
        let cutter = Task {
            try await Task.sleep(for: .seconds(2))
            for cut in Self.cuts {
                try network.setLink(of: cut.host, up: false)
                print("several hosts: \(cut.host)'s link down after \(next.withLockedValue { $0 }) bookings were started")
                try await Task.sleep(for: .seconds(cut.seconds))
                try network.setLink(of: cut.host, up: true)
                print("several hosts: \(cut.host)'s link up again")
                try await Task.sleep(for: .seconds(2))
            }
            cutsDone.withLockedValue { $0 = true }
        }
        defer { cutter.cancel() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    while let n = take() {
                        let request = BookRequest(start: try SeveralInstancesTests.place(n), contact: contact(n))
                        var tries = 0
                        while true {
                            tries += 1
                            do {
                                let booked: AppointmentBody = try await bookingd.call(MessageType.book, request, idempotencyKey: "hosts-\(n)")
                                outcomes.withLockedValue { $0.acknowledged[n] = booked }
                                break
                            } catch let error as ProtocolError where error.code != .unavailable && error.code != .deadlineExceeded {
                                // unavailable and deadline_exceeded commit nothing: sent again with the key.
                                outcomes.withLockedValue { $0.refused[n] = error.code.rawValue }
                                break
                            } catch {
                                guard tries < 20 else {
                                    outcomes.withLockedValue { $0.unanswered[n] = "\(error)" }
                                    break
                                }
                                outcomes.withLockedValue { $0.retried += 1 }
                                try await Task.sleep(for: .milliseconds(200))
                            }
                        }
                        // A steady stream, not a flood: the cuts fall among bookings in flight.
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
            }
            try await group.waitForAll()
        }
        try await cutter.value
        let result = outcomes.withLockedValue { $0 }
        let started = next.withLockedValue { $0 }
        print("several hosts: \(started) bookings sent, \(result.acknowledged.count) acknowledged, \(result.refused.count) refused \(result.refused), "
              + "\(result.retried) retries, \(result.unanswered.count) unanswered \(result.unanswered)")
        #expect(result.refused.isEmpty, "distinct places, none refused: \(result.refused)")
        #expect(result.unanswered.isEmpty, "every booking was answered in the end: \(result.unanswered)")

        // Every acknowledged booking is in the database, as it was answered; no consultant has
        // two active appointments that overlap.
        let stored = try await SeveralInstancesTests.allAppointments(bookingd)
        let byReference = Dictionary(stored.map { ($0.reference, $0) }) { first, _ in first }
        for (n, booking) in result.acknowledged.sorted(by: { $0.key < $1.key }) {
            #expect(byReference[booking.reference]?.status == booking.status, "acknowledged booking \(n) (\(booking.reference)) is stored as answered")
        }
        let active = stored.filter { $0.status != "cancelled" }
        for (consultant, appointments) in Dictionary(grouping: active, by: \.consultantId) {
            let sorted = appointments.sorted { $0.start < $1.start }
            for (earlier, later) in zip(sorted, sorted.dropFirst()) {
                #expect(later.start >= earlier.end, "\(consultant): \(earlier.reference) and \(later.reference) overlap")
            }
        }

        // Every acknowledged booking's client gets their confirmation. One notifyd never died,
        // so a message goes once, unless a send was cut off after the server took it and before
        // notifyd heard so: sent again, it carries the same Message-ID (docs/operations.md).
        let expected = Set(result.acknowledged.keys.map { contact($0).email })
        let deadline = ContinuousClock.now + TestTimeouts.scaled(.seconds(180))
        var mails = smtp.messages
        while ContinuousClock.now < deadline {
            mails = smtp.messages
            if expected.isSubset(of: Set(mails.flatMap(\.rcptTos))) { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        let toClients = mails.filter { $0.rcptTos.contains { expected.contains($0) } }
        let missing = expected.subtracting(toClients.flatMap(\.rcptTos))
        #expect(missing.isEmpty, "\(missing.count) acknowledged bookings' confirmations never reached the mail server: \(missing.sorted().prefix(20))")
        let byRecipient = Dictionary(grouping: toClients, by: { $0.rcptTos.sorted().joined(separator: ",") })
        let repeated = byRecipient.filter { $0.value.count > 1 }
        for (recipient, copies) in repeated {
            #expect(Set(copies.map(\.messageID)).count == 1, "\(recipient) got \(copies.count) different messages: \(copies.map(\.messageID))")
        }
        print("several hosts: \(toClients.count) confirmations to \(byRecipient.count) clients (\(expected.count) acknowledged), "
              + "\(repeated.count) sent twice with one Message-ID; \(mails.count) messages in all")
        await bookingd.close()
    }

    /// Each secret with the printable bytes around its first occurrence: the statement or the
    /// column it crossed in.
    static func contexts(of secrets: [String], in frames: Data) -> String {
        secrets.compactMap { secret -> String? in
            guard let range = frames.range(of: Data(secret.utf8)) else { return nil }
            let around = frames[max(frames.startIndex, range.lowerBound - 160)..<min(frames.endIndex, range.upperBound + 80)]
            let printable = String(decoding: around.map { (32...126).contains($0) ? $0 : UInt8(ascii: ".") }, as: UTF8.self)
            return "\(secret) in «\(printable)»"
        }.joined(separator: "\n")
    }
}

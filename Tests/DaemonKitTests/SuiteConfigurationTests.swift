import DaemonKit
import Foundation
import Testing

@Suite struct SuiteConfigurationTests {
    static let calendarFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("config/production-calendar.yaml").path

    func parse(_ yaml: String, file: String = "/etc/booking/booking.yaml") throws(ConfigurationError) -> SuiteConfiguration {
        try SuiteConfiguration.parse(yaml, file: file)
    }

    let minimal = "calendar:\n  production_calendar: \(calendarFile)\nconsultants:\n  - {id: anna, name: Anna}\n"

    @Test func theShippedDevelopmentFileIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let configuration = try SuiteConfiguration.load(path: root.appendingPathComponent("config/booking.yaml").path)
        #expect(configuration.runtimeDirectory == root.appendingPathComponent("var/run").path)
        #expect(configuration.endpoints.bookingd == ["ipc://\(root.path)/var/run/bookingd.ipc"])
    }

    /// Several bookingd instances: each finds its own pair of endpoints by `BOOKING_INSTANCE`.
    @Test func eachBookingdInstanceBindsItsPlaceInTheLists() throws {
        let configuration = try parse("endpoints:\n  bookingd: [ipc:///run/a.ipc, ipc:///run/b.ipc]\n  bookingd_events: [ipc:///run/ea.ipc, ipc:///run/eb.ipc]\n" + minimal)
        #expect(configuration.endpoints.bookingd == ["ipc:///run/a.ipc", "ipc:///run/b.ipc"])
        #expect(configuration.endpoints.requests(of: "bookingd") == ["ipc:///run/a.ipc", "ipc:///run/b.ipc"])
        let second = try configuration.bookingdInstance(environment: ["BOOKING_INSTANCE": "2"])
        #expect(second.number == 2 && second.requests == "ipc:///run/b.ipc" && second.events == "ipc:///run/eb.ipc")
        #expect(try configuration.bookingdInstance(environment: [:]).requests == "ipc:///run/a.ipc")
        #expect(throws: ConfigurationError.self) { try configuration.bookingdInstance(environment: ["BOOKING_INSTANCE": "3"]) }
        #expect(throws: ConfigurationError.self) { try configuration.bookingdInstance(environment: ["BOOKING_INSTANCE": "two"]) }
        let single = try parse("endpoints:\n  bookingd: ipc:///run/a.ipc\n" + minimal)
        #expect(single.endpoints.bookingd == ["ipc:///run/a.ipc"])
    }

    /// Several availabilityd replicas: the same variable gives each its place in its own list.
    @Test func eachAvailabilitydReplicaBindsItsPlaceInItsList() throws {
        let configuration = try parse("endpoints:\n  availabilityd: [ipc:///run/a.ipc, ipc:///run/b.ipc, ipc:///run/c.ipc]\n" + minimal)
        #expect(configuration.endpoints.requests(of: "availabilityd") == ["ipc:///run/a.ipc", "ipc:///run/b.ipc", "ipc:///run/c.ipc"])
        #expect(configuration.endpoints.named.filter { $0.daemon == "availabilityd" }.map(\.endpoint).count == 3)
        let third = try configuration.instance(of: "availabilityd", environment: ["BOOKING_INSTANCE": "3"])
        #expect(third.number == 3 && third.requests == "ipc:///run/c.ipc")
        #expect(try configuration.instance(of: "availabilityd", environment: [:]).requests == "ipc:///run/a.ipc")
        #expect(try configuration.bookingdInstance(environment: [:]).requests.hasSuffix("/bookingd.ipc"), "bookingd's list is its own")
        #expect {
            try configuration.instance(of: "availabilityd", environment: ["BOOKING_INSTANCE": "4"])
        } throws: { error in
            (error as? ConfigurationError)?.key == "endpoints.availabilityd" && "\(error)".contains("BOOKING_INSTANCE='4' is not one of 1...3")
        }
    }

    @Test func defaultsAreThoseOfAnInstalledSystem() throws {
        let configuration = try parse(minimal)
        #expect(configuration.runtimeDirectory == "/run/booking")
        #expect(configuration.stateDirectory == "/var/lib/booking")
        #expect(configuration.endpoints.availabilityd == ["ipc:///run/booking/availabilityd.ipc"])
        #expect(configuration.clockStart == nil)
    }

    @Test func relativePathsAreReadAgainstTheFilesDirectory() throws {
        let configuration = try parse("runtime_directory: ../var/run\nstate_directory: data\n" + minimal, file: "/srv/booking/config/booking.yaml")
        #expect(configuration.runtimeDirectory == "/srv/booking/var/run")
        #expect(configuration.stateDirectory == "/srv/booking/config/data")
        #expect(configuration.databasePath("x.sqlite") == "/srv/booking/config/data/x.sqlite")
    }

    @Test(arguments: [
        ("log_level: loud\n", "log_level", "not one of"),
        ("max_message_bytes: 10\n", "max_message_bytes", "between 4096"),
        ("requests:\n  attempts: 0\n", "requests.attempts", "between 1 and 10"),
        ("endpoints:\n  bookingd: http://x\n", "endpoints.bookingd", "not an ipc://"),
        ("clock:\n  start: yesterday\n", "clock.start", "not an ISO 8601 instant"),
        ("clock:\n  rate: 60\n", "clock.rate", "a rate needs `clock.start`"),
        ("clock:\n  start: \"2026-12-01T08:00:00+03:00\"\n  rate: 0\n", "clock.rate", "must be above 0"),
        ("endpoints: [\n", nil, "not valid YAML"),
        ("log_levl: debug\n", "log_levl", "unknown key `log_levl` at the top level; did you mean `log_level`?"),
        ("requests:\n  atempts: 2\n", "requests.atempts", "unknown key `atempts` in `requests`; did you mean `attempts`?"),
        ("backups:\n  at: \"03:00\"\n  kept: 3\n", "backups.kept", "unknown key `kept` in `backups`; known keys: at, keep_daily"),
        ("calender:\n  time_zone: UTC\n", "calender", "unknown key `calender` at the top level; did you mean `calendar`?"),
        // tcp:// needs CURVE keys (CurveConfigurationTests has the rest).
        ("endpoints:\n  bookingd: tcp://10.0.0.5:5550\n", "curve.public_keys.bookingd", "is required: endpoints.bookingd is tcp://10.0.0.5:5550, and tcp needs CURVE keys"),
        ("endpoints:\n  bookingd_events: tcp://127.0.0.1:5551\n", "curve.public_keys.bookingd", "list bookingd_events in curve.insecure"),
        ("endpoints:\n  bookingd: tcp://10.0.0.5:5550\ncurve:\n  insecure: [bookingd]\n", "curve.insecure", "is not on loopback: between hosts, tcp is always CURVE"),
        ("curve:\n  insecure: [notifyd]\n", "curve.insecure", "endpoints.notifyd is not tcp://"),
        ("curve:\n  insecure: [mailer]\n", "curve.insecure", "'mailer' is not an endpoint"),
        // Several bookingd instances: one events endpoint each, in the same order.
        ("endpoints:\n  bookingd: [ipc:///run/a.ipc, ipc:///run/b.ipc]\n", "endpoints.bookingd_events", "lists 1 endpoints for the 2 of endpoints.bookingd"),
        ("endpoints:\n  bookingd: [ipc:///run/a.ipc, ipc:///run/a.ipc]\n  bookingd_events: [ipc:///run/e.ipc, ipc:///run/f.ipc]\n",
         "endpoints.bookingd", "lists 'ipc:///run/a.ipc' twice"),
        ("endpoints:\n  bookingd: []\n", "endpoints.bookingd", "lists no endpoint"),
        ("endpoints:\n  availabilityd: []\n", "endpoints.availabilityd", "lists no endpoint; give one, or one per availabilityd instance"),
        ("endpoints:\n  availabilityd: [ipc:///run/a.ipc, ipc:///run/a.ipc]\n", "endpoints.availabilityd", "lists 'ipc:///run/a.ipc' twice"),
        ("endpoints:\n  bookingd: [ipc:///run/a.ipc, tcp://10.0.0.5:5550]\n  bookingd_events: [ipc:///run/e.ipc, ipc:///run/f.ipc]\n",
         "endpoints.bookingd", "mixes endpoints with and without CURVE"),
        ("curve:\n  public_keys:\n    bookingd: \"abc\"\n", "curve.public_keys.bookingd", "the key is 3 characters long; a CURVE key in Z85 is 40"),
        ("curve:\n  public_keys:\n    mailer: \"abc\"\n", "curve.public_keys.mailer", "is not a daemon of the suite"),
        ("curve:\n  admits:\n    bookingd:\n      - daemon: notifyd\n", "curve.admits.bookingd.0.public_key", "curve.public_keys has no key for notifyd"),
        ("curve:\n  admits:\n    bookingd:\n      - admin: alice\n", "curve.admits.bookingd.0.public_key", "is required for an admin's key"),
        ("curve:\n  admits:\n    bookingd:\n      - admin: webd\n        public_key: x\n", "curve.admits.bookingd.0.admin", "is a daemon's name"),
        ("curve:\n  admits:\n    bookingd:\n      - {admin: a, daemon: webd}\n", "curve.admits.bookingd.0", "exactly one"),
        ("curve:\n  admit:\n    bookingd: []\n", "curve.admit", "unknown key `admit` in `curve`; did you mean `admits`?"),
    ] as [(String, String?, String)])
    func aBadKeyIsNamedWithItsProblem(yaml: String, key: String?, problem: String) {
        do {
            _ = try parse(yaml)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.key == key, "\(error)")
            #expect(error.description.contains(problem), "\(error)")
            #expect(!error.description.contains("\n"), "one line: \(error)")
        }
    }

    struct Person: Decodable { var name: String; var email: String? }
    struct Team: Decodable { var lead: Person?; var members: [Person]?; var tags: [String: String]? }

    @Test func aSectionRefusesKeysItsTypeDoesNotReadWhereverTheyAre() throws {
        // Any section name the suite knows; the type is this test's own.
        let good = try parse("bookings:\n  lead: {name: A}\n  members:\n    - {name: B, email: b@x}\n  tags: {any: thing}\n")
        let team = try #require(try good.section("bookings", as: Team.self))
        #expect(team.members?.first?.email == "b@x")
        #expect(team.tags == ["any": "thing"], "a map's keys are data, not keys to check")
        for (yaml, key, problem) in [
            ("bookings:\n  lead: {name: A, emial: a@x}\n", "bookings.lead.emial", "unknown key `emial` in `bookings.lead`; did you mean `email`?"),
            ("bookings:\n  members:\n    - {name: B}\n    - {nmae: C, name: C}\n", "bookings.members.1.nmae", "did you mean `name`?"),
            ("bookings:\n  leader: {name: A}\n", "bookings.leader", "unknown key `leader` in `bookings`; did you mean `lead`?"),
        ] {
            do {
                _ = try parse(yaml).section("bookings", as: Team.self)
                Issue.record("accepted: \(yaml)")
            } catch {
                #expect(error.key == key, "\(error)")
                #expect(error.description.contains(problem), "\(error)")
            }
        }
    }

    @Test func aConfiguredClockStartsThereAndRuns() throws {
        let start = Date(timeIntervalSince1970: 1_796_101_200)
        let clock = SuiteClock(start: start, referenceStart: Date().addingTimeInterval(-10))
        let now = clock.now()
        #expect(now.timeIntervalSince(start) >= 10 && now.timeIntervalSince(start) < 20)
    }

    @Test func aClockWithARateRunsThatManyTimesFasterAndItsWaitsShrinkAlike() throws {
        let start = Date(timeIntervalSince1970: 1_796_101_200)
        let clock = SuiteClock(start: start, referenceStart: Date().addingTimeInterval(-10), rate: 360)
        let now = clock.now()
        #expect(now.timeIntervalSince(start) >= 3600 && now.timeIntervalSince(start) < 7200)
        #expect(clock.realDuration(of: 3600) == .seconds(10))
        #expect(SuiteClock(start: nil, rate: 360).realDuration(of: 5) == .seconds(5), "the system clock has no rate")
        let configured = try parse(minimal + "clock:\n  start: \"2026-12-01T08:00:00+03:00\"\n  rate: 720\n")
        #expect(configured.clockRate == 720)
        #expect(try parse(minimal).clockRate == 1)
    }
}

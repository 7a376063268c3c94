import BookingDomain
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
        #expect(configuration.calendar.timeZone.identifier == "Europe/Moscow")
        #expect(configuration.calendar.horizonDays == 14)
        #expect(configuration.calendar.minimumNotice == 7200)
        #expect(configuration.consultants.count == 3)
        #expect(configuration.runtimeDirectory == root.appendingPathComponent("var/run").path)
        #expect(configuration.endpoints.bookingd == "ipc://\(root.path)/var/run/bookingd.ipc")
        #expect(configuration.productionCalendar.years.keys.sorted() == [2025, 2026, 2027])
    }

    @Test func defaultsAreThoseOfAnInstalledSystem() throws {
        let configuration = try parse(minimal)
        #expect(configuration.runtimeDirectory == "/run/booking")
        #expect(configuration.stateDirectory == "/var/lib/booking")
        #expect(configuration.endpoints.availabilityd == "ipc:///run/booking/availabilityd.ipc")
        #expect(configuration.calendar.opens == LocalTime(hour: 9))
        #expect(configuration.calendar.closes == LocalTime(hour: 18))
        #expect(configuration.consultants.first?.timeZone == "Europe/Moscow")
        #expect(configuration.clockStart == nil)
    }

    @Test func relativePathsAreReadAgainstTheFilesDirectory() throws {
        let configuration = try parse("runtime_directory: ../var/run\nstate_directory: data\n" + minimal, file: "/srv/booking/config/booking.yaml")
        #expect(configuration.runtimeDirectory == "/srv/booking/var/run")
        #expect(configuration.stateDirectory == "/srv/booking/config/data")
        #expect(configuration.databasePath("x.sqlite") == "/srv/booking/config/data/x.sqlite")
    }

    @Test(arguments: [
        ("calendar:\n  time_zone: Mars/Olympus\n", "calendar.time_zone", "not an IANA time zone"),
        ("calendar:\n  opens: '9 am'\n", "calendar.opens", "not a time HH:MM"),
        ("calendar:\n  opens: '18:00'\n  closes: '09:00'\n", "calendar.closes", "later than calendar.opens"),
        ("calendar:\n  horizon_days: 0\n", "calendar.horizon_days", "between 1 and 366"),
        ("calendar:\n  horizon_days: soon\n", "calendar.horizon_days", "wrong type"),
        ("calendar:\n  slot_minutes: 1\n", "calendar.slot_minutes", "between 5 and 240"),
        ("calendar:\n  production_calendar: /nonexistent.yaml\n", nil, "cannot read the production calendar"),
        ("log_level: loud\n", "log_level", "not one of"),
        ("max_message_bytes: 10\n", "max_message_bytes", "between 4096"),
        ("requests:\n  attempts: 0\n", "requests.attempts", "between 1 and 10"),
        ("endpoints:\n  bookingd: http://x\n", "endpoints.bookingd", "not an ipc://"),
        ("clock:\n  start: yesterday\n", "clock.start", "not an ISO 8601 instant"),
        ("consultants:\n  - {name: Nameless}\n", "consultants.0.id", "missing"),
        ("consultants:\n  - {id: a, name: A}\n  - {id: a, name: B}\n", "consultants.1.id", "used twice"),
        ("consultants: []\n", "consultants", "at least one"),
        ("consultants: [\n", nil, "not valid YAML"),
    ] as [(String, String?, String)])
    func aBadKeyIsNamedWithItsProblem(yaml: String, key: String?, problem: String) {
        var text = yaml
        if !yaml.contains("calendar:") { text += "calendar:\n  production_calendar: \(Self.calendarFile)\n" }
        else if !yaml.contains("production_calendar") { text = text.replacingOccurrences(of: "calendar:\n", with: "calendar:\n  production_calendar: \(Self.calendarFile)\n") }
        if !yaml.contains("consultants") { text += "consultants:\n  - {id: anna, name: Anna}\n" }
        do {
            _ = try parse(text)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.key == key, "\(error)")
            #expect(error.description.contains(problem), "\(error)")
            #expect(!error.description.contains("\n"), "one line: \(error)")
        }
    }

    @Test func aConfiguredClockStartsThereAndRuns() throws {
        let start = Date(timeIntervalSince1970: 1_796_101_200)
        let clock = SuiteClock(start: start, referenceStart: Date().addingTimeInterval(-10))
        let now = clock.now()
        #expect(now.timeIntervalSince(start) >= 10 && now.timeIntervalSince(start) < 20)
    }
}

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
        #expect(configuration.endpoints.bookingd == "ipc://\(root.path)/var/run/bookingd.ipc")
    }

    @Test func defaultsAreThoseOfAnInstalledSystem() throws {
        let configuration = try parse(minimal)
        #expect(configuration.runtimeDirectory == "/run/booking")
        #expect(configuration.stateDirectory == "/var/lib/booking")
        #expect(configuration.endpoints.availabilityd == "ipc:///run/booking/availabilityd.ipc")
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
        ("endpoints: [\n", nil, "not valid YAML"),
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

    @Test func aConfiguredClockStartsThereAndRuns() throws {
        let start = Date(timeIntervalSince1970: 1_796_101_200)
        let clock = SuiteClock(start: start, referenceStart: Date().addingTimeInterval(-10))
        let now = clock.now()
        #expect(now.timeIntervalSince(start) >= 10 && now.timeIntervalSince(start) < 20)
    }
}

import AvailabilityService
import BookingDomain
import CivilTime
import DaemonKit
import Foundation
import SuiteCalendar
import Testing

/// availabilityd's sections of booking.yaml: `calendar:` and `consultants:`.
@Suite struct AvailabilitySettingsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let calendarFile = root.appendingPathComponent("config/production-calendar.yaml").path

    func load(_ yaml: String) throws(ConfigurationError) -> (CalendarSettings, [Consultant]) {
        let configuration = try SuiteConfiguration.parse(yaml, file: "/etc/booking/booking.yaml")
        let calendar = try CalendarSettings.load(configuration)
        return (calendar, try ConsultantSeed.load(configuration, businessZone: calendar.timeZone))
    }

    @Test func theShippedDevelopmentFileIsValid() throws {
        let configuration = try SuiteConfiguration.load(path: Self.root.appendingPathComponent("config/booking.yaml").path)
        let calendar = try CalendarSettings.load(configuration)
        #expect(calendar.timeZone.identifier == "Europe/Moscow")
        #expect(calendar.policy.horizonDays == 14)
        #expect(calendar.policy.minimumNotice == 7200)
        #expect(calendar.productionCalendar.years.keys.sorted() == [2025, 2026, 2027])
        #expect(try ConsultantSeed.load(configuration, businessZone: calendar.timeZone).count == 3)
        #expect(try AvailabilityDaemon.checkConfiguration(configuration).contains("3 consultants"))
    }

    @Test func defaultsAreMoscowBusinessHours() throws {
        let (calendar, consultants) = try load("calendar:\n  production_calendar: \(Self.calendarFile)\nconsultants:\n  - {id: anna, name: Anna, email: anna@example.com}\n")
        #expect(calendar.policy.opens == LocalTime(hour: 9))
        #expect(calendar.policy.closes == LocalTime(hour: 18))
        #expect(consultants.first?.timeZone == "Europe/Moscow")
        #expect(consultants.first?.locale == .ru, "the suite's default language")
        #expect(consultants.first?.email == "anna@example.com")
    }

    @Test func aConsultantsOwnScheduleIsReadFromTheFile() throws {
        let (_, consultants) = try load("""
            calendar:
              production_calendar: \(Self.calendarFile)
            consultants:
              - {id: anna, name: Anna, email: anna@example.com, time_zone: Europe/Berlin, hours: "mon-fri 09:00-13:00",
                 buffer_before_minutes: 10, buffer_after_minutes: 15, daily_limit: 6}
              - {id: boris, name: Boris, email: boris@example.com}
            """)
        let anna = try #require(consultants.first)
        #expect(anna.schedule.hours?.description == "mon 09:00-13:00, tue 09:00-13:00, wed 09:00-13:00, thu 09:00-13:00, fri 09:00-13:00")
        #expect(anna.schedule.bufferBefore == 600 && anna.schedule.bufferAfter == 900 && anna.schedule.dailyLimit == 6)
        #expect(consultants.last?.schedule == .businessHours)
    }

    @Test(arguments: [
        ("hours: 'weekdays'", "consultants.0.hours", "is not a weekday"),
        ("buffer_after_minutes: 300", "consultants.0.buffer_after_minutes", "whole minutes from 0 to 240"),
        ("daily_limit: 0", "consultants.0.daily_limit", "from 1 to 48"),
    ])
    func aBadScheduleNamesItsKey(entry: String, key: String, problem: String) {
        let yaml = "calendar:\n  production_calendar: \(Self.calendarFile)\nconsultants:\n  - {id: anna, name: Anna, email: anna@example.com, \(entry)}\n"
        #expect {
            _ = try load(yaml)
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.key == key && error.problem.contains(problem)
        }
    }

    @Test(arguments: [
        ("calendar:\n  time_zone: Mars/Olympus\n", "calendar.time_zone", "not an IANA time zone"),
        ("calendar:\n  opens: '9 am'\n", "calendar.opens", "not a time HH:MM"),
        ("calendar:\n  opens: '18:00'\n  closes: '09:00'\n", "calendar.closes", "later than calendar.opens"),
        ("calendar:\n  horizon_days: 0\n", "calendar.horizon_days", "between 1 and 366"),
        ("calendar:\n  horizon_days: soon\n", "calendar.horizon_days", "wrong type"),
        ("calendar:\n  slot_minutes: 1\n", "calendar.slot_minutes", "between 5 and 240"),
        ("calendar:\n  production_calendar: /nonexistent.yaml\n", nil, "cannot read the production calendar"),
        ("consultants:\n  - {name: Nameless}\n", "consultants.0.id", "missing"),
        ("consultants:\n  - {id: a, name: A, email: a@example.com}\n  - {id: a, name: B, email: b@example.com}\n", "consultants.1.id", "used twice"),
        ("consultants:\n  - {id: 'a b', name: A}\n", "consultants.0.id", "letters, digits"),
        ("consultants: []\n", "consultants", "at least one"),
        // A consultant's notices go to their address: none, or a malformed one, is refused.
        ("consultants:\n  - {id: anna, name: Anna}\n", "consultants.0.email", "is missing (every consultant needs one"),
        ("consultants:\n  - {id: anna, name: Anna, email: '  '}\n", "consultants.0.email", "a consultant needs an email"),
        ("consultants:\n  - {id: anna, name: Anna, email: anna.example.com}\n", "consultants.0.email", "name@domain"),
        ("consultants:\n  - {id: anna, name: Anna, email: 'anna@exa mple.com'}\n", "consultants.0.email", "domain must not contain"),
        ("consultants:\n  - {id: anna, name: Anna, email: anna@example.com, locale: de}\n", "consultants.0.locale", "'de' is not ru or en"),
        // Held to a client's name rules: clients read it in every message.
        ("consultants:\n  - {id: anna, name: '  ', email: anna@example.com}\n", "consultants.0.name", "name must not be empty"),
        ("consultants:\n  - {id: anna, name: \"Anna\\u202Eevil\", email: anna@example.com}\n", "consultants.0.name", "invisible"),
        ("consultants:\n  - {id: anna, name: \"Anna\\tB\", email: anna@example.com}\n", "consultants.0.name", "control characters"),
    ] as [(String, String?, String)])
    func aBadKeyIsNamedWithItsProblem(yaml: String, key: String?, problem: String) {
        var text = yaml
        if !yaml.contains("calendar:") { text += "calendar:\n  production_calendar: \(Self.calendarFile)\n" }
        else if !yaml.contains("production_calendar") { text = text.replacingOccurrences(of: "calendar:\n", with: "calendar:\n  production_calendar: \(Self.calendarFile)\n") }
        if !yaml.contains("consultants") { text += "consultants:\n  - {id: anna, name: Anna, email: anna@example.com}\n" }
        do {
            _ = try load(text)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.key == key, "\(error)")
            #expect(error.description.contains(problem), "\(error)")
            #expect(!error.description.contains("\n"), "one line: \(error)")
        }
    }
}

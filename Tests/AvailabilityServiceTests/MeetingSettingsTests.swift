import AvailabilityService
import BookingDomain
import DaemonKit
import Testing

/// booking.yaml's `meeting:` and a consultant's own `meeting:`, read as availabilityd and
/// `bookctl config check` read them.
@Suite struct MeetingSettingsTests {
    static let calendar = "calendar:\n  production_calendar: \(AvailabilitySettingsTests.calendarFile)\n"

    @Test func theShippedFileHasARoomPerBookingAndClarasOffice() throws {
        let configuration = try SuiteConfiguration.load(path: AvailabilitySettingsTests.root.appendingPathComponent("config/booking.yaml").path)
        #expect(try SuiteMeeting.load(configuration) == .video(try VideoRoom(template: "https://meet.example.com/{reference}")))
        let consultants = try ConsultantSeed.load(configuration, businessZone: .current)
        #expect(consultants.map(\.meeting?.kind) == [nil, nil, .office])
        #expect(try AvailabilityDaemon.checkConfiguration(configuration).contains("meetings by video"))
    }

    @Test func eachFormatAndNone() throws {
        func load(_ yaml: String) throws -> (MeetingFormat?, [Consultant]) {
            let configuration = try SuiteConfiguration.parse(Self.calendar + yaml, file: "/etc/booking/booking.yaml")
            return (try SuiteMeeting.load(configuration), try ConsultantSeed.load(configuration, businessZone: .current))
        }
        let (none, _) = try load("consultants:\n  - {id: anna, name: Anna, email: anna@example.com}\n")
        #expect(none == nil)
        let (phone, consultants) = try load("""
            meeting: {format: phone}
            consultants:
              - {id: anna, name: Anna, email: anna@example.com, meeting: {format: office, address: "Тверская, 1"}}
              - {id: boris, name: Boris, email: boris@example.com, meeting: {format: video, link: "https://meet.example.com/boris"}}
            """)
        #expect(phone == .phoneCall)
        #expect(consultants.map(\.meeting) == [.office(address: "Тверская, 1"), .video(try VideoRoom(template: "https://meet.example.com/boris"))])
    }

    @Test(arguments: [
        ("meeting: {format: zoom}\n", "meeting.format", "'zoom' is not a meeting format; use phone, video or office"),
        ("meeting: {format: video}\n", "meeting.link", "a video meeting needs a link, e.g. https://meet.example.com/{reference}"),
        ("meeting: {format: video, link: 'https://meet.example.com/{id}'}\n", "meeting.link", "'{id}' is not a placeholder"),
        ("meeting: {format: video, link: 'ftp://meet.example.com/a'}\n", "meeting.link", "must start with https:// or http://"),
        ("meeting: {format: office}\n", "meeting.address", "needs the office's address"),
        ("meeting: {format: phone, address: 'Тверская, 1'}\n", "meeting.address", "a phone meeting has no address"),
        ("meeting: {link: 'https://meet.example.com/a'}\n", "meeting.format", "missing"),
        ("consultants:\n  - {id: anna, name: Anna, email: anna@example.com, meeting: {format: office, address: ''}}\n", "consultants.0.meeting.address", "needs the office's address"),
    ])
    func aBadMeetingIsNamedByItsKey(yaml: String, key: String, problem: String) {
        let text = Self.calendar + yaml + (yaml.contains("consultants") ? "" : "consultants:\n  - {id: anna, name: Anna, email: anna@example.com}\n")
        do {
            let configuration = try SuiteConfiguration.parse(text, file: "/etc/booking/booking.yaml")
            _ = try AvailabilityDaemon.checkConfiguration(configuration)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.key == key, "\(error)")
            #expect(error.problem.contains(problem), "\(error)")
        }
    }
}

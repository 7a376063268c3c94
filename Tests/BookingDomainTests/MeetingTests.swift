import Foundation
import Testing
@testable import BookingDomain

@Suite("Meeting formats, resolved meetings and the consultation topic")
struct MeetingTests {
    static let reference = AppointmentTests.reference()

    @Test func eachFormatFromItsParts() throws {
        #expect(try MeetingFormat.validated(kind: "phone", link: nil, address: nil) == .phoneCall)
        #expect(try MeetingFormat.validated(kind: " Video ", link: " https://meet.example.com/anna ", address: nil)
            == .video(try VideoRoom(template: "https://meet.example.com/anna")))
        #expect(try MeetingFormat.validated(kind: "office", link: nil, address: " Москва, Тверская ул., 1, офис 5 ")
            == .office(address: "Москва, Тверская ул., 1, офис 5"))
        #expect(MeetingFormat.Kind.allCases.map(\.rawValue) == ["phone", "video", "office"])
    }

    @Test(arguments: [
        ("zoom", nil, nil, MeetingFormatError.unknownFormat("zoom")),
        ("", nil, nil, .unknownFormat("")),
        ("phone", "https://meet.example.com/a", nil, .unexpected(field: .link, format: .phone)),
        ("phone", nil, "Тверская, 1", .unexpected(field: .address, format: .phone)),
        ("video", nil, nil, .missing(field: .link)),
        ("video", "  ", nil, .missing(field: .link)),
        ("video", "https://meet.example.com/a", "Тверская, 1", .unexpected(field: .address, format: .video)),
        ("video", "ftp://meet.example.com/a", nil, .scheme("ftp")),
        ("video", "javascript:alert(1)", nil, .scheme("javascript")),
        ("video", "meet.example.com/room", nil, .malformedLink("meet.example.com/room")),
        ("video", "https:///room", nil, .malformedLink("https:///room")),
        ("video", "https://meet.example.com/{ref}", nil, .unknownPlaceholder("{ref}")),
        ("video", "https://meet.example.com/{reference", nil, .unknownPlaceholder("{reference")),
        ("video", "https://meet.example.com/}x", nil, .unknownPlaceholder("}")),
        ("video", "https://meet.example.com/a b", nil, .controlCharacter(field: .link)),
        ("video", "https://meet.example.com/a\u{7}", nil, .controlCharacter(field: .link)),
        ("video", "https://meet.example.com/" + String(repeating: "a", count: 500), nil, .tooLong(field: .link, maximum: 500)),
        ("office", nil, nil, .missing(field: .address)),
        ("office", nil, " ", .missing(field: .address)),
        ("office", "https://meet.example.com/a", "Тверская, 1", .unexpected(field: .link, format: .office)),
        ("office", nil, "Тверская, 1\nофис 5", .controlCharacter(field: .address)),
        ("office", nil, String(repeating: "д", count: 301), .tooLong(field: .address, maximum: 300)),
    ] as [(String, String?, String?, MeetingFormatError)])
    func refusedFormats(kind: String, link: String?, address: String?, expected: MeetingFormatError) {
        #expect(throws: expected) { try MeetingFormat.validated(kind: kind, link: link, address: address) }
    }

    @Test func errorsNameTheirPartAndSayWhatToDo() {
        #expect(MeetingFormatError.unknownFormat("zoom").field == .format)
        #expect(MeetingFormatError.unknownFormat("zoom").message == "'zoom' is not a meeting format; use phone, video or office")
        #expect(MeetingFormatError.scheme("ftp").field == .link)
        #expect(MeetingFormatError.scheme("ftp").message == "a meeting link must start with https:// or http://, not ftp:")
        #expect(MeetingFormatError.unknownPlaceholder("{ref}").message.contains("the only one is {reference}"))
        #expect(MeetingFormatError.missing(field: .address).field == .address)
        #expect(MeetingFormatError.unexpected(field: .link, format: .office).message == "an office meeting has no link; leave it out")
    }

    @Test func aPersonalRoomIsTheSameForEveryBooking() throws {
        let room = try VideoRoom(template: "http://meet.example.com/anna-smirnova")
        #expect(!room.isPerBooking)
        #expect(MeetingFormat.video(room).resolved(reference: Self.reference) == .video(link: "http://meet.example.com/anna-smirnova"))
    }

    @Test func aRoomPerBookingCarriesTheReference() throws {
        let room = try VideoRoom(template: "https://meet.example.com/{reference}?lang=ru")
        #expect(room.isPerBooking)
        let meeting = MeetingFormat.video(room).resolved(reference: Self.reference)
        #expect(meeting == .video(link: "https://meet.example.com/\(Self.reference.description)?lang=ru"))
        #expect(meeting.kind == .video && meeting.address == nil)
        #expect(URL(string: meeting.link!) != nil)
    }

    @Test func phoneAndOfficeResolveToThemselves() {
        #expect(MeetingFormat.phoneCall.resolved(reference: Self.reference) == .phoneCall)
        #expect(Meeting.phoneCall.link == nil && Meeting.phoneCall.address == nil && Meeting.phoneCall.kind == .phone)
        let office = MeetingFormat.office(address: "Тверская, 1").resolved(reference: Self.reference)
        #expect(office == .office(address: "Тверская, 1") && office.address == "Тверская, 1" && office.link == nil)
    }

    @Test func aStoredMeetingHasNoPlaceholderLeft() throws {
        #expect(try Meeting.validated(kind: "video", link: "https://meet.example.com/BK-1", address: nil) == .video(link: "https://meet.example.com/BK-1"))
        #expect(throws: MeetingFormatError.unknownPlaceholder("{reference}")) {
            try Meeting.validated(kind: "video", link: "https://meet.example.com/{reference}", address: nil)
        }
    }

    @Test func bothFormsCodeAsFormatLinkAndAddress() throws {
        let format = MeetingFormat.video(try VideoRoom(template: "https://meet.example.com/{reference}"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(format), as: UTF8.self) == #"{"format":"video","link":"https:\/\/meet.example.com\/{reference}"}"#)
        #expect(try JSONDecoder().decode(MeetingFormat.self, from: encoder.encode(format)) == format)
        let office = Meeting.office(address: "Тверская, 1")
        #expect(try JSONDecoder().decode(Meeting.self, from: encoder.encode(office)) == office)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Meeting.self, from: Data(#"{"format":"fax"}"#.utf8)) }
    }

    @Test func bookingResolvesTheFormatWithItsReference() throws {
        let room = try VideoRoom(template: "https://meet.example.com/{reference}")
        let (appointment, _) = Appointment.book(
            id: AppointmentTests.id, clientId: AppointmentTests.clientId, slot: TimeSlot(range: AppointmentTests.slot, consultantId: "anna"),
            contactInfo: AppointmentTests.contact(), reference: Self.reference, clientTimeZone: "Europe/Moscow", locale: "ru",
            meetingFormat: .video(room), topic: "Налоги", actor: .client, at: AppointmentTests.bookedAt)
        #expect(appointment.meeting == .video(link: "https://meet.example.com/\(Self.reference)"))
        #expect(appointment.topic == "Налоги")
        #expect(AppointmentTests.booked().meeting == nil && AppointmentTests.booked().topic == nil)
    }

    @Test func theMeetingStaysWithTheConsultantAndChangesWithThem() throws {
        var appointment = Appointment.book(
            id: AppointmentTests.id, clientId: AppointmentTests.clientId, slot: TimeSlot(range: AppointmentTests.slot, consultantId: "anna"),
            contactInfo: AppointmentTests.contact(), reference: Self.reference, clientTimeZone: "Europe/Moscow", locale: "ru",
            meetingFormat: .office(address: "Тверская, 1"), actor: .client, at: AppointmentTests.bookedAt).0
        // Same consultant, another time: what the client was told still holds, whatever is passed.
        _ = try appointment.reschedule(to: range(msk("2026-03-04 10:00")), consultantId: "anna", meetingFormat: .phoneCall,
                                       actor: .client, at: msk("2026-03-02 13:00"))
        #expect(appointment.meeting == .office(address: "Тверская, 1"))
        // Another consultant: theirs, resolved for this booking.
        let room = try VideoRoom(template: "https://meet.example.com/{reference}")
        _ = try appointment.reschedule(to: range(msk("2026-03-04 10:00")), consultantId: "boris", meetingFormat: .video(room),
                                       actor: .admin, at: msk("2026-03-02 14:00"))
        #expect(appointment.meeting == .video(link: "https://meet.example.com/\(Self.reference)"))
        _ = try appointment.reschedule(to: range(msk("2026-03-04 10:00")), consultantId: "clara", meetingFormat: nil,
                                       actor: .admin, at: msk("2026-03-02 15:00"))
        #expect(appointment.meeting == nil)
    }

    @Test func topics() throws {
        #expect(try ConsultationTopic.validated(nil) == nil)
        #expect(try ConsultationTopic.validated(" \r\n ") == nil)
        #expect(try ConsultationTopic.validated("  Налоги при продаже квартиры\r\nи вычеты  ") == "Налоги при продаже квартиры\nи вычеты")
        #expect(try ConsultationTopic.validated("a\rb") == "a\nb")
        #expect(try ConsultationTopic.validated(String(repeating: "я", count: 1000))?.count == 1000)
        #expect(throws: TopicError.tooLong(maximum: 1000, got: 1001)) { try ConsultationTopic.validated(String(repeating: "я", count: 1001)) }
        #expect(throws: TopicError.controlCharacter) { try ConsultationTopic.validated("a\tb") }
        #expect(throws: TopicError.controlCharacter) { try ConsultationTopic.validated("a\u{0}b") }
        #expect(throws: TopicError.controlCharacter) { try ConsultationTopic.validated("a\u{2028}b") }
        #expect(TopicError.tooLong(maximum: 1000, got: 1001).message == "topic must be at most 1000 characters (got 1001)")
    }
}

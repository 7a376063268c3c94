import BookingProtocol
import Foundation
import Testing
@testable import Notifications

/// Which events change a booking's lead, and the generic webhook's payload, a public contract.
@Suite struct LeadChangeTests {
    func event(_ kind: EventKind, previous: Date? = nil, status: String = "confirmed") -> EventBody {
        var appointment = Fixtures.appointment()
        appointment.status = status
        appointment.source = LeadSourceBody(utmSource: "yandex", utmMedium: "cpc", utmCampaign: "spring", referrer: "ya.ru")
        appointment.topic = "Налоги"
        return EventBody(sequence: 7, id: "evt-7", kind: kind, occurredAt: Fixtures.start.addingTimeInterval(-3600), appointment: appointment,
                         previous: previous.map { BookedSlotBody(consultantId: "irina", start: $0) }, actor: "client")
    }

    @Test func everyChangeOfTheBookingAndOnlyThose() {
        #expect(LeadChange.kind(of: event(.created)) == .created)
        #expect(LeadChange.kind(of: event(.created, status: "scheduled")) == .created)
        #expect(LeadChange.kind(of: event(.rescheduled, previous: Fixtures.previousStart)) == .rescheduled)
        // Another consultant at the same time: the lead's booking did not move.
        #expect(LeadChange.kind(of: event(.rescheduled, previous: Fixtures.start)) == nil)
        #expect(LeadChange.kind(of: event(.cancelled)) == .cancelled)
        #expect(LeadChange.kind(of: event(.released, status: "cancelled")) == .cancelled)
        #expect(LeadChange.kind(of: event(.attended)) == .attended)
        #expect(LeadChange.kind(of: event(.noShow)) == .noShow)
        for kind in [EventKind.confirmed, .reminderSent, .erased] { #expect(LeadChange.kind(of: event(kind)) == nil) }
        #expect(LeadChange(event(.released))?.cause == LeadChange.holdReleased)
        #expect(LeadChange.deliveryId(eventId: "evt-7", kind: .noShow) == "evt-7.lead-no-show.crm")
    }

    @Test func aRescheduleIsOneMessageWithBothTimes() throws {
        let change = try #require(LeadChange(event(.rescheduled, previous: Fixtures.previousStart)))
        let json = String(decoding: try LeadWebhookPayload(change).encoded(), as: UTF8.self)
        #expect(json == """
            {"data":{"contact":{"company":"ООО «Ромашка»","email":"anna.petrova@example.com","name":"Анна Петрова","phone":"+79161234567"},"end":"2026-12-01T08:00:00.000Z",\
            "lead_id":"appt-42","locale":"ru","previous_start":"2026-11-30T07:00:00.000Z","reference":"BK-7Q2M-X9TD-4KHN-ZP3CG",\
            "source":{"referrer":"ya.ru","utm_campaign":"spring","utm_medium":"cpc","utm_source":"yandex"},"start":"2026-12-01T07:00:00.000Z",\
            "status":"confirmed","time_zone":"Europe/Moscow","topic":"Налоги"},"timestamp":"2026-12-01T06:00:00.000Z","type":"lead.rescheduled"}
            """)
    }

    @Test func aReleasedHoldSaysWhy() throws {
        let change = try #require(LeadChange(event(.released, status: "cancelled")))
        let payload = LeadWebhookPayload(change)
        #expect(payload.type == "lead.cancelled")
        #expect(payload.data.cause == "hold_released")
        #expect(payload.data.previousStart == nil)
    }

    @Test func textsForTheSalesTeamOnTheBusinessClock() throws {
        let text = LeadText(zoneIdentifier: "Europe/Moscow")
        let moved = try #require(LeadChange(event(.rescheduled, previous: Fixtures.previousStart)))
        #expect(text.summary(moved) == "Консультация перенесена: 30.11.2026 10:00 → 01.12.2026 10:00–11:00 (Europe/Moscow)")
        #expect(text.title(moved) == "Консультация BK-7Q2M-X9TD-4KHN-ZP3CG: Анна Петрова")
        #expect(text.details(moved) == """
            Консультация: 01.12.2026 10:00–11:00 (Europe/Moscow)
            Номер записи: BK-7Q2M-X9TD-4KHN-ZP3CG
            Тема: Налоги
            Источник: utm_source=yandex, utm_medium=cpc, utm_campaign=spring; referrer: ya.ru
            """)
        #expect(text.sourceDescription(nil) == nil)
        #expect(text.sourceDescription(LeadSourceBody(referrer: "vk.com")) == "referrer: vk.com")
    }

    @Test func leadsHaveNoTemplates() {
        for purpose in MessagePurpose.allCases where purpose.isLead { #expect(purpose.parts.isEmpty) }
        #expect(ContactMasking.recipient("crm", channel: .crm) == "crm")
    }
}

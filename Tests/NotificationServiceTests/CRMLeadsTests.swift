import BookingProtocol
import Delivery
import FieldEncryption
import Foundation
import LoopbackServers
@testable import NotificationService
import Notifications
import NotificationStore
import Testing

/// Each CRM's requests as its documentation shows them, sent by `LeadSender` to a loopback
/// server that checks them and answers as the documentation says: one lead per booking, its id
/// kept, later changes on the same lead, a lost answer looked up instead of a second lead.
@Suite(.serialized) struct CRMLeadsTests {
    static let start = Date(timeIntervalSince1970: 1_796_108_400)  // 2026-12-01T07:00:00Z, 10:00 in Moscow
    let directory = NSTemporaryDirectory() + "crm-leads-\(UUID().uuidString)"

    static func change(_ kind: LeadChangeKind, id: String = "appt-1", source: LeadSourceBody? = LeadSourceBody(utmSource: "yandex", referrer: "ya.ru"))
        -> LeadChange {
        var appointment = AppointmentBody(
            reference: "BK-7Q2M-X9TD-4KHN-ZP3CG", id: id, clientId: "client-1", consultantId: "anna", start: start, end: start.addingTimeInterval(1800),
            status: "confirmed", contact: ContactBody(name: "Иван Петров", email: "ivan@example.com", phone: "+79161234567"), timeZone: "Asia/Tokyo",
            locale: "ru", createdAt: start.addingTimeInterval(-86_400), updatedAt: start.addingTimeInterval(-86_400), reminderSent: false, revision: 0)
        appointment.source = source
        return LeadChange(kind: kind, occurredAt: start.addingTimeInterval(-3600), appointment: appointment,
                          previousStart: kind == .rescheduled ? start.addingTimeInterval(-86_400) : nil)
    }

    static func delivery(_ change: LeadChange, event: String) throws -> NewDelivery {
        NewDelivery(id: LeadChange.deliveryId(eventId: event, kind: change.kind), appointmentId: change.appointment.id, clientId: "client-1",
                    reference: change.appointment.reference, purpose: change.kind.purpose, channel: .crm, audience: .team, recipient: "crm",
                    payload: try WireJSON.encode(change))
    }

    func sender(_ destination: any LeadDestination, provider: String) throws -> LeadSender {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try SQLiteNotificationStore(path: directory + "/notifyd.sqlite", masterKey: MasterKey(.random()))
        return LeadSender(provider: provider, destination: destination, store: store, clock: { Date() })
    }

    static let text = LeadText(zoneIdentifier: "Europe/Moscow")

    static func bitrix(_ server: LoopbackCRMServer, http: HTTPTransport) -> Bitrix24Leads {
        Bitrix24Leads(settings: Bitrix24Settings(webhookURL: server.url, originatorId: "consultation-booking", sourceId: "WEB",
                                                 statuses: CRMRoute.defaultBitrixStatuses, timeout: .seconds(5)), text: text, http: http)
    }

    static func amo(_ server: LoopbackCRMServer, http: HTTPTransport) -> AmoCRMLeads {
        AmoCRMLeads(settings: AmoCRMSettings(baseURL: server.url, token: server.token, sourceName: "Запись на консультацию",
                                             formPage: "https://book.example.com/", pipelineId: nil, timeout: .seconds(5)), text: text, http: http)
    }

    static func json(_ bytes: [UInt8]) -> NSDictionary? {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? NSDictionary
    }

    // MARK: Bitrix24

    @Test func bitrix24AddCarriesTheDocumentedFields() throws {
        let server = try LoopbackCRMServer(.bitrix24)
        defer { server.stop() }
        let request = try Self.bitrix(server, http: HTTPTransport(connections: 1)).addRequest(Self.change(.created))
        #expect(request.url == "http://127.0.0.1:\(server.port)/rest/1/\(server.key)/crm.lead.add")
        let fields = try #require(Self.json(request.body)?["fields"] as? NSDictionary)
        #expect(fields["PHONE"] as? NSArray == [["VALUE": "+79161234567", "VALUE_TYPE": "WORK"]] as NSArray)
        #expect(fields["EMAIL"] as? NSArray == [["VALUE": "ivan@example.com", "VALUE_TYPE": "WORK"]] as NSArray)
        #expect(fields["ORIGINATOR_ID"] as? String == "consultation-booking")
        #expect(fields["ORIGIN_ID"] as? String == "appt-1")
        #expect(fields["UTM_SOURCE"] as? String == "yandex")
        #expect(fields["UTM_MEDIUM"] == nil)
        #expect(fields["SOURCE_DESCRIPTION"] as? String == "utm_source=yandex; referrer: ya.ru")
        #expect(fields["STATUS_ID"] as? String == "NEW")
        #expect((fields["COMMENTS"] as? String)?.hasPrefix("Консультация: 01.12.2026 10:00–10:30 (Europe/Moscow)") == true)
        let update = try Self.bitrix(server, http: HTTPTransport(connections: 1)).updateRequest(leadId: "101", Self.change(.attended))
        let body = try #require(Self.json(update.body))
        #expect(body["id"] as? Int == 101)
        #expect((body["fields"] as? NSDictionary)?["PHONE"] == nil)
        #expect((body["fields"] as? NSDictionary)?["STATUS_ID"] as? String == "PROCESSED")
    }

    @Test func bitrix24OneLeadUpdatedByEveryChange() async throws {
        let server = try LoopbackCRMServer(.bitrix24)
        defer { server.stop() }
        let http = HTTPTransport(connections: 1)
        let sender = try sender(Self.bitrix(server, http: http), provider: "bitrix24")
        for (n, kind) in [LeadChangeKind.created, .rescheduled, .attended].enumerated() {
            try await sender.send(try Self.delivery(Self.change(kind), event: "e\(n)"), attempt: 1)
        }
        await http.shutdown()
        #expect(server.problems.isEmpty, "\(server.problems)")
        let leads = server.leads
        #expect(leads.count == 1)
        #expect((leads.first?["updates"] as? [Any])?.count == 2)
        #expect((leads.first?["fields"] as? [String: Any])?["STATUS_ID"] as? String == "PROCESSED")
    }

    @Test func bitrix24ALostAnswerIsLookedUpNotMadeAgain() async throws {
        let server = try LoopbackCRMServer(.bitrix24, options: ["--lose-first-create", "1"])
        defer { server.stop() }
        let http = HTTPTransport(connections: 1)
        let sender = try sender(Self.bitrix(server, http: http), provider: "bitrix24")
        let created = try Self.delivery(Self.change(.created), event: "e1")
        await #expect(throws: DeliveryFailure.self) { try await sender.send(created, attempt: 1) }
        try await sender.send(created, attempt: 2)
        try await sender.send(try Self.delivery(Self.change(.cancelled), event: "e2"), attempt: 1)
        await http.shutdown()
        #expect(server.problems.isEmpty, "\(server.problems)")
        #expect(server.leads.count == 1)
        #expect(server.requests.map { $0.path.split(separator: "/").last.map(String.init) ?? "" }
            == ["crm.lead.add", "crm.lead.list", "crm.lead.update", "crm.lead.update"])
    }

    // MARK: amoCRM

    @Test func amoCRMUnsortedThenNotes() async throws {
        let server = try LoopbackCRMServer(.amocrm, options: ["--lose-first-create", "1", "--lose-first-note", "1"])
        defer { server.stop() }
        let http = HTTPTransport(connections: 1)
        let amo = Self.amo(server, http: http)
        let body = try #require((try JSONSerialization.jsonObject(with: Data(try amo.createRequest(Self.change(.created)).body)) as? [[String: Any]])?.first)
        #expect(body["source_uid"] as? String == "appt-1")
        #expect((body["metadata"] as? [String: Any])?["form_page"] as? String == "https://book.example.com/?utm_source=yandex")
        #expect((body["metadata"] as? [String: Any])?["referer"] as? String == "https://ya.ru/")
        let sender = try sender(amo, provider: "amocrm")
        let created = try Self.delivery(Self.change(.created), event: "e1")
        // The unsorted request's answer is lost, then the first note's: each is found, not made again.
        await #expect(throws: DeliveryFailure.self) { try await sender.send(created, attempt: 1) }
        await #expect(throws: DeliveryFailure.self) { try await sender.send(created, attempt: 2) }
        try await sender.send(created, attempt: 3)
        try await sender.send(try Self.delivery(Self.change(.rescheduled), event: "e2"), attempt: 1)
        try await sender.send(try Self.delivery(Self.change(.noShow), event: "e3"), attempt: 1)
        await http.shutdown()
        #expect(server.problems.isEmpty, "\(server.problems)")
        let leads = server.leads
        #expect(leads.count == 1)
        let notes = leads.first?["notes"] as? [String] ?? []
        #expect(notes.count == 3)
        #expect(notes.last == "Клиент не пришёл на консультацию 01.12.2026 10:00–10:30 (Europe/Moscow)\n[e3.lead-no-show.crm]")
        #expect(server.requests.allSatisfy { $0.header("Authorization") == "Bearer \(server.token)" })
        let notesPath = "/api/v4/leads/\(leads.first?["id"] as? String ?? "?")/notes"
        #expect(server.requests.map { "\($0.method) \($0.path.split(separator: "?").first ?? "")" } == [
            "POST /api/v4/leads/unsorted/forms", "GET /api/v4/leads/unsorted", "GET \(notesPath)", "POST \(notesPath)",
            "GET \(notesPath)", "POST \(notesPath)", "POST \(notesPath)",
        ])
    }

    // MARK: The generic webhook

    @Test func webhookSignedAndDeduplicatedByItsId() async throws {
        let server = try LoopbackCRMServer(.webhook)
        defer { server.stop() }
        let http = HTTPTransport(connections: 1)
        let webhook = WebhookLeads(settings: LeadWebhookSettings(url: server.url, secret: server.secret, timeout: .seconds(5)), http: http, clock: { Date() })
        // The signature is Standard Webhooks' (StandardWebhookTests checks the spec's vector).
        let request = try webhook.request(Self.change(.created), deliveryId: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330)
        #expect(request.headers.first { $0.0 == "webhook-signature" }?.1
            == StandardWebhook.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: request.body, secret: server.secret))
        let sender = try sender(webhook, provider: "webhook")
        let created = try Self.delivery(Self.change(.created), event: "e1")
        try await sender.send(created, attempt: 1)
        try await sender.send(created, attempt: 2)
        try await sender.send(try Self.delivery(Self.change(.rescheduled), event: "e2"), attempt: 1)
        await http.shutdown()
        #expect(server.problems.isEmpty, "\(server.problems)")
        #expect(server.leads.count == 1)
        #expect(server.state["duplicates"] as? Int == 1)
        #expect(server.requests.map { $0.header("webhook-id") } == [created.id, created.id, "e2.lead-rescheduled.crm"])
    }

    // MARK: Failures

    @Test(arguments: [("503", false, .seconds(7) as Duration?), ("429", false, .seconds(7)), ("400", true, nil), ("401", true, nil)])
    func failuresAreClassed(status: String, permanent: Bool, retryAfter: Duration?) async throws {
        let server = try LoopbackCRMServer(.bitrix24, options: ["--fail-always", "--fail-status", status, "--retry-after", "7"])
        defer { server.stop() }
        let http = HTTPTransport(connections: 1)
        let sender = try sender(Self.bitrix(server, http: http), provider: "bitrix24")
        var failure: DeliveryFailure?
        do {
            try await sender.send(try Self.delivery(Self.change(.created), event: "e1"), attempt: 1)
        } catch let error as DeliveryFailure {
            failure = error
        }
        await http.shutdown()
        #expect(failure?.permanent == permanent)
        #expect(failure?.retryAfter == retryAfter)
        #expect(failure?.reason.hasPrefix("HTTP \(status): {") == true, "\(String(describing: failure))")
    }
}

import BookingProtocol
import Delivery
import Foundation
import Notifications

/// Leads in Bitrix24 through an inbound webhook (REST methods `crm.lead.add`, `crm.lead.update`,
/// `crm.lead.list`, JSON bodies). Each lead carries ORIGINATOR_ID (this suite) and ORIGIN_ID (the
/// appointment's id), so a lead made by an attempt whose answer was lost is found, not made again.
struct Bitrix24Leads: LeadDestination {
    let settings: Bitrix24Settings
    let text: LeadText
    let http: HTTPTransport

    func create(_ change: LeadChange, deliveryId: String, retrying: Bool) async throws(DeliveryFailure) -> (leadId: String, applied: Bool) {
        if retrying, let found = Self.foundId(try await http.call(try listRequest(change))) {
            // Made by an earlier attempt, perhaps from an older change: brought up to this one.
            return (found, false)
        }
        return (try Self.createdId(try await http.call(try addRequest(change))), true)
    }

    /// Sets fields: the same update twice leaves the lead as once.
    func update(leadId: String, with change: LeadChange, deliveryId: String, retrying: Bool) async throws(DeliveryFailure) {
        let response = try await http.call(try updateRequest(leadId: leadId, change))
        guard try CRMJSON.object(response, "crm.lead.update")["result"] != nil else {
            throw .transient("crm.lead.update: the answer has no result")
        }
    }

    // MARK: Requests

    func addRequest(_ change: LeadChange) throws(DeliveryFailure) -> HTTPRequest {
        let appointment = change.appointment
        var fields = changeFields(change)
        fields["TITLE"] = text.title(change)
        fields["NAME"] = appointment.contact.name
        // Bitrix24's multi-fields: a list of values, each with its type. Sent on creation only:
        // an update with them would add the same phone and address again.
        if !appointment.contact.phone.isEmpty { fields["PHONE"] = [["VALUE": appointment.contact.phone, "VALUE_TYPE": "WORK"]] }
        if !appointment.contact.email.isEmpty { fields["EMAIL"] = [["VALUE": appointment.contact.email, "VALUE_TYPE": "WORK"]] }
        if let company = appointment.contact.company, !company.isEmpty { fields["COMPANY_TITLE"] = company }
        fields["SOURCE_ID"] = settings.sourceId
        fields["SOURCE_DESCRIPTION"] = text.sourceDescription(appointment.source) ?? "Страница записи на консультацию"
        if let source = appointment.source {
            for (name, value) in [("UTM_SOURCE", source.utmSource), ("UTM_MEDIUM", source.utmMedium), ("UTM_CAMPAIGN", source.utmCampaign)] {
                if let value { fields[name] = value }
            }
        }
        fields["ORIGINATOR_ID"] = settings.originatorId
        fields["ORIGIN_ID"] = appointment.id
        return try request("crm.lead.add", ["fields": fields, "params": ["REGISTER_SONET_EVENT": "Y"]])
    }

    func updateRequest(leadId: String, _ change: LeadChange) throws(DeliveryFailure) -> HTTPRequest {
        try request("crm.lead.update", ["id": Int(leadId).map { $0 as Any } ?? leadId, "fields": changeFields(change)])
    }

    func listRequest(_ change: LeadChange) throws(DeliveryFailure) -> HTTPRequest {
        try request("crm.lead.list", [
            "filter": ["=ORIGINATOR_ID": settings.originatorId, "=ORIGIN_ID": change.appointment.id], "select": ["ID"],
        ])
    }

    /// What every change sets: the booking as it now is (its time in COMMENTS: leads have no
    /// field for an appointment), what happened, and the stage configured for it.
    private func changeFields(_ change: LeadChange) -> [String: Any] {
        var fields: [String: Any] = ["COMMENTS": text.details(change), "STATUS_DESCRIPTION": text.summary(change)]
        if let status = settings.statuses[change.kind] { fields["STATUS_ID"] = status }
        return fields
    }

    private func request(_ method: String, _ parameters: [String: Any]) throws(DeliveryFailure) -> HTTPRequest {
        HTTPRequest(method: "POST", url: settings.webhookURL + method, headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
                    body: try CRMJSON.body(parameters), timeout: settings.timeout)
    }

    // MARK: Answers

    /// `crm.lead.add` answers `{"result": <the new lead's id>, "time": {...}}`.
    static func createdId(_ response: HTTPResponse) throws(DeliveryFailure) -> String {
        guard let id = CRMJSON.id(try CRMJSON.object(response, "crm.lead.add")["result"]) else {
            throw .transient("crm.lead.add: the answer has no lead id")
        }
        return id
    }

    /// `crm.lead.list` answers `{"result": [{"ID": "5"}, ...], "total": n}`.
    static func foundId(_ response: HTTPResponse) -> String? {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        return ((object?["result"] as? [[String: Any]])?.first).flatMap { CRMJSON.id($0["ID"]) }
    }
}

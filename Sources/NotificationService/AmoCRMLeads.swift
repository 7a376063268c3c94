import BookingProtocol
import Delivery
import Foundation
import Notifications

/// Leads in amoCRM (API v4, a long-lived token): a booking arrives in the unsorted inbox as a
/// form's request (`POST /api/v4/leads/unsorted/forms`, `source_uid` the appointment's id); what
/// the booking is and every later change become common notes on its lead
/// (`POST /api/v4/leads/{id}/notes`). A retry looks for the unsorted request by its `source_uid`,
/// and for the note by the change's id it ends with, first: what an attempt whose answer was
/// lost made is not made again.
struct AmoCRMLeads: LeadDestination {
    let settings: AmoCRMSettings
    let text: LeadText
    let http: HTTPTransport
    /// How many recent form requests a retry looks through for its own.
    static let lookupLimit = 250

    func create(_ change: LeadChange, deliveryId: String, retrying: Bool) async throws(DeliveryFailure) -> (leadId: String, applied: Bool) {
        if retrying, let found = Self.foundId(try await http.call(lookupRequest()), sourceUID: change.appointment.id) {
            return (found, false)
        }
        // The inbox holds who and where from; the booking itself comes as the first note.
        return (try Self.createdId(try await http.call(try createRequest(change))), false)
    }

    func update(leadId: String, with change: LeadChange, deliveryId: String, retrying: Bool) async throws(DeliveryFailure) {
        let note = noteText(change, deliveryId: deliveryId)
        if retrying, Self.hasNote(try await http.call(notesRequest(leadId: leadId)), text: note) { return }
        let response = try await http.call(try noteRequest(leadId: leadId, text: note))
        let notes = (try CRMJSON.object(response, "notes")["_embedded"] as? [String: Any])?["notes"] as? [[String: Any]]
        guard notes?.first.flatMap({ CRMJSON.id($0["id"]) }) != nil else { throw .transient("notes: the answer has no note id") }
    }

    // MARK: Requests

    func createRequest(_ change: LeadChange) throws(DeliveryFailure) -> HTTPRequest {
        let appointment = change.appointment
        let sent = Int(change.occurredAt.timeIntervalSince1970)
        var contactFields: [[String: Any]] = []
        if !appointment.contact.phone.isEmpty {
            contactFields.append(["field_code": "PHONE", "values": [["value": appointment.contact.phone, "enum_code": "WORK"]]])
        }
        if !appointment.contact.email.isEmpty {
            contactFields.append(["field_code": "EMAIL", "values": [["value": appointment.contact.email, "enum_code": "WORK"]]])
        }
        var metadata: [String: Any] = [
            "form_id": "consultation-booking", "form_name": settings.sourceName, "form_page": formPage(appointment.source),
            // The suite keeps no visitor's address; the field is required.
            "ip": "0.0.0.0", "form_sent_at": sent,
        ]
        if let referrer = appointment.source?.referrer { metadata["referer"] = "https://\(referrer)/" }
        var request: [String: Any] = [
            "source_name": settings.sourceName, "source_uid": appointment.id, "created_at": sent, "metadata": metadata,
            "_embedded": [
                "leads": [["name": text.title(change)]],
                "contacts": [["name": appointment.contact.name, "custom_fields_values": contactFields]],
            ],
        ]
        if let pipeline = settings.pipelineId { request["pipeline_id"] = pipeline }
        return try jsonRequest("POST", "/api/v4/leads/unsorted/forms", [request])
    }

    /// What the note says, ending with the change's id: a retry finds the note an earlier
    /// attempt added by it.
    func noteText(_ change: LeadChange, deliveryId: String) -> String {
        (change.kind == .created ? text.summary(change) + "\n" + text.details(change) : text.summary(change)) + "\n[\(deliveryId)]"
    }

    func noteRequest(leadId: String, text: String) throws(DeliveryFailure) -> HTTPRequest {
        try jsonRequest("POST", "/api/v4/leads/\(leadId)/notes", [["note_type": "common", "params": ["text": text]]])
    }

    /// The lead's newest common notes.
    func notesRequest(leadId: String) -> HTTPRequest {
        let query = "filter%5Bnote_type%5D=common&order%5Bid%5D=desc&limit=\(Self.lookupLimit)"
        return HTTPRequest(method: "GET", url: settings.baseURL + "/api/v4/leads/\(leadId)/notes?" + query, headers: headers, timeout: settings.timeout)
    }

    func lookupRequest() -> HTTPRequest {
        let query = "filter%5Bcategory%5D%5B%5D=forms&order%5Bcreated_at%5D=desc&limit=\(Self.lookupLimit)"
        return HTTPRequest(method: "GET", url: settings.baseURL + "/api/v4/leads/unsorted?" + query, headers: headers, timeout: settings.timeout)
    }

    /// The booking page with the visit's UTM parameters, as the form's page.
    func formPage(_ source: LeadSourceBody?) -> String {
        guard var components = URLComponents(string: settings.formPage), let source, !source.isEmpty else { return settings.formPage }
        let utm = [("utm_source", source.utmSource), ("utm_medium", source.utmMedium), ("utm_campaign", source.utmCampaign)]
            .compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
        if !utm.isEmpty { components.queryItems = (components.queryItems ?? []) + utm }
        return components.string ?? settings.formPage
    }

    private var headers: [(String, String)] { [("Authorization", "Bearer \(settings.token)"), ("Accept", "application/json")] }

    private func jsonRequest(_ method: String, _ path: String, _ body: Any) throws(DeliveryFailure) -> HTTPRequest {
        HTTPRequest(method: method, url: settings.baseURL + path, headers: headers + [("Content-Type", "application/json")],
                    body: try CRMJSON.body(body), timeout: settings.timeout)
    }

    // MARK: Answers

    /// The unsorted requests made: `_embedded.unsorted[0]._embedded.leads[0].id` is the lead's.
    static func createdId(_ response: HTTPResponse) throws(DeliveryFailure) -> String {
        let unsorted = (try CRMJSON.object(response, "unsorted")["_embedded"] as? [String: Any])?["unsorted"] as? [[String: Any]]
        guard let id = unsorted?.first.flatMap(leadId) else { throw .transient("unsorted: the answer has no lead id") }
        return id
    }

    /// The lead of the form request whose `source_uid` is ours, among the recent ones (an empty
    /// list is answered 204 without a body).
    static func foundId(_ response: HTTPResponse, sourceUID: String) -> String? {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        let unsorted = (object?["_embedded"] as? [String: Any])?["unsorted"] as? [[String: Any]] ?? []
        return unsorted.first { $0["source_uid"] as? String == sourceUID }.flatMap(leadId)
    }

    /// Whether the notes listed (`_embedded.notes[].params.text`; 204 when there are none) hold `text`.
    static func hasNote(_ response: HTTPResponse, text: String) -> Bool {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        let notes = (object?["_embedded"] as? [String: Any])?["notes"] as? [[String: Any]] ?? []
        return notes.contains { ($0["params"] as? [String: Any])?["text"] as? String == text }
    }

    private static func leadId(_ unsorted: [String: Any]) -> String? {
        ((unsorted["_embedded"] as? [String: Any])?["leads"] as? [[String: Any]])?.first.flatMap { CRMJSON.id($0["id"]) }
    }
}

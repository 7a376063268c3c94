import DaemonKit
import Foundation
import Notifications

/// The `notifications.crm:` section, checked: where each booking's lead goes. Absent: no CRM.
/// Secrets (Bitrix24's webhook URL, which holds its key; amoCRM's token; the webhook's signing
/// secret) are read from files or systemd credentials, never written in booking.yaml.
enum CRMRoute: Sendable, Equatable {
    case bitrix24(Bitrix24Settings)
    case amocrm(AmoCRMSettings)
    case webhook(LeadWebhookSettings)

    var provider: String {
        switch self {
        case .bitrix24: "bitrix24"
        case .amocrm: "amocrm"
        case .webhook: "webhook"
        }
    }

    /// Each request's limit.
    var timeout: Duration {
        switch self {
        case .bitrix24(let settings): settings.timeout
        case .amocrm(let settings): settings.timeout
        case .webhook(let settings): settings.timeout
        }
    }
}

struct Bitrix24Settings: Sendable, Equatable {
    /// The inbound webhook's base, `https://<portal>/rest/<user>/<key>/`, ending in a slash.
    var webhookURL: String
    /// ORIGINATOR_ID: names this suite as the leads' source system; ORIGIN_ID is the appointment's id.
    var originatorId: String
    var sourceId: String
    /// STATUS_ID per change; a change without one leaves the lead's stage alone.
    var statuses: [LeadChangeKind: String]
    var timeout: Duration
}

struct AmoCRMSettings: Sendable, Equatable {
    /// `https://<subdomain>.amocrm.ru`, without a trailing slash.
    var baseURL: String
    var token: String
    var sourceName: String
    /// The booking page, sent as the form's page (with the visit's UTM parameters).
    var formPage: String
    var pipelineId: Int?
    var timeout: Duration
}

struct LeadWebhookSettings: Sendable, Equatable {
    var url: String
    var secret: String
    var timeout: Duration
}

extension CRMRoute {
    static let defaultBitrixStatuses: [LeadChangeKind: String] = [.created: "NEW", .attended: "PROCESSED"]

    /// `fail(key, problem)` names the key below `notifications.`; `secret(key, file)` reads a credential.
    static func load(_ raw: RawCRM?, fail: (String, String) -> ConfigurationError,
                     secret: (String, String?) throws(ConfigurationError) -> String?) throws(ConfigurationError) -> CRMRoute? {
        guard let raw else { return nil }
        let timeoutSeconds = raw.timeoutSeconds ?? 10
        guard (1...120).contains(timeoutSeconds) else { throw fail("crm.timeout_seconds", "must be between 1 and 120, got \(timeoutSeconds)") }
        let timeout = Duration.seconds(timeoutSeconds)
        guard let provider = raw.provider else { throw fail("crm.provider", "is required: bitrix24, amocrm or webhook") }
        switch provider {
        case "bitrix24":
            guard let file = raw.bitrix24?.webhookURLFile else {
                throw fail("crm.bitrix24.webhook_url_file", "is required: a file holding the inbound webhook's URL (https://<portal>/rest/<user>/<key>/), which is its secret")
            }
            var url = try secret("crm.bitrix24.webhook_url_file", file) ?? ""
            guard isHTTP(url), url.contains("/rest/") else {
                throw fail("crm.bitrix24.webhook_url_file", "the file must hold the inbound webhook's URL, https://<portal>/rest/<user>/<key>/")
            }
            if !url.hasSuffix("/") { url += "/" }
            var statuses = defaultBitrixStatuses
            for (key, value) in raw.bitrix24?.statuses ?? [:] {
                guard let kind = LeadChangeKind(rawValue: key) else {
                    throw fail("crm.bitrix24.statuses.\(key)", "is not a change: \(LeadChangeKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                statuses[kind] = value.isEmpty ? nil : value
            }
            return .bitrix24(Bitrix24Settings(
                webhookURL: url, originatorId: raw.bitrix24?.originatorId ?? "consultation-booking", sourceId: raw.bitrix24?.sourceId ?? "WEB",
                statuses: statuses, timeout: timeout))
        case "amocrm":
            guard let base = raw.amocrm?.baseURL, isHTTP(base) else {
                throw fail("crm.amocrm.base_url", "an http(s) URL is required, e.g. https://example.amocrm.ru")
            }
            guard let token = try secret("crm.amocrm.token_file", raw.amocrm?.tokenFile) else {
                throw fail("crm.amocrm.token_file", "is required: a file holding the integration's long-lived token")
            }
            guard let page = raw.amocrm?.formPage, isHTTP(page) else {
                throw fail("crm.amocrm.form_page", "an http(s) URL is required: the booking page, shown in amoCRM as the form's page")
            }
            if let pipeline = raw.amocrm?.pipelineId, pipeline <= 0 { throw fail("crm.amocrm.pipeline_id", "must be a positive number, got \(pipeline)") }
            return .amocrm(AmoCRMSettings(
                baseURL: base.hasSuffix("/") ? String(base.dropLast()) : base, token: token,
                sourceName: raw.amocrm?.sourceName ?? "Запись на консультацию", formPage: page, pipelineId: raw.amocrm?.pipelineId, timeout: timeout))
        case "webhook":
            guard let url = raw.webhook?.url, isHTTP(url) else { throw fail("crm.webhook.url", "an http(s) URL is required for the webhook") }
            guard let key = try secret("crm.webhook.secret_file", raw.webhook?.secretFile) else {
                throw fail("crm.webhook.secret_file", "is required: receivers check the signature")
            }
            guard key.hasPrefix("whsec_"), let decoded = Data(base64Encoded: String(key.dropFirst(6))), decoded.count >= 24 else {
                throw fail("crm.webhook.secret_file", "the secret must be whsec_ and the base64 of 24 to 64 random bytes, as Standard Webhooks writes keys")
            }
            return .webhook(LeadWebhookSettings(url: url, secret: key, timeout: timeout))
        default:
            throw fail("crm.provider", "'\(provider)' is not bitrix24, amocrm or webhook")
        }
    }

    private static func isHTTP(_ url: String) -> Bool {
        (url.hasPrefix("https://") || url.hasPrefix("http://")) && URLComponents(string: url)?.host?.isEmpty == false
    }
}

struct RawCRM: Decodable {
    var provider: String?
    var timeoutSeconds: Int?
    var bitrix24: RawBitrix24?
    var amocrm: RawAmoCRM?
    var webhook: RawWebhook?
    enum CodingKeys: String, CodingKey { case provider, timeoutSeconds = "timeout_seconds", bitrix24, amocrm, webhook }
}

struct RawBitrix24: Decodable {
    var webhookURLFile: String?
    var originatorId: String?
    var sourceId: String?
    var statuses: [String: String]?
    enum CodingKeys: String, CodingKey {
        case webhookURLFile = "webhook_url_file", originatorId = "originator_id", sourceId = "source_id", statuses
    }
}

struct RawAmoCRM: Decodable {
    var baseURL: String?
    var tokenFile: String?
    var sourceName: String?
    var formPage: String?
    var pipelineId: Int?
    enum CodingKeys: String, CodingKey {
        case baseURL = "base_url", tokenFile = "token_file", sourceName = "source_name", formPage = "form_page", pipelineId = "pipeline_id"
    }
}

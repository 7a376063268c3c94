import DaemonKit
import Foundation
@testable import NotificationService
import Notifications
import SuiteTesting
import Testing

/// `notifications.crm:` as an operator writes it: each provider, and each mistake named by its key.
@Suite struct CRMSettingsTests {
    let directory = NSTemporaryDirectory() + "crm-settings-\(UUID().uuidString)"

    func load(_ crm: String, files: [String: String] = [:]) throws -> NotifySettings {
        try NotifySettings.load(try configuration(crm, files: files))
    }

    func configuration(_ crm: String, files: [String: String] = [:]) throws -> SuiteConfiguration {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8) }
        let notifications = SuiteFiles.developmentNotifications + "\n" + crm.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
        let yaml = SuiteFiles.configuration(consultants: ["anna"], clockStart: "2026-12-01T07:58:00+03:00", minimumNoticeMinutes: 120, logLevel: "warning",
                                            notifications: notifications, extra: "web: {}\n")
        return try SuiteConfiguration.parse(yaml, file: directory + "/booking.yaml")
    }

    func problem(_ crm: String, files: [String: String] = [:]) -> String {
        do {
            _ = try load(crm, files: files)
            return "loaded"
        } catch {
            return "\(error)"
        }
    }

    @Test func aClaimsLeaseOutlastsTheLongestTimeout() throws {
        #expect(try load("").claimLease == .seconds(5 * 60), "five minutes at least")
        #expect(try load("""
            crm:
              provider: webhook
              timeout_seconds: 120
              webhook: {url: "https://example.com/leads", secret_file: hook-secret}
            """, files: ["hook-secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]).claimLease == .seconds(8 * 60))
    }

    @Test func offWithoutTheSection() throws {
        #expect(try load("").crm == nil)
    }

    @Test func bitrix24ReadsItsWebhookURLFromAFile() throws {
        let settings = try load("""
            crm:
              provider: bitrix24
              bitrix24: {webhook_url_file: b24-url, statuses: {cancelled: JUNK, attended: ""}}
            """, files: ["b24-url": "https://example.bitrix24.ru/rest/1/s3cr3t\n"])
        guard case .bitrix24(let bitrix) = settings.crm else { Issue.record("not bitrix24: \(String(describing: settings.crm))"); return }
        #expect(bitrix.webhookURL == "https://example.bitrix24.ru/rest/1/s3cr3t/")
        #expect(bitrix.statuses == [.created: "NEW", .cancelled: "JUNK"])
        #expect(bitrix.sourceId == "WEB")
        #expect(bitrix.timeout == .seconds(10))
    }

    @Test func amoCRMAndTheWebhook() throws {
        let amo = try load("""
            crm:
              provider: amocrm
              timeout_seconds: 20
              amocrm: {base_url: "https://example.amocrm.ru/", token_file: amo-token, form_page: "https://book.example.com/", pipeline_id: 7}
            """, files: ["amo-token": "eyJ0eXAi\n"])
        #expect(amo.crm == .amocrm(AmoCRMSettings(baseURL: "https://example.amocrm.ru", token: "eyJ0eXAi", sourceName: "Запись на консультацию",
                                                  formPage: "https://book.example.com/", pipelineId: 7, timeout: .seconds(20))))
        let webhook = try load("""
            crm:
              provider: webhook
              webhook: {url: "https://crm.example.com/hooks/booking", secret_file: crm-secret}
            """, files: ["crm-secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        #expect(webhook.crm == .webhook(LeadWebhookSettings(url: "https://crm.example.com/hooks/booking", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                                            timeout: .seconds(10))))
    }

    @Test func theConfigurationCheckSaysWhereLeadsGo() throws {
        let configuration = try configuration("crm: {provider: webhook, webhook: {url: 'https://crm.example.com/in', secret_file: s}}",
                                              files: ["s": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        #expect(try NotificationDaemon.checkConfiguration(configuration).hasSuffix("; leads to webhook"))
    }

    @Test func mistakesAreNamedByTheirKeys() {
        #expect(problem("crm: {}").contains("notifications.crm.provider: is required: bitrix24, amocrm or webhook"))
        #expect(problem("crm: {provider: salesforce}").contains("notifications.crm.provider: 'salesforce' is not bitrix24, amocrm or webhook"))
        #expect(problem("crm: {provider: bitrix24}").contains("notifications.crm.bitrix24.webhook_url_file: is required"))
        #expect(problem("crm: {provider: bitrix24, bitrix24: {webhook_url_file: missing}}").contains("cannot read"))
        #expect(problem("crm: {provider: bitrix24, bitrix24: {webhook_url_file: u}}", files: ["u": "s3cr3t"])
            .contains("the file must hold the inbound webhook's URL"))
        #expect(problem("crm: {provider: bitrix24, bitrix24: {webhook_url_file: u, statuses: {booked: NEW}}}", files: ["u": "https://x.bitrix24.ru/rest/1/k/"])
            .contains("notifications.crm.bitrix24.statuses.booked: is not a change: created, rescheduled, cancelled, attended, no_show"))
        #expect(problem("crm: {provider: amocrm, amocrm: {token_file: t, form_page: 'https://b.example.com'}}", files: ["t": "x"])
            .contains("notifications.crm.amocrm.base_url: an http(s) URL is required"))
        #expect(problem("crm: {provider: amocrm, amocrm: {base_url: 'https://e.amocrm.ru', form_page: 'https://b.example.com'}}")
            .contains("notifications.crm.amocrm.token_file: is required"))
        #expect(problem("crm: {provider: amocrm, amocrm: {base_url: 'https://e.amocrm.ru', token_file: t}}", files: ["t": "x"])
            .contains("notifications.crm.amocrm.form_page"))
        #expect(problem("crm: {provider: webhook, webhook: {url: 'ftp://x'}}").contains("notifications.crm.webhook.url: an http(s) URL is required"))
        #expect(problem("crm: {provider: webhook, webhook: {url: 'https://x.example.com'}}").contains("notifications.crm.webhook.secret_file: is required"))
        #expect(problem("crm: {provider: webhook, webhook: {url: 'https://x.example.com', secret_file: s}}", files: ["s": "hunter2"])
            .contains("the secret must be whsec_"))
        #expect(problem("crm: {provider: webhook, timeout_seconds: 0}").contains("notifications.crm.timeout_seconds: must be between 1 and 120, got 0"))
        #expect(problem("crm: {provider: webhook, token: x}").contains("token"))
    }
}

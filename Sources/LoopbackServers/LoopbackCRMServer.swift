import Foundation

/// A CRM on 127.0.0.1 for tests (Tests/Support/crm_server.py): Bitrix24's inbound webhook,
/// amoCRM's API v4 or a Standard Webhooks receiver, each checking requests against the
/// provider's documented shape and keeping the leads they make. `options` are the script's
/// (`--fail-first 2 --fail-status 503`, `--fail-always`, `--lose-first-create 1`).
public final class LoopbackCRMServer: @unchecked Sendable {
    public enum Provider: String, Sendable { case bitrix24, amocrm, webhook }

    public let provider: Provider
    public let port: Int
    public let directory: String
    /// Bitrix24's webhook key (in its URL), amoCRM's token, the webhook's signing secret.
    public let key = "k3yR2d9", token = "amo-long-lived-token", secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    private let process: LoopbackProcess

    public init(_ provider: Provider, options: [String] = []) throws {
        self.provider = provider
        directory = try SupportScripts.temporaryDirectory("crm")
        process = try LoopbackProcess(
            script: "crm_server.py",
            arguments: ["--provider", provider.rawValue, "--port", "0", "--out", directory + "/requests.jsonl", "--state", directory + "/state.json",
                        "--key", key, "--token", token, "--secret", secret] + options,
            logPath: directory + "/server.log")
        port = process.port
    }

    deinit {
        process.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The address notifyd is configured with: Bitrix24's webhook URL (its secret), amoCRM's
    /// base, the webhook's endpoint.
    public var url: String {
        switch provider {
        case .bitrix24: "http://127.0.0.1:\(port)/rest/1/\(key)/"
        case .amocrm: "http://127.0.0.1:\(port)"
        case .webhook: "http://127.0.0.1:\(port)/hooks/crm"
        }
    }

    public var requests: [ReceivedRequest] { ReceivedRequest.read(directory + "/requests.jsonl") }

    /// The CRM as it now is: `leads` (each with `id`, `external` and the provider's record of
    /// it: Bitrix24's `fields` and `updates`, amoCRM's `unsorted` and `notes`, the webhook's
    /// `messages`), `problems` (requests that did not fit the documentation) and `duplicates`
    /// (webhook messages seen before, by webhook-id).
    public var state: [String: Any] {
        guard let data = FileManager.default.contents(atPath: directory + "/state.json"),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return [:] }
        return object
    }

    public var leads: [[String: Any]] { state["leads"] as? [[String: Any]] ?? [] }
    public var problems: [[String: Any]] { state["problems"] as? [[String: Any]] ?? [] }

    public func waitForLeads(count: Int, timeout: Duration = .seconds(10)) async throws -> [[String: Any]] {
        try await waitFor(count: count, timeout: timeout, what: "leads") { leads }
    }

    public func stop() { process.stop() }
}

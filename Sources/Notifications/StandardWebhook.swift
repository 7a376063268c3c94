import Crypto
import Foundation

/// Signing as the Standard Webhooks specification defines it: HMAC-SHA256 over
/// `"{id}.{timestamp}.{body}"`, sent as `webhook-signature: v1,<base64>` beside `webhook-id` and
/// `webhook-timestamp`.
public enum StandardWebhook {
    /// `secret` is `whsec_<base64 of the key>` as the spec hands secrets out; any other string
    /// (or a whsec_ value whose rest is not base64) is used as the key's UTF-8 bytes.
    public static func signature(id: String, timestamp: Int, body: [UInt8], secret: String) -> String {
        var content = Array("\(id).\(timestamp).".utf8)
        content += body
        let code = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key(secret)))
        return "v1," + Data(code).base64EncodedString()
    }

    /// The three headers of one delivery, in the spec's names.
    public static func headers(id: String, timestamp: Int, body: [UInt8], secret: String) -> [(String, String)] {
        [
            ("webhook-id", id),
            ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", signature(id: id, timestamp: timestamp, body: body, secret: secret)),
        ]
    }

    static func key(_ secret: String) -> [UInt8] {
        if secret.hasPrefix("whsec_"), let decoded = Data(base64Encoded: String(secret.dropFirst("whsec_".count))), !decoded.isEmpty {
            return Array(decoded)
        }
        return Array(secret.utf8)
    }
}

import CryptoExtras
import Foundation

/// The JWT a service account signs to ask Google for an access token (RFC 7523 §2.1, Google's
/// "Using OAuth 2.0 for Server to Server Applications"): RS256 over the header and claims,
/// base64url without padding. Pure: the time is given.
struct GoogleAssertion: Sendable, Equatable {
    struct Claims: Codable, Sendable, Equatable {
        /// The service account's address.
        var iss: String
        var scope: String
        /// The token endpoint the assertion is for.
        var aud: String
        var iat: Int
        var exp: Int
        /// The user the account acts for (domain-wide delegation): the calendar's owner.
        var sub: String
    }

    static let header = #"{"alg":"RS256","typ":"JWT"}"#
    /// Google accepts at most an hour between iat and exp.
    static let lifetime = 3600

    var claims: Claims

    init(account: GoogleServiceAccount, subject: String, scope: String, issuedAt: Date) {
        let iat = Int(issuedAt.timeIntervalSince1970.rounded(.down))
        claims = Claims(iss: account.clientEmail, scope: scope, aud: account.tokenURI, iat: iat, exp: iat + Self.lifetime, sub: subject)
    }

    /// `header.claims.signature`, signed with the account's private key (PKCS #1 v1.5 with
    /// SHA-256, which is what RS256 names).
    func signed(with privateKeyPEM: String) throws(GoogleAuthorizationError) -> String {
        let key: _RSA.Signing.PrivateKey
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw .credentialUnusable("private_key is not an RSA key of 2048 bits or more in PEM")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(claims)) ?? Data()
        let signingInput = Self.base64URL(Data(Self.header.utf8)) + "." + Self.base64URL(body)
        do {
            let signature = try key.signature(for: Data(signingInput.utf8), padding: .insecurePKCS1v1_5)
            return signingInput + "." + Self.base64URL(signature.rawRepresentation)
        } catch {
            throw .credentialUnusable("private_key could not sign the assertion")
        }
    }

    /// RFC 7515 §2: base64url, no padding.
    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The bytes of a base64url text (padding optional); nil when it is not base64url.
    static func data(base64URL text: some StringProtocol) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}

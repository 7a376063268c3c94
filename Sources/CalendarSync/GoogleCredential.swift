import Foundation

/// What a Google connection's credential file holds: one of the two JSON files Google hands
/// out. Pure: parsed from the file's text, never written anywhere.
enum GoogleCredential: Sendable, Hashable {
    /// A service account's key (Cloud console, Keys, "Create new key", JSON), acting for the
    /// calendar's owner through domain-wide delegation.
    case serviceAccount(GoogleServiceAccount)
    /// An OAuth client's refresh token granted by the owner (`type: "authorized_user"`, as
    /// `gcloud auth application-default login` writes it).
    case authorizedUser(GoogleAuthorizedUser)

    static let defaultTokenURI = "https://oauth2.googleapis.com/token"

    /// Where access tokens are asked for.
    var tokenURI: String {
        switch self {
        case let .serviceAccount(account): account.tokenURI
        case let .authorizedUser(user): user.tokenURI
        }
    }

    /// Reads the file's text. The problems name fields, never their values: the file is a secret.
    init(json text: String) throws(GoogleAuthorizationError) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw .credentialUnusable("it is not a JSON object; give the service account's JSON key or an authorized_user file with a refresh token")
        }
        func field(_ name: String) throws(GoogleAuthorizationError) -> String {
            guard let value = object[name] as? String, !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw .credentialUnusable("\(name) is missing")
            }
            return value
        }
        let tokenURI = (object["token_uri"] as? String) ?? Self.defaultTokenURI
        guard Self.acceptable(tokenURI: tokenURI) else {
            throw .credentialUnusable("token_uri must be an https URL (plain http only on loopback)")
        }
        switch object["type"] as? String {
        case "service_account":
            self = .serviceAccount(GoogleServiceAccount(clientEmail: try field("client_email"), privateKey: try field("private_key"), tokenURI: tokenURI))
        case "authorized_user":
            self = .authorizedUser(GoogleAuthorizedUser(clientID: try field("client_id"), clientSecret: try field("client_secret"),
                                                        refreshToken: try field("refresh_token"), tokenURI: tokenURI))
        default:
            throw .credentialUnusable("its type must be service_account or authorized_user")
        }
    }

    /// The token endpoint receives the key's proof or the refresh token: https, except on the
    /// machine itself (the tests' stand-in for Google).
    static func acceptable(tokenURI: String) -> Bool {
        guard let url = URLComponents(string: tokenURI), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else { return false }
        return scheme == "https" || (scheme == "http" && ["127.0.0.1", "localhost", "::1"].contains(host.lowercased()))
    }
}

/// A service account's key as Google's JSON key file gives it.
struct GoogleServiceAccount: Sendable, Hashable {
    /// The account's address: the JWT's issuer.
    var clientEmail: String
    /// PKCS #8 PEM.
    var privateKey: String
    var tokenURI: String
}

/// An OAuth client and the refresh token a calendar's owner granted it.
struct GoogleAuthorizedUser: Sendable, Hashable {
    var clientID: String
    var clientSecret: String
    var refreshToken: String
    var tokenURI: String
}

// What a log line or an error might interpolate names the account, never the key nor the token.
extension GoogleCredential: CustomStringConvertible {
    var description: String {
        switch self {
        case let .serviceAccount(account): "service account \(account.clientEmail)"
        case let .authorizedUser(user): "refresh token of OAuth client \(user.clientID)"
        }
    }
}

extension GoogleServiceAccount: CustomStringConvertible {
    var description: String { "service account \(clientEmail)" }
}

extension GoogleAuthorizedUser: CustomStringConvertible {
    var description: String { "refresh token of OAuth client \(clientID)" }
}

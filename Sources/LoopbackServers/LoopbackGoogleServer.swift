import Foundation

/// Google Calendar's CalDAV endpoint and its OAuth 2 token endpoint on loopback
/// (Tests/Support/google_server.py), checking what Google documents: the service account's JWT
/// (claims, RS256 signature against the key it made) and the refresh token grant. Behind the
/// tokens is Radicale, with a calendar per user of `users` (name to password, for the tests'
/// own basic-auth writes).
public final class LoopbackGoogleServer: Sendable {
    public let port: Int
    public let directory: String
    public let serviceAccount: String
    private let process: LoopbackProcess

    /// `refreshUser`: whose refresh token `authorizedUserJSON` holds. `tokenLifetime`: the
    /// `expires_in` of every access token, in seconds.
    public init(users: [String: String], refreshUser: String, tokenLifetime: Int = 3600,
                serviceAccount: String = "calsyncd@booking-tests.iam.gserviceaccount.com") throws {
        directory = try SupportScripts.temporaryDirectory("google")
        self.serviceAccount = serviceAccount
        process = try LoopbackProcess(
            script: "google_server.py",
            arguments: ["--port", "0", "--directory", directory, "--users", users.map { "\($0.key):\($0.value)" }.sorted().joined(separator: ","),
                        "--refresh-user", refreshUser, "--service-account", serviceAccount, "--token-lifetime", "\(tokenLifetime)"],
            logPath: directory + "/server.log")
        port = process.port
    }

    deinit {
        process.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The URL Google gives a calendar: `.../caldav/v2/<calendar id, escaped>/events/`.
    public func collectionURL(calendar: String) -> String {
        "http://127.0.0.1:\(port)/caldav/v2/\(calendar.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? calendar)/events/"
    }

    /// The same calendar on Radicale's own path, for writing with basic authentication.
    public func directURL(calendar: String) -> String {
        "http://127.0.0.1:\(port)/\(calendar)/events/"
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    public var tokenURL: String { "http://127.0.0.1:\(port)/token" }

    /// The service account's key file as Google's console gives it.
    public var serviceAccountJSON: String { read("service-account.json") }
    /// The key's public half (SubjectPublicKeyInfo PEM).
    public var publicKeyPEM: String { read("service-account.pub.pem") }
    /// An `authorized_user` file with a refresh token of `refreshUser`.
    public var authorizedUserJSON: String { read("authorized-user.json") }

    /// From now on every grant is refused (invalid_grant) and every token issued rejected, as
    /// after the key is deleted or the user revokes the grant.
    public func revokeGrants() throws {
        try Data().write(to: URL(fileURLWithPath: directory + "/revoked"))
    }

    public func restoreGrants() throws {
        try FileManager.default.removeItem(atPath: directory + "/revoked")
    }

    /// What the token endpoint was asked, in order.
    public var tokenRequests: [GoogleTokenRequest] {
        entries.compactMap { entry in
            guard entry["kind"] as? String == "token" else { return nil }
            return GoogleTokenRequest(
                grantType: entry["grant_type"] as? String, granted: entry["granted"] as? Bool ?? false, error: entry["error"] as? String,
                subject: entry["subject"] as? String, assertion: entry["assertion"] as? String,
                serial: entry["serial"] as? Int, previousRemaining: entry["previous_remaining"] as? Double)
        }
    }

    /// The CalDAV requests, each with the serial number of the token it carried (nil: none the
    /// server issued) and whether it was let through.
    public var calDAVRequests: [(method: String, tokenSerial: Int?, accepted: Bool)] {
        entries.compactMap { entry in
            guard entry["kind"] as? String == "caldav", let method = entry["method"] as? String else { return nil }
            return (method, entry["serial"] as? Int, entry["accepted"] as? Bool ?? false)
        }
    }

    public func stop() { process.stop() }

    private var entries: [[String: Any]] {
        read("tokens.jsonl").split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    private func read(_ name: String) -> String {
        (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? ""
    }
}

/// One request to the loopback token endpoint.
public struct GoogleTokenRequest: Sendable, Equatable {
    public var grantType: String?
    public var granted: Bool
    /// The OAuth error code it was refused with.
    public var error: String?
    /// The user the token is for.
    public var subject: String?
    /// The JWT of a service account's request.
    public var assertion: String?
    /// The issued token's number, counting from 1.
    public var serial: Int?
    /// How many seconds the previous token issued for the same user still had to live.
    public var previousRemaining: Double?
}

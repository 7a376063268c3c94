import Foundation
import Synchronization

/// A real CalDAV server on loopback: Radicale (Tests/Support/caldav_server.py), with basic
/// authentication for `users` (name to password), each owning the calendars under `/<name>/`.
/// `stop()` and `start()` take it down and bring it back on the same port with its calendars,
/// as an outage would.
public final class LoopbackCalDAVServer: Sendable {
    public let port: Int
    /// The calendars and the server's files.
    public let directory: String
    private let users: [String: String]
    private let process: Mutex<LoopbackProcess?>

    public init(users: [String: String]) throws {
        directory = try SupportScripts.temporaryDirectory("caldav")
        self.users = users
        let started = try Self.launch(port: 0, directory: directory, users: users)
        port = started.port
        process = Mutex(started)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `http://127.0.0.1:<port>/<user>/<calendar>/`.
    public func collectionURL(user: String, calendar: String) -> String {
        "http://127.0.0.1:\(port)/\(user)/\(calendar)/"
    }

    public func stop() {
        let running = process.withLock { running in
            defer { running = nil }
            return running
        }
        running?.stop()
    }

    /// Starts it again on its port (a no-op while it runs).
    public func start() throws {
        guard process.withLock({ $0 == nil }) else { return }
        let started = try Self.launch(port: port, directory: directory, users: users)
        process.withLock { $0 = started }
    }

    private static func launch(port: Int, directory: String, users: [String: String]) throws -> LoopbackProcess {
        try LoopbackProcess(
            script: "caldav_server.py",
            arguments: ["--port", "\(port)", "--storage", directory, "--users", users.map { "\($0.key):\($0.value)" }.sorted().joined(separator: ",")],
            logPath: directory + "/server.log")
    }
}

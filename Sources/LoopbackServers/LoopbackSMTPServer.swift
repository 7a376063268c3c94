import Foundation

/// One message the loopback SMTP server accepted.
public struct ReceivedMail: Sendable, Equatable {
    /// 1 for the first message accepted, then 2, ...
    public var number: Int
    public var mailFrom: String
    public var rcptTos: [String]
    public var messageID: String?
    public var receivedAt: Date
    /// Whether the session had authenticated / was encrypted when the message was accepted.
    public var authenticated: Bool
    public var tls: Bool
    /// The name the client gave in EHLO/HELO.
    public var heloName: String?
    /// The client's TCP port: messages sent over one connection share it.
    public var clientPort: Int
    /// The DATA bytes exactly as received (dot-unstuffed).
    public var bytes: [UInt8]
}

/// A real SMTP server (Tests/Support/smtp_server.py, aiosmtpd) on 127.0.0.1, for tests.
/// `options` are the script's (`--starttls`, `--auth USER:PASS`, `--fail-first 2`, ...);
/// `--port 0` and `--out` are supplied.
public final class LoopbackSMTPServer: @unchecked Sendable {
    public let port: Int
    /// Where the server writes `<n>.eml` and `messages.jsonl`.
    public let directory: String
    private let process: LoopbackProcess

    public init(options: [String] = []) throws {
        directory = try SupportScripts.temporaryDirectory("smtp")
        process = try LoopbackProcess(
            script: "smtp_server.py", arguments: ["--port", "0", "--out", directory] + options,
            logPath: directory + "/server.log")
        port = process.port
    }

    deinit {
        process.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Messages accepted so far, in order. (A line the server is still writing is left for the
    /// next read.)
    public var messages: [ReceivedMail] {
        guard let text = try? String(contentsOfFile: directory + "/messages.jsonl", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  let number = object["n"] as? Int,
                  let bytes = try? Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(number).eml"))
            else { return nil }
            return ReceivedMail(
                number: number,
                mailFrom: object["mail_from"] as? String ?? "",
                rcptTos: object["rcpt_tos"] as? [String] ?? [],
                messageID: object["message_id"] as? String,
                receivedAt: Date(timeIntervalSince1970: object["received_at"] as? Double ?? 0),
                authenticated: object["authenticated"] as? Bool ?? false,
                tls: object["tls"] as? Bool ?? false,
                heloName: object["helo"] as? String,
                clientPort: object["peer_port"] as? Int ?? 0,
                bytes: [UInt8](bytes))
        }
    }

    public func waitForMessages(count: Int, timeout: Duration = .seconds(10)) async throws -> [ReceivedMail] {
        try await waitFor(count: count, timeout: timeout, what: "messages") { messages }
    }

    /// Changes behaviour from the next DATA on: `failNext` answers with `failCode` that many
    /// times; `reject` answers every DATA with that code (nil: accept again).
    public func control(failNext: Int? = nil, failCode: Int? = nil, reject: Int?? = nil) throws {
        var object: [String: Any] = [:]
        if let failNext { object["fail_next"] = failNext }
        if let failCode { object["fail_code"] = failCode }
        if let reject { object["reject"] = reject ?? NSNull() }
        let data = try JSONSerialization.data(withJSONObject: object)
        let temporary = directory + "/.control.json.tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, directory + "/control.json") == 0 else {
            throw LoopbackServerError.failedToStart("cannot place control.json (errno \(errno))")
        }
    }

    /// The server's stderr so far (for failure messages).
    public var log: String { (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? "" }

    /// SIGSTOP: the server takes connections (the kernel does) but says nothing until `resume`.
    public func pause() { process.signal(SIGSTOP) }
    public func resume() { process.signal(SIGCONT) }

    public func stop() {
        resume()
        process.stop()
    }
}

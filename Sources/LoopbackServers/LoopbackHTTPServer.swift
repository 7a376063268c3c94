import Foundation

/// One request the loopback HTTP server received.
public struct ReceivedRequest: Sendable {
    public var method: String
    public var path: String
    public var headers: [(String, String)]
    public var body: [UInt8]

    /// The requests a support script wrote to `path`, one JSON line each (method, path, headers,
    /// body in base64), in order. (A line the server is still writing is left for the next read.)
    static func read(_ path: String) -> [ReceivedRequest] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  let method = object["method"] as? String, let path = object["path"] as? String,
                  let pairs = object["headers"] as? [[String]], let body = object["body"] as? String,
                  let bytes = Data(base64Encoded: body)
            else { return nil }
            return ReceivedRequest(
                method: method, path: path,
                headers: pairs.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil },
                body: [UInt8](bytes))
        }
    }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// A real HTTP server (Tests/Support/http_server.py) on 127.0.0.1, for tests. `options` are the
/// script's (`--statuses 503,200`, `--retry-after 7`, `--delay 2`); `--port 0` and `--out` are supplied.
public final class LoopbackHTTPServer: @unchecked Sendable {
    public let port: Int
    public let directory: String
    private let process: LoopbackProcess

    public init(options: [String] = []) throws {
        directory = try SupportScripts.temporaryDirectory("http")
        process = try LoopbackProcess(
            script: "http_server.py", arguments: ["--port", "0", "--out", directory + "/requests.jsonl"] + options,
            logPath: directory + "/server.log")
        port = process.port
    }

    deinit {
        process.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// "http://127.0.0.1:<port>" + path.
    public func url(_ path: String = "/") -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Requests received so far, in order. (A line the server is still writing is left for the
    /// next read.)
    public var requests: [ReceivedRequest] { ReceivedRequest.read(directory + "/requests.jsonl") }

    public func waitForRequests(count: Int, timeout: Duration = .seconds(10)) async throws -> [ReceivedRequest] {
        try await waitFor(count: count, timeout: timeout, what: "requests") { requests }
    }

    public func stop() { process.stop() }
}

import CivilTime
import CCurl
import Foundation

/// One HTTP request (SMS gateway call, chat webhook).
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Bounds connecting and, separately, the whole exchange.
    public var timeout: Duration

    public init(method: String = "POST", url: String, headers: [(String, String)] = [], body: [UInt8] = [], timeout: Duration = .seconds(10)) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body && lhs.timeout == rhs.timeout
            && lhs.headers.count == rhs.headers.count
            && zip(lhs.headers, rhs.headers).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    /// Refuses what cannot be sent as given: a bad method, a non-HTTP URL, header injection.
    func validate() throws(DeliveryFailure) {
        let tokenCharacters = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        if method.isEmpty || !method.allSatisfy(tokenCharacters.contains) {
            throw .permanent("invalid HTTP method \(method.debugDescription)")
        }
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"),
              !url.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0 == "\0" })
        else { throw .permanent("invalid URL \(url.debugDescription): only http:// and https:// are sent") }
        for (name, value) in headers {
            if name.isEmpty || !name.allSatisfy(tokenCharacters.contains) {
                throw .permanent("invalid HTTP header name \(name.debugDescription)")
            }
            if value.unicodeScalars.contains(where: { "\r\n\0".unicodeScalars.contains($0) }) {
                throw .permanent("invalid value for HTTP header \(name)")
            }
        }
    }

    /// "host:port" for reasons (best effort; the URL was validated as http(s)).
    var endpoint: String {
        guard let components = URLComponents(string: url), let host = components.host else { return url }
        let port = components.port ?? (components.scheme?.lowercased() == "https" ? 443 : 80)
        return "\(host):\(port)"
    }

    var host: String { URLComponents(string: url)?.host ?? url }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    /// The response headers the request asked for (`HTTPTransport.exchange`), by lower-case name.
    public var headers: [String: String]
    public init(status: Int, body: [UInt8], headers: [String: String] = [:]) {
        self.status = status
        self.body = body
        self.headers = headers
    }
}

/// HTTP(S) through libcurl on `connections` worker threads, each keeping its connections open
/// for the next request. 2xx succeeds; 408, 425, 429 and 5xx are transient failures (with the
/// Retry-After delay when given); other statuses are permanent; redirects are not followed.
public final class HTTPTransport: Sendable {
    private let pool: CurlWorkerPool

    public init(connections: Int = 4) {
        pool = CurlWorkerPool(workers: connections, name: "http")
    }

    deinit { pool.close() }

    public func send(_ request: HTTPRequest) async throws(DeliveryFailure) -> HTTPResponse {
        try request.validate()
        let result = await pool.perform(closedResult: .failure(.transient("HTTP transport shut down"))) { curl in
            Self.transmit(request, curl: curl)
        }
        return try result.get()
    }

    /// The exchange whatever its status, for protocols that give statuses their own meaning
    /// (WebDAV's 207 Multi-Status, 404 for a resource gone, 412 for a precondition that failed):
    /// only a failure to exchange at all throws. `headers`: the response headers to return.
    public func exchange(_ request: HTTPRequest, headers: [String] = []) async throws(DeliveryFailure) -> HTTPResponse {
        try request.validate()
        let result = await pool.perform(closedResult: .failure(.transient("HTTP transport shut down"))) { curl -> Result<HTTPResponse, DeliveryFailure> in
            let (error, transfer) = Self.perform(request, curl: curl)
            if let error { return .failure(FailureClassification.transport(error, timeout: request.timeout, protocolName: "HTTP")) }
            let found = headers.compactMap { name in transfer.header(name).map { (name.lowercased(), $0) } }
            return .success(HTTPResponse(status: transfer.responseCode, body: transfer.body, headers: Dictionary(found) { first, _ in first }))
        }
        return try result.get()
    }

    /// As `send`, with the start of the answer's body in a failure's reason: an API says there why
    /// it refused (Bitrix24's `error_description`, amoCRM's validation errors).
    public func call(_ request: HTTPRequest) async throws(DeliveryFailure) -> HTTPResponse {
        let response = try await exchange(request, headers: ["Retry-After"])
        let retryAfter = response.headers["retry-after"].flatMap { RetryAfter.parse($0, now: Date()) }
        guard var failure = FailureClassification.http(error: nil, status: response.status, retryAfter: retryAfter, timeout: request.timeout) else {
            return response
        }
        let excerpt = String(decoding: response.body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if !excerpt.isEmpty { failure.reason += ": " + excerpt }
        throw failure
    }

    public func shutdown() async {
        await pool.shutdown()
    }

    private static func transmit(_ request: HTTPRequest, curl: CurlHandle) -> Result<HTTPResponse, DeliveryFailure> {
        let (error, transfer) = perform(request, curl: curl)
        let status = transfer.responseCode
        let retryAfter = transfer.header("Retry-After").flatMap { RetryAfter.parse($0, now: Date()) }
        if let failure = FailureClassification.http(error: error, status: status, retryAfter: retryAfter, timeout: request.timeout) {
            return .failure(failure)
        }
        return .success(HTTPResponse(status: status, body: transfer.body))
    }

    private static func perform(_ request: HTTPRequest, curl: CurlHandle) -> (TransferError?, CurlTransfer) {
        let transfer = CurlTransfer(curl)
        transfer.set(CURLOPT_URL, request.url)
        transfer.set(CURLOPT_PROTOCOLS_STR, "http,https")
        transfer.set(CURLOPT_CONNECTTIMEOUT_MS, Int(max(1, request.timeout.timeoutMilliseconds)))
        transfer.set(CURLOPT_TIMEOUT_MS, Int(max(1, request.timeout.timeoutMilliseconds)))
        let method = request.method.uppercased()
        switch method {
        case "GET" where request.body.isEmpty:
            transfer.set(CURLOPT_HTTPGET, 1)
        case "HEAD":
            transfer.set(CURLOPT_NOBODY, 1)
        default:
            transfer.set(CURLOPT_POST, 1)
            transfer.set(CURLOPT_POSTFIELDSIZE, request.body.count)
            if request.body.isEmpty {
                transfer.set(CURLOPT_COPYPOSTFIELDS, "")
            } else {
                request.body.withUnsafeBytes { bytes in
                    // COPYPOSTFIELDS copies POSTFIELDSIZE bytes, so the body may hold NULs.
                    transfer.set(CURLOPT_COPYPOSTFIELDS, pointer: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                }
            }
            if method != "POST" { transfer.set(CURLOPT_CUSTOMREQUEST, method) }
        }
        // "Expect:" stops libcurl's 100-continue round trip on larger bodies.
        transfer.set(CURLOPT_HTTPHEADER, list: request.headers.map { "\($0.0): \($0.1)" } + ["Expect:"])
        return (transfer.perform(endpoint: request.endpoint, host: request.host), transfer)
    }
}

import CivilTime
/// What went wrong in one libcurl transfer, reduced to the distinctions the failure
/// classification needs (built from a CURLcode by `CurlTransfer`; pure, so it is tested alone).
enum TransferError: Sendable, Equatable {
    case couldNotResolve(host: String)
    case connectionRefused(endpoint: String)
    case couldNotConnect(endpoint: String, detail: String)
    case timedOut
    /// The connection broke mid-transfer (send/receive errors, an empty reply).
    case connectionLost(detail: String)
    case loginDenied(detail: String)
    /// TLS handshake, certificate verification, or the server refusing STARTTLS.
    case tls(detail: String)
    case invalidURL(detail: String)
    /// The server said something libcurl did not expect (an SMTP reply code outside the flow).
    case unexpectedReply(detail: String)
    case other(code: Int, detail: String)
}

/// Turns one attempt's outcome into success or a `DeliveryFailure`. No I/O.
enum FailureClassification {
    /// SMTP: a 4xx/5xx reply from the server decides (4xx transient, 5xx permanent); otherwise
    /// the transport-level error does.
    static func smtp(error: TransferError?, replyCode: Int, replyLine: String?, timeout: Duration) -> DeliveryFailure? {
        guard let error else { return nil }
        if (400..<600).contains(replyCode) {
            let text = replyLine.flatMap { $0.hasPrefix(String(replyCode)) ? $0 : nil } ?? String(replyCode)
            if case .loginDenied = error {
                return DeliveryFailure(permanent: replyCode >= 500, reason: "SMTP authentication failed: \(text)")
            }
            return DeliveryFailure(permanent: replyCode >= 500, reason: "SMTP \(text)")
        }
        return transport(error, timeout: timeout, protocolName: "SMTP")
    }

    /// HTTP: 2xx succeeds; 408, 425, 429 and 5xx are transient; every other status is permanent.
    static func http(error: TransferError?, status: Int, retryAfter: Duration?, timeout: Duration) -> DeliveryFailure? {
        if let error { return transport(error, timeout: timeout, protocolName: "HTTP") }
        switch status {
        case 200..<300:
            return nil
        case 408, 425, 429, 500..<600:
            return .transient("HTTP \(status)", retryAfter: retryAfter)
        default:
            return .permanent("HTTP \(status)")
        }
    }

    static func transport(_ error: TransferError, timeout: Duration, protocolName: String) -> DeliveryFailure {
        switch error {
        case let .couldNotResolve(host):
            return .transient("could not resolve host \(host)")
        case let .connectionRefused(endpoint):
            return .transient("connection refused (\(endpoint))")
        case let .couldNotConnect(endpoint, detail):
            return .transient("could not connect (\(endpoint)): \(detail)")
        case .timedOut:
            return .transient("timed out after \(timeout.secondsText)")
        case let .connectionLost(detail):
            return .transient("connection lost: \(detail)")
        case let .loginDenied(detail):
            return .permanent("\(protocolName) authentication failed: \(detail)")
        case let .tls(detail):
            return .permanent("TLS failure: \(detail)")
        case let .invalidURL(detail):
            return .permanent("invalid URL: \(detail)")
        case let .unexpectedReply(detail):
            return .transient("unexpected \(protocolName) reply: \(detail)")
        case let .other(code, detail):
            // Unknown trouble is retried: the caller's policy bounds the attempts.
            return .transient("libcurl error \(code): \(detail)")
        }
    }
}

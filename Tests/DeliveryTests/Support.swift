import Foundation
import Testing
@testable import Delivery

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// An RFC 5322 message with CRLF line ends, including a line that needs dot-stuffing.
func sampleMessage(id: String = "\(UUID().uuidString)@notifyd.test", to: String = "client@example.test", body: String = "Your appointment is confirmed.") -> [UInt8] {
    bytes([
        "From: Booking <booking@example.test>",
        "To: \(to)",
        "Subject: Appointment confirmed",
        "Message-ID: <\(id)>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        body,
        ".a line starting with a dot",
        "",
        "Ünïcödé and the end.",
        "",
    ].joined(separator: "\r\n"))
}

/// A fresh temporary directory, removed when `body` returns or throws.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = NSTemporaryDirectory() + "/delivery-tests-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// The failure `body` throws; records an issue if it succeeds.
func failure(_ body: () async throws(DeliveryFailure) -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> DeliveryFailure? {
    do {
        try await body()
        Issue.record("expected a DeliveryFailure", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// A TCP port on 127.0.0.1 where nothing listens: the socket is bound (so no one else gets the
/// port) but never listens, so connecting is refused. Closed when `body` returns.
func withRefusingPort<T>(_ body: (Int) async throws -> T) async throws -> T {
    try await withBoundPort(listening: false, body)
}

/// A TCP port on 127.0.0.1 that accepts connections (the kernel completes them) but never says
/// a word: a server that hangs. Closed when `body` returns.
func withSilentPort<T>(_ body: (Int) async throws -> T) async throws -> T {
    try await withBoundPort(listening: true, body)
}

private func withBoundPort<T>(listening: Bool, _ body: (Int) async throws -> T) async throws -> T {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    precondition(fd >= 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    precondition(bound)
    if listening { precondition(listen(fd, 16) == 0) }
    return try await body(Int(UInt16(bigEndian: address.sin_port)))
}

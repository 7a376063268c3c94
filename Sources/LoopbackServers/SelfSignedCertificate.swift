import Foundation

/// A throwaway certificate for `localhost` / 127.0.0.1, made with the openssl command line in a
/// temporary directory (removed on deinit). It is its own CA: pass `certificatePath` as the CA file.
public final class SelfSignedCertificate: @unchecked Sendable {
    public let directory: String
    public let certificatePath: String
    public let keyPath: String

    public init() throws {
        directory = try SupportScripts.temporaryDirectory("cert")
        certificatePath = directory + "/cert.pem"
        keyPath = directory + "/key.pem"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", keyPath, "-out", certificatePath,
        ]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw LoopbackServerError.failedToStart("openssl req failed: \(String(decoding: output, as: UTF8.self))")
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// The smtp_server.py options serving this certificate.
    public var serverOptions: [String] { ["--tls-cert", certificatePath, "--tls-key", keyPath] }
}

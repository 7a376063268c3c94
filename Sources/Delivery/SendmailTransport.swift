import Foundation

/// The host's sendmail interface (`sendmail -t -i` by default): the message on standard input,
/// the envelope sender as `-f`. With `-t` the recipients come from the message's headers;
/// without it they are passed as arguments after `--`.
public struct SendmailTransport: MailTransport {
    public let path: String
    public let arguments: [String]

    public init(path: String = "/usr/sbin/sendmail", arguments: [String] = ["-t", "-i"]) {
        self.path = path
        self.arguments = arguments
    }

    public func send(_ message: [UInt8], from: String, to: [String]) async throws(DeliveryFailure) {
        try EnvelopeValidation.check(from: from, to: to)
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw .permanent("sendmail not found or not executable at \(path)")
        }
        let arguments = self.arguments + (from.isEmpty ? [] : ["-f", from])
            + (self.arguments.contains("-t") ? [] : ["--"] + to)
        let path = self.path
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<SendmailOutcome, Never>) in
            // Process waiting and pipe I/O block: a thread of their own, off the concurrency pool.
            Thread {
                continuation.resume(returning: Self.run(path: path, arguments: arguments, input: message))
            }.start()
        }
        if let failure = outcome.failure(path: path) { throw failure }
    }

    private static func run(path: String, arguments: [String], input: [UInt8]) -> SendmailOutcome {
        ignoreSIGPIPE
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let stdin = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            return .couldNotStart(error.localizedDescription)
        }
        let writer = Thread {
            // A sendmail that exits without reading everything gets EPIPE here, not a signal.
            try? stdin.fileHandleForWriting.write(contentsOf: Data(input))
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let errorOutput = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: errorOutput.prefix(2000), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        switch process.terminationReason {
        case .exit: return .exited(process.terminationStatus, stderr: text)
        case .uncaughtSignal: return .signaled(process.terminationStatus, stderr: text)
        @unknown default: return .exited(process.terminationStatus, stderr: text)
        }
    }
}

/// Writing to a pipe whose reader has gone must fail with EPIPE rather than kill the daemon.
private let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

/// How one sendmail run ended, and what that means for the message (sysexits.h).
enum SendmailOutcome: Sendable, Equatable {
    case exited(Int32, stderr: String)
    case signaled(Int32, stderr: String)
    case couldNotStart(String)

    static let exitNames: [Int32: String] = [
        64: "EX_USAGE", 65: "EX_DATAERR", 66: "EX_NOINPUT", 67: "EX_NOUSER", 68: "EX_NOHOST",
        69: "EX_UNAVAILABLE", 70: "EX_SOFTWARE", 71: "EX_OSERR", 72: "EX_OSFILE", 73: "EX_CANTCREAT",
        74: "EX_IOERR", 75: "EX_TEMPFAIL", 76: "EX_PROTOCOL", 77: "EX_NOPERM", 78: "EX_CONFIG",
    ]

    /// nil when sendmail accepted the message; EX_TEMPFAIL and signals are transient.
    func failure(path: String) -> DeliveryFailure? {
        switch self {
        case .exited(0, _):
            return nil
        case let .exited(status, stderr):
            let name = Self.exitNames[status].map { " (\($0))" } ?? ""
            let reason = "\(path) exited with status \(status)\(name)" + (stderr.isEmpty ? "" : ": \(stderr)")
            return DeliveryFailure(permanent: status != 75, reason: reason)
        case let .signaled(signal, stderr):
            return .transient("\(path) was killed by signal \(signal)" + (stderr.isEmpty ? "" : ": \(stderr)"))
        case let .couldNotStart(detail):
            return .permanent("cannot run \(path): \(detail)")
        }
    }
}

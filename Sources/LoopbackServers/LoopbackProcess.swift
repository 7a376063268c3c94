import Foundation

public enum LoopbackServerError: Error, CustomStringConvertible {
    case scriptMissing(String)
    case failedToStart(String)
    case timedOut(String)

    public var description: String {
        switch self {
        case let .scriptMissing(path): "loopback server script not found at \(path)"
        case let .failedToStart(detail): "loopback server did not start: \(detail)"
        case let .timedOut(detail): "timed out: \(detail)"
        }
    }
}

/// Where the test-support scripts live: <repository>/Tests/Support, found from this file's path.
enum SupportScripts {
    static func path(_ name: String) -> String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // LoopbackServers
            .deletingLastPathComponent()  // Sources
            .deletingLastPathComponent()  // repository root
            .appendingPathComponent("Tests/Support/\(name)").path
    }

    /// Debian's python3 (where python3-aiosmtpd lives), unless LOOPBACK_PYTHON names another.
    static var python: String {
        ProcessInfo.processInfo.environment["LOOPBACK_PYTHON"] ?? "/usr/bin/python3"
    }

    static func temporaryDirectory(_ prefix: String) throws -> String {
        var template = Array((NSTemporaryDirectory() + "/\(prefix)-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw LoopbackServerError.failedToStart("mkdtemp failed (errno \(errno))")
        }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A support script running as a child process. Its standard input is a pipe held open by this
/// object: the script exits when it closes, so a crashed test process leaves no server behind.
final class LoopbackProcess: @unchecked Sendable {
    let port: Int
    private let process: Process
    private let stdin: Pipe
    private let lock = NSLock()
    private var stopped = false

    init(script: String, arguments: [String], logPath: String, startTimeout: TimeInterval = 30) throws {
        let scriptPath = SupportScripts.path(script)
        guard FileManager.default.fileExists(atPath: scriptPath) else { throw LoopbackServerError.scriptMissing(scriptPath) }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: SupportScripts.python)
        process.arguments = [scriptPath] + arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()

        // Read "READY <port>" on a thread of its own so a silent script cannot hang the caller.
        final class Box: @unchecked Sendable { var line: String? }
        let box = Box()
        let ready = DispatchSemaphore(value: 0)
        let reader = stdout.fileHandleForReading
        Thread {
            var buffer = Data()
            while !buffer.contains(UInt8(ascii: "\n")) {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
            }
            box.line = String(decoding: buffer, as: UTF8.self).split(separator: "\n").first.map(String.init)
            ready.signal()
        }.start()
        let waited = ready.wait(timeout: .now() + startTimeout)
        let line = waited == .success ? box.line : nil
        guard let line, line.hasPrefix("READY "), let port = Int(line.dropFirst(6)) else {
            process.terminate()
            try? stdin.fileHandleForWriting.close()
            process.waitUntilExit()
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw LoopbackServerError.failedToStart("\(script) \(arguments.joined(separator: " ")): \(line ?? "no READY line") \(log)")
        }
        self.port = port
        self.process = process
        self.stdin = stdin
    }

    /// Sends the server a signal (SIGSTOP: it stops answering, as a hung server does; SIGCONT).
    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Ends the server and waits for it. Idempotent.
    func stop() {
        lock.lock()
        let first = !stopped
        stopped = true
        lock.unlock()
        guard first else { return }
        try? stdin.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// Polls `read` until it returns at least `count` items or `timeout` passes.
func waitFor<T>(count: Int, timeout: Duration, what: String, _ read: () -> [T]) async throws -> [T] {
    let deadline = ContinuousClock.now + timeout
    while true {
        let items = read()
        if items.count >= count { return items }
        if ContinuousClock.now >= deadline {
            throw LoopbackServerError.timedOut("\(items.count) of \(count) \(what) after \(timeout)")
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

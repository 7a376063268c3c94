import BookingProtocol
import DaemonKit
import Foundation
import SuiteTesting
import Synchronization
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// A running suite for a test: its own directory (short, for ipc paths), configuration, and the
/// real `bookingd` and `availabilityd` binaries. Stopped with SIGTERM at the end.
final class SuiteProcess: @unchecked Sendable {
    let directory: String
    let configPath: String
    /// webd's HTTP port (`web.listen`), free when the suite was made.
    let webPort: Int
    private(set) var daemons: [String: Process] = [:]
    let context: ZMQContext

    static var binDirectory: String {
        if let explicit = ProcessInfo.processInfo.environment["BOOKING_BIN_DIR"] { return explicit }
        // The test bundle sits beside the products in .build/<triple>/debug.
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("bookingd").path) { return directory.path }
            directory = directory.deletingLastPathComponent()
        }
        return repositoryRoot + "/.build/debug"
    }

    static var repositoryRoot: String { SuiteFiles.repositoryRoot }

    struct Options {
        var consultants = ["anna", "boris"]
        /// The suite's clock starts here (see `clock.start` in booking.yaml).
        var clockStart = "2026-12-01T07:58:00+03:00"
        var minimumNoticeMinutes = 120
        var extra = ""
        /// notifyd's section; by default every message is written under `<directory>/mail`.
        var notifications = SuiteFiles.developmentNotifications
    }

    init(_ options: Options = Options()) throws {
        var template = Array("/tmp/bk-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        directory = String(cString: made)
        configPath = directory + "/booking.yaml"
        webPort = try Self.freePort()
        let yaml = SuiteFiles.configuration(consultants: options.consultants, clockStart: options.clockStart,
                                            minimumNoticeMinutes: options.minimumNoticeMinutes, logLevel: "debug",
                                            notifications: options.notifications, extra: Self.withWebListen(options.extra, port: webPort))
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        context = try ZMQContext()
    }

    var runDirectory: String { directory + "/run" }
    var bookingdEndpoint: String { "ipc://\(runDirectory)/bookingd.ipc" }
    var eventsEndpoint: String { "ipc://\(runDirectory)/bookingd-events.ipc" }
    var availabilitydEndpoint: String { "ipc://\(runDirectory)/availabilityd.ipc" }
    var notifydEndpoint: String { "ipc://\(runDirectory)/notifyd.ipc" }
    func endpoint(_ daemon: String) -> String { tcpEndpoints[daemon] ?? "ipc://\(runDirectory)/\(daemon).ipc" }
    /// Daemons the test's configuration puts on tcp://, and the CURVE the test's own clients
    /// connect to each with.
    var tcpEndpoints: [String: String] = [:]
    var clientCurve: [String: CurveSecurity] = [:]

    /// Starts the daemons and waits until each answers a ping.
    func start() async throws {
        try await start("bookingd")
        try await start("availabilityd")
        try await start("notifyd")
        try await start("webd")
    }

    var webURL: String { "http://127.0.0.1:\(webPort)" }

    /// The test's own `web:` lines, listening on the suite's port unless they say otherwise.
    static func withWebListen(_ extra: String, port: Int) -> String {
        let listen = "  listen: \"127.0.0.1:\(port)\"\n"
        guard let range = extra.range(of: "web:\n") else { return extra + "\nweb:\n" + listen }
        if extra.contains("  listen:") { return extra }
        return extra.replacingCharacters(in: range, with: "web:\n" + listen)
    }

    /// `config`: another file for this daemon alone (e.g. its clock moved on). `namespace`: the
    /// network namespace it runs in, as on another host (`ip netns exec` becomes the daemon).
    /// `label`: the name this process goes by in the test (its log, `kill9`, its endpoint under
    /// the run directory), for a second instance of one daemon; the daemon's name by default.
    func start(_ program: String, as label: String? = nil, config: String? = nil, environment: [String: String] = [:],
               namespace: String? = nil) async throws {
        let daemon = label ?? program
        // A second one would replace the first in `daemons`, and the first would outlive the test.
        if let running = daemons[daemon], Self.isAlive(running) { throw SuiteFailure("\(daemon) is already running") }
        let process = Process()
        let program = Self.binDirectory + "/" + program
        let arguments = ["--config", config ?? configPath]
        if let namespace {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", namespace, program] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let log = FileHandle(forWritingAtPath: logPath(daemon)) ?? {
            _ = FileManager.default.createFile(atPath: logPath(daemon), contents: nil)
            return FileHandle(forWritingAtPath: logPath(daemon))!
        }()
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        // The daemon has its own copy; ours would stay open as long as the Process object.
        try? log.close()
        daemons[daemon] = process
        try await waitUntilAnswering(daemon)
    }

    func logPath(_ daemon: String) -> String { directory + "/\(daemon).log" }

    func log(_ daemon: String) -> String {
        (try? String(contentsOfFile: logPath(daemon), encoding: .utf8)) ?? ""
    }

    func waitUntilAnswering(_ daemon: String) async throws {
        let client = try await self.client(daemon)
        for _ in 0..<100 {
            if let _: PingReply = try? await client.call(MessageType.ping, Empty(), timeout: .milliseconds(200), attempts: 1) {
                await client.close()
                return
            }
            if daemons[daemon]?.isRunning == false {
                throw SuiteFailure("\(daemon) exited with \(daemons[daemon]!.terminationStatus):\n\(log(daemon))")
            }
        }
        throw SuiteFailure("\(daemon) did not answer within 20 s:\n\(log(daemon))")
    }

    func client(_ daemon: String, timeout: Duration = .seconds(5), attempts: Int = 1,
                systemClock: @escaping @Sendable () -> Date = { Date() }) async throws -> DaemonClient {
        try await DaemonClient(daemon: daemon, endpoint: endpoint(daemon), context: context,
                               timeout: timeout, attempts: attempts, maxMessageBytes: 1 << 20, user: "tester", curve: clientCurve[daemon],
                               systemClock: systemClock)
    }

    func pid(_ daemon: String) -> Int32? { daemons[daemon]?.processIdentifier }

    func signal(_ daemon: String, _ signal: Int32) {
        if let process = daemons[daemon] { kill(process.processIdentifier, signal) }
    }

    /// Rewrites the configuration file with `change` applied to its text.
    func editConfiguration(_ change: (String) -> String) throws {
        let text = try String(contentsOfFile: configPath, encoding: .utf8)
        try change(text).write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// SIGKILL: no chance to flush or say goodbye.
    func kill9(_ daemon: String) {
        guard let process = daemons[daemon] else { return }
        kill(process.processIdentifier, SIGKILL)
        _ = Self.waitForExit(of: process, seconds: 30)
    }

    /// SIGTERM, and the exit status.
    /// SIGTERM, and the exit status; SIGKILL if it has not stopped within 10 s.
    @discardableResult
    func terminate(_ daemon: String) -> Int32 {
        guard let process = daemons[daemon], Self.isAlive(process) else { return daemons[daemon]?.terminationStatus ?? 0 }
        process.terminate()
        if let status = Self.waitForExit(of: process, seconds: 10) { return status }
        kill(process.processIdentifier, SIGKILL)
        return Self.waitForExit(of: process, seconds: 10) ?? SIGKILL
    }

    /// The exit status once the daemon has exited, or nil after `seconds`. Foundation's Process
    /// was seen, with dozens of daemons exiting at once on 2 cores, to leave an exited child a
    /// zombie with `isRunning` true for good, and `waitUntilExit` then never returned and held a
    /// test thread: a child that is a zombie for a second is reaped here instead.
    static func waitForExit(of process: Process, seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        var zombieSince: Date?
        while process.isRunning && Date() < deadline {
            usleep(10_000)
            guard kernelState(of: process) == "Z" else { continue }
            zombieSince = zombieSince ?? Date()
            guard Date().timeIntervalSince(zombieSince!) > 1 else { continue }
            var status: Int32 = 0
            if waitpid(process.processIdentifier, &status, WNOHANG) == process.processIdentifier {
                // WIFEXITED: the exit code; otherwise the signal, as Process says it.
                return status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
            }
        }
        guard !process.isRunning else { return nil }
        // Only `waitUntilExit` (at once here: the child is known to have exited) breaks the cycle
        // between a Process and its run loop source. Without it every Process the tests start
        // outlives them with its pipes and log file: the test process once held 2,000
        // descriptors. Foundation's `run()` lists /proc/self/fd and copies each entry's whole
        // 256-byte name, and with that many entries the copy of the last one ran past the end of
        // the directory buffer: SIGSEGV in CI.
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Alive by the kernel's account. Foundation's `isRunning` stays true for good for a child
    /// that `waitForExit` reaped itself, and such a daemon must count as stopped when the test
    /// starts it again.
    static func isAlive(_ process: Process) -> Bool {
        guard process.isRunning, let state = kernelState(of: process) else { return false }
        return state != "Z"
    }

    /// The state letter in /proc/PID/stat (R, S, Z…), or nil once the child is reaped.
    static func kernelState(of process: Process) -> Substring? {
        (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8))?
            .split(separator: ")").last?.split(separator: " ").first
    }

    /// Stops every daemon (SIGTERM): subscribers first, bookingd last, so none of them logs
    /// bookingd's absence.
    func stop() {
        for daemon in daemons.keys.sorted(by: { ($0 == "bookingd" ? 1 : 0, $0) < ($1 == "bookingd" ? 1 : 0, $1) }) { terminate(daemon) }
    }

    /// Stops the daemons and removes the directory. Synchronous, so a `defer` can call it:
    /// a test that fails half-way must not leave daemons running.
    func tearDown() {
        stop()
        if ProcessInfo.processInfo.environment["KEEP_TEST_DIRS"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    deinit {
        tearDown()
        let context = self.context
        Task.detached { await context.shutdown() }
    }

    // MARK: bookctl

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func bookctl(_ arguments: [String]) throws -> Run {
        try Self.run(Self.binDirectory + "/bookctl", arguments + ["--config", configPath])
    }

    func bookctlJSON(_ arguments: [String]) throws -> Any {
        let run = try bookctl(arguments + ["--json"])
        guard run.status == 0 else { throw SuiteFailure("bookctl \(arguments) exited \(run.status): \(run.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(run.stdout.utf8))
    }

    /// Runs a command to its end; one that is still running after `limit` is killed and the test
    /// fails, so a command that wrongly never exits (a daemon that should have refused its
    /// configuration) cannot hang the suite.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                    limit: DispatchTimeInterval = .seconds(120)) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let pid = process.processIdentifier
        let overdue = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: overdue)
        // Read before waiting, so a full pipe never blocks the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        try? out.fileHandleForReading.close()
        try? err.fileHandleForReading.close()
        let status = waitForExit(of: process, seconds: 300) ?? SIGKILL
        let overran = overdue.wait(timeout: .now()) == .success
        overdue.cancel()
        if overran {
            throw SuiteFailure("\((executable as NSString).lastPathComponent) \(arguments.joined(separator: " ")) did not finish within \(limit)")
        }
        return Run(status: status, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }
}

struct SuiteFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A contact that passes validation, made unique by `n`.
func contact(_ n: Int) -> ContactBody {
    ContactBody(name: "Клиент \(n)", email: "client\(n)@example.com", phone: "+7 916 \(String(format: "%03d", n % 1000))-00-00")
}

extension SuiteProcess {
    /// `command|user|outcome` for each row of a daemon's audit trail, oldest first.
    func auditTrail(_ daemon: String) throws -> [String] {
        let run = try Self.run("/usr/bin/env", ["python3", "-c", "import sqlite3,sys; [print('|'.join(map(str,r))) for r in sqlite3.connect(sys.argv[1]).execute('SELECT command, user, outcome FROM audit ORDER BY id')]",
                                                directory + "/lib/\(daemon).sqlite"])
        return run.stdout.split(separator: "\n").map(String.init)
    }

    /// A TCP port nobody uses now, for a daemon to listen on (webd's `web.listen`, a tcp://
    /// endpoint). Picked below the kernel's ephemeral range (32768 and up): a port the kernel
    /// picked is free only until it hands the same number to some test's outgoing connection
    /// (curl, a ZeroMQ client reconnecting), and the daemon's bind then fails. Below the range
    /// only another test's pick can collide, and a random pick makes that unlikely.
    /// A port below the kernel's ephemeral range (where no outgoing connection takes it) that
    /// nothing listens on, and that this test process has not handed out before: tests run
    /// side by side, and two that drew the same port before either daemon bound it collided
    /// (webd: "Address already in use").
    static func freePort() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20_000..<32_768)
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            if try isFree(port) { return port }
        }
        throw POSIXError(.EADDRINUSE)
    }

    private static let handedOut = Mutex<Set<Int>>([])

    private static func isFree(_ port: Int) throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Writes `pair`'s secret key where a daemon (or bookctl's `--curve-key`) finds it by
    /// default: `<name>-curve.secret` beside the configuration, readable by its owner alone.
    func installSecretKey(_ name: String, _ pair: CurveKeyPair) throws {
        let path = directory + "/\(name)-curve.secret"
        try Data((pair.secretKey.z85 + "\n").utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
    }

    /// The daemons' configuration as a daemon reads it (with the same clock).
    func configuration() throws -> SuiteConfiguration {
        try SuiteConfiguration.load(path: configPath)
    }
}

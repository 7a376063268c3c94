import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// Several "hosts" on one machine, on one link: each host a network namespace joined by a veth
/// pair to a bridge in the test's own namespace. The bridge has 10.232.N.1 (the test process,
/// its bookctl and its clients, are there); the hosts have 10.232.N.2, .3, ... in the order given.
/// Every name carries the test process's id, so runs side by side never meet, and what a run
/// that was killed left behind is removed by the next one.
final class HostNetwork: @unchecked Sendable {
    struct Host {
        let name: String
        let namespace: String
        let address: String
        /// The bridge's end of the host's link: a capture on it sees everything the host sends or
        /// receives, and taking it down cuts the host off.
        let link: String
    }

    let bridge: String
    let bridgeAddress: String
    /// 10.232.N.0/24: every host, and the bridge.
    let subnet: String
    let hosts: [Host]
    private let removed = NIOLockedValueBox(false)

    static let ip = "/usr/sbin/ip"
    static var isAvailable: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: ip) }
    private static let prefix = "bkh"
    private static let made = NIOLockedValueBox(0)

    /// Makes the bridge and one namespace per name in `hosts`, all up.
    init(hosts names: [String]) throws {
        precondition(names.count < 10, "one digit names each host's link")
        Self.removeLeftoversOfDeadRuns()
        let count = Self.made.withLockedValue { $0 += 1; return $0 }
        // The pid and a letter: at most 8 characters, so a link's name stays within 15.
        let tag = "\(Self.prefix)\(getpid())\(Character(UnicodeScalar(UInt8(96 + (count - 1) % 26 + 1))))"
        let n = try Self.freeSubnet()
        bridge = tag
        bridgeAddress = "10.232.\(n).1"
        subnet = "10.232.\(n).0/24"
        hosts = names.enumerated().map { index, name in
            Host(name: name, namespace: "\(tag)-\(name)", address: "10.232.\(n).\(index + 2)", link: "\(tag)\(index)")
        }
        var steps: [[String]] = [
            ["link", "add", bridge, "type", "bridge"],
            ["addr", "add", "\(bridgeAddress)/24", "dev", bridge],
            ["link", "set", bridge, "up"],
        ]
        for host in hosts {
            let peer = host.link + "p"
            steps += [
                ["netns", "add", host.namespace],
                ["link", "add", host.link, "type", "veth", "peer", "name", peer],
                ["link", "set", peer, "netns", host.namespace],
                ["link", "set", host.link, "master", bridge],
                ["link", "set", host.link, "up"],
                ["netns", "exec", host.namespace, Self.ip, "addr", "add", "\(host.address)/24", "dev", peer],
                ["netns", "exec", host.namespace, Self.ip, "link", "set", peer, "up"],
                ["netns", "exec", host.namespace, Self.ip, "link", "set", "lo", "up"],
            ]
        }
        do {
            for step in steps { try Self.ip(step) }
        } catch {
            remove()
            throw error
        }
    }

    subscript(name: String) -> Host {
        guard let host = hosts.first(where: { $0.name == name }) else { preconditionFailure("no host \(name)") }
        return host
    }

    /// Cuts `host` off (`up: false`) or joins it again, at the bridge's end of its link.
    func setLink(of host: String, up: Bool) throws {
        try Self.ip(["link", "set", self[host].link, up ? "up" : "down"])
    }

    /// Whatever happened: every process in the namespaces is killed, then the namespaces (and
    /// with them the veth pairs) and the bridge are removed. Idempotent.
    func remove() {
        let already = removed.withLockedValue { removed in
            defer { removed = true }
            return removed
        }
        guard !already else { return }
        for host in hosts { Self.removeNamespace(host.namespace) }
        for host in hosts { _ = try? SuiteProcess.run(Self.ip, ["link", "del", host.link]) }
        _ = try? SuiteProcess.run(Self.ip, ["link", "del", bridge])
    }

    deinit { remove() }

    private static func ip(_ arguments: [String]) throws {
        let run = try SuiteProcess.run(ip, arguments)
        guard run.status == 0 else { throw SuiteFailure("ip \(arguments.joined(separator: " ")): \(run.stderr)") }
    }

    private static func removeNamespace(_ namespace: String) {
        if let pids = try? SuiteProcess.run(ip, ["netns", "pids", namespace]).stdout {
            for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
        }
        _ = try? SuiteProcess.run(ip, ["netns", "del", namespace])
    }

    /// A /24 under 10.232 that no interface here has yet.
    private static func freeSubnet() throws -> Int {
        let used = (try? SuiteProcess.run(ip, ["-o", "-4", "addr", "show"]).stdout) ?? ""
        for _ in 0..<50 {
            let n = Int.random(in: 0...255)
            if !used.contains("10.232.\(n).") { return n }
        }
        throw SuiteFailure("no free 10.232.N.0/24 for a host network")
    }

    /// Namespaces and links named for a test process that is gone (a run killed before its
    /// `remove`).
    private static func removeLeftoversOfDeadRuns() {
        func deadOwner(_ name: Substring) -> Bool {
            guard name.hasPrefix(prefix), let pid = Int32(name.dropFirst(prefix.count).prefix(while: \.isNumber)) else { return false }
            return kill(pid, 0) != 0 && errno == ESRCH
        }
        let namespaces = (try? SuiteProcess.run(ip, ["netns", "list"]).stdout) ?? ""
        for line in namespaces.split(separator: "\n") {
            guard let name = line.split(separator: " ").first, deadOwner(name) else { continue }
            removeNamespace(String(name))
        }
        let links = (try? SuiteProcess.run(ip, ["-o", "link", "show"]).stdout) ?? ""
        for line in links.split(separator: "\n") {
            // "7: bkh1234a0@if6: <...": the name up to "@" or ":".
            let fields = line.split(separator: " ")
            guard fields.count > 1, let name = fields[1].split(whereSeparator: { $0 == "@" || $0 == ":" }).first, deadOwner(name) else { continue }
            _ = try? SuiteProcess.run(ip, ["link", "del", String(name)])
        }
    }
}

/// Every frame that crosses one link, written to a file by `support/capture.py` (an AF_PACKET
/// socket) from `start` until `stop`.
final class LinkCapture: @unchecked Sendable {
    let interface: String
    let path: String
    private let process = Process()

    init(_ interface: String, into path: String) async throws {
        self.interface = interface
        self.path = path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [SuiteProcess.repositoryRoot + "/Tests/EndToEndTests/support/capture.py", interface, path]
        try process.run()
        // The file exists once the socket is bound: from then on nothing is missed.
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: path) { try await Task.sleep(for: .milliseconds(50)) }
        guard FileManager.default.fileExists(atPath: path) else {
            stop()
            throw SuiteFailure("capture.py on \(interface) did not start")
        }
    }

    /// SIGKILL: a child of the test process may have SIGTERM blocked; every frame is on disk already.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        _ = SuiteProcess.waitForExit(of: process, seconds: 10)
    }

    deinit { stop() }

    var frames: Data {
        get throws { try Data(contentsOf: URL(fileURLWithPath: path)) }
    }

    /// Writes `canary` in clear over TCP to `host:port`, from here: a capture of the link that
    /// carries it must see it.
    static func sendCanary(_ canary: String, to host: String, port: Int) throws {
        let sent = try SuiteProcess.run("/usr/bin/python3", ["-c", "import socket,sys; s=socket.create_connection((sys.argv[1], int(sys.argv[2])), 5); s.sendall(sys.argv[3].encode()); s.close()",
                                                             host, "\(port)", canary])
        guard sent.status == 0 else { throw SuiteFailure("the canary to \(host):\(port): \(sent.stderr)") }
    }
}

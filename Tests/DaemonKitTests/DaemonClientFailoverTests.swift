import BookingProtocol
import DaemonKit
import Foundation
import Logging
import NIOConcurrencyHelpers
import SuiteTesting
import Testing
import ZeroMQ

/// A client of several instances of a daemon (bookingd's list of endpoints), over real ipc
/// sockets: requests spread over the instances, and when one dies every request is still
/// answered, by the Lazy Pirate retry landing on the other.
@Suite struct DaemonClientFailoverTests {
    struct Echo: Codable, Sendable, Equatable { var text: String }

    /// One instance: its own context, so shutting that down is the instance dying.
    struct Instance {
        let context: ZMQContext
        let endpoint: String
        let running: Task<Void, any Error>

        static func start(_ name: String, in directory: String) async throws -> Instance {
            let context = try ZMQContext()
            let endpoint = "ipc://\(directory)/\(name).ipc"
            var routes = RequestRoutes()
            routes.on("echo", Echo.self) { request, _ in
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...5)))
                return Echo(text: name + ":" + request.text)
            }
            let server = try RequestServer(name: name, endpoint: endpoint, context: context, routes: routes, maxMessageBytes: 4096, logger: Logger(label: name))
            try await server.bind()
            return Instance(context: context, endpoint: endpoint, running: Task { try await server.run() })
        }

        func stop() async {
            running.cancel()
            await context.shutdown()
        }
    }

    @Test func everyRequestIsAnsweredWhenOneInstanceDies() async throws {
        var template = Array("/tmp/failover-XXXXXX".utf8CString)
        let directory = String(cString: try #require(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await Instance.start("first", in: directory)
        let second = try await Instance.start("second", in: directory)
        let context = try ZMQContext()
        let client = try await DaemonClient(daemon: "testd", endpoints: [first.endpoint, second.endpoint], context: context,
                                            timeout: TestTimeouts.scaled(.seconds(2)), attempts: 8)
        let answeredBy = NIOLockedValueBox<[String: Int]>([:])
        func ask(_ range: Range<Int>) async throws {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in range {
                    group.addTask {
                        let echoed: Echo = try await client.call("echo", Echo(text: "\(n)"), idempotencyKey: "request-\(n)")
                        let parts = echoed.text.split(separator: ":")
                        #expect(parts.last.map(String.init) == "\(n)")
                        answeredBy.withLockedValue { $0[String(parts[0]), default: 0] += 1 }
                    }
                }
                try await group.waitForAll()
            }
        }

        // The client connects to both in the background; with ZMQ_IMMEDIATE a request goes only
        // to an instance already connected, so the first ones may all go to one.
        var asked = 0
        while asked < 1000, answeredBy.withLockedValue({ $0.count }) < 2 {
            try await ask(asked..<(asked + 20))
            asked += 20
        }
        let before = answeredBy.withLockedValue { $0 }
        #expect((before["first"] ?? 0) > 0 && (before["second"] ?? 0) > 0, "both instances take requests: \(before)")

        // The first dies while requests are on their way to it.
        let started = asked
        async let late: Void = ask(started..<(started + 100))
        try await Task.sleep(for: .milliseconds(2))
        await first.stop()
        try await late
        try await ask((asked + 100)..<(asked + 150))

        let after = answeredBy.withLockedValue { $0 }
        #expect(after.values.reduce(0, +) == asked + 150, "every request answered: \(after)")
        #expect((after["second"] ?? 0) - (before["second"] ?? 0) >= 50, "the survivor answers what follows: \(after)")

        await client.close()
        await second.stop()
        await context.shutdown()
    }
}

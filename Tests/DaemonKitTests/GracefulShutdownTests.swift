import BookingProtocol
import DaemonKit
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import ServiceLifecycleTestKit
import SuiteTesting
import Testing
import ZeroMQ

/// Graceful shutdown as swift-service-lifecycle's test kit triggers it: a request in flight is
/// answered, and the server then stops on its own; a mapped error keeps its code.
@Suite struct GracefulShutdownTests {
    struct Echo: Codable, Sendable, Equatable { var text: String }
    struct Refusal: Error { var reason: String }

    @Test func aRequestInFlightIsAnsweredThenTheServerStops() async throws {
        let context = try ZMQContext()
        let endpoint = "inproc://drain-\(UUID().uuidString)"
        let started = NIOLockedValueBox(false)
        var routes = RequestRoutes()
        routes.on("slow", Echo.self) { request, _ in
            started.withLockedValue { $0 = true }
            try await Task.sleep(for: .milliseconds(300))
            return request
        }
        let server = try RequestServer(name: "testd", endpoint: endpoint, context: context, routes: routes, maxMessageBytes: 4096,
                                       logger: Logger(label: "test"))
        try await server.bind()
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup { group in
                group.addTask { try await server.run() }
                // Far above the 300 ms the request takes: a loaded machine (other suites' databases
                // syncing) was seen to hold the test process's threads for seconds.
                let client = try await DaemonClient(daemon: "testd", endpoint: endpoint, context: context, timeout: TestTimeouts.scaled(.seconds(10)), attempts: 1)
                async let answer: Echo = client.call("slow", Echo(text: "late"))
                while !started.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
                trigger.triggerGracefulShutdown()
                #expect(try await answer == Echo(text: "late"))
                // run() returns by itself once what was in flight is answered.
                try await group.next()
            }
        }
        await context.shutdown()
    }

    @Test func aServiceMapsItsOwnErrorsOnceAndAnUnmappedOneIsInternal() async throws {
        let context = try ZMQContext()
        let endpoint = "inproc://errors-\(UUID().uuidString)"
        var routes = RequestRoutes()
        routes.on("refuse", Echo.self) { request, _ -> Echo in throw Refusal(reason: request.text) }
        routes.on("crash", Echo.self) { _, _ -> Echo in throw CocoaError(.fileNoSuchFile) }
        let server = try RequestServer(name: "testd", endpoint: endpoint, context: context, routes: routes, maxMessageBytes: 4096,
                                       logger: Logger(label: "test")) { error in
            (error as? Refusal).map { ProtocolError(.conflict, $0.reason, field: "text") }
        }
        try await server.bind()
        let running = Task { try await server.run() }
        let client = try await DaemonClient(daemon: "testd", endpoint: endpoint, context: context, timeout: .seconds(10), attempts: 1)
        await #expect(throws: ProtocolError(.conflict, "not now", field: "text")) {
            let _: Echo = try await client.call("refuse", Echo(text: "not now"))
        }
        do {
            let _: Echo = try await client.call("crash", Echo(text: ""))
            Issue.record("no error")
        } catch let error as ProtocolError {
            #expect(error.code == .internalError)
        }
        running.cancel()
        await context.shutdown()
    }

    /// A reply that is not what the contract says is the callee's bug, not a refusal of the
    /// caller's request: it is told apart, so an edge maps it to `internal`, not to `malformed`.
    @Test func anUnreadableReplyIsNotARefusal() async throws {
        let context = try ZMQContext()
        let endpoint = "inproc://unreadable-\(UUID().uuidString)"
        var routes = RequestRoutes()
        routes.onEncoded("odd", Echo.self) { _, _ in Array(#"{"unexpected": true}"#.utf8) }
        routes.on("refuse", Echo.self) { _, _ -> Echo in throw ProtocolError(.malformed, "not JSON", field: "body") }
        let server = try RequestServer(name: "testd", endpoint: endpoint, context: context, routes: routes, maxMessageBytes: 4096,
                                       logger: Logger(label: "test"))
        try await server.bind()
        let running = Task { try await server.run() }
        let client = try await DaemonClient(daemon: "testd", endpoint: endpoint, context: context, timeout: .seconds(10), attempts: 1)
        await #expect(throws: UnreadableReply.self) {
            let _: Echo = try await client.call("odd", Echo(text: ""))
        }
        // A daemon's own `malformed` answer stays a refusal with its code.
        await #expect(throws: ProtocolError(.malformed, "not JSON", field: "body")) {
            let _: Echo = try await client.call("refuse", Echo(text: ""))
        }
        running.cancel()
        await context.shutdown()
    }
}

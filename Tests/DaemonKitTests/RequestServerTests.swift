import BookingProtocol
import DaemonKit
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import SuiteTesting
import Testing
import ZeroMQ

/// The request server and the Lazy Pirate client over real ZeroMQ sockets (inproc).
@Suite struct RequestServerTests {
    struct Echo: Codable, Sendable, Equatable { var text: String }

    func withServer(_ routes: RequestRoutes, _ body: (ZMQContext, String) async throws -> Void) async throws {
        let context = try ZMQContext()
        let endpoint = "inproc://server-\(UUID().uuidString)"
        let server = try RequestServer(name: "testd", endpoint: endpoint, context: context, routes: routes, maxMessageBytes: 4096, logger: Logger(label: "test"))
        try await server.bind()
        let running = Task { try await server.run() }
        do {
            try await body(context, endpoint)
        } catch {
            running.cancel()
            await context.shutdown()
            throw error
        }
        running.cancel()
        await context.shutdown()
    }

    @Test func answersTypedRequestsAndTypedErrors() async throws {
        var routes = RequestRoutes()
        routes.on("echo", Echo.self) { request, header in Echo(text: request.text + " from " + (header.user ?? "?")) }
        routes.on("refuse", Echo.self) { _, _ -> Echo in throw ProtocolError(.slotUnavailable, "taken", field: "start") }
        routes.on("crash", Echo.self) { _, _ -> Echo in throw CancellationError() }
        try await withServer(routes) { context, endpoint in
            let client = try await DaemonClient(daemon: "testd", endpoint: endpoint, context: context, timeout: .seconds(15), attempts: 1, user: "alice")
            let echoed: Echo = try await client.call("echo", Echo(text: "hi"))
            #expect(echoed.text == "hi from alice")

            await #expect(throws: ProtocolError(.slotUnavailable, "taken", field: "start")) {
                let _: Echo = try await client.call("refuse", Echo(text: ""))
            }
            do {
                let _: Echo = try await client.call("crash", Echo(text: ""))
                Issue.record("no error")
            } catch let error as ProtocolError {
                #expect(error.code == .internalError)
                #expect(!error.message.contains("CancellationError"), "internals stay in the log")
            }
            do {
                let _: Echo = try await client.call("nope", Echo(text: ""))
                Issue.record("no error")
            } catch let error as ProtocolError {
                #expect(error.code == .unknownType)
                #expect(error.message.contains("crash, echo, refuse"))
            }
            do {
                let _: Echo = try await client.call("echo", Echo(text: String(repeating: "x", count: 5000)))
                Issue.record("no error")
            } catch let error as ProtocolError {
                #expect(error.code == .validationFailed)
                #expect(error.field == "body")
            }
        }
    }

    /// A newline in the `user` a client claims, or an escape sequence in a body string, is
    /// refused before any handler runs: nothing of it reaches a log line or the store.
    @Test func controlCharactersAreRefusedBeforeTheHandler() async throws {
        let handled = Counted()
        var routes = RequestRoutes()
        routes.on("echo", Echo.self) { request, _ in
            handled.add()
            return request
        }
        try await withServer(routes) { context, endpoint in
            let forger = try await DaemonClient(daemon: "testd", endpoint: endpoint, context: context, timeout: .seconds(15), attempts: 1,
                                                user: "alice\ninfo testd: forged")
            await #expect(throws: ProtocolError(.validationFailed, "header.user must not contain control characters (line breaks, tabs, escape sequences)",
                                                field: "header.user")) {
                let _: Echo = try await forger.call("echo", Echo(text: "hi"))
            }
            let client = try await DaemonClient(daemon: "testd", endpoint: endpoint, context: context, timeout: .seconds(15), attempts: 1)
            do {
                let _: Echo = try await client.call("echo", Echo(text: "\u{1B}]0;owned\u{7}"))
                Issue.record("no error")
            } catch let error as ProtocolError {
                #expect(error.code == .validationFailed)
                #expect(error.field == "text")
            }
            #expect(handled.value == 0)
            let clean: Echo = try await client.call("echo", Echo(text: "hi"))
            #expect(clean.text == "hi" && handled.value == 1)
        }
    }

    final class Counted: Sendable {
        private let count = NIOLockedValueBox(0)
        func add() { count.withLockedValue { $0 += 1 } }
        var value: Int { count.withLockedValue { $0 } }
    }

    @Test func manyConcurrentRequestsAreEachAnsweredToTheirSender() async throws {
        var routes = RequestRoutes()
        routes.on("echo", Echo.self) { request, _ in
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...20)))
            return request
        }
        try await withServer(routes) { context, endpoint in
            let client = try await DaemonClient(daemon: "testd", endpoint: endpoint, context: context, timeout: TestTimeouts.scaled(.seconds(15)), attempts: 1)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<200 {
                    group.addTask {
                        let echoed: Echo = try await client.call("echo", Echo(text: "\(n)"))
                        #expect(echoed.text == "\(n)")
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func aLostReplyIsRetriedWithTheSameIdempotencyKey() async throws {
        let seen = KeyLog()
        var routes = RequestRoutes()
        routes.on("slow-first", Echo.self) { request, header in
            // The first attempt takes longer than the client waits: the client asks again.
            if seen.record(header.idempotencyKey ?? "") == 1 { try await Task.sleep(for: .seconds(12)) }
            return request
        }
        try await withServer(routes) { context, endpoint in
            // Six seconds for the retry's answer: the unit tests run many at once on two cores.
            let client = try await DaemonClient(daemon: "testd", endpoint: endpoint, context: context, timeout: .seconds(6), attempts: 2)
            let echoed: Echo = try await client.call("slow-first", Echo(text: "once"), idempotencyKey: "key-1")
            #expect(echoed.text == "once")
            #expect(seen.keys == ["key-1", "key-1"])
        }
    }

    @Test func aDaemonWhoseDependencyDoesNotAnswerSaysSoWithinItsCallersDeadline() async throws {
        // stalld takes every request and never answers (a stopped process looks the same).
        var stalled = RequestRoutes()
        stalled.on("check", Echo.self) { request, _ in
            try await Task.sleep(for: .seconds(600))
            return request
        }
        try await withServer(stalled) { context, stalledEndpoint in
            // Left alone, frontd's client would wait 3 × 20 s for stalld.
            let dependency = try await DaemonClient(daemon: "stalld", endpoint: stalledEndpoint, context: context, timeout: TestTimeouts.scaled(.seconds(20)), attempts: 3)
            var routes = RequestRoutes()
            routes.on("book", Echo.self) { request, _ in
                let checked: Echo = try await dependency.call("check", request)
                return checked
            }
            try await withServer(routes) { context, endpoint in
                // The caller waits 10 s once (of stalld's 3 × 20): it gets an answer, not a
                // timeout, and the answer names what is missing.
                let client = try await DaemonClient(daemon: "frontd", endpoint: endpoint, context: context, timeout: TestTimeouts.scaled(.seconds(10)), attempts: 1)
                do {
                    let _: Echo = try await client.call("book", Echo(text: "x"))
                    Issue.record("no error")
                } catch let error as ProtocolError {
                    #expect(error.code == .unavailable)
                    #expect(error.message.contains("stalld did not answer within"))
                    #expect(error.message.contains(stalledEndpoint))
                }
            }
        }
    }

    @Test func aRequestPastItsDeadlineIsRefusedOnArrival() async throws {
        var routes = RequestRoutes()
        routes.on("echo", Echo.self) { request, _ in request }
        try await withServer(routes) { context, endpoint in
            let client = try await DaemonClient(daemon: "testd", endpoint: endpoint, context: context, timeout: .seconds(10), attempts: 1)
            let header = MessageHeader(deadline: Date().addingTimeInterval(-1))
            let requester = try await ZMQRequester(context: context, endpoint: endpoint) { frames in try? Envelope.decode(frames).header.correlationId }
            let frames = try await requester.request(
                Envelope(type: "echo", header: header, body: try WireJSON.encode(Echo(text: "late"))).frames(), correlationID: header.id, timeout: .seconds(10)
            )
            let reply = try Envelope.decode(frames)
            #expect(reply.type == MessageType.error)
            #expect(try reply.decodeBody(ErrorBody.self).code == .deadlineExceeded)
            await requester.close()
            // The same request in time is answered.
            let echoed: Echo = try await client.call("echo", Echo(text: "in time"))
            #expect(echoed.text == "in time")
        }
    }

    @Test func anAbsentDaemonIsReportedUnavailableAfterEveryAttempt() async throws {
        let context = try ZMQContext()
        let client = try await DaemonClient(daemon: "ghostd", endpoint: "ipc:///tmp/ghost-\(UUID().uuidString.prefix(8)).ipc", context: context,
                                            timeout: .milliseconds(100), attempts: 3)
        do {
            let _: Echo = try await client.call("echo", Echo(text: ""))
            Issue.record("no error")
        } catch let error as DaemonUnreachable {
            #expect(error.message.contains("ghostd did not answer"))
            #expect(error.message.contains("3 attempts"))
        }
        await context.shutdown()
    }
}

final class KeyLog: Sendable {
    private let log = NIOLockedValueBox<[String]>([])
    func record(_ key: String) -> Int { log.withLockedValue { $0.append(key); return $0.filter { $0 == key }.count } }
    var keys: [String] { log.withLockedValue { $0 } }
}

import Synchronization

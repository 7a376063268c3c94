import Foundation
import Testing
import ZeroMQ
@testable import Delivery

/// @chat over real ZeroMQ sockets.
@Suite(.timeLimit(.minutes(1)))
struct ZMQChatSinkTests {
    func withContext(_ body: (ZMQContext) async throws -> Void) async throws {
        let context = try ZMQContext()
        do {
            try await body(context)
        } catch {
            await context.shutdown()
            throw error
        }
        await context.shutdown()
    }

    @Test func pushReachesAPullSocket() async throws {
        try await withContext { context in
            let pull = try context.socket(.pull)
            try await pull.bind("tcp://127.0.0.1:*")
            let endpoint = try #require(pull.lastEndpoint)
            let sink = try await ZMQChatSink(context: context, endpoint: endpoint, pattern: .push)
            try await sink.send([bytes("chat/1"), bytes("{\"text\":\"BK-42 confirmed\"}")])
            let received = try await pull.receive(timeout: .seconds(10))
            #expect(received == [bytes("chat/1"), bytes("{\"text\":\"BK-42 confirmed\"}")])
            await sink.close()
        }
    }

    @Test func pubReachesASubscriber() async throws {
        try await withContext { context in
            let sink = try await ZMQChatSink(context: context, endpoint: "tcp://127.0.0.1:*", pattern: .pub)
            #expect(sink.endpoint.hasPrefix("tcp://127.0.0.1:") && !sink.endpoint.hasSuffix("*"))
            var options = SocketOptions()
            options.subscriptions = [bytes("chat")]
            let sub = try context.socket(.sub, options: options)
            try await sub.connect(sink.endpoint)
            // A subscription takes a moment to reach the publisher, which drops messages until
            // then: publish until one arrives (bounded).
            var received: [[UInt8]]? = nil
            for _ in 0..<100 where received == nil {
                try await sink.send([bytes("chat"), bytes("hello")])
                received = try? await sub.receive(timeout: .milliseconds(100))
            }
            #expect(received == [bytes("chat"), bytes("hello")])
            await sink.close()
        }
    }

    @Test func pushWithNoPeerFailsTransientlyInsteadOfHanging() async throws {
        try await withContext { context in
            let sink = try await ZMQChatSink(
                context: context, endpoint: "tcp://127.0.0.1:1", pattern: .push, sendTimeout: .milliseconds(200))
            let failure = await failure { () async throws(DeliveryFailure) in
                try await sink.send([bytes("chat/1"), bytes("{}")])
            }
            #expect(failure == .transient("no ZeroMQ peer took the message within 0.2 s (push tcp://127.0.0.1:1)"))
            await sink.close()
        }
    }
}

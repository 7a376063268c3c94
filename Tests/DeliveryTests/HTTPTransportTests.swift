import Foundation
import LoopbackServers
import Testing
@testable import Delivery

/// HTTP against a real Python HTTP server on loopback.
@Suite(.timeLimit(.minutes(2)))
struct HTTPTransportTests {
    func withTransport(_ body: (HTTPTransport) async throws -> Void) async throws {
        let transport = HTTPTransport(connections: 2)
        do {
            try await body(transport)
        } catch {
            await transport.shutdown()
            throw error
        }
        await transport.shutdown()
    }

    @Test func headersAndBodyArrive() async throws {
        let server = try LoopbackHTTPServer(options: ["--statuses", "200", "--body", "{\"id\":\"sms-1\"}"])
        defer { server.stop() }
        let body = bytes("{\"to\":\"+15550100\",\"text\":\"Confirmed: BK-42 at 10:00\"}")
        try await withTransport { transport in
            let response = try await transport.send(HTTPRequest(
                method: "POST", url: server.url("/send?channel=sms"),
                headers: [("Content-Type", "application/json"), ("Authorization", "Bearer t0ken")], body: body))
            #expect(response.status == 200)
            #expect(text(response.body) == "{\"id\":\"sms-1\"}")
        }
        let requests = try await server.waitForRequests(count: 1)
        #expect(requests[0].method == "POST")
        #expect(requests[0].path == "/send?channel=sms")
        #expect(requests[0].header("content-type") == "application/json")
        #expect(requests[0].header("Authorization") == "Bearer t0ken")
        #expect(requests[0].header("Expect") == nil)
        #expect(requests[0].body == body)
    }

    @Test func otherMethodsAndEmptyBodies() async throws {
        let server = try LoopbackHTTPServer(options: ["--statuses", "204"])
        defer { server.stop() }
        try await withTransport { transport in
            _ = try await transport.send(HTTPRequest(method: "PUT", url: server.url("/a"), body: bytes("x")))
            _ = try await transport.send(HTTPRequest(method: "GET", url: server.url("/b")))
            _ = try await transport.send(HTTPRequest(method: "POST", url: server.url("/c")))
        }
        let requests = try await server.waitForRequests(count: 3)
        #expect(requests.map(\.method) == ["PUT", "GET", "POST"])
        #expect(requests.map(\.body) == [bytes("x"), [], []])
    }

    @Test func a503IsTransientAndThenSucceeds() async throws {
        let server = try LoopbackHTTPServer(options: ["--statuses", "503,200"])
        defer { server.stop() }
        try await withTransport { transport in
            let failure = await failure { () async throws(DeliveryFailure) in
                _ = try await transport.send(HTTPRequest(url: server.url("/hook"), body: bytes("{}")))
            }
            #expect(failure == .transient("HTTP 503"))
            let response = try await transport.send(HTTPRequest(url: server.url("/hook"), body: bytes("{}")))
            #expect(response.status == 200)
        }
    }

    @Test func a429KeepsRetryAfter() async throws {
        let server = try LoopbackHTTPServer(options: ["--statuses", "429", "--retry-after", "7"])
        defer { server.stop() }
        try await withTransport { transport in
            let failure = await failure { () async throws(DeliveryFailure) in
                _ = try await transport.send(HTTPRequest(url: server.url("/hook"), body: bytes("{}")))
            }
            #expect(failure == .transient("HTTP 429", retryAfter: .seconds(7)))
        }
    }

    @Test func a400IsPermanent() async throws {
        let server = try LoopbackHTTPServer(options: ["--statuses", "400"])
        defer { server.stop() }
        try await withTransport { transport in
            let failure = await failure { () async throws(DeliveryFailure) in
                _ = try await transport.send(HTTPRequest(url: server.url("/hook"), body: bytes("{}")))
            }
            #expect(failure == .permanent("HTTP 400"))
        }
    }

    @Test func aSlowServerIsATransientTimeout() async throws {
        let server = try LoopbackHTTPServer(options: ["--delay", "5"])
        defer { server.stop() }
        try await withTransport { transport in
            let failure = await failure { () async throws(DeliveryFailure) in
                _ = try await transport.send(HTTPRequest(url: server.url("/slow"), body: bytes("{}"), timeout: .milliseconds(300)))
            }
            #expect(failure == .transient("timed out after 0.3 s"))
        }
    }

    @Test func nothingListeningIsTransientAndABadURLPermanent() async throws {
        try await withRefusingPort { port in
            try await withTransport { transport in
                let refused = await failure { () async throws(DeliveryFailure) in
                    _ = try await transport.send(HTTPRequest(url: "http://127.0.0.1:\(port)/hook"))
                }
                #expect(refused == .transient("connection refused (127.0.0.1:\(port))"))
                let bad = await failure { () async throws(DeliveryFailure) in
                    _ = try await transport.send(HTTPRequest(url: "gopher://127.0.0.1:\(port)/"))
                }
                #expect(bad?.permanent == true)
                let malformed = await failure { () async throws(DeliveryFailure) in
                    _ = try await transport.send(HTTPRequest(url: "http://[::1/"))
                }
                #expect(malformed?.permanent == true, "\(String(describing: malformed))")
            }
        }
    }
}

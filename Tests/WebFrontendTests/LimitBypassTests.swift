import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import WebFrontend

/// The per-client limits against the ways around them, over a real loopback connection (so the
/// peer is 127.0.0.1, a trusted proxy here): rotating what a client puts into `X-Forwarded-For`,
/// rotating addresses within an IPv6 /64, and cache-busting slot queries. The daemons' sockets
/// answer nobody: a request the limits let through ends as 503, one they stop as 429.
@Suite(.serialized) struct LimitBypassTests {
    static func withSite(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await WebsiteHTTPTests.withSite({ configuration in
            configuration.trustedProxies = [IPNetwork("127.0.0.1/32")!, IPNetwork("::1")!]
            // Nearly no refill: however long a loaded machine takes, the buckets stay as used.
            configuration.ipLimit = .init(capacity: 3, refillPerMinute: 0.001)
            configuration.slotLimit = .init(capacity: 3, refillPerMinute: 0.001)
            configuration.slotsCache = .seconds(60)
        }) { _, client in try await body(client) }
    }

    /// The statuses of GETs of `uri(n)`, each forwarded for `forwardedFor(n)`.
    static func statuses(_ client: any TestClientProtocol, _ count: Int, uri: (Int) -> String, forwardedFor: (Int) -> String)
        async throws -> [HTTPResponse.Status] {
        var statuses: [HTTPResponse.Status] = []
        for n in 0..<count {
            let headers: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: forwardedFor(n)]
            try await client.execute(uri: uri(n), method: .get, headers: headers) { response in
                statuses.append(response.status)
                if response.status == .tooManyRequests { #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1) }
            }
        }
        return statuses
    }

    static func lookup(_: Int) -> String { "/api/v1/bookings/BK-7Q4M-2KXR" }

    @Test func rotatingTheLeftOfXForwardedForDoesNotBuyANewBucket() async throws {
        try await Self.withSite { client in
            let rotated = try await Self.statuses(client, 5, uri: Self.lookup) { n in "10.9.\(n).1, 198.51.100.20" }
            #expect(!rotated.prefix(3).contains(.tooManyRequests))
            #expect(rotated.suffix(2) == [.tooManyRequests, .tooManyRequests])
            // Another client behind the same proxy has its own bucket.
            let other = try await Self.statuses(client, 1, uri: Self.lookup) { _ in "10.9.0.1, 198.51.100.21" }
            #expect(other != [.tooManyRequests])
        }
    }

    @Test func anIPv6ClientIsOneClientAcrossItsSlash64() async throws {
        try await Self.withSite { client in
            let rotated = try await Self.statuses(client, 5, uri: Self.lookup) { n in "2001:db8:aa:bb::\(n + 1)" }
            #expect(!rotated.prefix(3).contains(.tooManyRequests))
            #expect(rotated.suffix(2) == [.tooManyRequests, .tooManyRequests])
            let neighbour = try await Self.statuses(client, 1, uri: Self.lookup) { _ in "2001:db8:aa:bc::1" }
            #expect(neighbour != [.tooManyRequests])
            // IPv4 clients are told apart by their whole address, mapped or not.
            _ = try await Self.statuses(client, 3, uri: Self.lookup) { _ in "::ffff:198.51.100.30" }
            let mapped = try await Self.statuses(client, 1, uri: Self.lookup) { _ in "198.51.100.30" }
            #expect(mapped == [.tooManyRequests])
            let nextDoor = try await Self.statuses(client, 1, uri: Self.lookup) { _ in "198.51.100.31" }
            #expect(nextDoor != [.tooManyRequests])
        }
    }

    @Test func cacheBustingSlotQueriesAreMeteredPerClient() async throws {
        try await Self.withSite { client in
            let busted = try await Self.statuses(client, 5, uri: { n in "/api/v1/slots?days=\(n + 1)" }) { _ in "198.51.100.40" }
            #expect(!busted.prefix(3).contains(.tooManyRequests))
            #expect(busted.suffix(2) == [.tooManyRequests, .tooManyRequests])
            // The page's calendar draws on the same bucket.
            let page = try await Self.statuses(client, 1, uri: { _ in "/?date=2026-12-10" }) { _ in "198.51.100.40" }
            #expect(page == [.tooManyRequests])
            let other = try await Self.statuses(client, 1, uri: { _ in "/api/v1/slots?days=9" }) { _ in "198.51.100.41" }
            #expect(other != [.tooManyRequests])
        }
    }
}

import Crypto
import Foundation
import Testing
@testable import WebFrontend
import WebInput

@Suite struct RateLimiterTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aBucketEmptiesThenRefillsAtItsRate() {
        let limiter = RateLimiter(policy: .init(capacity: 3, refillPerMinute: 6))
        #expect((0..<3).map { _ in limiter.take("a", now: start) } == [.allowed, .allowed, .allowed])
        #expect(limiter.take("a", now: start) == .limited(retryAfterSeconds: 10))
        #expect(limiter.take("b", now: start) == .allowed, "each key has its own bucket")
        #expect(limiter.take("a", now: start.addingTimeInterval(9)) == .limited(retryAfterSeconds: 1))
        #expect(limiter.take("a", now: start.addingTimeInterval(10)) == .allowed)
        #expect(limiter.take("a", now: start.addingTimeInterval(10)) == .limited(retryAfterSeconds: 10))
        // A long pause refills to the capacity, not beyond.
        let later = start.addingTimeInterval(3600)
        #expect((0..<4).map { _ in limiter.take("a", now: later) } == [.allowed, .allowed, .allowed, .limited(retryAfterSeconds: 10)])
    }

    @Test func askingDoesNotTakeAToken() {
        let limiter = RateLimiter(policy: .init(capacity: 1, refillPerMinute: 1))
        #expect(limiter.wouldAllow("a", now: start) == .allowed)
        #expect(limiter.wouldAllow("a", now: start) == .allowed)
        #expect(limiter.take("a", now: start) == .allowed)
        #expect(limiter.wouldAllow("a", now: start) == .limited(retryAfterSeconds: 60))
    }

    @Test func aFloodOfKeysDoesNotGrowWithoutBound() {
        let limiter = RateLimiter(policy: .init(capacity: 2, refillPerMinute: 1), maximumKeys: 100)
        for n in 0..<1000 { _ = limiter.take("k\(n)", now: start) }
        #expect(limiter.keyCount <= 100)
    }
}

@Suite struct ClientAddressTests {
    let proxies = [IPNetwork("127.0.0.1/32")!, IPNetwork("10.0.0.0/8")!, IPNetwork("::1")!]

    @Test func theForwardedHeaderIsBelievedOnlyFromATrustedProxy() {
        #expect(ClientAddress.resolve(peer: "203.0.113.9", forwardedFor: ["198.51.100.1"], trustedProxies: proxies) == "203.0.113.9")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: ["198.51.100.1"], trustedProxies: proxies) == "198.51.100.1")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: [], trustedProxies: proxies) == "127.0.0.1")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: ["198.51.100.1"], trustedProxies: []) == "127.0.0.1")
    }

    @Test func theClientIsTheRightmostAddressThatIsNotAProxy() {
        // The client wrote 1.1.1.1 itself; 198.51.100.7 is what the first trusted proxy saw.
        let hops = ["1.1.1.1, 198.51.100.7", "10.1.2.3"]
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: hops, trustedProxies: proxies) == "198.51.100.7")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: ["garbage, 10.0.0.5"], trustedProxies: proxies) == "10.0.0.5")
        #expect(ClientAddress.resolve(peer: "::ffff:127.0.0.1", forwardedFor: ["2001:db8::1"], trustedProxies: proxies) == "2001:db8:0:0:0:0:0:1")
    }

    @Test func hopsWithPortsOrBracketsAreAddresses() {
        let proxies = [IPNetwork("127.0.0.1")!]
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: ["198.51.100.7:41234"], trustedProxies: proxies) == "198.51.100.7")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: ["[2001:db8::1]:443"], trustedProxies: proxies) == "2001:db8:0:0:0:0:0:1")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: ["[2001:db8::1]"], trustedProxies: proxies) == "2001:db8:0:0:0:0:0:1")
    }

    @Test func limitKeysAreIPv4AddressesAndIPv6Slash64s() {
        #expect(ClientAddress.limitKey("198.51.100.7") == "198.51.100.7")
        #expect(ClientAddress.limitKey("2001:db8:aa:bb:1:2:3:4") == "2001:db8:aa:bb:0:0:0:0/64")
        #expect(ClientAddress.limitKey("2001:db8:aa:bb::9") == ClientAddress.limitKey("2001:db8:aa:bb:ffff::1"))
        #expect(ClientAddress.limitKey("2001:db8:aa:bc::1") != ClientAddress.limitKey("2001:db8:aa:bb::1"))
        #expect(ClientAddress.limitKey("unknown") == "unknown")
    }

    @Test func networksContainTheirAddresses() {
        #expect(IPNetwork("192.168.0.0/16")!.contains(IPAddress("192.168.255.1")!))
        #expect(!IPNetwork("192.168.0.0/16")!.contains(IPAddress("192.169.0.1")!))
        #expect(IPNetwork("10.0.0.0/9")!.contains(IPAddress("10.127.0.1")!))
        #expect(!IPNetwork("10.0.0.0/9")!.contains(IPAddress("10.128.0.1")!))
        #expect(!IPNetwork("::1")!.contains(IPAddress("127.0.0.1")!))
        #expect(IPNetwork("0.0.0.0/0")!.contains(IPAddress("8.8.8.8")!))
        #expect(IPNetwork("1.2.3.4/40") == nil)
        #expect(IPNetwork("not an address") == nil)
    }
}

@Suite struct ProofOfWorkTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let pow = ProofOfWork(key: SymmetricKey(data: Data(repeating: 7, count: 32)), difficulty: 50, expiry: .seconds(60))

    @Test func aSolvedChallengeIsAcceptedOnce() throws {
        let challenge = pow.challenge(now: now)
        #expect(challenge.maxNumber == 100)
        let solution = try #require(ProofOfWork.solve(challenge))
        try pow.verify(solution, now: now.addingTimeInterval(30))
        #expect(throws: ProofOfWorkFailure.alreadyUsed) { try pow.verify(solution, now: now.addingTimeInterval(31)) }
    }

    @Test func everyWayOfCheatingIsRefused() throws {
        let challenge = pow.challenge(now: now, number: 42)
        let solution = try #require(ProofOfWork.solve(challenge))
        #expect(solution.number == 42)
        #expect(throws: ProofOfWorkFailure.missing) { try pow.verify(nil, now: now) }
        var wrong = solution
        wrong.number = 41
        #expect(throws: ProofOfWorkFailure.wrongNumber) { try pow.verify(wrong, now: now) }
        #expect(throws: ProofOfWorkFailure.expired) { try pow.verify(solution, now: now.addingTimeInterval(61)) }
        // A challenge of one's own making (any number hashes to it) is not signed by the server.
        var forged = solution
        forged.salt = "9999999999.ab"
        forged.challenge = ProofOfWork.hash(forged.salt + "0")
        forged.number = 0
        #expect(throws: ProofOfWorkFailure.badSignature) { try pow.verify(forged, now: now) }
        // Extending the expiry in the salt breaks the hash the signature covers.
        var extended = solution
        extended.salt = "9999999999" + solution.salt.drop(while: { $0 != "." })
        #expect(throws: ProofOfWorkFailure.wrongNumber) { try pow.verify(extended, now: now) }
        let otherServer = ProofOfWork(key: SymmetricKey(data: Data(repeating: 8, count: 32)), difficulty: 50, expiry: .seconds(60))
        #expect(throws: ProofOfWorkFailure.badSignature) { try otherServer.verify(solution, now: now) }
    }

    @Test func thePageFieldFormRoundTrips() throws {
        let challenge = pow.challenge(now: now)
        let solution = try #require(ProofOfWork.solve(challenge))
        let field = "\(solution.salt)|\(solution.number)|\(solution.challenge)|\(solution.signature)"
        #expect(ProofOfWorkSolution(field: field) == solution)
        #expect(ProofOfWorkSolution(field: "a|b|c") == nil)
        #expect(ProofOfWorkSolution(field: "a|x|c|d") == nil)
    }
}

@Suite struct FormTokenTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let tokens = FormToken(key: SymmetricKey(data: Data(repeating: 1, count: 32)))

    @Test func aTokenIsBoundToItsSessionAndItsTime() throws {
        let token = tokens.issue(session: "s1", now: now)
        try tokens.verify(token, session: "s1", now: now.addingTimeInterval(5), minimumFill: 3)
        #expect(throws: FormToken.Failure.tooFast(secondsLeft: 2)) { try tokens.verify(token, session: "s1", now: now.addingTimeInterval(1), minimumFill: 3) }
        #expect(throws: FormToken.Failure.forged) { try tokens.verify(token, session: "s2", now: now.addingTimeInterval(5), minimumFill: 3) }
        #expect(throws: FormToken.Failure.missing) { try tokens.verify(token, session: nil, now: now, minimumFill: 0) }
        #expect(throws: FormToken.Failure.missing) { try tokens.verify(nil, session: "s1", now: now, minimumFill: 0) }
        #expect(throws: FormToken.Failure.expired) { try tokens.verify(token, session: "s1", now: now.addingTimeInterval(3 * 3600), minimumFill: 0) }
        // Moving the issue time back (to pass the minimum) breaks the MAC.
        let backdated = "\(Int(now.timeIntervalSince1970) - 60)" + token.drop(while: { $0 != "." })
        #expect(throws: FormToken.Failure.forged) { try tokens.verify(backdated, session: "s1", now: now, minimumFill: 3) }
    }

    @Test func theKeyFileIsMadeOnceWithMode0600() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webd-key-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("lib/webd.secret").path
        let first = try SecretKeyFile.loadOrCreate(path)
        let second = try SecretKeyFile.loadOrCreate(path)
        #expect(first == second)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try Data("short".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: SecretKeyError.self) { try SecretKeyFile.loadOrCreate(path) }
    }
}

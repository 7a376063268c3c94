import Foundation
import Testing
@testable import ZeroMQ

/// CURVE on tcp loopback, over real sockets: the context's ZAP handler admits only the keys the
/// server lists, and names the sender by the key's name.
@Suite(.timeLimit(.minutes(1)))
struct CurveTests {
    @Test func aKeyTravelsAsZ85AndBack() throws {
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.z85.count == 40)
        #expect(try CurveKey(z85: pair.publicKey.z85) == pair.publicKey)
        #expect(try CurveKey(z85: pair.secretKey.z85 + "\n") == pair.secretKey, "a file's line break is no part of the key")
        #expect(try CurveKeyPair(secretKey: pair.secretKey) == pair, "the public key is derived from the secret one")
        // RFC 32's test vector, twice over to fill the 32 bytes of a key... four times: 8 bytes make "HelloWorld".
        let hello: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
        #expect(try CurveKey(bytes: hello + hello + hello + hello).z85 == String(repeating: "HelloWorld", count: 4))
    }

    @Test func aTextThatIsNoKeyIsRefusedSayingWhy() {
        #expect(throws: CurveKey.Invalid(problem: "is 5 characters long; a CURVE key in Z85 is 40")) { try CurveKey(z85: "short") }
        #expect(throws: CurveKey.Invalid(problem: "has '\\'', which is not a Z85 character")) {
            try CurveKey(z85: "'" + String(repeating: "a", count: 39))
        }
        #expect(throws: CurveKey.Invalid(problem: "has 3 bytes; a CURVE key has 32")) { try CurveKey(bytes: [1, 2, 3]) }
    }

    /// A ROUTER on tcp loopback that admits `admitted`, and its endpoint.
    func server(_ context: ZMQContext, keyPair: CurveKeyPair, admissions: CurveAdmissions) async throws -> (ZMQSocket, String) {
        var options = SocketOptions()
        options.curve = .server(keyPair: keyPair, admissions: admissions)
        let router = try context.socket(.router, options: options, label: "curve-router")
        try await router.bind("tcp://127.0.0.1:*")
        return (router, try #require(router.lastEndpoint))
    }

    func dealer(_ context: ZMQContext, _ endpoint: String, curve: CurveSecurity?) async throws -> ZMQSocket {
        var options = SocketOptions()
        options.curve = curve
        let dealer = try context.socket(.dealer, options: options, label: "curve-dealer")
        try await dealer.connect(endpoint)
        return dealer
    }

    @Test func anAdmittedKeyIsServedAndNamedAndOthersAreNot() async throws {
        try await withContext { context in
            let serverKeys = try CurveKeyPair.generate()
            let alice = try CurveKeyPair.generate()
            let mallory = try CurveKeyPair.generate()
            let admissions = CurveAdmissions([alice.publicKey: "alice"])
            let (router, endpoint) = try await server(context, keyPair: serverKeys, admissions: admissions)

            // An unknown key, and a client without CURVE: refused at the handshake, nothing read.
            let stranger = try await dealer(context, endpoint, curve: .client(keyPair: mallory, serverKey: serverKeys.publicKey))
            stranger.sendUnawaited([b("from mallory")])
            let plain = try await dealer(context, endpoint, curve: nil)
            plain.sendUnawaited([b("in clear")])
            // A client that takes another key for the server's: the handshake fails on its side.
            let misled = try await dealer(context, endpoint, curve: .client(keyPair: alice, serverKey: mallory.publicKey))
            misled.sendUnawaited([b("to the wrong server")])
            await #expect(throws: ZMQSocketError.timeout) { try await router.receive(timeout: .seconds(1)) }

            let client = try await dealer(context, endpoint, curve: .client(keyPair: alice, serverKey: serverKeys.publicKey))
            try await client.send([b("from alice")])
            var messages = router.identifiedMessages.makeAsyncIterator()
            let message = try #require(await messages.next())
            #expect(message.peer == .curveKey(name: "alice"))
            #expect(message.frames.last == b("from alice"))
            // The reply goes back through the encrypted connection.
            try await router.send([message.frames[0], b("hello alice")])
            #expect(try await client.receive(timeout: .seconds(5)) == [b("hello alice")])

            // Admitted while the server runs: the refused key's next connection gets in.
            admissions.replace(with: [alice.publicKey: "alice", mallory.publicKey: "mallory"])
            let admitted = try await dealer(context, endpoint, curve: .client(keyPair: mallory, serverKey: serverKeys.publicKey))
            admitted.sendUnawaited([b("admitted now")])
            let next = try #require(await messages.next())
            #expect(next.peer == .curveKey(name: "mallory"))
        }
    }

    @Test func theHandlerAdmitsByDomainAndKey() throws {
        let key = try CurveKeyPair.generate().publicKey
        let admissions = CurveAdmissions([key: "bookingd"])
        let lookUp: (String) -> CurveAdmissions? = { $0 == "curve.1" ? admissions : nil }
        func request(_ domain: String, _ mechanism: String, _ credentials: [UInt8]) -> [String] {
            ZAPHandler.reply(to: [b("1.0"), b("9"), b(domain), b("10.0.0.2"), [], b(mechanism), credentials], admissions: lookUp).map(str)
        }
        #expect(request("curve.1", "CURVE", key.bytes) == ["1.0", "9", "200", "OK", "curve:bookingd", ""])
        #expect(request("curve.1", "CURVE", try CurveKeyPair.generate().publicKey.bytes)[2] == "400")
        #expect(request("curve.1", "NULL", [])[2] == "400", "a CURVE server's domain takes no NULL peer")
        #expect(request("peers", "CURVE", key.bytes)[2] == "400", "a domain without keys admits none")
        #expect(ZAPHandler.peer(userID: "curve:bookingd", hasPeerProperties: true) == .curveKey(name: "bookingd"))
    }
}

extension ZMQSocket {
    /// A send that is not waited for: a DEALER whose handshake failed has no peer to take the
    /// message, so `send` would wait until the context's shutdown fails it.
    func sendUnawaited(_ frames: [[UInt8]]) {
        Task { try? await send(frames) }
    }
}

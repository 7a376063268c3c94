import Testing
@testable import Notifications

@Suite struct StandardWebhookTests {
    /// The Standard Webhooks specification's reference vector.
    @Test func specificationVector() {
        let signature = StandardWebhook.signature(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8),
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func rawSecretMatchesPythonsHMAC() throws {
        let body = Array(#"{"text":"Новая запись BK-1"}"#.utf8)
        let secret = "team-chat-secret ключ"
        let expected = try Python.run("""
            import sys, hmac, hashlib, base64
            body = open(sys.argv[1], 'rb').read()
            key = 'team-chat-secret ключ'.encode()
            print('v1,' + base64.b64encode(hmac.new(key, b'evt_1.1796108400.' + body, hashlib.sha256).digest()).decode())
            """, input: body)
        #expect(StandardWebhook.signature(id: "evt_1", timestamp: 1_796_108_400, body: body, secret: secret) == expected.trimmingWhitespace())
    }

    @Test func headersNameTheSpecsFields() {
        let headers = StandardWebhook.headers(id: "evt_1", timestamp: 5, body: [], secret: "s")
        #expect(headers.map(\.0) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
        #expect(headers[1].1 == "5")
        #expect(headers[2].1.hasPrefix("v1,"))
    }
}

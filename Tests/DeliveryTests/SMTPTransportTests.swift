import Foundation
import LoopbackServers
import Testing
@testable import Delivery

/// SMTP against a real aiosmtpd server on loopback.
@Suite(.timeLimit(.minutes(2)))
struct SMTPTransportTests {
    static let sender = "booking@example.test"

    /// Runs `body` with a transport that is always shut down afterwards.
    func withTransport(_ settings: SMTPSettings, _ body: (SMTPTransport) async throws -> Void) async throws {
        let transport = SMTPTransport(settings)
        do {
            try await body(transport)
        } catch {
            await transport.shutdown()
            throw error
        }
        await transport.shutdown()
    }

    @Test func plainDeliveryArrivesByteForByte() async throws {
        let server = try LoopbackSMTPServer()
        defer { server.stop() }
        let message = sampleMessage(id: "plain-1@notifyd.test")
        let settings = SMTPSettings(host: "127.0.0.1", port: server.port, security: .none, localName: "notify.example.test")
        try await withTransport(settings) { transport in
            try await transport.send(message, from: Self.sender, to: ["client@example.test", "cc@example.test"])
        }
        let received = try await server.waitForMessages(count: 1)
        #expect(received[0].bytes == message)
        #expect(received[0].mailFrom == Self.sender)
        #expect(received[0].rcptTos == ["client@example.test", "cc@example.test"])
        #expect(received[0].messageID == "<plain-1@notifyd.test>")
        #expect(!received[0].tls)
        #expect(received[0].heloName == "notify.example.test")
    }

    @Test func startTLSWithAuthAndTheTestCA() async throws {
        let certificate = try SelfSignedCertificate()
        let server = try LoopbackSMTPServer(options: certificate.serverOptions + ["--starttls", "--auth", "notify:s3cret pass"])
        defer { server.stop() }
        let settings = SMTPSettings(
            host: "localhost", port: server.port, security: .startTLS,
            username: "notify", password: "s3cret pass", caFile: certificate.certificatePath)
        let message = sampleMessage()
        try await withTransport(settings) { transport in
            try await transport.send(message, from: Self.sender, to: ["client@example.test"])
        }
        let received = try await server.waitForMessages(count: 1)
        #expect(received[0].bytes == message)
        #expect(received[0].tls)
        #expect(received[0].authenticated)
    }

    @Test func implicitTLS() async throws {
        let certificate = try SelfSignedCertificate()
        let server = try LoopbackSMTPServer(options: certificate.serverOptions + ["--implicit-tls", "--auth", "notify:pw"])
        defer { server.stop() }
        let settings = SMTPSettings(
            host: "127.0.0.1", port: server.port, security: .implicitTLS,
            username: "notify", password: "pw", caFile: certificate.certificatePath)
        try await withTransport(settings) { transport in
            try await transport.send(sampleMessage(), from: Self.sender, to: ["client@example.test"])
        }
        let received = try await server.waitForMessages(count: 1)
        #expect(received[0].tls && received[0].authenticated)
    }

    @Test func wrongPasswordIsPermanent() async throws {
        let certificate = try SelfSignedCertificate()
        let server = try LoopbackSMTPServer(options: certificate.serverOptions + ["--starttls", "--auth", "notify:right"])
        defer { server.stop() }
        let settings = SMTPSettings(
            host: "127.0.0.1", port: server.port, username: "notify", password: "wrong", caFile: certificate.certificatePath)
        try await withTransport(settings) { transport in
            let failure = await failure { () async throws(DeliveryFailure) in
                try await transport.send(sampleMessage(), from: Self.sender, to: ["client@example.test"])
            }
            #expect(failure?.permanent == true)
            #expect(failure?.reason.contains("535") == true, "\(String(describing: failure))")
        }
        #expect(server.messages.isEmpty)
    }

    @Test func anUntrustedCertificateIsAPermanentTLSFailure() async throws {
        let certificate = try SelfSignedCertificate()
        let other = try SelfSignedCertificate()
        let server = try LoopbackSMTPServer(options: certificate.serverOptions + ["--starttls"])
        defer { server.stop() }
        let settings = SMTPSettings(host: "127.0.0.1", port: server.port, caFile: other.certificatePath)
        try await withTransport(settings) { transport in
            let failure = await failure { () async throws(DeliveryFailure) in
                try await transport.send(sampleMessage(), from: Self.sender, to: ["client@example.test"])
            }
            #expect(failure?.permanent == true)
            #expect(failure?.reason.hasPrefix("TLS failure") == true, "\(String(describing: failure))")
        }
    }

    @Test func a451IsTransientAndTheNextAttemptSucceeds() async throws {
        let server = try LoopbackSMTPServer(options: ["--fail-first", "1", "--fail-code", "451"])
        defer { server.stop() }
        let message = sampleMessage()
        try await withTransport(SMTPSettings(host: "127.0.0.1", port: server.port, security: .none)) { transport in
            let failure = await failure { () async throws(DeliveryFailure) in
                try await transport.send(message, from: Self.sender, to: ["client@example.test"])
            }
            #expect(failure == .transient("SMTP 451 4.3.0 local error in processing"))
            try await transport.send(message, from: Self.sender, to: ["client@example.test"])
        }
        let received = try await server.waitForMessages(count: 1)
        #expect(received.map(\.bytes) == [message])
    }

    @Test func a550IsPermanent() async throws {
        let server = try LoopbackSMTPServer(options: ["--reject", "550"])
        defer { server.stop() }
        try await withTransport(SMTPSettings(host: "127.0.0.1", port: server.port, security: .none)) { transport in
            let failure = await failure { () async throws(DeliveryFailure) in
                try await transport.send(sampleMessage(), from: Self.sender, to: ["client@example.test"])
            }
            #expect(failure == .permanent("SMTP 550 5.1.1 mailbox unavailable"))
            // Behaviour changed at run time: the same connection delivers once the server accepts.
            try server.control(reject: .some(nil))
            try await transport.send(sampleMessage(), from: Self.sender, to: ["client@example.test"])
        }
        #expect(try await server.waitForMessages(count: 1).count == 1)
    }

    @Test func nothingListeningIsATransientConnectionRefused() async throws {
        try await withRefusingPort { port in
            try await withTransport(SMTPSettings(host: "127.0.0.1", port: port, security: .none)) { transport in
                let failure = await failure { () async throws(DeliveryFailure) in
                    try await transport.send(sampleMessage(), from: Self.sender, to: ["client@example.test"])
                }
                #expect(failure == .transient("connection refused (127.0.0.1:\(port))"))
            }
        }
    }

    @Test func aServerThatNeverAnswersIsATransientTimeout() async throws {
        try await withSilentPort { port in
            let settings = SMTPSettings(host: "127.0.0.1", port: port, security: .none, timeout: .milliseconds(300))
            try await withTransport(settings) { transport in
                let failure = await failure { () async throws(DeliveryFailure) in
                    try await transport.send(sampleMessage(), from: Self.sender, to: ["client@example.test"])
                }
                #expect(failure == .transient("timed out after 0.3 s"))
            }
        }
    }

    @Test func manyMessagesShareAFewConnections() async throws {
        let server = try LoopbackSMTPServer()
        defer { server.stop() }
        let count = 60
        let settings = SMTPSettings(host: "127.0.0.1", port: server.port, security: .none, connections: 3)
        try await withTransport(settings) { transport in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<count {
                    group.addTask {
                        try await transport.send(sampleMessage(id: "burst-\(i)@notifyd.test"), from: Self.sender, to: ["c\(i)@example.test"])
                    }
                }
                try await group.waitForAll()
            }
        }
        let received = try await server.waitForMessages(count: count)
        #expect(Set(received.compactMap(\.messageID)) == Set((0..<count).map { "<burst-\($0)@notifyd.test>" }))
        // Every message went over one of at most three connections (client ports).
        #expect(Set(received.map(\.clientPort)).count <= 3)
    }

    @Test func badInputIsRefusedBeforeConnecting() async throws {
        try await withRefusingPort { port in
            try await withTransport(SMTPSettings(host: "127.0.0.1", port: port, security: .none)) { transport in
                let noRecipients = await failure { () async throws(DeliveryFailure) in
                    try await transport.send(sampleMessage(), from: Self.sender, to: [])
                }
                #expect(noRecipients == .permanent("no envelope recipients"))
                let injected = await failure { () async throws(DeliveryFailure) in
                    try await transport.send(sampleMessage(), from: Self.sender, to: ["a@b.test>\r\nDATA"])
                }
                #expect(injected?.permanent == true)
            }
        }
    }

    @Test func sendingAfterShutdownFailsTransiently() async throws {
        let transport = SMTPTransport(SMTPSettings(host: "127.0.0.1", port: 1, security: .none, connections: 1))
        await transport.shutdown()
        let failure = await failure { () async throws(DeliveryFailure) in
            try await transport.send(sampleMessage(), from: Self.sender, to: ["client@example.test"])
        }
        #expect(failure == .transient("SMTP transport shut down"))
    }
}

import Foundation
import Testing
@testable import Delivery

@Suite struct MailDirectoryTransportTests {
    @Test func writesTheMessageUnderItsMessageID() async throws {
        try await withTemporaryDirectory { root in
            let directory = root + "/var/mail"  // created on demand
            let transport = MailDirectoryTransport(directory: directory)
            let message = sampleMessage(id: "bk-42.confirmation@notifyd.test")
            try await transport.send(message, from: "booking@example.test", to: ["client@example.test"])
            try await transport.send(message, from: "booking@example.test", to: ["client@example.test"])
            let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            #expect(files == ["bk-42.confirmation@notifyd.test.eml"])  // idempotent, no temporary files left
            let written = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + files[0]))
            #expect([UInt8](written) == message)
        }
    }

    @Test func unsafeOrMissingMessageIDs() throws {
        let traversal = MailDirectoryTransport.fileName(for: bytes("Message-ID: <../../etc/passwd@x>\r\n\r\nhi\r\n"))
        #expect(!traversal.contains("/"))
        #expect(!traversal.hasPrefix("."))
        // Folded header, case-insensitive name.
        #expect(MailDirectoryTransport.fileName(for: bytes("Subject: x\r\nmessage-id:\r\n <a.b@c>\r\n\r\nMessage-ID: <not@header>\r\n"))
            == "a.b@c.eml")
        // No Message-ID in the header section (one in the body does not count): SHA-256 of the bytes.
        let anonymous = bytes("Subject: x\r\n\r\nMessage-ID: <in@body>\r\n")
        let name = MailDirectoryTransport.fileName(for: anonymous)
        #expect(name.count == 68 && name.hasSuffix(".eml"))
        #expect(name.dropLast(4).allSatisfy { $0.isHexDigit })
        #expect(MailDirectoryTransport.fileName(for: anonymous) == name)
        #expect(MailDirectoryTransport.fileName(for: bytes("Message-ID: <>\r\n\r\n")).count == 68)
    }

    @Test func refusesBadEnvelopesAndWritesNothing() async throws {
        try await withTemporaryDirectory { directory in
            let transport = MailDirectoryTransport(directory: directory)
            let failure = await failure { () async throws(DeliveryFailure) in
                try await transport.send(sampleMessage(), from: "booking@example.test", to: [])
            }
            #expect(failure?.permanent == true)
            let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            #expect(files.isEmpty)
        }
    }
}

@Suite struct FileDropTests {
    @Test func writesAndReplacesAtomically() async throws {
        try await withTemporaryDirectory { root in
            let drop = FileDrop(directory: root + "/var/mail")
            try drop.write(name: "n1.sms.txt", contents: bytes("first"))
            try drop.write(name: "n1.sms.txt", contents: bytes("second"))
            try drop.write(name: "n1.chat.json", contents: bytes("{\"text\":\"hi\"}"))
            let files = try FileManager.default.contentsOfDirectory(atPath: root + "/var/mail").sorted()
            #expect(files == ["n1.chat.json", "n1.sms.txt"])
            #expect(try String(contentsOfFile: root + "/var/mail/n1.sms.txt", encoding: .utf8) == "second")
        }
    }

    @Test(arguments: ["", ".", "..", "../escape.txt", "a/b.txt", ".hidden", "nul\0.txt"])
    func refusesNamesThatAreNotPlainFileNames(name: String) async throws {
        try await withTemporaryDirectory { directory in
            #expect(throws: DeliveryFailure.self) { try FileDrop(directory: directory).write(name: name, contents: [1]) }
            let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            #expect(files.isEmpty)
        }
    }

    @Test func anUnwritableDirectoryIsAClearFailure() throws {
        let drop = FileDrop(directory: "/proc/self/not-a-directory")
        #expect(throws: DeliveryFailure.self) { try drop.write(name: "x.sms.txt", contents: [1]) }
    }
}

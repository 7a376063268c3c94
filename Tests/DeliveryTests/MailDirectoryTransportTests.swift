import Foundation
import Testing
@testable import Delivery

@Suite struct MailDirectoryTransportTests {
    @Test func namesTheFileByReferencePurposeAndRecipient() async throws {
        try await withTemporaryDirectory { root in
            let directory = root + "/var/mail"  // created on demand
            let transport = MailDirectoryTransport(directory: directory)
            let message = bytes("Message-ID: <bk-42.confirmation@notifyd.test>\r\nX-Booking-Reference: BK-7Q2M-X9TD-4KHN-ZP3CG\r\n"
                                + "X-Booking-Purpose: confirmation\r\nSubject: x\r\n\r\nhi\r\n")
            try await transport.send(message, from: "booking@example.test", to: ["anna.client@example.test"])
            try await transport.send(message, from: "booking@example.test", to: ["anna.client@example.test"])
            let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            #expect(files.count == 1, "idempotent, no temporary files left: \(files)")
            #expect(files.first?.wholeMatch(of: /BK-7Q2M-X9TD-4KHN-ZP3CG\.confirmation\.anna\.client@example\.test\.[0-9a-f]{8}\.eml/) != nil, "\(files)")
            let written = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + files[0]))
            #expect([UInt8](written) == message)
            // Another message of the same purpose to the same person is another file.
            let again = bytes("Message-ID: <bk-43.confirmation@notifyd.test>\r\nX-Booking-Reference: BK-7Q2M-X9TD-4KHN-ZP3CG\r\n"
                              + "X-Booking-Purpose: confirmation\r\n\r\nhi\r\n")
            try await transport.send(again, from: "booking@example.test", to: ["anna.client@example.test"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory).count == 2)
        }
    }

    @Test func unsafeHeadersStayInsideTheDirectory() throws {
        let traversal = MailDirectoryTransport.fileName(
            for: bytes("Message-ID: <a@x>\r\nX-Booking-Reference: ../../etc/passwd\r\nX-Booking-Purpose: a/b c\r\n\r\nhi\r\n"), to: [".x@y"])
        #expect(!traversal.contains("/"))
        #expect(!traversal.hasPrefix("."))
        #expect(traversal.hasPrefix("_._.._etc_passwd.a_b_c._x@y."), "\(traversal)")
        // Folded header, case-insensitive name; a Message-ID in the body does not count.
        let folded = MailDirectoryTransport.fileName(for: bytes("Subject: x\r\nmessage-id:\r\n <a.b@c>\r\n\r\nMessage-ID: <not@header>\r\n"), to: ["c@d"])
        #expect(folded == MailDirectoryTransport.fileName(for: bytes("Message-ID: <a.b@c>\r\n\r\nother body"), to: ["c@d"]))
        // No Message-ID: named by the bytes, the same each time.
        let anonymous = bytes("Subject: x\r\n\r\nMessage-ID: <in@body>\r\n")
        let name = MailDirectoryTransport.fileName(for: anonymous, to: ["c@d"])
        #expect(name.wholeMatch(of: /c@d\.[0-9a-f]{8}\.eml/) != nil, "\(name)")
        #expect(MailDirectoryTransport.fileName(for: anonymous, to: ["c@d"]) == name)
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

import BookingProtocol
import Foundation
import SuiteTesting
import Synchronization
import Testing

/// A known client's data, searched for where it must not be: the event stream as a subscriber
/// written from docs/protocol.md sees it, every file under the state directory (databases, their
/// -wal and -shm, backups), and the daemons' logs.
@Suite(.serialized) struct KnownClientSearchTests {
    static let name = "Иван Конфиденциальный"
    static let latinName = "Ivan Confidentialov"
    static let email = "ivan.confidentialov@example.com"
    static let phone = "+79167654321"
    static let company = "ООО Секретная Компания"
    static let topic = "Переезд в Тбилиси и налоговое резидентство"

    /// What must appear nowhere, each in the forms a careless copy would take.
    static var needles: [(label: String, bytes: [UInt8])] {
        var needles: [(String, [UInt8])] = []
        for value in [name, latinName, email, "ivan.confidentialov", phone, "9167654321", company, topic, "Конфиденциальный", "Confidentialov"] {
            needles.append((value + " (UTF-8)", Array(value.utf8)))
            needles.append((value + " (UTF-16LE)", value.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }))
            needles.append((value + " (UTF-16BE)", value.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }))
            needles.append((value + " (JSON-escaped)", Array(value.unicodeScalars.map { $0.isASCII ? String($0) : String(format: "\\u%04x", $0.value) }.joined().utf8)))
        }
        return needles
    }

    static func found(in bytes: [UInt8]) -> [String] {
        needles.filter { needle in
            !needle.bytes.isEmpty && bytes.withUnsafeBufferPointer { haystack in
                Data(haystack).range(of: Data(needle.bytes)) != nil
            }
        }.map(\.label)
    }

    /// Every regular file under `directory`, recursively.
    static func files(under directory: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        return walker.compactMap { $0 as? String }.map { directory + "/" + $0 }.filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }

    @Test func aKnownClientIsNowhereButInTheMessagesSentToThem() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try await suite.start()

        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        listener.arguments = ["python3", SuiteProcess.repositoryRoot + "/Tests/EndToEndTests/support/event_listener.py", suite.runDirectory, "3", "60"]
        let output = Pipe()
        listener.standardOutput = output
        try listener.run()
        let lines = LineReader(output.fileHandleForReading)
        try await eventually(.seconds(20)) { lines.all.contains("ready") }

        // Booked by an admin, then moved, then cancelled by the client in their own words.
        let booked = try suite.bookctl(["book", "--start", "2026-12-02T10:00", "--name", Self.name, "--email", Self.email, "--phone", Self.phone,
                                        "--company", Self.company, "--topic", Self.topic, "--json"])
        #expect(booked.status == 0, "\(booked.stderr)")
        let reference = try #require((try JSONSerialization.jsonObject(with: Data(booked.stdout.utf8)) as? [String: Any])?["reference"] as? String)
        #expect(try suite.bookctl(["reschedule", reference, "--start", "2026-12-02T11:00"]).status == 0)
        let bookingd = try await suite.client("bookingd")
        let _: AppointmentBody = try await bookingd.call(
            MessageType.cancel, CancelRequest(reference: reference, reason: "Иван Конфиденциальный не сможет, звоните +79167654321", actor: "client"))
        listener.waitUntilExit()
        #expect(listener.terminationStatus == 0, "the listener saw every event: \(lines.all)")

        let events = lines.all.filter { $0 != "ready" }
        #expect(events.count == 3)
        for event in events {
            #expect(Self.found(in: Array(event.utf8)).isEmpty, "an event carries personal data: \(event)")
            #expect(!event.contains("не сможет"), "a client's own words stay out of events: \(event)")
        }
        // What a subscriber may show: the masked contact.
        #expect(events.first?.contains("i***@example.com") == true, "\(events.first ?? "")")

        // notifyd asked bookingd for the contact: the client's email reached them, in full.
        try await eventually(.seconds(20)) {
            Self.files(under: suite.directory + "/mail").contains { path in
                (try? String(contentsOfFile: path, encoding: .utf8))?.contains("To: ") == true
                    && (try? String(contentsOfFile: path, encoding: .utf8))?.contains(Self.email) == true
            }
        }

        let backup = try suite.bookctl(["backup", suite.directory + "/lib/backup-before-stop"])
        #expect(backup.status == 0, "\(backup.stderr)")
        suite.stop()

        let stateFiles = Self.files(under: suite.directory + "/lib")
        #expect(stateFiles.contains { $0.hasSuffix("bookingd.sqlite") } && stateFiles.contains { $0.hasSuffix("notifyd.sqlite") })
        #expect(stateFiles.contains { $0.contains("backup-before-stop") })
        for path in stateFiles {
            let bytes = try PlaintextSearch.bytes(ofFileAt: path)
            #expect(Self.found(in: bytes).isEmpty, "\(path) holds \(Self.found(in: bytes))")
        }
        for daemon in ["bookingd", "availabilityd", "notifyd"] {
            let log = Array(suite.log(daemon).utf8)
            #expect(Self.found(in: log).isEmpty, "\(daemon)'s log holds \(Self.found(in: log))")
        }
    }
}

/// The lines a child process writes, collected as they come.
final class LineReader: Sendable {
    private let state = Mutex<(lines: [String], partial: String)>(([], ""))

    init(_ handle: FileHandle) {
        handle.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else {
                handle.readabilityHandler = nil
                return
            }
            self.state.withLock { state in
                state.partial += String(decoding: data, as: UTF8.self)
                while let newline = state.partial.firstIndex(of: "\n") {
                    state.lines.append(String(state.partial[..<newline]))
                    state.partial = String(state.partial[state.partial.index(after: newline)...])
                }
            }
        }
    }

    var all: [String] { state.withLock { $0.lines } }
}

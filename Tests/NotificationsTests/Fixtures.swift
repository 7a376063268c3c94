import BookingDomain
import BookingProtocol
import Foundation
@testable import Notifications

/// Facts and files the tests share: one appointment on Tuesday 1 December 2026 at 07:00 UTC
/// (10:00 in Moscow, 08:00 in Berlin, 12:00 in Yekaterinburg).
enum Fixtures {
    static let templatesDirectory: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/templates").path

    static let start = Date(timeIntervalSince1970: 1_796_108_400)  // 2026-12-01T07:00:00Z
    static let previousStart = Date(timeIntervalSince1970: 1_796_022_000)  // 2026-11-30T07:00:00Z

    static func appointment(locale: String = "ru", timeZone: String = "Europe/Moscow", name: String = "Анна Петрова",
                            phone: String = "+79161234567", company: String? = "ООО «Ромашка»") -> AppointmentBody {
        AppointmentBody(
            reference: "BK-7Q2M-X9TD-4KHN-ZP3CG", id: "appt-42", clientId: "client-7", consultantId: "irina",
            start: start, end: start.addingTimeInterval(3600), status: "booked",
            contact: ContactBody(name: name, email: "anna.petrova@example.com", phone: phone, company: company),
            timeZone: timeZone, locale: locale, createdAt: start.addingTimeInterval(-86400 * 3),
            updatedAt: start.addingTimeInterval(-86400 * 3), reminderSent: false, revision: 0)
    }

    static let consultant = Consultant(id: "irina", name: "Ирина Смирнова", email: "irina@example.com", timeZone: "Asia/Yekaterinburg")

    /// Boris had the appointment before Irina (for a move to another consultant).
    static let previousConsultant = Consultant(id: "boris", name: "Boris Kuznetsov", email: "boris@example.com", timeZone: "Europe/Berlin", locale: .en)

    static func facts(locale: String = "ru", timeZone: String = "Europe/Moscow", previousStart: Date? = nil, previousConsultant: Consultant? = nil,
                      clientMessage: String? = nil, changedByClient: Bool = false,
                      manageURL: String? = "https://book.example.com/manage/BK-7Q2M-X9TD-4KHN-ZP3CG") -> MessageFacts {
        MessageFacts(appointment: appointment(locale: locale, timeZone: timeZone), consultant: consultant, previousStart: previousStart,
                     previousConsultant: previousConsultant, clientMessage: clientMessage, changedByClient: changedByClient, manageURL: manageURL,
                     calendarZone: "Europe/Moscow")
    }

    static func library() throws -> TemplateLibrary {
        try TemplateLibrary.load(directory: templatesDirectory)
    }

    /// A private copy of the shipped templates, removed by `body`'s end.
    static func withTemplateCopy<T>(_ body: (String) throws -> T) throws -> T {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("templates-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: templatesDirectory, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        return try body(copy)
    }
}

/// Debian's python3 (with python3-icalendar from script/bootstrap) reading what we wrote: an
/// independent parser is a better judge of MIME and iCalendar than one of our own.
enum Python {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `script` with `input` in a file whose path is `sys.argv[1]`; returns stdout.
    static func run(_ script: String, input: [UInt8]) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("notif-py-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let inputFile = directory.appendingPathComponent("input")
        let errorFile = directory.appendingPathComponent("stderr")
        try Data(input).write(to: inputFile)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, inputFile.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errorFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read to the end before waiting, so a full pipe cannot stall the child.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let stderr = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
            throw Failure(description: "python exited \(process.terminationStatus): \(stderr)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

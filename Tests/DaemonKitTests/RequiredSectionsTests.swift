import DaemonKit
import Foundation
import Testing

/// A file cut short is refused, with one line; what a file leaves out of the optional sections
/// is said, each once.
@Suite struct RequiredSectionsTests {
    static let shippedPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("config/booking.yaml").path
    static let shipped = (try? String(contentsOfFile: shippedPath, encoding: .utf8)) ?? ""

    /// Parses `text` as a daemon does at start: read, then the required sections.
    func refusal(_ text: String) -> ConfigurationError? {
        do {
            try SuiteConfiguration.parse(text, file: Self.shippedPath).requireSections()
            return nil
        } catch {
            return error
        }
    }

    @Test func theShippedFileHasEveryRequiredSection() throws {
        #expect(!Self.shipped.isEmpty)
        #expect(refusal(Self.shipped) == nil)
    }

    /// Every cut before the last required section begins: at a line's end and in its middle,
    /// and at 25 %, 50 % and 75 % of the file's bytes.
    @Test func everyCutBeforeTheLastRequiredSectionIsRefusedInOneLineNamingTheFile() throws {
        let bytes = Array(Self.shipped.utf8)
        let lastSection = try #require(Self.shipped.range(of: "\nweb:\n")).lowerBound.utf16Offset(in: Self.shipped)
        var cuts = [bytes.count / 4, bytes.count / 2, bytes.count * 3 / 4].filter { $0 <= lastSection }
        var lineStart = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") && index <= lastSection {
            cuts += [index + 1, (lineStart + index) / 2]
            lineStart = index + 1
        }
        #expect(cuts.count > 200)
        for cut in cuts {
            let text = String(decoding: bytes.prefix(cut), as: UTF8.self)
            guard let error = refusal(text) else {
                Issue.record("a cut at byte \(cut) was accepted: …\(text.suffix(40).debugDescription)")
                continue
            }
            #expect(error.description.hasPrefix(Self.shippedPath + ": "), "\(cut): \(error)")
            #expect(!error.description.contains("\n"), "\(cut): one line: \(error)")
        }
    }

    @Test func aFileWithoutTheWebSectionNamesIt() throws {
        let text = String(Self.shipped[..<(try #require(Self.shipped.range(of: "\nweb:\n")).lowerBound)])
        let error = try #require(refusal(text))
        #expect(error.description.contains("has no `web` section; every daemon requires calendar, consultants, notifications, web"), "\(error)")
    }

    @Test func aSectionWithNothingInItIsMissing() throws {
        let withoutWeb = String(Self.shipped[..<(try #require(Self.shipped.range(of: "\nweb:\n")).lowerBound)])
        let error = try #require(refusal(withoutWeb + "\nweb:\n"))
        #expect(error.description.contains("no `web` section"), "\(error)")
    }

    @Test func garbageIsOneLineWithoutTheFilesBytes() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let garbage = String(decoding: (0..<400).map { _ in UInt8.random(in: 0...255, using: &generator) }, as: UTF8.self)
            guard let error = refusal(garbage) else { continue }
            #expect(!error.description.unicodeScalars.contains { $0.properties.generalCategory == .control }, "\(error.description.debugDescription)")
        }
        let error = try #require(refusal("calendar: [1, 2\nconsultants: {\n"))
        #expect(error.description.contains("not valid YAML: line 2"), "\(error)")
    }

    @Test func eachOptionalSectionLeftOutIsOneLineSayingItsDefault() throws {
        let configuration = try SuiteConfiguration.parse("calendar: {}\nconsultants: []\nnotifications: {}\nweb: {}\n", file: "/etc/booking/booking.yaml")
        let lines = configuration.defaultsApplied(by: "notifyd")
        #expect(lines.contains("/etc/booking/booking.yaml has no `metrics` section: notifyd serves no metrics"), "\(lines)")
        #expect(lines.contains("/etc/booking/booking.yaml has no `state_directory` section: databases in /var/lib/booking"), "\(lines)")
        #expect(lines.contains("/etc/booking/booking.yaml has no `backups` section: no daily backups (bookctl backup takes one)"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("/etc/booking/booking.yaml has no `access` section: admins are root and the group booking-admin; the daemons run as availabilityd booking, bookingd booking") }, "\(lines)")
        #expect(lines.count == 9, "one line per section: \(lines)")
        #expect(try SuiteConfiguration.parse(Self.shipped, file: Self.shippedPath).defaultsApplied(by: nil).map { $0.split(separator: "`")[1] } == ["endpoints"])
    }
}

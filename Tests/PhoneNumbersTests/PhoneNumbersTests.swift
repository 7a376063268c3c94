import Foundation
import PhoneNumbers
import Testing

struct PhoneNumbersTests {
    static let support = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("support")
    static let accepted: [PhoneNumberType] = [.fixedLine, .mobile, .fixedLineOrMobile, .voip, .personalNumber]

    struct Row: Sendable, CustomTestStringConvertible {
        let region: String?, text: String, expected: String
        var testDescription: String { "\(region ?? "-") \(text)" }
    }

    static let rows: [Row] = {
        let table = try! String(contentsOf: support.appendingPathComponent("numbers.tsv"), encoding: .utf8)
        return table.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return Row(region: fields[0] == "-" ? nil : fields[0], text: fields[1], expected: fields[2])
        }
    }()

    /// The table's notation: E.164, or `reason@REGION`.
    static func outcome(_ row: Row) -> String {
        do {
            return try PhoneNumbers.e164(row.text, region: row.region, accepting: Set(accepted))
        } catch {
            let reason = switch error.reason {
            case .wrongType(let type): "wrongType.\(type.rawValue)"
            default: "\(error.reason)"
            }
            return "\(reason)@\(error.region ?? "-")"
        }
    }

    @Test func theTableCoversEnough() {
        let rows = Self.rows
        #expect(rows.count >= 40)
        #expect(Set(rows.compactMap(\.region)).count >= 10)
        #expect(rows.contains { $0.expected.hasPrefix("+") } && rows.contains { !$0.expected.hasPrefix("+") })
        #expect(rows.contains { $0.text.hasPrefix("+") } && rows.contains { !$0.text.hasPrefix("+") })
    }

    @Test(arguments: rows) func answersAsTheTableSays(_ row: Row) {
        #expect(Self.outcome(row) == row.expected)
    }

    /// Python's phonenumbers (pinned in script/bootstrap to the version of Debian's
    /// libphonenumber) reads the same table; a disagreement is ours or the table's to explain.
    @Test func pythonsPhonenumbersAgreesWithTheTable() throws {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", Self.support.appendingPathComponent("oracle.py").path] + Self.accepted.map(\.rawValue)
        python.standardInput = try FileHandle(forReadingFrom: Self.support.appendingPathComponent("numbers.tsv"))
        let output = Pipe()
        python.standardOutput = output
        try python.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        python.waitUntilExit()
        #expect(python.terminationStatus == 0)
        let answers = String(decoding: printed, as: UTF8.self).split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).last.map(String.init) ?? "" }
        #expect(answers.count == Self.rows.count)
        for (row, answer) in zip(Self.rows, answers) {
            #expect(answer == row.expected, "phonenumbers on \(row.region ?? "-") \(row.text)")
        }
    }

    @Test func examplesAndCallingCodes() throws {
        let gb = try #require(PhoneNumbers.example(region: "GB"))
        #expect(gb.national == "07400 123456")
        #expect(gb.international == "+44 7400 123456")
        #expect(PhoneNumbers.example(region: "RU")?.international == "+7 912 345-67-89")
        #expect(PhoneNumbers.example(region: "XX") == nil)
        #expect(PhoneNumbers.callingCode(region: "GB") == 44)
        #expect(PhoneNumbers.callingCode(region: "KZ") == 7)
        #expect(PhoneNumbers.callingCode(region: "XX") == nil)
        // Every region of the picker has an example to show.
        #expect(PhoneNumbers.regions.count > 200)
        #expect(PhoneNumbers.regions.allSatisfy { PhoneNumbers.example(region: $0) != nil && PhoneNumbers.callingCode(region: $0) != nil })
        // Examples parse back to themselves, national and international.
        for region in ["RU", "GB", "US", "DE", "JP"] {
            let example = try #require(PhoneNumbers.example(region: region))
            let accepted = Set(PhoneNumberType.allCases)
            #expect(try PhoneNumbers.e164(example.national, region: region, accepting: accepted)
                == PhoneNumbers.e164(example.international, region: nil, accepting: accepted))
        }
    }

    @Test func aRegionCodeInLowerCaseIsTheSameCountry() throws {
        #expect(try PhoneNumbers.e164("07400 123456", region: "gb", accepting: Set(Self.accepted)) == "+447400123456")
        #expect(throws: PhoneNumberError(.unknownRegion, region: "XX")) { try PhoneNumbers.e164("07400 123456", region: "xx", accepting: Set(Self.accepted)) }
    }

    @Test func theZoneSaysTheCountry() {
        #expect(PhoneNumbers.likelyRegion(timeZone: "Europe/London", otherwise: "RU") == "GB")
        #expect(PhoneNumbers.likelyRegion(timeZone: "America/New_York", otherwise: "GB") == "US")
        #expect(PhoneNumbers.likelyRegion(timeZone: "Asia/Almaty", otherwise: "RU") == "KZ")
        #expect(PhoneNumbers.likelyRegion(timeZone: "Europe/Moscow", otherwise: "GB") == "RU")
        #expect(PhoneNumbers.likelyRegion(timeZone: "Etc/UTC", otherwise: "GB") == "GB")
        #expect(PhoneNumbers.likelyRegion(timeZone: "Not/AZone", otherwise: "RU") == "RU")
    }
}

import DaemonKit
import Foundation
import Logging
import Testing

@Suite struct LoggingTests {
    @Test func underJournaldALineHasAPriorityAndNoTimestampOfItsOwn() {
        var handler = LineLogHandler(label: "bookingd", level: .info, underJournal: true)
        handler[metadataKey: "correlation_id"] = "m-1"
        let line = handler.format(level: .warning, message: "slow commit", metadata: ["elapsed": "0.2"], at: Date(timeIntervalSince1970: 0))
        #expect(line == "<4>warning bookingd: slow commit correlation_id=m-1 elapsed=0.2\n")
    }

    @Test func onATerminalALineStartsWithItsTime() {
        let handler = LineLogHandler(label: "availabilityd", level: .info, underJournal: false)
        let line = handler.format(level: .info, message: "started", metadata: nil, at: Date(timeIntervalSince1970: 1_796_108_400))
        #expect(line == "2026-12-01T07:00:00.000Z info availabilityd: started\n")
    }

    @Test(arguments: [true, false])
    func aValueCannotStartANewLine(underJournal: Bool) {
        var handler = LineLogHandler(label: "bookingd", level: .info, underJournal: underJournal)
        handler[metadataKey: "correlation_id"] = "m-1\n<3>error bookingd: forged"
        let line = handler.format(level: .info, message: "user \("root\r\nfake")", metadata: ["user": "a\u{1B}[31m\u{85}\u{2028}b"],
                                  at: Date(timeIntervalSince1970: 0))
        #expect(line.filter(\.isNewline).count == 1)
        #expect(line.hasSuffix("\n"))
        #expect(!line.unicodeScalars.contains { $0.properties.generalCategory == .control && $0 != "\n" })
        #expect(line.contains(#"correlation_id=m-1\n<3>error bookingd: forged"#))
        #expect(line.contains(#"user root\r\nfake"#))
        #expect(line.contains(#"user=a\u{1B}[31m\u{85}\u{2028}b"#))
    }
}

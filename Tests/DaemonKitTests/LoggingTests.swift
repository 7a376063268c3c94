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
}

import BookingProtocol
import CivilTime
import Foundation
import Logging
import NIOConcurrencyHelpers
import Synchronization

/// One line per event on stderr. Under systemd (`JOURNAL_STREAM` set) the line has no
/// timestamp of its own and starts with a `<N>` syslog priority prefix that journald reads.
public struct LineLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    /// The process-wide level, so a reload changes it for every logger at once.
    public var logLevel: Logger.Level {
        get { SuiteLogging.level }
        set { SuiteLogging.level = newValue }
    }
    private let label: String
    private let underJournal: Bool

    public init(label: String, level: Logger.Level, underJournal: Bool = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil) {
        self.label = label
        self.underJournal = underJournal
        SuiteLogging.level = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let line = format(level: event.level, message: event.message, metadata: event.metadata, at: Date())
        Self.output.withLockedValue { _ in
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// One line: under journald a `<priority>` prefix and no timestamp (journald adds its own),
    /// otherwise an ISO 8601 timestamp; then level, label, message, and the metadata sorted by key.
    public func format(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, at date: Date) -> String {
        var line = ""
        if underJournal {
            line += "<\(Self.priority(level))>"
        } else {
            line += ISO8601.instant(date) + " "
        }
        line += "\(level) \(label): \(WireText.escaped(message.description))"
        var merged = metadata
        if let extra { merged.merge(extra) { $1 } }
        for key in merged.keys.sorted() {
            line += " \(WireText.escaped(key))=\(WireText.escaped(merged[key]!.description))"
        }
        return line + "\n"
    }

    private static let output = NIOLockedValueBox(())

    private static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}

public enum SuiteLogging {
    private static let current = Atomic<Int>(Logger.Level.info.index)

    static var level: Logger.Level {
        get { Logger.Level.allCases[current.load(ordering: .relaxed)] }
        set { current.store(newValue.index, ordering: .relaxed) }
    }

    /// Installs the line handler once per process.
    public static func bootstrap(level: String) {
        let parsed = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, level: parsed) }
    }

    public static func setLevel(_ name: String) {
        if let parsed = Logger.Level(rawValue: name) { level = parsed }
    }
}

extension Logger.Level {
    fileprivate var index: Int { Logger.Level.allCases.firstIndex(of: self) ?? 2 }
}

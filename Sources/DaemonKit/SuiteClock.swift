import Foundation

/// Every clock read of the suite goes through here. In production it is the system clock; a
/// configuration may start it at a chosen instant (tests, demos), after which it runs at real
/// speed, so every daemon started with the same file agrees on "now".
public struct SuiteClock: Sendable {
    private let offset: TimeInterval

    public init(start: Date? = nil, referenceStart: Date = Date()) {
        offset = start.map { $0.timeIntervalSince(referenceStart) } ?? 0
    }

    public func now() -> Date {
        Date().addingTimeInterval(offset)
    }

    public static let system = SuiteClock()
}

extension SuiteClock {
    /// For a configured `clock.start`, the offset is fixed when the first process reads it;
    /// daemons started later must agree, so the start is taken relative to the file's own
    /// modification time rather than to each process' start.
    public init(configuration: SuiteConfiguration) {
        guard let start = configuration.clockStart else {
            self.init()
            return
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: configuration.file)
        let reference = (attributes?[.modificationDate] as? Date) ?? Date()
        self.init(start: start, referenceStart: reference)
    }
}

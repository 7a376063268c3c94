import Foundation

/// Every clock read of the suite goes through here. In production it is the system clock; a
/// configuration may start it at a chosen instant (tests, demos), after which it runs at real
/// speed, or `rate` times as fast, so every daemon started with the same file agrees on "now".
public struct SuiteClock: Sendable {
    /// The suite's instant at `reference`; none for the system clock.
    private let start: Date?
    private let reference: Date
    /// Suite seconds per real second.
    public let rate: Double

    public init(start: Date? = nil, referenceStart: Date = Date(), rate: Double = 1) {
        self.start = start
        self.reference = referenceStart
        self.rate = start == nil ? 1 : rate
    }

    public func now() -> Date {
        guard let start else { return Date() }
        return start.addingTimeInterval(Date().timeIntervalSince(reference) * rate)
    }

    /// The real time to wait for `interval` seconds of the suite's time to pass: every wait for
    /// a suite instant goes through here, so a faster clock keeps its schedules.
    public func realDuration(of interval: TimeInterval) -> Duration {
        .seconds(interval / rate)
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
        self.init(start: start, referenceStart: reference, rate: configuration.clockRate)
    }
}

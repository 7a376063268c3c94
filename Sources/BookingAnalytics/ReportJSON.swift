import BookingProtocol

/// The report as the suite's JSON: snake_case keys, instants in UTC; a figure with no data has
/// no `value` and the verdict `no_data`.
public enum ReportJSON {
    public static func write(_ report: BookingReport) throws -> [UInt8] {
        try WireJSON.encode(report)
    }

    public static func read(_ bytes: [UInt8]) throws -> BookingReport {
        try WireJSON.decode(BookingReport.self, from: bytes)
    }
}

import Foundation

/// How long a test waits for an answer it expects. Under ThreadSanitizer the code runs several
/// times slower, so a wait that is generous in an ordinary run expires before the answer comes;
/// `script/test-sanitizers` sets `BOOKING_TEST_TIME_FACTOR` and every such wait is stretched by it.
/// The waits a test expects to expire (a dependency that never answers) are stretched alike, so
/// what the test compares stays in proportion.
public enum TestTimeouts {
    public static let factor: Int = {
        guard let text = ProcessInfo.processInfo.environment["BOOKING_TEST_TIME_FACTOR"], let factor = Int(text), factor >= 1 else { return 1 }
        return factor
    }()

    public static func scaled(_ duration: Duration) -> Duration { duration * factor }
}

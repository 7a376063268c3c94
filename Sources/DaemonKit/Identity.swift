import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum SuiteVersion {
    public static let current = "0.1.0"
}

public enum OSUser {
    /// The name of the user running this process (for the audit trail of admin commands).
    public static var current: String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name {
            return String(cString: name)
        }
        return "uid \(geteuid())"
    }
}

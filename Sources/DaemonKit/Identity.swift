import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum SuiteVersion {
    public static let current = "0.1.0"
}

/// A user of this machine, from the password and group databases.
public struct OSUser: Sendable {
    public let name: String
    let primaryGroup: gid_t

    /// The name of the user running this process (for the audit trail of admin commands).
    public static var current: String {
        OSUser(uid: geteuid())?.name ?? "uid \(geteuid())"
    }

    /// nil if the password database has no such user.
    public init?(uid: UInt32) {
        var entry = passwd()
        var found: UnsafeMutablePointer<passwd>? = nil
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &found) == 0, found != nil, let name = entry.pw_name else { return nil }
        self.name = String(cString: name)
        primaryGroup = entry.pw_gid
    }

    /// Whether the user belongs to `group` (as its primary group or a supplementary one), as the
    /// group database says now (the request servers look it up again every two seconds at most:
    /// `PeerIdentities`).
    public func isMember(of group: String) -> Bool {
        var entry = group_t()
        var found: UnsafeMutablePointer<group_t>? = nil
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getgrnam_r(group, &entry, &buffer, buffer.count, &found) == 0, found != nil else { return false }
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, primaryGroup, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            guard getgrouplist(name, primaryGroup, &groups, &count) >= 0 else { return false }
        }
        return groups.prefix(Int(count)).contains(entry.gr_gid)
    }
}

private typealias group_t = Glibc.group

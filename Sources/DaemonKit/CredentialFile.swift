import Foundation

/// A secret the configuration names by file (an SMTP password, a calendar's app password): under
/// systemd a credential of that name (`LoadCredential=`, in $CREDENTIALS_DIRECTORY), otherwise a
/// path, relative to the configuration file's directory.
public enum CredentialFile {
    public struct Unreadable: Error, Sendable, Equatable, CustomStringConvertible {
        public var problem: String
        public var description: String { problem }
    }

    /// The secret, without surrounding white space; `daemon` is named in the advice.
    public static func read(_ name: String, configuration: SuiteConfiguration, daemon: String) throws(Unreadable) -> String {
        var path = configuration.path(name)
        let credentials = name.contains("/") ? nil : ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"]
        if let credentials {
            let candidate = (credentials as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: candidate) { path = candidate }
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            // The unit loads optional credentials from systemd's credential store: say where it looks.
            let store = credentials == nil ? "" : "; under systemd, put it in /etc/credstore/booking.\(name) (mode 0600) and restart \(daemon)"
            throw Unreadable(problem: "cannot read '\(path)'\(store)")
        }
        let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw Unreadable(problem: "'\(path)' is empty") }
        return value
    }
}

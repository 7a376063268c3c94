import Foundation

/// A secret the configuration names by file (an SMTP password, a calendar's app password): under
/// systemd a credential of that name (`LoadCredential=`, in $CREDENTIALS_DIRECTORY), otherwise a
/// path, relative to the configuration file's directory.
public enum CredentialFile {
    public struct Unreadable: Error, Sendable, Equatable, CustomStringConvertible {
        public var problem: String
        public var description: String { problem }
    }

    /// The secret, without surrounding white space; `daemon` is named in the advice. `privateFile`:
    /// a file (not a credential, which systemd keeps private) that others may read is refused, as
    /// ssh refuses such a private key.
    public static func read(_ name: String, configuration: SuiteConfiguration, daemon: String, privateFile: Bool = false) throws(Unreadable) -> String {
        let (path, isCredential) = self.path(name, configuration: configuration)
        let credentials = name.contains("/") ? nil : ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"]
        var status = stat()
        if privateFile, !isCredential, stat(path, &status) == 0, status.st_mode & 0o077 != 0 {
            throw Unreadable(problem: "'\(path)' may be read by others (mode \(String(status.st_mode & 0o777, radix: 8))); make it 0600")
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

    /// Where the secret `name` is: the systemd credential of that name if there is one, else the
    /// file, relative to the configuration file; for a reader that reads it again later.
    public static func path(_ name: String, configuration: SuiteConfiguration) -> (path: String, isCredential: Bool) {
        if !name.contains("/"), let credentials = ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"] {
            let candidate = (credentials as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: candidate) { return (candidate, true) }
        }
        return (configuration.path(name), false)
    }
}

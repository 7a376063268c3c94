import Foundation

/// Programs run with posix_spawn and waitpid: Foundation's Process on Linux can miss the exit
/// of a child that left a daemon behind (`pg_ctl start`), and wait for ever.
///
/// A child gets standard input, output and error and nothing else: an inherited descriptor
/// (another test's pipe to a loopback server) would keep that pipe open for the server's
/// lifetime, and the server it feeds would never see its end.
enum ChildProcess {
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// glibc 2.34's posix_spawn_file_actions_addclosefrom_np, which Swift's Glibc does not import.
    private static let addCloseFrom: AddCloseFrom? = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }

    /// Runs `arguments` in `directory`, its output appended to `log`; its exit status.
    static func run(_ arguments: [String], in directory: String, log: String) throws -> Int32 {
        let pid = try spawn(arguments, in: directory, input: nil, log: log)
        return try wait(pid)
    }

    /// Starts `arguments` in `directory`; `input` (a pipe's read end) becomes its standard input.
    static func spawn(_ arguments: [String], in directory: String, input: Int32?, log: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let input {
            posix_spawn_file_actions_adddup2(&actions, input, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        guard let addCloseFrom else {
            throw PostgresTestServerError.failed(command: arguments.joined(separator: " "), output: "glibc 2.34 or later is needed (posix_spawn_file_actions_addclosefrom_np)")
        }
        _ = addCloseFrom(&actions, 3)
        // The directory through the shell, so the program (and a user it becomes) starts there.
        let command = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory] + arguments
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, command[0], &actions, nil, argv, environ)
        guard status == 0 else { throw PostgresTestServerError.failed(command: arguments.joined(separator: " "), output: String(cString: strerror(status))) }
        return pid
    }

    static func wait(_ pid: pid_t) throws -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw PostgresTestServerError.failed(command: "waitpid \(pid)", output: String(cString: strerror(errno))) }
        }
        // WIFEXITED / WEXITSTATUS, which Swift does not import.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}

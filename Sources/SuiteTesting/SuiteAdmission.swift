/// How many in-process suites may run at once in one test process.
///
/// Swift Testing starts every test at once. Each in-process suite runs two or three daemons with
/// their socket threads and ZeroMQ's I/O threads, and dozens of them on two cores starve each
/// other until a daemon that is only waiting for a core is taken for one that does not answer
/// (stop 21's CI: `bookingd did not answer within 6332 ms` in a 47 s run). A test waits here
/// before its suite starts, so the wait never counts against the deadlines the test checks.
actor SuiteAdmission {
    static let shared = SuiteAdmission(limit: 3)

    private let limit: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = limit }

    func enter() async {
        if running < limit {
            running += 1
            return
        }
        // The leaving suite hands its place to the first waiting one, so `running` stays as is.
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

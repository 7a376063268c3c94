import NIOConcurrencyHelpers

/// Runs one catch-up at a time; a request that arrives meanwhile makes the running one go
/// round once more instead of starting a second, interleaved replay.
public final class CoalescingRunner: Sendable {
    private let state = NIOLockedValueBox((running: false, again: false))

    public init() {}

    public func run(_ body: () async -> Void) async {
        let starts = state.withLockedValue { state -> Bool in
            if state.running {
                state.again = true
                return false
            }
            state.running = true
            return true
        }
        guard starts else { return }
        repeat {
            await body()
        } while state.withLockedValue { state -> Bool in
            if state.again {
                state.again = false
                return true
            }
            state.running = false
            return false
        }
    }
}

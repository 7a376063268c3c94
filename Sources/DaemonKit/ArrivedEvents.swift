import NIOConcurrencyHelpers

/// What the subscription brought and the follower has not applied yet, and whether a catch-up by
/// replay is due. Bounded: a follower slower than the stream holds at most `capacity` events and
/// lets the rest go, to be replayed from bookingd's log, so its memory does not grow with its lag.
public final class ArrivedEvents<Event: Sendable>: Sendable {
    public let capacity: Int
    private let state: NIOLockedValueBox<(events: [Event], catchUpDue: Bool)>

    /// A catch-up is due at first: the follower has no starting point yet.
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        state = NIOLockedValueBox(([], true))
    }

    /// Keeps `event`, or lets it go and asks for a catch-up when `capacity` are waiting.
    public func arrive(_ event: Event) {
        state.withLockedValue { state in
            guard state.events.count < capacity else {
                state.catchUpDue = true
                return
            }
            state.events.append(event)
        }
    }

    public func requestCatchUp() {
        state.withLockedValue { $0.catchUpDue = true }
    }

    /// Whether a catch-up was due, and clears it.
    public func takeCatchUp() -> Bool {
        state.withLockedValue { state in
            defer { state.catchUpDue = false }
            return state.catchUpDue
        }
    }

    /// The oldest waiting events, at most `limit`, in arrival order.
    public func take(upTo limit: Int) -> [Event] {
        state.withLockedValue { state in
            let taken = Array(state.events.prefix(max(1, limit)))
            state.events.removeFirst(taken.count)
            return taken
        }
    }
}

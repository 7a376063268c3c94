import Synchronization

/// A setting that `reload` may replace while requests read it.
public final class Reloadable<Value: Sendable>: Sendable {
    private let state: Mutex<Value>

    public init(_ value: Value) {
        state = Mutex(value)
    }

    public var value: Value {
        state.withLock { $0 }
    }

    public func replace(with value: Value) {
        state.withLock { $0 = value }
    }
}

import NIOConcurrencyHelpers

/// A setting that `reload` may replace while requests read it.
public final class Reloadable<Value: Sendable>: Sendable {
    private let state: NIOLockedValueBox<Value>

    public init(_ value: Value) {
        state = NIOLockedValueBox(value)
    }

    public var value: Value {
        state.withLockedValue { $0 }
    }

    public func replace(with value: Value) {
        state.withLockedValue { $0 = value }
    }
}

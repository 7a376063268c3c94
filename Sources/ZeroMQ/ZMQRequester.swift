/// Multiplexes many concurrent requests over one DEALER socket, connected to every endpoint
/// given (libzmq spreads requests over the connected ones, round-robin): each reply is matched to its
/// request by a correlation id that `correlationID` extracts from the reply frames (on the socket's
/// I/O thread, so it must be cheap). Replies without a matching in-flight request (late, unknown,
/// or `nil` id) are discarded.
public final class ZMQRequester: Sendable {
    private let socket: ZMQSocket

    public convenience init(context: ZMQContext, endpoint: String, options: SocketOptions = SocketOptions(),
                            label: String = "requester",
                            correlationID: @escaping @Sendable ([[UInt8]]) -> String?) async throws {
        try await self.init(context: context, endpoints: [endpoint], options: options, label: label, correlationID: correlationID)
    }

    public init(context: ZMQContext, endpoints: [String], options: SocketOptions = SocketOptions(),
                label: String = "requester",
                correlationID: @escaping @Sendable ([[UInt8]]) -> String?) async throws {
        let core = try context.makeCore(.dealer, options: options, label: label, router: correlationID)
        socket = ZMQSocket(core: core)
        do {
            for endpoint in endpoints { try await socket.connect(endpoint) }
        } catch {
            await socket.close()
            throw error
        }
    }

    /// Sends `frames` and waits for the reply carrying `correlationID`. Throws
    /// `ZMQSocketError.timeout` at the deadline (a late reply is then discarded), `CancellationError`
    /// if the task is cancelled, `ZMQError` with EALREADY if `correlationID` is already in flight,
    /// and the close / shutdown error if the socket goes away first.
    public func request(_ frames: [[UInt8]], correlationID: String, timeout: Duration) async throws -> [[UInt8]] {
        try await socket.core.dispatchRequest(frames, correlationID: correlationID, deadline: .now + timeout).frames
    }

    public var lastHeartbeat: ContinuousClock.Instant { socket.lastHeartbeat }

    public func close() async {
        await socket.close()
    }
}

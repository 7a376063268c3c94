import CivilTime
import ZeroMQ

/// @chat over ZeroMQ: PUSH connects to @chat's PULL socket; PUB binds and @chat subscribes.
public final class ZMQChatSink: Sendable {
    public enum Pattern: String, Sendable { case push, pub }

    public let endpoint: String
    public let pattern: Pattern
    /// How long a PUSH send may wait for a connected peer before failing transiently.
    public let sendTimeout: Duration
    private let socket: ZMQSocket

    public init(context: ZMQContext, endpoint: String, pattern: Pattern, sendTimeout: Duration = .seconds(5)) async throws {
        var options = SocketOptions()
        // ZMQ_IMMEDIATE: PUSH queues only for a connected peer, so "no @chat" shows as a send
        // that cannot complete (and times out) instead of messages piling up unseen.
        options.immediate = pattern == .push
        options.linger = .seconds(1)
        options.maxMessageSize = -1
        let socket = try context.socket(pattern == .push ? .push : .pub, options: options, label: "chat-\(pattern.rawValue)")
        do {
            switch pattern {
            case .push: try await socket.connect(endpoint)
            case .pub: try await socket.bind(endpoint)
            }
        } catch {
            await socket.close()
            throw error
        }
        self.socket = socket
        self.endpoint = pattern == .pub ? (socket.lastEndpoint ?? endpoint) : endpoint
        self.pattern = pattern
        self.sendTimeout = sendTimeout
    }

    /// One multipart message. PUB never waits (no subscriber: ZeroMQ drops it); PUSH waits for a
    /// peer at most `sendTimeout`.
    public func send(_ frames: [[UInt8]]) async throws(DeliveryFailure) {
        let socket = self.socket
        let timeout = sendTimeout
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await socket.send(frames) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw SendTimedOut()
                }
                try await group.next()
                group.cancelAll()
            }
        } catch is SendTimedOut {
            throw .transient("no ZeroMQ peer took the message within \(timeout.secondsText) (\(pattern.rawValue) \(endpoint))")
        } catch let error as ZMQSocketError {
            switch error {
            case .messageTooLarge(let size): throw .permanent("chat message too large for ZeroMQ (\(size) bytes)")
            case .closed: throw .transient("ZeroMQ chat socket closed (\(endpoint))")
            case .timeout: throw .transient("timed out after \(timeout.secondsText) (\(endpoint))")
            }
        } catch is CancellationError {
            throw .transient("chat send cancelled (\(endpoint))")
        } catch {
            throw .transient("ZeroMQ send to \(endpoint) failed: \(error)")
        }
    }

    public func close() async {
        await socket.close()
    }
}

private struct SendTimedOut: Error {}

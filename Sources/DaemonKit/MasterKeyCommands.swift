import BookingProtocol
import FieldEncryption
import Foundation
import Logging
import SQLiteStorage
import SharedTables

/// `master_key`, `rotate_master` and `rotate_master_finish` for a daemon whose database is sealed
/// (bookingd, notifyd): the store does the work (`MasterKeyRotation`), this maps it to the wire.
public struct MasterKeyCommands: Sendable {
    public typealias Step = @Sendable (MasterKey, Int) async throws -> RotationProgress
    public typealias Finish = @Sendable (String) async throws -> String?

    /// Client keys per step: bookctl's `--batch` is held to the same bounds.
    public static let limits = 1...10_000
    public static let defaultLimit = 500

    let daemon: String
    let origin: MasterKeySource.Origin
    let credentialName: String
    let state: @Sendable () async throws -> MasterKeyState
    let step: Step
    let finish: Finish
    let logger: Logger

    public init(daemon: String, origin: MasterKeySource.Origin, credentialName: String, state: @escaping @Sendable () async throws -> MasterKeyState,
                step: @escaping Step, finish: @escaping Finish, logger: Logger) {
        self.daemon = daemon
        self.origin = origin
        self.credentialName = credentialName
        self.state = state
        self.step = step
        self.finish = finish
        self.logger = logger
    }

    public func addRoutes(to routes: inout RequestRoutes) {
        routes.on(MessageType.masterKey, Empty.self) { _, _ in try await status() }
        routes.on(MessageType.rotateMaster, RotateMasterRequest.self) { request, header in try await rotate(request, header) }
        routes.on(MessageType.rotateMasterFinish, RotateMasterFinishRequest.self) { request, header in try await finish(request, header) }
    }

    private func status() async throws -> MasterKeyStatusReply {
        let state = try await state()
        let (source, credential, file): (String, String?, String?) = switch origin {
        case .credential: ("credential", credentialName, nil)
        // Absolute: bookctl, which writes the next key beside it, runs in another directory.
        case .developmentFile(let path), .newDevelopmentFile(let path):
            ("file", nil, path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path)
        }
        return MasterKeyStatusReply(daemon: daemon, fingerprint: state.keyring, source: source, credential: credential, file: file,
                                    clientKeys: state.clientKeys, rotationFrom: state.rotation?.from, rotationTo: state.rotation?.to,
                                    remaining: state.remaining)
    }

    private func rotate(_ request: RotateMasterRequest, _ header: MessageHeader) async throws -> RotateMasterReply {
        let next: MasterKey
        do {
            next = MasterKey(try SecretKey(keyFile: Array(request.key.utf8)))
        } catch {
            throw ProtocolError(.validationFailed, "the new master key: \(error)", field: "key")
        }
        let limit = request.limit ?? Self.defaultLimit
        guard Self.limits.contains(limit) else {
            throw ProtocolError(.validationFailed, "limit is \(Self.limits.lowerBound) to \(Self.limits.upperBound) client keys per step", field: "limit")
        }
        let progress: RotationProgress
        do {
            progress = try await step(next, limit)
        } catch let refusal as RotationRefusal {
            throw Self.wire(refusal)
        }
        let metadata: Logger.Metadata = ["from": "\(progress.from)", "to": "\(progress.to)", "rewrapped": "\(progress.rewrapped)",
                                         "remaining": "\(progress.remaining)", "user": "\(header.user ?? "-")"]
        if progress.rewrappedAll {
            logger.notice("every client key is under the new master key; the old one opens the database until the rotation is finished", metadata: metadata)
        } else {
            logger.info("master key rotation step", metadata: metadata)
        }
        return RotateMasterReply(daemon: daemon, from: progress.from, to: progress.to, rewrapped: progress.rewrapped, remaining: progress.remaining,
                                 rewrappedAll: progress.rewrappedAll, finished: false)
    }

    private func finish(_ request: RotateMasterFinishRequest, _ header: MessageHeader) async throws -> RotateMasterReply {
        let retired: String?
        do {
            retired = try await finish(request.fingerprint)
        } catch let refusal as RotationRefusal {
            throw Self.wire(refusal)
        }
        if let retired {
            logger.notice("master key rotation finished: the old key opens nothing any more", metadata: [
                "from": "\(retired)", "to": "\(request.fingerprint)", "user": "\(header.user ?? "-")",
            ])
        }
        return RotateMasterReply(daemon: daemon, from: retired ?? "", to: request.fingerprint, rewrapped: 0, remaining: 0,
                                 rewrappedAll: true, finished: true)
    }

    static func wire(_ refusal: RotationRefusal) -> ProtocolError {
        switch refusal {
        case .sameKey: ProtocolError(.validationFailed, "\(refusal)", field: "key")
        case .otherRotation, .notRewrapped: ProtocolError(.conflict, "\(refusal)")
        case .noRotation: ProtocolError(.notFound, "\(refusal)", field: "fingerprint")
        }
    }
}

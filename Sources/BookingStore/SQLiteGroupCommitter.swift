import Deadlines
import Foundation
import GRDB
import NIOConcurrencyHelpers
import SQLiteStorage
import StoreSQL

/// Collects changes while the writer is busy and writes each batch in one transaction. The
/// batch's events are numbered at its end, together (`EventLog`): a member that is refused (its
/// savepoint rolled back) takes no number, and a batch written again takes them again.
final class GroupCommitter: Sendable {
    typealias Work = @Sendable (SQLiteTransaction) throws -> ChangeOutcome

    private let pending = PendingChanges()
    private let wake: AsyncStream<Void>.Continuation

    init(pool: DatabasePool) {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        wake = continuation
        let pending = self.pending
        Task {
            for await _ in stream {
                while case let batch = pending.takeBatch(), !batch.isEmpty {
                    await Self.write(batch, to: pool)
                }
            }
        }
    }

    deinit {
        wake.finish()
    }

    /// The change is committed only if the current request's deadline has not passed just
    /// before its batch commits.
    func submit(_ work: @escaping Work) async throws -> ChangeResult {
        let deadline = RequestDeadline.current
        return try await withCheckedThrowingContinuation { continuation in
            pending.append(PendingChanges.Item(work: work, deadline: deadline, continuation: continuation))
            wake.yield()
        }
    }

    /// Writes the batch in one transaction. Just before COMMIT, a member whose deadline passed
    /// while the batch was written makes the transaction roll back; it is refused and the others
    /// are written again without it, so no member is committed after its client gave up.
    private static func write(_ batch: [PendingChanges.Item], to pool: DatabasePool) async {
        var batch = batch
        while !batch.isEmpty {
            let members = batch.map { ($0.work, $0.deadline) }
            do {
                let results = try await pool.write { db -> [Result<ChangeResult, any Error>] in
                    let transaction = SQLiteTransaction(db)
                    var results: [Result<ChangeResult, any Error>] = []
                    var events: [PendingEvent] = []
                    results.reserveCapacity(members.count)
                    for (work, _) in members {
                        do {
                            let outcome = try transaction.inSavepoint { try work(transaction) }
                            results.append(.success(outcome.result))
                            events += outcome.events
                        } catch {
                            results.append(.failure(error))
                        }
                    }
                    try EventLog.append(events, in: transaction)
                    let late: [(index: Int, deadline: Date)] = results.indices.compactMap { index in
                        guard case .success(let result) = results[index], !result.replayed,
                              let deadline = members[index].1, deadline.hasPassed else { return nil }
                        return (index, deadline.instant)
                    }
                    if !late.isEmpty { throw LateMembers(members: late) }
                    return results
                }
                for (item, result) in zip(batch, results) {
                    item.continuation.resume(with: result)
                }
                return
            } catch let late as LateMembers {
                for member in late.members.reversed() {
                    batch.remove(at: member.index).continuation.resume(throwing: DeadlinePassed(deadline: member.deadline))
                }
            } catch {
                // The commit itself failed (disk full, I/O error): nothing of the batch is durable.
                for item in batch {
                    item.continuation.resume(throwing: StoreError.commitFailed(problem: "\(error)"))
                }
                return
            }
        }
    }

    /// The members of a batch whose deadline passed before it could commit.
    private struct LateMembers: Error {
        var members: [(index: Int, deadline: Date)]
    }
}

/// The changes waiting for the writer.
final class PendingChanges: Sendable {
    struct Item: Sendable {
        let work: GroupCommitter.Work
        let deadline: RequestDeadline?
        let continuation: CheckedContinuation<ChangeResult, any Error>
    }

    private static let maximumBatch = 128
    private let items = NIOLockedValueBox<[Item]>([])

    func append(_ item: Item) {
        items.withLockedValue { $0.append(item) }
    }

    func takeBatch() -> [Item] {
        items.withLockedValue { items in
            let taken = Array(items.prefix(Self.maximumBatch))
            items.removeFirst(taken.count)
            return taken
        }
    }
}

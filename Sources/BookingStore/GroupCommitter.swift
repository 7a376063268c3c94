import Foundation
import GRDB
import SQLiteStorage
import Synchronization

/// Collects changes while the writer is busy and writes each batch in one transaction.
final class GroupCommitter: Sendable {
    typealias Work = @Sendable (Database) throws -> ChangeResult

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

    func submit(_ work: @escaping Work) async throws -> ChangeResult {
        try await withCheckedThrowingContinuation { continuation in
            pending.append(PendingChanges.Item(work: work, continuation: continuation))
            wake.yield()
        }
    }

    private static func write(_ batch: [PendingChanges.Item], to pool: DatabasePool) async {
        let works = batch.map(\.work)
        do {
            let results = try await pool.write { db -> [Result<ChangeResult, any Error>] in
                var results: [Result<ChangeResult, any Error>] = []
                results.reserveCapacity(works.count)
                for work in works {
                    var outcome: Result<ChangeResult, any Error> = .failure(CancellationError())
                    do {
                        try db.inSavepoint {
                            outcome = .success(try work(db))
                            return .commit
                        }
                    } catch {
                        outcome = .failure(error)
                    }
                    results.append(outcome)
                }
                return results
            }
            for (item, result) in zip(batch, results) {
                item.continuation.resume(with: result)
            }
        } catch {
            // The commit itself failed (disk full, I/O error): nothing of the batch is durable.
            for item in batch {
                item.continuation.resume(throwing: StoreError.commitFailed(problem: "\(error)"))
            }
        }
    }
}

/// The changes waiting for the writer.
final class PendingChanges: Sendable {
    struct Item: Sendable {
        let work: GroupCommitter.Work
        let continuation: CheckedContinuation<ChangeResult, any Error>
    }

    private static let maximumBatch = 128
    private let items = Mutex<[Item]>([])

    func append(_ item: Item) {
        items.withLock { $0.append(item) }
    }

    func takeBatch() -> [Item] {
        items.withLock { items in
            let taken = Array(items.prefix(Self.maximumBatch))
            items.removeFirst(taken.count)
            return taken
        }
    }
}

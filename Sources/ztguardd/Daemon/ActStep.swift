import Cloudflare
import Rules

/// The act step of `run` and `undo`: sends the actions a run decided, batch by batch. The one place
/// where actions are cut into batches, each sent as one request (``CloudflareClient/apply(_:toBatch:)``).
struct ActStep: Sendable {
    /// How the step ended.
    enum Ending: Equatable, Sendable {
        /// Every pending action was sent.
        case finished
        /// A shutdown was requested: the batch in flight was finished, and the actions not sent keep the
        /// outcome they had.
        case stopped
    }

    var client: CloudflareClient
    /// Registrations per request (`[limits] batch_size`); at least 1.
    var batchSize: Int
    /// Asked before each batch; true once a graceful shutdown began.
    var shouldStop: @Sendable () -> Bool = { false }

    /// Sends the actions of `actions` at the indices `pending`, kind by kind (unrevokes, then revokes,
    /// then deletes), `batchSize` to a request. After each batch, marks its actions `done` or `failed`
    /// (with the error) as the answer says and hands them to `record`: the done ones in the order sent,
    /// then the failed ones by registration ID. A batch that fails does not stop the others.
    func run(
        _ actions: inout [RunReport.Action], pending: [Int], record: ([RunReport.Action]) -> Void
    ) async -> Ending {
        let size = max(1, batchSize)
        for kind in [RuleAction.unrevoke, .revoke, .delete] {
            let members = pending.filter { actions[$0].action == kind }
            for start in stride(from: 0, to: members.count, by: size) {
                if shouldStop() { return .stopped }
                // One batch at a time: only a batch's IDs are strings at once.
                let batch = members[start..<min(start + size, members.count)]
                let ids = batch.map { actions[$0].registrationID }
                let indexByID = Dictionary(zip(ids, batch), uniquingKeysWith: { first, _ in first })
                let result = await client.apply(kind, toBatch: ids)
                for id in result.done { if let index = indexByID[id] { actions[index].outcome = .done } }
                for (id, error) in result.failed {
                    if let index = indexByID[id] {
                        actions[index].outcome = .failed
                        actions[index].error = error
                    }
                }
                let done = result.done.compactMap { indexByID[$0] }
                let failed = result.failed.keys.sorted().compactMap { indexByID[$0] }
                record((done + failed).map { actions[$0] })
            }
        }
        return .finished
    }
}

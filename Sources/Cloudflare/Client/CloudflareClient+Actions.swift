public import Rules

/// What became of one batch of revoke, unrevoke or delete.
public struct BatchResult: Sendable, Equatable {
    public var action: RuleAction
    /// Registrations now in the target state.
    public var done: [String]
    /// Registrations not in the target state, with the error that explains why.
    public var failed: [String: String]
}

extension CloudflareClient {
    /// Applies `action` to `registrationIDs`, `batchSize` ids per request, and reports each batch
    /// to `onBatch` as it completes. A failed batch does not stop the others.
    ///
    /// Requests are retried like reads. When a batch still fails (or a retry is refused because
    /// the first attempt did apply), the registrations are listed again and those already in the
    /// target state count as done: check, don't guess, and never act twice.
    public func apply(
        _ action: RuleAction, to registrationIDs: [String], batchSize: Int,
        onBatch: (BatchResult) async throws -> Void
    ) async throws {
        let size = max(1, batchSize)
        var start = 0
        while start < registrationIDs.count {
            let batch = Array(registrationIDs[start..<min(start + size, registrationIDs.count)])
            start += size
            try await onBatch(await applyBatch(action, to: batch, secondChance: true))
        }
    }

    private func applyBatch(_ action: RuleAction, to ids: [String], secondChance: Bool) async -> BatchResult {
        do {
            try await mutate(action, ids)
            return BatchResult(action: action, done: ids, failed: [:])
        } catch {
            if let apiError = error as? CloudflareAPIError, apiError.isAuthenticationFailure {
                return BatchResult(action: action, done: [], failed: failures(ids, error))
            }
            let reached: Set<String>
            do {
                reached = try await idsInTargetState(action, ids)
            } catch {
                return BatchResult(action: action, done: [], failed: failures(ids, error))
            }
            let done = ids.filter { reached.contains($0) }
            let remaining = ids.filter { !reached.contains($0) }
            // One id the API refuses (say, deleted meanwhile by someone else) fails a whole bulk
            // request; the others deserve one more try on their own.
            if secondChance, !done.isEmpty, !remaining.isEmpty {
                let retried = await applyBatch(action, to: remaining, secondChance: false)
                return BatchResult(action: action, done: done + retried.done, failed: retried.failed)
            }
            return BatchResult(action: action, done: done, failed: failures(remaining, error))
        }
    }

    private func mutate(_ action: RuleAction, _ ids: [String]) async throws {
        var query = QueryItems()
        for id in ids { query.append("id", id) }
        let path = accountPath + "/devices/registrations"
        switch action {
        case .revoke: _ = try await send(.post, path + "/revoke", query: query, expecting: IgnoredPayload.self)
        case .unrevoke: _ = try await send(.post, path + "/unrevoke", query: query, expecting: IgnoredPayload.self)
        case .delete: _ = try await send(.delete, path, query: query, expecting: IgnoredPayload.self)
        }
    }

    /// The subset of `ids` already in the state `action` leads to, read back from the API.
    private func idsInTargetState(_ action: RuleAction, _ ids: [String]) async throws -> Set<String> {
        var query = RegistrationQuery(status: .any)
        query.ids = ids
        query.perPage = max(ids.count, 1)
        let current = try await registrations(query)
        let present = Dictionary(current.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return Set(ids.filter { id in
            switch action {
            case .delete: present[id] == nil
            case .revoke: present[id]?.isRevoked == true
            case .unrevoke: present[id].map { !$0.isRevoked } ?? false
            }
        })
    }

    private func failures(_ ids: [String], _ error: any Error) -> [String: String] {
        Dictionary(uniqueKeysWithValues: ids.map { ($0, "\(error)") })
    }
}

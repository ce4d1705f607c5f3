public import Rules
import Logging

/// What became of one batch of revoke, unrevoke or delete.
public struct BatchResult: Sendable, Equatable {
    public var action: RuleAction
    /// Registrations now in the target state.
    public var done: [String]
    /// Registrations not in the target state, with the error that explains why.
    public var failed: [String: String]
}

extension CloudflareClient {
    /// Applies `action` to one batch of registrations, sent as one request, and says what became of each.
    /// Cutting actions into batches is the caller's (`batch_size`); nothing here throws: a failure is an
    /// outcome of the batch.
    ///
    /// An id is never sent again unread: a request that failed may still
    /// have been applied (an answer lost on the way back), so before a batch is sent again its
    /// registrations are listed, and those already in the target state count as done. Only the rest is
    /// sent again, as often as the retry policy allows for a transient failure; a refusal of the whole
    /// request that still let some of it through gets one more try for the rest (one id the API refuses,
    /// say deleted meanwhile by someone else, fails a whole bulk request). Check, don't guess, and never
    /// act twice.
    public func apply(_ action: RuleAction, toBatch ids: [String]) async -> BatchResult {
        var done: [String] = []
        var remaining = ids
        var attempts = 0
        var secondChance = true
        while true {
            attempts += 1
            let failure: any Error
            do {
                try await mutate(action, remaining)
                return BatchResult(action: action, done: done + remaining, failed: [:])
            } catch {
                failure = error
            }
            if let apiError = failure as? CloudflareAPIError, apiError.isAuthenticationFailure {
                return BatchResult(action: action, done: done, failed: failures(remaining, failure))
            }
            let reached: Set<String>
            do {
                reached = try await idsInTargetState(action, remaining)
            } catch {
                return BatchResult(action: action, done: done, failed: failures(remaining, error))
            }
            let reachedNow = remaining.filter { reached.contains($0) }
            let progressed = !reachedNow.isEmpty
            done += reachedNow
            remaining.removeAll { reached.contains($0) }
            if remaining.isEmpty { return BatchResult(action: action, done: done, failed: [:]) }

            let transient = Self.isRetryable(failure) && attempts < configuration.retry.maxAttempts
            let partlyRefused = !Self.isRetryable(failure) && progressed && secondChance
            guard transient || partlyRefused else {
                return BatchResult(action: action, done: done, failed: failures(remaining, failure))
            }
            if partlyRefused {
                secondChance = false
            } else {
                let delay = configuration.retry.delay(beforeRetry: attempts - 1)
                logger.notice(
                    "Cloudflare API request failed; read back, sending the rest again",
                    metadata: [
                        "action": "\(action.rawValue)", "error": "\(failure)", "done": "\(done.count)",
                        "remaining": "\(remaining.count)", "delay_ms": "\(delay.milliseconds)",
                    ])
                do { try await time.sleep(for: delay) } catch {
                    return BatchResult(action: action, done: done, failed: failures(remaining, error))
                }
            }
        }
    }

    /// Sends `action` for `ids` once: a failure is thrown, not retried (the caller reads back first).
    private func mutate(_ action: RuleAction, _ ids: [String]) async throws {
        var query = QueryItems()
        for id in ids { query.append("id", id) }
        let path = accountPath + "/devices/registrations"
        let (method, target): (HTTPRequest.Method, String) = switch action {
        case .revoke: (.post, path + "/revoke")
        case .unrevoke: (.post, path + "/unrevoke")
        case .delete: (.delete, path)
        }
        _ = try await send(method, target, query: query, expecting: IgnoredPayload.self, retrying: false)
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

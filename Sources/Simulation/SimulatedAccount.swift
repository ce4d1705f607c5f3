public import Cloudflare
import Synchronization

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// An in-memory Cloudflare account that answers the API requests ztguardd makes as Cloudflare does.
///
/// It is a ``Transport``, so `ztguardd demo` and tests can hand it to the client directly; the loopback
/// `FakeCloudflareServer` calls ``respond(to:)`` from its event loops. Only the path and query of a request's
/// URL matter, so any API base works. Everything the account answered is observable: ``requestLog``,
/// ``requestCounts``, ``changes`` and the current ``registrations``.
///
/// ```swift
/// let account = SimulatedAccount(fleet: .generated(count: 2000, seed: 42, now: now))
/// let response = account.respond(to: HTTPRequest(method: .get, url: base + "/user/tokens/verify",
///                                               headers: [("Authorization", "Bearer simulated-api-token")]))
/// ```
public final class SimulatedAccount: Transport, Sendable {
    public let configuration: Configuration
    // The one lock: every read and change of the account goes through this `Synchronization.Mutex`, which is
    // what makes the class Sendable (checked, not @unchecked) and `respond(to:)` safe from any event loop.
    private let state: Mutex<AccountState>

    /// Creates an account holding `fleet`, answering as `configuration` says.
    public init(configuration: Configuration = Configuration(), fleet: SimulatedFleet) {
        self.configuration = configuration
        state = Mutex(AccountState(configuration: configuration, fleet: fleet))
    }

    /// Answers `request` synchronously; safe to call from any thread, including an event loop.
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        state.withLock { $0.respond(to: request) }
    }

    /// Renders every registration's JSON now instead of on its first listing, so that the first listing of a
    /// large fleet is as fast as the next ones (a benchmark server calls this before it listens).
    public func prerender() {
        state.withLock { $0.prerender() }
    }

    /// Answers `request`; never throws.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        respond(to: request)
    }

    /// An empty page of the registrations listing without `result_info.count`, whose cursor resumes exactly
    /// where `request`'s cursor did (under a new text, different for each `nonce`): what an API that only
    /// promises its cursor may answer in the middle of a listing. A client must follow the cursor, not end there.
    public static func emptyDetourPage(for request: HTTPRequest, nonce: Int) -> HTTPResponse {
        let target = RequestTarget(parsing: request.target)
        var info = JSONWriter()
        info.raw("{")
        info.key("per_page")
        info.number(target.value(for: "per_page").flatMap { Int($0) } ?? AccountState.defaultPerPage)
        info.comma()
        info.key("cursor")
        info.string(AccountState.detourCursor(resuming: target.value(for: "cursor"), nonce: nonce))
        info.raw("}")
        return HTTPResponse(
            status: 200, headers: ["content-type": "application/json"],
            body: Envelope.success(result: Array("[]".utf8), resultInfo: info.bytes))
    }

    /// An error envelope such as the API sends, for answers that do not come from the account (a server's
    /// injected faults, an unsupported HTTP method).
    public static func errorResponse(
        status: Int,
        code: Int,
        message: String,
        headers: [String: String] = [:]
    ) -> HTTPResponse {
        var headers = headers
        headers["content-type"] = "application/json"
        return HTTPResponse(status: status, headers: headers, body: Envelope.failure(code: code, message: message))
    }
}

// MARK: - Observation

extension SimulatedAccount {
    /// The registrations that exist now, sorted by id.
    public var registrations: [SimulatedRegistration] {
        state.withLock { $0.entries.map(\.registration) }
    }

    /// The registrations that exist now, by id.
    public var registrationsByID: [String: SimulatedRegistration] {
        state.withLock { state in
            Dictionary(uniqueKeysWithValues: state.entries.map { ($0.registration.id, $0.registration) })
        }
    }

    /// The registration with `id`, unless it does not exist (or was deleted).
    public func registration(id: String) -> SimulatedRegistration? {
        state.withLock { state in state.index(of: id).map { state.entries[$0].registration } }
    }

    public var accessUsers: [SimulatedAccessUser] { state.withLock { $0.accessUsers } }
    public var profiles: [SimulatedProfile] { state.withLock { $0.profiles } }

    /// Every request answered, in order (empty when ``Configuration/recordsRequests`` is false).
    public var requestLog: [RequestRecord] { state.withLock { $0.requestLog } }

    /// How many requests each endpoint answered, refusals included.
    public var requestCounts: [Endpoint: Int] { state.withLock { $0.requestCounts } }

    public func requestCount(for endpoint: Endpoint) -> Int {
        state.withLock { $0.requestCounts[endpoint] ?? 0 }
    }

    public var totalRequestCount: Int { state.withLock { $0.requestCounts.values.reduce(0, +) } }

    /// Every revocation, unrevocation and deletion the API applied, in order.
    public var changes: [RegistrationChange] { state.withLock { $0.changes } }

    /// Every revoke, unrevoke and delete request applied so far, in order, with the IDs it carried.
    public var appliedRequests: [AppliedRequest] { state.withLock { $0.appliedRequests } }

    /// How many applied requests of `kind` carried each registration ID: 1 for every ID acted on exactly once.
    public func timesSent(_ kind: RegistrationChange.Kind) -> [String: Int] {
        state.withLock { state in
            var counts: [String: Int] = [:]
            for request in state.appliedRequests where request.kind == kind {
                for id in request.registrationIDs { counts[id, default: 0] += 1 }
            }
            return counts
        }
    }

    /// The ids of the registrations deleted through the API, and when.
    public var deletedRegistrationIDs: [String: Date] { state.withLock { $0.deletions } }

    /// Forgets the request log, the counters and the recorded changes (not the registrations' state).
    public func resetObservations() {
        state.withLock { state in
            state.requestLog = []
            state.requestCounts = [:]
            state.changes = []
            state.appliedRequests = []
            state.deletions = [:]
        }
    }
}

// MARK: - Changing the account behind the API's back

extension SimulatedAccount {
    /// Adds `registration`, or replaces the one with its id (a device enrolling while a run lists).
    public func insert(_ registration: SimulatedRegistration) {
        state.withLock { state in
            let index = state.lowerBound(registration.id)
            if index < state.entries.count && state.entries[index].registration.id == registration.id {
                state.entries[index] = AccountState.Entry(registration)
            } else {
                state.entries.insert(AccountState.Entry(registration), at: index)
            }
        }
    }

    /// Changes the registration with `id` in place; returns false when there is none.
    @discardableResult
    public func update(id: String, _ change: (inout SimulatedRegistration) -> Void) -> Bool {
        state.withLock { state in
            guard let index = state.index(of: id) else { return false }
            var registration = state.entries[index].registration
            change(&registration)
            precondition(registration.id == id, "update(id:) must not change the registration's id")
            state.entries[index] = AccountState.Entry(registration)
            return true
        }
    }

    /// Removes the registration with `id` without recording an API deletion; returns false when there is none.
    @discardableResult
    public func remove(id: String) -> Bool {
        state.withLock { state in
            guard let index = state.index(of: id) else { return false }
            state.entries.remove(at: index)
            return true
        }
    }

    /// Replaces the Access users (someone offboarded while the daemon runs).
    public func replaceAccessUsers(_ users: [SimulatedAccessUser]) {
        state.withLock { $0.accessUsers = users }
    }
}

import Cloudflare

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything a ``SimulatedAccount`` knows, and how it answers a request. Not thread-safe by itself: the
/// account keeps it behind its mutex, and every method runs with that mutex held.
struct AccountState {
    /// A registration and its rendered JSON, cached until the registration changes.
    struct Entry {
        let registration: SimulatedRegistration
        // Copies of what the status and seen filters read, so a walk over 100,000 entries reads two scalars
        // per entry instead of copying (and retaining) a whole registration.
        let isRevoked: Bool
        let lastSeen: Double
        /// The object without its closing brace; nil until first listed.
        var body: [UInt8]?
        /// The `,"policy":{…}` fragment; nil until first listed with `include=policy`.
        var policy: [UInt8]?

        /// A new entry, with nothing rendered: every change to a registration makes a new entry.
        init(_ registration: SimulatedRegistration) {
            self.registration = registration
            isRevoked = registration.revokedAt != nil
            lastSeen = registration.lastSeenAt.timeIntervalSince1970
        }
    }

    /// What a handler answers; the account adds the common headers.
    struct Answer {
        var status: Int
        var body: [UInt8]
        var headers: [String: String] = [:]

        static func failure(_ status: Int, code: Int, _ message: String) -> Answer {
            Answer(status: status, body: Envelope.failure(code: code, message: message))
        }
    }

    enum Credential { case token, legacy }

    let configuration: SimulatedAccount.Configuration
    /// Sorted by registration id: the listing order, and what the cursor and the look-ups rely on.
    var entries: [Entry]
    var accessUsers: [SimulatedAccessUser]
    var profiles: [SimulatedProfile]
    var rateLimit: RateLimitWindow?
    var requestLog: [SimulatedAccount.RequestRecord] = []
    var requestCounts: [SimulatedAccount.Endpoint: Int] = [:]
    var changes: [SimulatedAccount.RegistrationChange] = []
    var appliedRequests: [SimulatedAccount.AppliedRequest] = []
    var deletions: [String: Date] = [:]

    init(configuration: SimulatedAccount.Configuration, fleet: SimulatedFleet) {
        self.configuration = configuration
        // SimulatedFleet keeps its registrations sorted; a fleet whose ids were changed afterwards is sorted here.
        entries = fleet.registrations.sortedByID().map(Entry.init)
        accessUsers = fleet.accessUsers
        profiles = fleet.profiles
        rateLimit = configuration.rateLimit.map(RateLimitWindow.init(limit:))
    }

    mutating func respond(to request: HTTPRequest) -> HTTPResponse {
        let now = configuration.clock()
        let target = RequestTarget(parsing: request.target)
        let route = Route(method: request.method, path: target.path)
        let endpoint = route.endpoint
        var answer = answer(request, route: route, target: target, now: now)
        answer.headers["content-type"] = "application/json"

        requestCounts[endpoint, default: 0] += 1
        if configuration.recordsRequests {
            requestLog.append(
                SimulatedAccount.RequestRecord(
                    method: request.method,
                    path: target.path,
                    query: target.query,
                    endpoint: endpoint,
                    status: answer.status,
                    time: now
                )
            )
        }
        return HTTPResponse(status: answer.status, headers: answer.headers, body: answer.body)
    }

    private mutating func answer(_ request: HTTPRequest, route: Route, target: RequestTarget, now: Date) -> Answer {
        var rateLimitHeaders: [String: String] = [:]
        if var window = rateLimit {
            let decision = window.admit(at: now)
            rateLimit = window
            switch decision {
            case .refused(let retryAfter):
                var answer = Answer.failure(
                    429,
                    code: ErrorCode.rateLimited,
                    "Rate limited. Please wait and consider throttling your request speed"
                )
                answer.headers = [
                    "retry-after": String(retryAfter),
                    "ratelimit": "\"default\";r=0;t=\(retryAfter)",
                    "ratelimit-policy": window.policyHeader,
                ]
                return answer
            case .allowed(let remaining, let resetSeconds):
                rateLimitHeaders = [
                    "ratelimit": "\"default\";r=\(remaining);t=\(resetSeconds)",
                    "ratelimit-policy": window.policyHeader,
                ]
            }
        }
        var answer = authorizedAnswer(request, route: route, target: target, now: now)
        answer.headers.merge(rateLimitHeaders) { own, _ in own }
        return answer
    }

    private mutating func authorizedAnswer(
        _ request: HTTPRequest,
        route: Route,
        target: RequestTarget,
        now: Date
    ) -> Answer {
        guard let credential = authenticate(request) else {
            return .failure(401, code: ErrorCode.authentication, "Authentication error")
        }
        if let accountID = route.accountID, accountID != configuration.accountID {
            return .failure(403, code: ErrorCode.authentication, "Authentication error")
        }
        let isVerification = route.endpoint == .verifyUserToken || route.endpoint == .verifyAccountToken
        if credential == .token && tokenStatus(at: now) != .active && !isVerification {
            return .failure(401, code: ErrorCode.authentication, "Authentication error")
        }

        switch route {
        case .verifyUserToken: return verifyToken(credential: credential, kind: .user, now: now)
        case .verifyAccountToken: return verifyToken(credential: credential, kind: .account, now: now)
        case .listRegistrations: return listRegistrations(target)
        case .getRegistration(_, let id): return registration(id: id, target: target)
        case .revokeRegistrations: return changeRevocation(target, revoke: true, now: now)
        case .unrevokeRegistrations: return changeRevocation(target, revoke: false, now: now)
        case .deleteRegistrations: return deleteRegistrations(ids: target.values(for: "id"), now: now)
        case .deleteRegistration(_, let id): return deleteRegistrations(ids: [id], now: now)
        case .listAccessUsers: return listAccessUsers(target)
        case .listProfiles: return listProfiles()
        case .getDefaultProfile: return defaultProfile()
        case .notFound(let path):
            return .failure(
                404,
                code: ErrorCode.noRoute,
                "Could not route to \(path), perhaps your object identifier is invalid?"
            )
        case .methodNotAllowed:
            return .failure(
                405,
                code: ErrorCode.methodNotAllowed,
                "Method \(request.method.rawValue) not allowed for this route"
            )
        }
    }

    /// The credential that `request` presents, if the account accepts it.
    private func authenticate(_ request: HTTPRequest) -> Credential? {
        if let authorization = request.header("authorization") {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer", let token = configuration.apiToken,
                parts[1] == token
            else { return nil }
            return .token
        }
        if let email = request.header("x-auth-email"), let key = request.header("x-auth-key") {
            guard let legacy = configuration.legacyCredentials, legacy.email.lowercased() == email.lowercased(),
                legacy.key == key
            else { return nil }
            return .legacy
        }
        return nil
    }

    func tokenStatus(at now: Date) -> SimulatedAccount.Configuration.TokenStatus {
        if configuration.tokenStatus == .active, let expiry = configuration.tokenExpiresOn, expiry <= now {
            return .expired
        }
        return configuration.tokenStatus
    }
}

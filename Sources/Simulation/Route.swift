import Cloudflare

/// Where a request goes: one of the API operations ztguardd uses, or nowhere.
enum Route: Equatable {
    case verifyUserToken
    case verifyAccountToken(account: String)
    case listRegistrations(account: String)
    case getRegistration(account: String, id: String)
    case revokeRegistrations(account: String)
    case unrevokeRegistrations(account: String)
    case deleteRegistrations(account: String)
    case deleteRegistration(account: String, id: String)
    case listAccessUsers(account: String)
    case listProfiles(account: String)
    case getDefaultProfile(account: String)
    case notFound(path: String)
    case methodNotAllowed

    static let apiPrefix = "/client/v4"

    init(method: HTTPRequest.Method, path: String) {
        guard path.hasPrefix(Self.apiPrefix + "/") else {
            self = .notFound(path: path)
            return
        }
        let segments = path.dropFirst(Self.apiPrefix.count + 1).split(separator: "/", omittingEmptySubsequences: false)
            .map(String.init)
        self = Self.match(method: method, segments: segments) ?? .notFound(path: path)
    }

    /// The `{account_id}` of the path, for account-scoped routes.
    var accountID: String? {
        switch self {
        case .verifyAccountToken(let account), .listRegistrations(let account), .getRegistration(let account, _),
            .revokeRegistrations(let account), .unrevokeRegistrations(let account), .deleteRegistrations(let account),
            .deleteRegistration(let account, _), .listAccessUsers(let account), .listProfiles(let account),
            .getDefaultProfile(let account):
            account
        case .verifyUserToken, .notFound, .methodNotAllowed:
            nil
        }
    }

    var endpoint: SimulatedAccount.Endpoint {
        switch self {
        case .verifyUserToken: .verifyUserToken
        case .verifyAccountToken: .verifyAccountToken
        case .listRegistrations: .listRegistrations
        case .getRegistration: .getRegistration
        case .revokeRegistrations: .revokeRegistrations
        case .unrevokeRegistrations: .unrevokeRegistrations
        case .deleteRegistrations: .deleteRegistrations
        case .deleteRegistration: .deleteRegistration
        case .listAccessUsers: .listAccessUsers
        case .listProfiles: .listProfiles
        case .getDefaultProfile: .getDefaultProfile
        case .notFound, .methodNotAllowed: .unknown
        }
    }

    private static func match(method: HTTPRequest.Method, segments: [String]) -> Route? {
        if segments == ["user", "tokens", "verify"] {
            return method == .get ? .verifyUserToken : .methodNotAllowed
        }
        guard segments.count >= 3, segments[0] == "accounts", !segments[1].isEmpty else { return nil }
        let account = segments[1]
        switch Array(segments.dropFirst(2)) {
        case ["tokens", "verify"]:
            return method == .get ? .verifyAccountToken(account: account) : .methodNotAllowed
        case ["devices", "registrations"]:
            switch method {
            case .get: return .listRegistrations(account: account)
            case .delete: return .deleteRegistrations(account: account)
            case .post: return .methodNotAllowed
            }
        case ["devices", "registrations", "revoke"]:
            return method == .post ? .revokeRegistrations(account: account) : .methodNotAllowed
        case ["devices", "registrations", "unrevoke"]:
            return method == .post ? .unrevokeRegistrations(account: account) : .methodNotAllowed
        case let tail where tail.count == 3 && tail[0] == "devices" && tail[1] == "registrations" && !tail[2].isEmpty:
            switch method {
            case .get: return .getRegistration(account: account, id: tail[2])
            case .delete: return .deleteRegistration(account: account, id: tail[2])
            case .post: return .methodNotAllowed
            }
        case ["access", "users"]:
            return method == .get ? .listAccessUsers(account: account) : .methodNotAllowed
        case ["devices", "policies"]:
            return method == .get ? .listProfiles(account: account) : .methodNotAllowed
        case ["devices", "policy"]:
            return method == .get ? .getDefaultProfile(account: account) : .methodNotAllowed
        default:
            return nil
        }
    }
}

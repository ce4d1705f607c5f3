#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension AccountState {
    static let defaultAccessUsersPerPage = 25

    /// `GET /user/tokens/verify` and `GET /accounts/{id}/tokens/verify`.
    func verifyToken(credential: Credential, kind: SimulatedAccount.Configuration.TokenKind, now: Date) -> Answer {
        guard credential == .token else {
            // Verification is for API tokens; a Global API key has nothing to verify.
            return .failure(400, code: ErrorCode.invalidRequestHeaders, "Invalid request headers")
        }
        guard configuration.tokenKind == kind else {
            return .failure(401, code: ErrorCode.invalidToken, "Invalid API Token")
        }
        let status = tokenStatus(at: now)
        var json = JSONWriter()
        json.raw("{")
        json.key("id")
        json.string(configuration.tokenID)
        json.comma()
        json.key("status")
        json.string(status.rawValue)
        if let expiry = configuration.tokenExpiresOn {
            json.comma()
            json.key("expires_on")
            json.date(expiry, fractional: false)
        }
        json.raw("}")
        let messages: [(code: Int, message: String)] =
            status == .active ? [(code: 10000, message: "This API Token is valid and active")] : []
        return Answer(status: 200, body: Envelope.success(result: json.bytes, messages: messages))
    }

    /// `GET /accounts/{id}/access/users`: `page`/`per_page` pagination; `email=` narrows the list to the
    /// users with that email (compared ASCII case-insensitively), which is how a single user is looked up.
    func listAccessUsers(_ target: RequestTarget) -> Answer {
        var page = 1
        var perPage = Self.defaultAccessUsersPerPage
        for (name, minimum) in [("page", 1), ("per_page", 1)] {
            guard let text = target.value(for: name) else { continue }
            guard let value = Int(text), value >= minimum else {
                return .failure(400, code: ErrorCode.badRequest, "\(name) must be a positive integer, not \"\(text)\"")
            }
            if name == "page" { page = value } else { perPage = min(value, configuration.perPageMax) }
        }
        var users = accessUsers
        if let email = target.value(for: "email") {
            users = users.filter { $0.email.lowercased() == email.lowercased() }
        }
        let total = users.count
        let first = min(
            total,
            (page - 1).multipliedReportingOverflow(by: perPage).overflow ? total : (page - 1) * perPage
        )
        let slice = users[first..<min(total, first + perPage)]

        var result = JSONWriter(capacity: slice.count * 420 + 2)
        result.raw("[")
        for (offset, user) in slice.enumerated() {
            if offset > 0 { result.comma() }
            user.rendered(into: &result, fractionalSeconds: configuration.fractionalSeconds)
        }
        result.raw("]")

        var info = JSONWriter()
        info.raw("{")
        info.key("page")
        info.number(page)
        info.comma()
        info.key("per_page")
        info.number(perPage)
        info.comma()
        info.key("count")
        info.number(slice.count)
        info.comma()
        info.key("total_count")
        info.number(total)
        info.comma()
        info.key("total_pages")
        info.number((total + perPage - 1) / perPage)
        info.raw("}")
        return Answer(status: 200, body: Envelope.success(result: result.bytes, resultInfo: info.bytes))
    }

    /// `GET …/devices/policies`: the custom (non-default) settings profiles.
    func listProfiles() -> Answer {
        var result = JSONWriter()
        result.raw("[")
        for (offset, profile) in profiles.filter({ !$0.isDefault }).enumerated() {
            if offset > 0 { result.comma() }
            profile.rendered(into: &result)
        }
        result.raw("]")
        return Answer(status: 200, body: Envelope.success(result: result.bytes))
    }

    /// `GET …/devices/policy`: the default settings profile.
    func defaultProfile() -> Answer {
        guard let profile = profiles.first(where: \.isDefault) else {
            return .failure(404, code: ErrorCode.notFound, "no default device settings profile")
        }
        var result = JSONWriter()
        profile.rendered(into: &result)
        return Answer(status: 200, body: Envelope.success(result: result.bytes))
    }
}

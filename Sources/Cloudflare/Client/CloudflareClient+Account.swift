public import Rules
public import FoundationEssentials

/// What `tokens/verify` says of a token.
public struct TokenStatus: Sendable, Equatable, Decodable {
    public var id: String?
    /// "active", "disabled" or "expired".
    public var status: String
    public var expiresOn: Date?

    enum CodingKeys: String, CodingKey {
        case id, status
        case expiresOn = "expires_on"
    }

    public init(id: String?, status: String, expiresOn: Date?) {
        self.id = id
        self.status = status
        self.expiresOn = expiresOn
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        status = try container.decode(String.self, forKey: .status)
        expiresOn = try container.decodeIfPresent(String.self, forKey: .expiresOn).flatMap(RFC3339.date(from:))
    }
}

/// A device settings profile (`devices/policies` and the default `devices/policy`).
public struct SettingsProfile: Sendable, Equatable, Decodable {
    public var id: String?
    public var name: String
    public var isDefault: Bool

    enum CodingKeys: String, CodingKey {
        case id = "policy_id"
        case name
        case isDefault = "default"
    }

    public init(id: String?, name: String, isDefault: Bool) {
        self.id = id
        self.name = name
        self.isDefault = isDefault
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        name = try container.decodeIfPresent(String.self, forKey: .name) ?? "Default"
        isDefault = try container.decodeIfPresent(Bool.self, forKey: .isDefault) ?? false
    }
}

extension CloudflareClient {
    /// Verifies the API token: first as a user token, then as an account token.
    ///
    /// - Returns: the token's status, or nil for legacy email + key credentials, which have no
    ///   verify endpoint.
    /// - Throws: ``CloudflareAPIError`` with code `authentication` when neither endpoint accepts it.
    public func verifyToken() async throws -> TokenStatus? {
        guard case .apiToken = configuration.credentials else { return nil }
        let status: TokenStatus
        do {
            status = try await send(.get, "/user/tokens/verify", expecting: TokenStatus.self).envelope.result
                ?? TokenStatus(id: nil, status: "unknown", expiresOn: nil)
        } catch let error as CloudflareAPIError where error.code == .authentication || error.code == .rejected {
            // Account-owned tokens are only known to the account endpoint.
            do {
                status = try await send(.get, accountPath + "/tokens/verify", expecting: TokenStatus.self).envelope.result
                    ?? TokenStatus(id: nil, status: "unknown", expiresOn: nil)
            } catch let accountError as CloudflareAPIError where accountError.code != .server {
                throw CloudflareAPIError(
                    code: .authentication, status: accountError.status, request: "GET /user/tokens/verify",
                    messages: error.messages + accountError.messages,
                    hint: "the token was refused as a user token and as an account token of account "
                        + "\(configuration.accountID); check the token (its file or credential) and the account_id")
            }
        }
        guard status.status == "active" else {
            throw CloudflareAPIError(
                code: .authentication, status: 200, request: "GET /user/tokens/verify",
                hint: "the token is \(status.status); create a new token and install it")
        }
        return status
    }

    /// Lists every Access user, following page pagination (at most `maxPages` pages).
    public func accessUsers(perPage: Int = 1000, maxPages: Int = .max) async throws -> [AccessUser] {
        var users: [AccessUser] = []
        var page = 1
        while true {
            var query = QueryItems()
            query.append("page", String(page))
            query.append("per_page", String(perPage))
            let (envelope, _) = try await send(.get, accountPath + "/access/users", query: query, expecting: [AccessUser].self)
            let batch = envelope.result ?? []
            users.append(contentsOf: batch)
            let totalPages = envelope.resultInfo?.totalPages
                ?? envelope.resultInfo?.totalCount.map { ($0 + perPage - 1) / perPage }
            if batch.isEmpty || page >= maxPages { return users }
            if let totalPages, page >= totalPages { return users }
            if totalPages == nil, batch.count < perPage { return users }
            page += 1
        }
    }

    /// Lists the account's device settings profiles, the default one included.
    public func settingsProfiles() async throws -> [SettingsProfile] {
        let custom = try await send(.get, accountPath + "/devices/policies", expecting: [SettingsProfile].self)
        let fallback = try await send(.get, accountPath + "/devices/policy", expecting: SettingsProfile.self)
        var profiles = custom.envelope.result ?? []
        if var defaultProfile = fallback.envelope.result {
            defaultProfile.isDefault = true
            profiles.insert(defaultProfile, at: 0)
        }
        return profiles
    }
}

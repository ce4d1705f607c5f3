import Rules
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
            status = try await send(
                .get, "/user/tokens/verify", expecting: TokenStatus.self, problem: Self.resultMissing
            ).envelope.result ?? TokenStatus(id: nil, status: "unknown", expiresOn: nil)
        } catch let error as CloudflareAPIError where error.code == .authentication || error.code == .rejected {
            // Account-owned tokens are only known to the account endpoint.
            do {
                status = try await send(
                    .get, accountPath + "/tokens/verify", expecting: TokenStatus.self, problem: Self.resultMissing
                ).envelope.result ?? TokenStatus(id: nil, status: "unknown", expiresOn: nil)
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

    /// Lists the account's device settings profiles, the default one included.
    ///
    /// Neither endpoint pages: each answer is the whole list, or the one default profile, and one
    /// without its `result` is a transient failure (``resultMissing(_:)``), never an empty list.
    public func settingsProfiles() async throws -> [SettingsProfile] {
        let custom = try await send(
            .get, accountPath + "/devices/policies", expecting: [SettingsProfile].self, problem: Self.resultMissing)
        let fallback = try await send(
            .get, accountPath + "/devices/policy", expecting: SettingsProfile.self, problem: Self.resultMissing)
        var profiles = custom.envelope.result ?? []
        if var defaultProfile = fallback.envelope.result {
            defaultProfile.isDefault = true
            profiles.insert(defaultProfile, at: 0)
        }
        return profiles
    }

    /// "…without its result" for a successful envelope whose `result` is missing or null, else nil: an
    /// answer that says nothing is not an empty one.
    static func resultMissing<Payload>(_ envelope: Envelope<Payload>) -> String? {
        envelope.result == nil ? "the answer came back successful but without its result" : nil
    }
}

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A WARP device registration, decoded straight from the API's JSON (only the fields rules need).
///
/// The `Codable` form is the API's object:
/// `{"id", "created_at", "last_seen_at", "revoked_at", "key_type", "tunnel_type",
/// "device": {"id", "name", "client_version"}, "user": {"id", "email", "name"} | null,
/// "policy": {"id", "name"} | null}`. Other keys are ignored; a missing key or JSON null gives nil, and
/// so does an empty timestamp string. A timestamp that is not RFC 3339 makes decoding throw
/// `DecodingError.dataCorrupted`. `id` and `device.id` are required; a missing or null `device.name`
/// decodes as the empty string. Encoding writes the same nested shape (with `"user": null` when there
/// is no user, and no `policy` when there is no profile).
public struct Registration: Sendable, Hashable, Codable {
    /// The registration ID (`id`), the handle for revoke, unrevoke and delete.
    public var id: String
    /// The physical device's ID (`device.id`); one device can have several registrations.
    public var deviceID: String
    /// The device name (`device.name`), e.g. `LAPTOP-8F2K1`.
    public var deviceName: String
    /// The WARP client version (`device.client_version`), e.g. `2024.6.415.0`.
    public var clientVersion: String?
    /// When the registration was created (`created_at`).
    public var createdAt: Date?
    /// When the device last contacted Cloudflare (`last_seen_at`).
    public var lastSeenAt: Date?
    /// When the registration was revoked (`revoked_at`); nil while it is active.
    public var revokedAt: Date?
    /// The key type (`key_type`), e.g. `curve25519`.
    public var keyType: String?
    /// The tunnel type (`tunnel_type`), e.g. `masque` or `wireguard`.
    public var tunnelType: String?
    /// The user's ID (`user.id`).
    public var userID: String?
    /// The user's email (`user.email`).
    public var userEmail: String?
    /// The user's display name (`user.name`).
    public var userName: String?
    /// The settings profile's ID (`policy.id`); only present when listed with `include=policy`.
    public var profileID: String?
    /// The settings profile (`policy.name`); only present when listed with `include=policy`.
    public var profileName: String?

    /// True when the registration has been revoked (`revoked_at` is set).
    public var isRevoked: Bool { revokedAt != nil }

    /// Creates a registration from its fields; everything the API may omit defaults to nil.
    public init(
        id: String,
        deviceID: String,
        deviceName: String,
        clientVersion: String? = nil,
        createdAt: Date? = nil,
        lastSeenAt: Date? = nil,
        revokedAt: Date? = nil,
        keyType: String? = nil,
        tunnelType: String? = nil,
        userID: String? = nil,
        userEmail: String? = nil,
        userName: String? = nil,
        profileID: String? = nil,
        profileName: String? = nil
    ) {
        self.id = id
        self.deviceID = deviceID
        self.deviceName = deviceName
        self.clientVersion = clientVersion
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.revokedAt = revokedAt
        self.keyType = keyType
        self.tunnelType = tunnelType
        self.userID = userID
        self.userEmail = userEmail
        self.userName = userName
        self.profileID = profileID
        self.profileName = profileName
    }

    private enum CodingKeys: String, CodingKey {
        case id
        case createdAt = "created_at"
        case lastSeenAt = "last_seen_at"
        case revokedAt = "revoked_at"
        case keyType = "key_type"
        case tunnelType = "tunnel_type"
        case device, user, policy
    }

    private enum DeviceKeys: String, CodingKey {
        case id, name
        case clientVersion = "client_version"
    }

    private enum UserKeys: String, CodingKey {
        case id, email, name
    }

    private enum PolicyKeys: String, CodingKey {
        case id, name
    }

    /// Decodes a registration from the API's JSON object.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        createdAt = try container.decodeRFC3339IfPresent(forKey: .createdAt)
        lastSeenAt = try container.decodeRFC3339IfPresent(forKey: .lastSeenAt)
        revokedAt = try container.decodeRFC3339IfPresent(forKey: .revokedAt)
        keyType = try container.decodeIfPresent(String.self, forKey: .keyType)
        tunnelType = try container.decodeIfPresent(String.self, forKey: .tunnelType)

        let device = try container.nestedContainer(keyedBy: DeviceKeys.self, forKey: .device)
        deviceID = try device.decode(String.self, forKey: .id)
        deviceName = try device.decodeIfPresent(String.self, forKey: .name) ?? ""
        clientVersion = try device.decodeIfPresent(String.self, forKey: .clientVersion)

        if let user = try container.nestedContainerIfPresent(keyedBy: UserKeys.self, forKey: .user) {
            userID = try user.decodeIfPresent(String.self, forKey: .id)
            userEmail = try user.decodeIfPresent(String.self, forKey: .email)
            userName = try user.decodeIfPresent(String.self, forKey: .name)
        }
        if let policy = try container.nestedContainerIfPresent(keyedBy: PolicyKeys.self, forKey: .policy) {
            profileID = try policy.decodeIfPresent(String.self, forKey: .id)
            profileName = try policy.decodeIfPresent(String.self, forKey: .name)
        }
    }

    /// Encodes the registration in the API's nested shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encodeRFC3339IfPresent(createdAt, forKey: .createdAt)
        try container.encodeRFC3339IfPresent(lastSeenAt, forKey: .lastSeenAt)
        try container.encodeRFC3339IfPresent(revokedAt, forKey: .revokedAt)
        try container.encodeIfPresent(keyType, forKey: .keyType)
        try container.encodeIfPresent(tunnelType, forKey: .tunnelType)

        var device = container.nestedContainer(keyedBy: DeviceKeys.self, forKey: .device)
        try device.encode(deviceID, forKey: .id)
        try device.encode(deviceName, forKey: .name)
        try device.encodeIfPresent(clientVersion, forKey: .clientVersion)

        if userID != nil || userEmail != nil || userName != nil {
            var user = container.nestedContainer(keyedBy: UserKeys.self, forKey: .user)
            try user.encodeIfPresent(userID, forKey: .id)
            try user.encodeIfPresent(userEmail, forKey: .email)
            try user.encodeIfPresent(userName, forKey: .name)
        } else {
            try container.encodeNil(forKey: .user)
        }
        if profileID != nil || profileName != nil {
            var policy = container.nestedContainer(keyedBy: PolicyKeys.self, forKey: .policy)
            try policy.encodeIfPresent(profileID, forKey: .id)
            try policy.encodeIfPresent(profileName, forKey: .name)
        }
    }
}

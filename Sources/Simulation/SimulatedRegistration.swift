#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// One WARP registration of a simulated account: the fields of the API's registration object.
///
/// Build one by hand in a test, or take a whole ``SimulatedFleet``. The account renders it as the API
/// does: `user` is `null` when the registration has no user id, email or name; `policy` appears only when
/// the listing asks for `include=policy`.
public struct SimulatedRegistration: Sendable, Hashable {
    public var id: String
    public var deviceID: String
    public var deviceName: String
    /// nil renders as `"client_version": null`.
    public var clientVersion: String?
    public var createdAt: Date
    public var lastSeenAt: Date
    /// When the registration last changed; nil renders the later of ``lastSeenAt`` and ``revokedAt``.
    public var updatedAt: Date?
    public var revokedAt: Date?
    /// `curve25519` (WireGuard) or `secp256r1` (MASQUE).
    public var keyType: String?
    /// `wireguard` or `masque`.
    public var tunnelType: String?
    /// The registration's public key; nil renders one derived from ``id``.
    public var key: String?
    public var userID: String?
    public var userEmail: String?
    public var userName: String?
    /// The device settings profile the registration is assigned to.
    public var profile: SimulatedProfile?

    public var isRevoked: Bool { revokedAt != nil }

    public init(
        id: String,
        deviceID: String,
        deviceName: String,
        clientVersion: String? = "2025.2.600.0",
        createdAt: Date,
        lastSeenAt: Date,
        updatedAt: Date? = nil,
        revokedAt: Date? = nil,
        keyType: String? = "curve25519",
        tunnelType: String? = "wireguard",
        key: String? = nil,
        userID: String? = nil,
        userEmail: String? = nil,
        userName: String? = nil,
        profile: SimulatedProfile? = nil
    ) {
        self.id = id
        self.deviceID = deviceID
        self.deviceName = deviceName
        self.clientVersion = clientVersion
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.updatedAt = updatedAt
        self.revokedAt = revokedAt
        self.keyType = keyType
        self.tunnelType = tunnelType
        self.key = key
        self.userID = userID
        self.userEmail = userEmail
        self.userName = userName
        self.profile = profile
    }
}

extension SimulatedRegistration {
    /// The registration object without its closing brace, so a listing can append `"policy"` or not.
    func renderedBody(fractionalSeconds: Bool) -> [UInt8] {
        var json = JSONWriter(capacity: 720)
        json.raw("{")
        json.key("id")
        json.string(id)
        json.comma()
        json.key("created_at")
        json.date(createdAt, fractional: fractionalSeconds)
        json.comma()
        json.key("updated_at")
        json.date(updatedAt ?? max(lastSeenAt, revokedAt ?? lastSeenAt), fractional: fractionalSeconds)
        json.comma()
        json.key("last_seen_at")
        json.date(lastSeenAt, fractional: fractionalSeconds)
        json.comma()
        json.key("revoked_at")
        json.date(revokedAt, fractional: fractionalSeconds)
        json.comma()
        json.key("deleted_at")
        json.raw("null")
        json.comma()
        json.key("key")
        json.string(key ?? Self.derivedKey(for: id))
        json.comma()
        json.key("key_type")
        json.string(keyType)
        json.comma()
        json.key("tunnel_type")
        json.string(tunnelType)
        json.comma()
        json.key("device")
        json.raw("{")
        json.key("id")
        json.string(deviceID)
        json.comma()
        json.key("name")
        json.string(deviceName)
        json.comma()
        json.key("client_version")
        json.string(clientVersion)
        json.raw("}")
        json.comma()
        json.key("user")
        if userID == nil && userEmail == nil && userName == nil {
            json.raw("null")
        } else {
            json.raw("{")
            json.key("id")
            json.string(userID)
            json.comma()
            json.key("email")
            json.string(userEmail)
            json.comma()
            json.key("name")
            json.string(userName)
            json.raw("}")
        }
        return json.bytes
    }

    /// `,"policy":{…}` for `include=policy`, or `,"policy":null` for a registration without a profile.
    func renderedPolicy(fractionalSeconds: Bool) -> [UInt8] {
        var json = JSONWriter(capacity: 160)
        json.comma()
        json.key("policy")
        guard let profile else {
            json.raw("null")
            return json.bytes
        }
        json.raw("{")
        json.key("id")
        json.string(profile.id)
        json.comma()
        json.key("default")
        json.bool(profile.isDefault)
        json.comma()
        json.key("deleted")
        json.raw("false")
        json.comma()
        json.key("name")
        json.string(profile.name)
        json.comma()
        json.key("updated_at")
        json.date(createdAt, fractional: fractionalSeconds)
        json.raw("}")
        return json.bytes
    }

    /// A stable key-shaped string for hand-built registrations that set none.
    private static func derivedKey(for id: String) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var generator = SeededGenerator(seed: hash)
        return generator.publicKey()
    }
}

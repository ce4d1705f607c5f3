#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A user of Cloudflare Access in a simulated account, as `GET …/access/users` lists it.
public struct SimulatedAccessUser: Sendable, Hashable {
    public var id: String
    public var email: String
    public var name: String
    public var createdAt: Date
    /// nil for a user who never logged in.
    public var lastSuccessfulLogin: Date?
    public var activeDeviceCount: Int

    public init(
        id: String,
        email: String,
        name: String,
        createdAt: Date,
        lastSuccessfulLogin: Date?,
        activeDeviceCount: Int = 0
    ) {
        self.id = id
        self.email = email
        self.name = name
        self.createdAt = createdAt
        self.lastSuccessfulLogin = lastSuccessfulLogin
        self.activeDeviceCount = activeDeviceCount
    }
}

extension SimulatedAccessUser {
    func rendered(into json: inout JSONWriter, fractionalSeconds: Bool) {
        json.raw("{")
        json.key("id")
        json.string(id)
        json.comma()
        json.key("access_seat")
        json.raw("true,")
        json.key("active_device_count")
        json.number(activeDeviceCount)
        json.comma()
        json.key("created_at")
        json.date(createdAt, fractional: fractionalSeconds)
        json.comma()
        json.key("email")
        json.string(email)
        json.comma()
        json.key("gateway_seat")
        json.bool(activeDeviceCount > 0)
        json.comma()
        json.key("last_successful_login")
        json.date(lastSuccessfulLogin, fractional: fractionalSeconds)
        json.comma()
        json.key("name")
        json.string(name)
        json.comma()
        json.key("seat_uid")
        json.string(String(id.filter { $0 != "-" }.reversed()))
        json.comma()
        json.key("uid")
        json.string(String(id.filter { $0 != "-" }))
        json.comma()
        json.key("updated_at")
        json.date(lastSuccessfulLogin ?? createdAt, fractional: fractionalSeconds)
        json.raw("}")
    }
}

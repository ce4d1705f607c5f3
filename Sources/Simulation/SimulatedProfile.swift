/// A device settings profile ("policy" in the API) of a simulated account.
public struct SimulatedProfile: Sendable, Hashable {
    /// The profile's `policy_id`.
    public var id: String
    public var name: String
    /// The account's default profile; `GET …/devices/policy` answers it, `…/devices/policies` lists the others.
    public var isDefault: Bool
    /// The selector that assigns devices to the profile (empty for the default profile).
    public var match: String
    public var precedence: Int
    public var description: String

    public init(
        id: String,
        name: String,
        isDefault: Bool = false,
        match: String = "",
        precedence: Int = 0,
        description: String = ""
    ) {
        self.id = id
        self.name = name
        self.isDefault = isDefault
        self.match = match
        self.precedence = precedence
        self.description = description
    }
}

extension SimulatedProfile {
    /// The profile object as `GET …/devices/policies` lists it.
    ///
    /// The default profile leaves out `name`, `policy_id`, `match` and `precedence`, as the API's schema for
    /// `GET …/devices/policy` does: a client must not count on them there.
    func rendered(into json: inout JSONWriter) {
        json.raw("{")
        json.key("allow_mode_switch")
        json.raw("false,")
        json.key("allow_updates")
        json.raw("true,")
        json.key("allowed_to_leave")
        json.raw("false,")
        json.key("auto_connect")
        json.raw("0,")
        json.key("captive_portal")
        json.raw("180,")
        json.key("default")
        json.bool(isDefault)
        json.comma()
        json.key("disable_auto_fallback")
        json.raw("false,")
        json.key("enabled")
        json.raw("true,")
        json.key("exclude_office_ips")
        json.raw("false,")
        json.key("gateway_unique_id")
        json.string("")
        json.comma()
        json.key("service_mode_v2")
        json.raw("{\"mode\":\"warp\"},")
        json.key("support_url")
        json.string("")
        json.comma()
        json.key("switch_locked")
        json.raw("false,")
        json.key("tunnel_protocol")
        json.string("wireguard")
        if !isDefault {
            json.comma()
            json.key("description")
            json.string(description)
            json.comma()
            json.key("match")
            json.string(match)
            json.comma()
            json.key("name")
            json.string(name)
            json.comma()
            json.key("policy_id")
            json.string(id)
            json.comma()
            json.key("precedence")
            json.number(precedence)
        }
        json.raw("}")
    }
}

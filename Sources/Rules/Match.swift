/// `[rule.match]`: every key present must hold (AND); a nil key is absent.
///
/// Time keys select strictly older dates (`now - date > span`; exactly the span is not enough), and a
/// registration without that date never matches them. See each property for the rest.
public struct Match: Sendable, Hashable {
    /// `status`; nil means `active`, or `revoked` for unrevoke rules and rules with `revoked_older_than`
    /// (see ``Rule/status``).
    public var status: StatusFilter?
    /// `last_seen_older_than`: the device was last seen longer ago than this.
    public var lastSeenOlderThan: TimeSpan?
    /// `created_older_than`: the registration was created longer ago than this.
    public var createdOlderThan: TimeSpan?
    /// `revoked_older_than`: the registration is revoked, and was revoked longer ago than this.
    public var revokedOlderThan: TimeSpan?
    /// `client_version_below`: the client version is parsable and lower than this.
    public var clientVersionBelow: WARPVersion?
    /// `client_version_unknown`: true selects a missing or unparsable client version, false a parsable one.
    public var clientVersionUnknown: Bool?
    /// `user_email`: the registration has a user email that matches one of these globs.
    public var userEmail: [Glob]?
    /// `device_name`: the device name matches one of these globs.
    public var deviceName: [Glob]?
    /// `key_type`: the key type equals one of these.
    public var keyType: [String]?
    /// `tunnel_type`: the tunnel type equals one of these.
    public var tunnelType: [String]?
    /// `profile`: the settings profile's name equals one of these (case-sensitive).
    public var profile: [String]?
    /// `user_missing`: true selects registrations with neither a user email nor a user ID (empty strings
    /// count as missing), false those with either.
    public var userMissing: Bool?
    /// `user_not_in_access`: true selects registrations whose user email is not an Access user's email
    /// (ASCII case-insensitive), false those whose email is. A registration without a user email matches
    /// neither; without a ``Directory`` nothing matches.
    public var userNotInAccess: Bool?
    /// `user_last_login_older_than`: the registration's user is an Access user whose last successful
    /// login is older than this. A user who never logged in (no date) does not match: too little is
    /// known to act. Without a ``Directory`` nothing matches.
    public var userLastLoginOlderThan: TimeSpan?

    /// Creates a match; every key left out is absent. `Match()` matches every registration of the
    /// rule's status.
    public init(
        status: StatusFilter? = nil,
        lastSeenOlderThan: TimeSpan? = nil,
        createdOlderThan: TimeSpan? = nil,
        revokedOlderThan: TimeSpan? = nil,
        clientVersionBelow: WARPVersion? = nil,
        clientVersionUnknown: Bool? = nil,
        userEmail: [Glob]? = nil,
        deviceName: [Glob]? = nil,
        keyType: [String]? = nil,
        tunnelType: [String]? = nil,
        profile: [String]? = nil,
        userMissing: Bool? = nil,
        userNotInAccess: Bool? = nil,
        userLastLoginOlderThan: TimeSpan? = nil
    ) {
        self.status = status
        self.lastSeenOlderThan = lastSeenOlderThan
        self.createdOlderThan = createdOlderThan
        self.revokedOlderThan = revokedOlderThan
        self.clientVersionBelow = clientVersionBelow
        self.clientVersionUnknown = clientVersionUnknown
        self.userEmail = userEmail
        self.deviceName = deviceName
        self.keyType = keyType
        self.tunnelType = tunnelType
        self.profile = profile
        self.userMissing = userMissing
        self.userNotInAccess = userNotInAccess
        self.userLastLoginOlderThan = userLastLoginOlderThan
    }
}

/// One `[[rule]]`: which registrations it selects, and what it does to them.
public struct Rule: Sendable, Hashable {
    /// The rule's unique name, recorded with every action.
    public var name: String
    /// What the rule does to what it selects.
    public var action: RuleAction
    /// `[rule.match]`: what the rule selects.
    public var match: Match
    /// `[rule.exclude]`: what it leaves to the following rules.
    public var exclude: Exclusion
    /// `grace`: how long the rule must select a registration before acting on it; nil acts at once.
    public var grace: TimeSpan?
    /// `dry_run`: plan and record this rule's actions, but never carry them out.
    public var dryRun: Bool

    /// Creates a rule.
    public init(
        name: String,
        action: RuleAction,
        match: Match,
        exclude: Exclusion = Exclusion(),
        grace: TimeSpan? = nil,
        dryRun: Bool = false
    ) {
        self.name = name
        self.action = action
        self.match = match
        self.exclude = exclude
        self.grace = grace
        self.dryRun = dryRun
    }

    /// The status the rule looks at: `match.status` when set; otherwise `revoked` for unrevoke rules
    /// and for rules with `revoked_older_than` (which only a revoked registration can satisfy), and
    /// `active` for the rest.
    public var status: StatusFilter {
        if let status = match.status { return status }
        return action == .unrevoke || match.revokedOlderThan != nil ? .revoked : .active
    }

    /// True when the rule can act on an active registration. A revoke rule on a revoked registration
    /// or an unrevoke rule on an active one has nothing to do, whatever `status` says.
    var canSelectActive: Bool { status != .revoked && action != .unrevoke && match.revokedOlderThan == nil }

    /// True when the rule can act on a revoked registration.
    var canSelectRevoked: Bool { status != .active && action != .revoke }
}

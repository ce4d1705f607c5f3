/// One action the plan selected: a rule, what it does, the registration and why.
public struct PlannedAction: Sendable, Hashable {
    /// The name of the rule that selected the registration.
    public var rule: String
    /// What to do to the registration.
    public var action: RuleAction
    /// The registration, as listed.
    public var registration: Registration
    /// Why the rule selected it: one clause per match key, joined by "; "
    /// ("last seen 114 days ago (limit 90 days)").
    public var reason: String
    /// The rule's own `dry_run`.
    public var isDryRun: Bool

    /// Creates a planned action.
    public init(rule: String, action: RuleAction, registration: Registration, reason: String, isDryRun: Bool = false) {
        self.rule = rule
        self.action = action
        self.registration = registration
        self.reason = reason
        self.isDryRun = isDryRun
    }
}

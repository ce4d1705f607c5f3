#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The validated rules, top-level exclusion and limits: everything that decides a plan.
public struct RuleSet: Sendable, Hashable {
    /// The rules, in file order; the first that selects a registration claims it.
    public var rules: [Rule]
    /// The top-level `[exclude]`: registrations it exempts are never touched.
    public var exclude: Exclusion
    /// The safety limits checked on the whole plan.
    public var limits: Limits

    /// Creates a rule set.
    public init(rules: [Rule], exclude: Exclusion = Exclusion(), limits: Limits = Limits()) {
        self.rules = rules
        self.exclude = exclude
        self.limits = limits
    }

    /// True when a rule uses `user_not_in_access` or `user_last_login_older_than`, so the daemon must
    /// list Access users and pass a ``Directory``.
    public var needsAccessUsers: Bool {
        rules.contains { $0.match.userNotInAccess != nil || $0.match.userLastLoginOlderThan != nil }
    }

    /// True when a rule or exclusion uses `profile`, so registrations must be listed with
    /// `include=policy`.
    public var needsProfiles: Bool {
        !exclude.profile.isEmpty || rules.contains { $0.match.profile != nil || !$0.exclude.profile.isEmpty }
    }

    /// The statuses any rule can act on: lets the client list only `active` when no rule looks at
    /// revoked registrations.
    ///
    /// Counts what a rule can act on, not just its ``Rule/status``: a revoke rule never acts on a
    /// revoked registration, nor an unrevoke rule on an active one. `active` when no rule needs revoked
    /// registrations (including when there are no rules).
    public var statusesNeeded: StatusFilter {
        let needsActive = rules.contains { $0.canSelectActive }
        let needsRevoked = rules.contains { $0.canSelectRevoked }
        switch (needsActive, needsRevoked) {
        case (true, true): return .any
        case (false, true): return .revoked
        default: return .active
        }
    }

    /// Evaluates the rules over `registrations` at `now`.
    ///
    /// Rules run in order. A registration the top-level exclusion exempts is never touched; one a
    /// rule's exclusion exempts goes on to the next rules; the first rule that selects a registration
    /// claims it, so each registration gets at most one action. A rule with `grace` records when it
    /// first selected each registration and plans an action only once `now - firstSelected >= grace`;
    /// until then the registration counts in ``Plan/waitingForGrace`` and no later rule sees it.
    /// Finally the safety limits are checked on the actions of rules without `dry_run`.
    ///
    /// The same as feeding the whole listing to one ``Evaluation``; use that to evaluate page by page.
    ///
    /// - Parameters:
    ///   - registrations: the complete listing; its count is ``Plan/listed``. When an ID appears twice,
    ///     only its first occurrence that a rule acts on is planned.
    ///   - directory: the Access users; required when ``needsAccessUsers``. Without it, the Access keys
    ///     never match.
    ///   - graceMarks: the marks the previous evaluation returned.
    ///   - now: the evaluation time, read once by the caller.
    /// - Returns: The plan, its actions sorted by registration ID (by UTF-8 bytes, which for the API's
    ///   ASCII IDs is alphabetical order).
    public func plan(
        for registrations: [Registration],
        directory: Directory?,
        graceMarks: GraceMarks,
        at now: Date
    ) -> Plan {
        var evaluation = evaluation(directory: directory, graceMarks: graceMarks, at: now)
        evaluation.add(registrations)
        return evaluation.plan()
    }

    /// Starts an evaluation that takes the listing page by page, so that the caller never holds more
    /// than one page and the selected registrations.
    ///
    /// - Parameters:
    ///   - directory: the Access users; required when ``needsAccessUsers``.
    ///   - graceMarks: the marks the previous evaluation returned.
    ///   - now: the evaluation time, read once by the caller.
    public func evaluation(directory: Directory?, graceMarks: GraceMarks, at now: Date) -> Evaluation {
        Evaluation(ruleSet: self, directory: directory, graceMarks: graceMarks, at: now)
    }
}

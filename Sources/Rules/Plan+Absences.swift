extension Plan {
    /// How the reason of an action begins when the user its rule took for absent from Access was found
    /// there by a direct lookup; the rest of the reason says who.
    public static let presentInAccess = "present in Access on confirmation"

    /// The emails whose absence from Access this plan relies on, which a run confirms by a direct lookup
    /// before it acts: those of the actions of `ruleSet`'s rules with `user_not_in_access = true` that a
    /// run carries out (a rule with its own `dry_run` never acts). One spelling per user, folded as the
    /// directory folds emails (ASCII letters), in the order of the plan.
    public func absencesToConfirm(for ruleSet: RuleSet) -> [String] {
        let absenceRules = ruleSet.absenceRuleNames
        guard !absenceRules.isEmpty else { return [] }
        var seen: Set<CaseInsensitiveKey> = []
        var emails: [String] = []
        for action in actions where !action.isDryRun && absenceRules.contains(action.rule) {
            // A rule that reads the directory selects only registrations with an email.
            guard let email = action.userEmail, !email.isEmpty else { continue }
            if seen.insert(CaseInsensitiveKey(email)).inserted { emails.append(email) }
        }
        return emails
    }

    /// The plan once a direct lookup found `present` users in Access although its listing did not show
    /// them: without the actions of ``absencesToConfirm(for:)`` whose user is one of them, and without the
    /// grace marks of those actions, so that a grace counts again from the next time the user is absent.
    /// Emails compare as the directory compares them (ASCII letters folded).
    ///
    /// - Returns: the plan kept, and the actions dropped, in the plan's order, each with a reason that says
    ///   why it is not carried out (it starts with ``presentInAccess``).
    public func keeping(presentIn present: some Sequence<String>, for ruleSet: RuleSet)
        -> (plan: Plan, presentInAccess: [PlannedAction])
    {
        let found = Set(present.lazy.map(CaseInsensitiveKey.init))
        let absenceRules = ruleSet.absenceRuleNames
        guard !found.isEmpty, !absenceRules.isEmpty else { return (self, []) }
        var kept = self
        kept.actions = []
        var dropped: [PlannedAction] = []
        for action in actions {
            guard !action.isDryRun, absenceRules.contains(action.rule), let email = action.userEmail,
                found.contains(CaseInsensitiveKey(email))
            else {
                kept.actions.append(action)
                continue
            }
            var present = action
            present.reason = Self.presentInAccess + ": a lookup of \(email) found the user the Access listing did "
                + "not show, so the registration is not acted on"
            dropped.append(present)
            kept.graceMarks.firstSelected[GraceMarks.Key(rule: action.rule, registrationID: action.registrationID)] = nil
        }
        return (kept, dropped)
    }
}

extension RuleSet {
    /// The names of the rules that select a user for being absent from Access.
    fileprivate var absenceRuleNames: Set<String> {
        Set(rules.lazy.filter { $0.match.userNotInAccess == true }.map(\.name))
    }
}

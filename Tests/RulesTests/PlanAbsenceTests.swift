import Rules
import Testing

/// The refinement a run makes after confirming absences: actions of users a lookup found in Access go,
/// with their grace marks; nothing else changes.
struct PlanAbsenceTests {
    static let absent = Rule(name: "offboarded", action: .revoke, match: Match(userNotInAccess: true), grace: span("7d"))
    static let absentDryRun = Rule(
        name: "offboarded-trial", action: .delete, match: Match(userNotInAccess: true), dryRun: true)
    static let stale = Rule(name: "stale", action: .delete, match: Match(lastSeenOlderThan: span("90d")))
    static let ruleSet = RuleSet(rules: [absent, absentDryRun, stale])

    /// An action of `rule` on registration `id` of the user `email`.
    static func action(_ rule: Rule, _ id: String, _ email: String?) -> PlannedAction {
        PlannedAction(
            rule: rule.name, action: rule.action, registration: registration(id, userEmail: email),
            reason: "selected by \(rule.name)", isDryRun: rule.dryRun)
    }

    /// A plan of `actions` with a grace mark for each action of the `offboarded` rule.
    static func plan(_ actions: [PlannedAction]) -> Plan {
        var marks = GraceMarks()
        for action in actions where action.rule == absent.name {
            marks.firstSelected[GraceMarks.Key(rule: action.rule, registrationID: action.registrationID)] = ago(8 * day)
        }
        return Plan(actions: actions, graceMarks: marks, listed: 100)
    }

    @Test("absencesToConfirm names each user once, whatever the case of its ASCII letters, in plan order")
    func oneLookupPerUser() {
        let plan = Self.plan([
            Self.action(Self.absent, "r1", "Ana@Example.com"),
            Self.action(Self.absent, "r2", "bo@example.com"),
            Self.action(Self.absent, "r3", "ana@example.COM"),
            Self.action(Self.absent, "r4", "ÄNA@example.com"),
            Self.action(Self.absent, "r5", "äna@example.com"),
        ])
        // Only ASCII letters fold, as the directory folds them: Ä and ä are two users.
        #expect(plan.absencesToConfirm(for: Self.ruleSet) == [
            "Ana@Example.com", "bo@example.com", "ÄNA@example.com", "äna@example.com",
        ])
    }

    @Test("absencesToConfirm leaves out other rules, dry-run rules and registrations without an email")
    func onlyWhatARunCarriesOut() {
        let plan = Self.plan([
            Self.action(Self.stale, "r1", "cy@example.com"),
            Self.action(Self.absentDryRun, "r2", "di@example.com"),
            Self.action(Self.absent, "r3", nil),
            Self.action(Self.absent, "r4", ""),
            Self.action(Self.absent, "r5", "ed@example.com"),
        ])
        #expect(plan.absencesToConfirm(for: Self.ruleSet) == ["ed@example.com"])
        #expect(plan.absencesToConfirm(for: RuleSet(rules: [Self.stale])).isEmpty)
    }

    @Test("keeping(presentIn:) drops the absence actions of users found, with their grace marks, and nothing else")
    func dropsWhatWasFound() {
        let plan = Self.plan([
            Self.action(Self.absent, "r1", "Ana@Example.com"),
            Self.action(Self.stale, "r2", "ana@example.com"),
            Self.action(Self.absent, "r3", "bo@example.com"),
            Self.action(Self.absentDryRun, "r4", "ana@example.com"),
            Self.action(Self.absent, "r5", "ANA@EXAMPLE.COM"),
        ])
        let (kept, present) = plan.keeping(presentIn: ["ana@example.com"], for: Self.ruleSet)
        #expect(present.map(\.registrationID) == ["r1", "r5"])
        #expect(kept.actions.map(\.registrationID) == ["r2", "r3", "r4"], "the plan's order, the rest untouched")
        #expect(kept.actions == Array(plan.actions[1...3]))
        #expect(kept.graceMarks.firstSelected.keys.map(\.registrationID) == ["r3"], "the grace counts again for r1, r5")
        #expect(kept.listed == plan.listed && kept.abort == nil && kept.waitingForGrace == plan.waitingForGrace)
    }

    @Test("an action dropped says why in its reason, starting with the stated prefix and naming the email as listed")
    func droppedReason() throws {
        let plan = Self.plan([Self.action(Self.absent, "r1", "Ana@Example.com")])
        let (_, present) = plan.keeping(presentIn: ["ana@example.com"], for: Self.ruleSet)
        let reason = try #require(present.first?.reason)
        #expect(reason == "present in Access on confirmation: a lookup of Ana@Example.com found the user the Access "
            + "listing did not show, so the registration is not acted on")
        #expect(reason.hasPrefix(Plan.presentInAccess))
    }

    @Test("keeping(presentIn:) with nobody found, or no absence rule, is the plan as it was")
    func nobodyFound() {
        let plan = Self.plan([Self.action(Self.absent, "r1", "ana@example.com"), Self.action(Self.stale, "r2", nil)])
        let (kept, present) = plan.keeping(presentIn: [], for: Self.ruleSet)
        #expect(kept == plan && present.isEmpty)
        let (unchanged, none) = plan.keeping(presentIn: ["ana@example.com"], for: RuleSet(rules: [Self.stale]))
        #expect(unchanged == plan && none.isEmpty)
        let (other, nobody) = plan.keeping(presentIn: ["an@example.com", "ana@example.co"], for: Self.ruleSet)
        #expect(other == plan && nobody.isEmpty, "a prefix of an email is another email")
    }
}

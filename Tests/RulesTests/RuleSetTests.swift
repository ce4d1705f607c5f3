import Rules
import Testing

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct RuleSetTests {
    static let stale = Rule(name: "stale", action: .delete, match: Match(lastSeenOlderThan: span("90d")))
    static let outdated = Rule(
        name: "outdated",
        action: .revoke,
        match: Match(clientVersionBelow: version("2024.6.415"))
    )
    static let noLimits = Limits(maxActionsPerRun: .max, maxFraction: 1)

    // MARK: Rule order and exclusions

    @Test("the first rule that selects a registration claims it, so it gets one action")
    func firstMatchWins() {
        let rules = RuleSet(rules: [Self.stale, Self.outdated], limits: Self.noLimits)
        let both = registration("both", clientVersion: "2024.1.160.0", lastSeenAt: ago(100 * day))
        let plan = rules.plan([both])
        #expect(plan.actions.map(\.rule) == ["stale"])
        #expect(plan.actions.map(\.action) == [.delete])

        let reversed = RuleSet(rules: [Self.outdated, Self.stale], limits: Self.noLimits)
        #expect(reversed.plan([both]).actions.map(\.rule) == ["outdated"])
    }

    @Test("a registration a rule's exclusion exempts goes on to the next rules")
    func ruleExclusionPassesOn() {
        var stale = Self.stale
        stale.exclude = Exclusion(userEmail: [glob("*@contractor.example.com", caseInsensitive: true)])
        let rules = RuleSet(rules: [stale, Self.outdated], limits: Self.noLimits)
        let contractor = registration(
            "contractor",
            clientVersion: "2024.1.160.0",
            lastSeenAt: ago(100 * day),
            userEmail: "x@Contractor.example.com"
        )
        let employee = registration("employee", clientVersion: "2024.1.160.0", lastSeenAt: ago(100 * day))
        let plan = rules.plan([contractor, employee])
        #expect(plan.actions.map { "\($0.registration.id):\($0.rule)" } == ["contractor:outdated", "employee:stale"])
    }

    @Test("the top-level exclusion exempts a registration from every rule, and from grace marks")
    func globalExclusionWins() {
        var graceful = Self.outdated
        graceful.grace = span("7d")
        let rules = RuleSet(
            rules: [Self.stale, graceful, Rule(name: "all", action: .delete, match: Match(status: .any))],
            exclude: Exclusion(userEmail: [glob("ceo@example.com", caseInsensitive: true)]),
            limits: Self.noLimits
        )
        let ceo = registration(
            "ceo",
            clientVersion: "2024.1.160.0",
            lastSeenAt: ago(100 * day),
            userEmail: "CEO@example.com"
        )
        let plan = rules.plan([ceo])
        #expect(plan.actions.isEmpty)
        #expect(plan.waitingForGrace.isEmpty)
        #expect(plan.graceMarks.firstSelected.isEmpty)
    }

    @Test(
        "each exclusion key exempts a registration on its own",
        arguments: [
            Exclusion(registrationID: ["r1"]), Exclusion(deviceID: ["device-r1"]),
            Exclusion(deviceName: [glob("LAPTOP-*")]),
            Exclusion(userEmail: [glob("JDOE@*", caseInsensitive: true)]), Exclusion(profile: ["Contractors"]),
        ]
    )
    func exclusionKeys(exclusion: Exclusion) {
        let subject = registration("r1", profileName: "Contractors")
        let other = registration("r2", deviceName: "kiosk", userEmail: "other@example.com", profileName: "Default")
        #expect(!exclusion.isEmpty)
        #expect(RuleSet(match: Match(), exclude: exclusion).selectedIDs([subject, other]) == ["r2"])
        let global = RuleSet(
            rules: [Rule(name: "rule", action: .revoke, match: Match())],
            exclude: exclusion,
            limits: Self.noLimits
        )
        #expect(global.selectedIDs([subject, other]) == ["r2"])
    }

    @Test("an exclusion that lists nothing exempts nothing")
    func emptyExclusion() {
        #expect(Exclusion().isEmpty)
        #expect(RuleSet(match: Match(), exclude: Exclusion()).selectedIDs([registration()]) == ["r1"])
    }

    // MARK: Status and no-op actions

    @Test("status any on a revoke rule never revokes an already revoked registration; later rules still see it")
    func revokeAnySkipsRevoked() {
        let rules = RuleSet(
            rules: [
                Rule(name: "revoke-all", action: .revoke, match: Match(status: .any)),
                Rule(name: "delete-revoked", action: .delete, match: Match(status: .revoked)),
            ],
            limits: Self.noLimits
        )
        let plan = rules.plan([registration("active"), registration("revoked", revokedAt: ago(day))])
        #expect(
            plan.actions.map { "\($0.registration.id):\($0.rule)" } == ["active:revoke-all", "revoked:delete-revoked"]
        )
    }

    @Test("status any on an unrevoke rule never unrevokes an active registration")
    func unrevokeAnySkipsActive() {
        let rules = RuleSet(action: .unrevoke, match: Match(status: .any))
        #expect(
            rules.selectedIDs([registration("active"), registration("revoked", revokedAt: ago(day))]) == ["revoked"]
        )
    }

    // MARK: Dry run

    @Test("a rule's dry_run marks its actions as dry runs and keeps them out of the limits")
    func perRuleDryRun() {
        var dryStale = Self.stale
        dryStale.dryRun = true
        let rules = RuleSet(rules: [dryStale, Self.outdated], limits: Limits(maxActionsPerRun: 1, maxFraction: 1))
        let plan = rules.plan([
            registration("s1", lastSeenAt: ago(100 * day)), registration("s2", lastSeenAt: ago(100 * day)),
            registration("o1", clientVersion: "2024.1.160.0"),
        ])
        #expect(plan.actions.map { "\($0.registration.id):\($0.isDryRun)" } == ["o1:false", "s1:true", "s2:true"])
        #expect(plan.abort == nil)
    }

    // MARK: Grace

    static let graceful = RuleSet(
        rules: [
            Rule(
                name: "outdated",
                action: .revoke,
                match: Match(clientVersionBelow: version("2024.6.415")),
                grace: span("7d")
            ),
            Rule(name: "everything", action: .delete, match: Match()),
        ],
        limits: Self.noLimits
    )
    static let outdatedClient = registration("r1", clientVersion: "2024.1.160.0")
    static let mark = GraceMarks.Key(rule: "outdated", registrationID: "r1")

    @Test("a grace rule's first selection writes a mark at now and waits, claiming the registration")
    func graceFirstSelection() {
        let plan = Self.graceful.plan([Self.outdatedClient])
        #expect(plan.actions.isEmpty)
        #expect(plan.waitingForGrace == ["outdated": 1])
        #expect(plan.graceMarks.firstSelected == [Self.mark: now])
    }

    @Test("a grace rule keeps waiting and keeps its mark until the grace has elapsed")
    func graceStillWaiting() {
        let marks = GraceMarks(firstSelected: [Self.mark: ago(7 * day - 1)])
        let plan = Self.graceful.plan([Self.outdatedClient], marks: marks)
        #expect(plan.actions.isEmpty)
        #expect(plan.waitingForGrace == ["outdated": 1])
        #expect(plan.graceMarks == marks)
    }

    @Test(
        "a grace rule acts once now - first selected equals the grace, and keeps the mark",
        arguments: [7 * day, 30 * day]
    )
    func graceElapsed(waited: TimeInterval) {
        let marks = GraceMarks(firstSelected: [Self.mark: ago(waited)])
        let plan = Self.graceful.plan([Self.outdatedClient], marks: marks)
        #expect(plan.actions.map(\.rule) == ["outdated"])
        #expect(plan.waitingForGrace.isEmpty)
        #expect(plan.graceMarks == marks)
    }

    @Test("a mark is dropped when its registration stops matching or disappears")
    func graceMarkDropped() {
        let marks = GraceMarks(firstSelected: [
            Self.mark: ago(3 * day), GraceMarks.Key(rule: "outdated", registrationID: "gone"): ago(3 * day),
        ])
        let upgraded = registration("r1", clientVersion: "2024.11.309.0")
        let plan = Self.graceful.plan([upgraded], marks: marks)
        #expect(plan.graceMarks.firstSelected.isEmpty)
        #expect(plan.waitingForGrace.isEmpty)
        #expect(plan.actions.map(\.rule) == ["everything"])
    }

    @Test("rules without grace write no marks")
    func noGraceNoMarks() {
        let rules = RuleSet(rules: [Self.stale, Self.outdated], limits: Self.noLimits)
        let plan = rules.plan([
            registration("r1", clientVersion: "2024.1.160.0"), registration("r2", lastSeenAt: ago(99 * day)),
        ])
        #expect(plan.actions.count == 2)
        #expect(plan.graceMarks.firstSelected.isEmpty)
    }

    // MARK: Limits

    static func fleet(listed: Int, selected: Int) -> [Registration] {
        (0..<listed).map { index in
            registration(Self.paddedID(index), lastSeenAt: ago(index < selected ? 100 * day : day))
        }
    }

    /// "r00042": zero-padded so that the sorted order is the numeric order.
    static func paddedID(_ index: Int) -> String {
        let digits = String(index)
        return "r" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    @Test(
        "max_actions_per_run allows exactly the limit and aborts at one over",
        arguments: [(100, nil), (101, Plan.Abort.maxActions(selected: 101, limit: 100))] as [(Int, Plan.Abort?)]
    )
    func maxActions(selected: Int, abort: Plan.Abort?) {
        let rules = RuleSet(rules: [Self.stale], limits: Limits(maxActionsPerRun: 100, maxFraction: 1))
        let plan = rules.plan(Self.fleet(listed: 200, selected: selected))
        #expect(plan.abort == abort)
        #expect(plan.actions.count == selected)
    }

    @Test(
        "max_fraction allows exactly the limit and aborts at one over",
        arguments: [(100, nil), (101, Plan.Abort.maxFraction(selected: 101, listed: 1000, limit: 0.10))]
            as [(Int, Plan.Abort?)]
    )
    func maxFraction(selected: Int, abort: Plan.Abort?) {
        let rules = RuleSet(rules: [Self.stale], limits: Limits(maxActionsPerRun: 10_000, maxFraction: 0.10))
        let plan = rules.plan(Self.fleet(listed: 1000, selected: selected))
        #expect(plan.abort == abort)
        #expect(plan.listed == 1000)
    }

    @Test("max_actions is checked before max_fraction, and an aborted plan still lists the selection")
    func maxActionsFirst() {
        let rules = RuleSet(rules: [Self.stale], limits: Limits(maxActionsPerRun: 2, maxFraction: 0.10))
        let plan = rules.plan(Self.fleet(listed: 10, selected: 3))
        #expect(plan.abort == .maxActions(selected: 3, limit: 2))
        #expect(plan.actions.map(\.registration.id) == ["r00000", "r00001", "r00002"])
    }

    @Test("an empty listing never trips max_fraction")
    func emptyListing() {
        let plan = RuleSet(rules: [Self.stale]).plan([])
        #expect(plan.abort == nil)
        #expect(plan.listed == 0)
    }

    // MARK: Needs

    @Test("needsAccessUsers is true only when a rule uses user_not_in_access or user_last_login_older_than")
    func needsAccessUsers() {
        #expect(!RuleSet(rules: [Self.stale, Self.outdated]).needsAccessUsers)
        #expect(RuleSet(match: Match(userNotInAccess: true)).needsAccessUsers)
        #expect(RuleSet(match: Match(userNotInAccess: false)).needsAccessUsers)
        #expect(RuleSet(match: Match(userLastLoginOlderThan: span("90d"))).needsAccessUsers)
        #expect(!RuleSet(match: Match(userMissing: true)).needsAccessUsers)
    }

    @Test("needsProfiles is true when a rule's match or any exclusion uses profile")
    func needsProfiles() {
        #expect(!RuleSet(rules: [Self.stale, Self.outdated]).needsProfiles)
        #expect(RuleSet(match: Match(profile: ["Contractors"])).needsProfiles)
        #expect(RuleSet(match: Match(), exclude: Exclusion(profile: ["Kiosks"])).needsProfiles)
        #expect(RuleSet(rules: [Self.stale], exclude: Exclusion(profile: ["Kiosks"])).needsProfiles)
    }

    @Test(
        "statusesNeeded lists only what some rule can act on",
        arguments: [
            ([], StatusFilter.active),
            ([Rule(name: "a", action: .delete, match: Match())], .active),
            ([Rule(name: "a", action: .revoke, match: Match(status: .any))], .active),
            ([Rule(name: "a", action: .unrevoke, match: Match())], .revoked),
            ([Rule(name: "a", action: .unrevoke, match: Match(status: .any))], .revoked),
            ([Rule(name: "a", action: .delete, match: Match(revokedOlderThan: span("30d")))], .revoked),
            ([Rule(name: "a", action: .delete, match: Match(status: .any))], .any),
            (
                [Rule(name: "a", action: .revoke, match: Match()), Rule(name: "b", action: .unrevoke, match: Match())],
                .any
            ),
        ] as [([Rule], StatusFilter)]
    )
    func statusesNeeded(rules: [Rule], statuses: StatusFilter) {
        #expect(RuleSet(rules: rules).statusesNeeded == statuses)
    }

    // MARK: Determinism

    @Test("actions are sorted by registration ID whatever the listing order")
    func sortedByID() {
        let ids = ["b7", "a1", "c3", "a10", "B2", "a2"]
        let rules = RuleSet(rules: [Self.stale, Self.outdated], limits: Self.noLimits)
        let fleet = ids.enumerated().map { index, id in
            index.isMultiple(of: 2)
                ? registration(id, lastSeenAt: ago(100 * day)) : registration(id, clientVersion: "2024.1.160.0")
        }
        let expected = ["B2", "a1", "a10", "a2", "b7", "c3"]
        #expect(rules.selectedIDs(fleet) == expected)
        #expect(rules.selectedIDs(fleet.reversed()) == expected)
        #expect(rules.plan(fleet) == rules.plan(fleet.reversed()))
    }

    @Test("an ID listed twice gets one action, from its first listing")
    func duplicateIDs() {
        let rules = RuleSet(rules: [Self.stale, Self.outdated], limits: Self.noLimits)
        let plan = rules.plan([
            registration("dup", clientVersion: "2024.1.160.0"), registration("dup", lastSeenAt: ago(100 * day)),
        ])
        #expect(plan.actions.map(\.rule) == ["outdated"])
    }

    @Test("listed counts every registration evaluated")
    func listed() {
        #expect(RuleSet(rules: [Self.stale]).plan(Self.fleet(listed: 7, selected: 0)).listed == 7)
    }

    // MARK: Page by page

    @Test("an evaluation fed page by page plans exactly what plan(for:) plans over the whole listing")
    func pageByPage() {
        var graceful = Self.outdated
        graceful.grace = span("7d")
        let rules = RuleSet(rules: [Self.stale, graceful], limits: Limits(maxActionsPerRun: 3, maxFraction: 1))
        let fleet =
            (0..<20).map { index in
                registration(
                    Self.paddedID(19 - index),
                    clientVersion: index.isMultiple(of: 3) ? "2024.1.160.0" : "2025.1.861.0",
                    lastSeenAt: ago(index.isMultiple(of: 4) ? 100 * day : day)
                )
            } + [registration(Self.paddedID(19), lastSeenAt: ago(100 * day))]
        let marks = GraceMarks(firstSelected: [
            GraceMarks.Key(rule: "outdated", registrationID: Self.paddedID(16)): ago(8 * day)
        ])

        var evaluation = rules.evaluation(directory: nil, graceMarks: marks, at: now)
        for start in stride(from: 0, to: fleet.count, by: 6) {
            evaluation.add(Array(fleet[start..<min(start + 6, fleet.count)]))
        }
        #expect(evaluation.listed == 21)
        let whole = rules.plan(fleet, marks: marks)
        #expect(evaluation.plan() == whole)
        #expect(whole.actions.count == 6)
        #expect(whole.waitingForGrace == ["outdated": 4])
        #expect(whole.abort == .maxActions(selected: 6, limit: 3))
    }
}

import FoundationEssentials
import Testing

@testable import Rules

@Suite struct ListingFilterTests {
    static let everything = Limits(maxActionsPerRun: 1_000_000, maxFraction: 1)

    static func lastSeen(_ name: String, _ text: String, action: RuleAction = .revoke, status: StatusFilter? = nil) -> Rule {
        Rule(name: name, action: action, match: Match(status: status, lastSeenOlderThan: span(text)))
    }

    @Test("every rule has last_seen_older_than: the filter is the shortest span's cutoff, next whole second after it")
    func shortestSpanWins() throws {
        let rules = RuleSet(
            rules: [Self.lastSeen("a", "90d"), Self.lastSeen("b", "30d"), Self.lastSeen("c", "60d", action: .delete)],
            limits: Self.everything
        )
        // `now` is a whole second, so the cutoff is too: the filter is one second after it, never at it.
        let filter = try #require(rules.seenBeforeFilter(at: now))
        #expect(filter == ago(30 * day).addingTimeInterval(1))
        // With a fractional `now`, the cutoff rounds up to the next whole second.
        let fractional = now.addingTimeInterval(0.25)
        #expect(rules.seenBeforeFilter(at: fractional) == ago(30 * day).addingTimeInterval(1))
    }

    @Test(
        "no filter when it could change the plan or its limits",
        arguments: [
            ("a rule without last_seen_older_than", RuleSet(
                rules: [lastSeen("a", "90d"), Rule(name: "b", action: .revoke, match: Match(clientVersionBelow: version("2024.6.415")))],
                limits: everything
            )),
            ("max_fraction below 1: its share is of the listed registrations", RuleSet(
                rules: [lastSeen("a", "90d")], limits: Limits(maxActionsPerRun: 1_000_000, maxFraction: 0.99)
            )),
            ("no rules", RuleSet(rules: [], limits: everything)),
        ] as [(String, RuleSet)]
    )
    func noFilter(_ why: String, rules: RuleSet) {
        #expect(rules.seenBeforeFilter(at: now) == nil, "\(why)")
    }

    @Test("the filtered listing loses nothing the rules select: same plan over the filtered fleet as over the whole")
    func filteredPlanEqualsWholePlan() throws {
        let rules = RuleSet(
            rules: [
                Self.lastSeen("stale", "90d", action: .delete),
                Rule(
                    name: "idle-outdated", action: .revoke,
                    match: Match(lastSeenOlderThan: span("30d"), clientVersionBelow: version("2024.6.415")),
                    grace: span("7d")
                ),
            ],
            limits: Self.everything
        )
        let filter = try #require(rules.seenBeforeFilter(at: now))
        // Every second around each cutoff, plus never-seen registrations.
        var fleet: [Registration] = []
        for (index, offset) in (-3...3).enumerated() {
            for cutoff in [30 * day, 90 * day] {
                fleet.append(registration("r\(cutoff)-\(index)", clientVersion: "2024.1.0", lastSeenAt: ago(cutoff + Double(offset))))
            }
        }
        fleet.append(registration("never-seen", clientVersion: "2024.1.0", lastSeenAt: nil))
        let marks = GraceMarks(firstSelected: [.init(rule: "idle-outdated", registrationID: "r\(30 * day)-0"): ago(8 * day)])

        let whole = rules.plan(for: fleet, directory: nil, graceMarks: marks, at: now)
        let filtered = rules.plan(
            for: fleet.filter { ($0.lastSeenAt ?? .distantFuture) < filter }, directory: nil, graceMarks: marks, at: now
        )
        #expect(!whole.actions.isEmpty)
        #expect(filtered.actions == whole.actions)
        #expect(filtered.graceMarks == whole.graceMarks)
        #expect(filtered.waitingForGrace == whole.waitingForGrace)
        #expect(filtered.abort == nil && whole.abort == nil)
        #expect(filtered.listed < whole.listed)
    }
}

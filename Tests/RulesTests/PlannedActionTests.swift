import Rules
import Testing

/// The reason each planned action carries: one clause per match key, in a fixed order.
struct PlannedActionTests {
    static let directory = Directory(accessUsers: [
        AccessUser(id: "a", email: "jdoe@example.com", lastSuccessfulLogin: ago(200 * day + 3600))
    ])

    static func reason(_ action: RuleAction, _ match: Match, _ subject: Registration) -> String? {
        RuleSet(action: action, match: match).plan([subject], directory: directory).actions.first?.reason
    }

    static func reason(_ match: Match, _ subject: Registration) -> String? {
        reason(.revoke, match, subject)
    }

    @Test("explains each match key in words")
    func singleKeys() {
        #expect(
            Self.reason(.delete, Match(lastSeenOlderThan: span("90d")), registration(lastSeenAt: ago(114.9 * day)))
                == "last seen 114 days ago (limit 90 days)"
        )
        #expect(
            Self.reason(.delete, Match(createdOlderThan: span("365d")), registration(createdAt: ago(400 * day)))
                == "created 400 days ago (limit 365 days)"
        )
        #expect(
            Self.reason(.delete, Match(revokedOlderThan: span("30d")), registration(revokedAt: ago(31 * day)))
                == "revoked 31 days ago (limit 30 days)"
        )
        #expect(
            Self.reason(Match(clientVersionBelow: version("2024.6.415")), registration(clientVersion: "2024.1.160.0"))
                == "client 2024.1.160.0 is below 2024.6.415"
        )
        #expect(
            Self.reason(Match(clientVersionUnknown: true), registration(clientVersion: nil)) == "client version unknown"
        )
        #expect(
            Self.reason(Match(userEmail: [glob("*@y.com"), glob("*@x.com")]), registration(userEmail: "jdoe@x.com"))
                == "user email jdoe@x.com matches *@x.com"
        )
        #expect(
            Self.reason(Match(deviceName: [glob("warp-connector-*")]), registration(deviceName: "warp-connector-1"))
                == "device name matches warp-connector-*"
        )
        #expect(Self.reason(Match(keyType: ["curve25519"]), registration()) == "key type curve25519")
        #expect(Self.reason(Match(tunnelType: ["masque"]), registration()) == "tunnel type masque")
        #expect(
            Self.reason(Match(profile: ["Contractors"]), registration(profileName: "Contractors"))
                == "profile Contractors"
        )
        #expect(Self.reason(Match(userMissing: true), registration(userID: nil, userEmail: nil)) == "no user")
        #expect(
            Self.reason(Match(userNotInAccess: true), registration(userEmail: "gone@example.com"))
                == "user gone@example.com is not in Access"
        )
        #expect(
            Self.reason(Match(userLastLoginOlderThan: span("180d")), registration())
                == "user last logged in 200 days ago (limit 180 days)"
        )
    }

    @Test("joins the clauses of several keys with \"; \" in a fixed order")
    func severalKeys() {
        let match = Match(
            status: .any,
            lastSeenOlderThan: span("90d"),
            clientVersionBelow: version("2024.6.415"),
            deviceName: [glob("LAPTOP-*")]
        )
        let subject = registration(clientVersion: "2024.1.160.0", lastSeenAt: ago(100 * day))
        #expect(
            Self.reason(.delete, match, subject)
                == "last seen 100 days ago (limit 90 days); client 2024.1.160.0 is below 2024.6.415; "
                + "device name matches LAPTOP-*"
        )
    }

    @Test("names the status when it is the only key")
    func statusOnly() {
        #expect(Self.reason(.delete, Match(status: .revoked), registration(revokedAt: ago(day))) == "status revoked")
        #expect(Self.reason(.unrevoke, Match(), registration(revokedAt: ago(day))) == "status revoked")
    }

    @Test(
        "counts ages under a day in hours, minutes or seconds",
        arguments: [
            ("30m", 2 * 3600 + 59, "last seen 2 hours ago (limit 30 minutes)"),
            ("30s", 59, "last seen 59 seconds ago (limit 30 seconds)"),
            ("1m", 61, "last seen 1 minute 1 second ago (limit 1 minute)"),
            ("1d", day + 1, "last seen 1 day 1 second ago (limit 1 day)"),
        ] as [(String, Double, String)]
    )
    func shortAges(limit: String, unseen: Double, reason: String) {
        #expect(
            Self.reason(.delete, Match(lastSeenOlderThan: span(limit)), registration(lastSeenAt: ago(unseen))) == reason
        )
    }

    @Test(
        "at the edge, an age shows the precision that puts it past its limit",
        arguments: [
            ("90d", 90 * day + 5 * 3600, "last seen 90 days 5 hours ago (limit 90 days)"),
            ("90d", 90 * day + 12 * 60 + 3, "last seen 90 days 12 minutes ago (limit 90 days)"),
            ("2w", 14 * day + 3600, "last seen 14 days 1 hour ago (limit 2 weeks)"),
            ("90d", 91 * day + 5 * 3600, "last seen 91 days ago (limit 90 days)"),
            ("90d", 114 * day, "last seen 114 days ago (limit 90 days)"),
        ] as [(String, Double, String)]
    )
    func agesAtTheEdge(limit: String, unseen: Double, reason: String) {
        #expect(
            Self.reason(.delete, Match(lastSeenOlderThan: span(limit)), registration(lastSeenAt: ago(unseen))) == reason
        )
    }

    @Test("carries the rule, its action and its dry_run")
    func carriesRule() throws {
        let rules = RuleSet(rules: [Rule(name: "stale", action: .delete, match: Match(), dryRun: true)])
        let action = try #require(rules.plan([registration()]).actions.first)
        #expect(
            action
                == PlannedAction(
                    rule: "stale",
                    action: .delete,
                    registration: registration(),
                    reason: "status active",
                    isDryRun: true
                )
        )
    }

    @Test("keeps the reason it was planned with when its registration changes; a set reason replaces it")
    func reasonIsStable() throws {
        let rules = RuleSet(action: .delete, match: Match(lastSeenOlderThan: span("90d")))
        var action = try #require(rules.plan([registration(lastSeenAt: ago(100 * day))]).actions.first)
        #expect(action.reason == "last seen 100 days ago (limit 90 days)")
        action.registration.lastSeenAt = ago(200 * day)
        #expect(action.reason == "last seen 100 days ago (limit 90 days)")
        action.reason = "by hand"
        #expect(action.reason == "by hand")
    }

    @Test("equals, and hashes like, the same action built with its reason text")
    func equalsBuiltAction() throws {
        let subject = registration(lastSeenAt: ago(100 * day))
        let rules = RuleSet(action: .delete, match: Match(lastSeenOlderThan: span("90d")))
        let planned = try #require(rules.plan([subject]).actions.first)
        let built = PlannedAction(
            rule: planned.rule,
            action: .delete,
            registration: subject,
            reason: "last seen 100 days ago (limit 90 days)"
        )
        #expect(planned == built)
        #expect(Set([planned, built]).count == 1)
        #expect(planned != PlannedAction(rule: planned.rule, action: .delete, registration: subject, reason: "other"))
    }
}

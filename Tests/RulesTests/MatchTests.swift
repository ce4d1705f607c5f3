import Rules
import Testing

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Each `[rule.match]` key, through a rule set of one rule.
struct MatchTests {
    // MARK: Time keys

    @Test(
        "last_seen_older_than selects only registrations unseen for strictly longer than the limit",
        arguments: [(90 * day - 1, false), (90 * day, false), (90 * day + 1, true), (400 * day, true)]
    )
    func lastSeenBoundary(unseen: TimeInterval, selected: Bool) {
        let rules = RuleSet(action: .delete, match: Match(lastSeenOlderThan: span("90d")))
        #expect(rules.selectedIDs([registration(lastSeenAt: ago(unseen))]) == (selected ? ["r1"] : []))
    }

    @Test(
        "created_older_than selects only registrations created strictly longer ago than the limit",
        arguments: [(365 * day - 1, false), (365 * day, false), (365 * day + 1, true)]
    )
    func createdBoundary(age: TimeInterval, selected: Bool) {
        let rules = RuleSet(action: .delete, match: Match(createdOlderThan: span("365d")))
        #expect(rules.selectedIDs([registration(createdAt: ago(age))]) == (selected ? ["r1"] : []))
    }

    @Test(
        "revoked_older_than selects only registrations revoked strictly longer ago than the limit",
        arguments: [(30 * day - 1, false), (30 * day, false), (30 * day + 1, true)]
    )
    func revokedBoundary(age: TimeInterval, selected: Bool) {
        let rules = RuleSet(action: .delete, match: Match(revokedOlderThan: span("30d")))
        #expect(rules.selectedIDs([registration(revokedAt: ago(age))]) == (selected ? ["r1"] : []))
    }

    @Test(
        "user_last_login_older_than selects only users whose last Access login is strictly older than the limit",
        arguments: [(180 * day - 1, false), (180 * day, false), (180 * day + 1, true)]
    )
    func lastLoginBoundary(age: TimeInterval, selected: Bool) {
        let rules = RuleSet(match: Match(userLastLoginOlderThan: span("180d")))
        let directory = Directory(accessUsers: [
            AccessUser(id: "a", email: "jdoe@example.com", lastSuccessfulLogin: ago(age))
        ])
        #expect(rules.selectedIDs([registration()], directory: directory) == (selected ? ["r1"] : []))
    }

    @Test("a registration without the date never matches a time key", arguments: ["last_seen", "created", "revoked"])
    func missingDateNeverMatches(key: String) {
        let (rules, subject): (RuleSet, Registration) =
            switch key {
            case "last_seen":
                (RuleSet(action: .delete, match: Match(lastSeenOlderThan: span("1s"))), registration(lastSeenAt: nil))
            case "created":
                (RuleSet(action: .delete, match: Match(createdOlderThan: span("1s"))), registration(createdAt: nil))
            default:
                (
                    RuleSet(action: .delete, match: Match(status: .any, revokedOlderThan: span("1s"))),
                    registration(revokedAt: nil)
                )
            }
        #expect(rules.selectedIDs([subject]).isEmpty)
    }

    @Test("revoked_older_than selects revoked registrations without an explicit status")
    func revokedOlderThanImpliesRevoked() {
        let rules = RuleSet(action: .delete, match: Match(revokedOlderThan: span("30d")))
        #expect(rules.rules[0].status == .revoked)
        #expect(rules.selectedIDs([registration("old", revokedAt: ago(31 * day)), registration("active")]) == ["old"])
    }

    @Test(
        "user_last_login_older_than does not select a user who never logged in, is not in Access, or without a directory"
    )
    func lastLoginNeedsAKnownLogin() {
        let rules = RuleSet(match: Match(userLastLoginOlderThan: span("1d")))
        let directory = Directory(accessUsers: [
            AccessUser(id: "a", email: "never@example.com", lastSuccessfulLogin: nil),
            AccessUser(id: "b", email: "jdoe@example.com", lastSuccessfulLogin: ago(400 * day)),
        ])
        #expect(
            rules.selectedIDs([registration("never", userEmail: "never@example.com")], directory: directory).isEmpty
        )
        #expect(rules.selectedIDs([registration("gone", userEmail: "gone@example.com")], directory: directory).isEmpty)
        #expect(rules.selectedIDs([registration("no-email", userEmail: nil)], directory: directory).isEmpty)
        #expect(rules.selectedIDs([registration("jdoe")], directory: nil).isEmpty)
        #expect(
            rules.selectedIDs([registration("jdoe", userEmail: "JDoe@Example.com")], directory: directory) == ["jdoe"]
        )
    }

    // MARK: Status

    @Test("rules select active registrations by default, unrevoke rules revoked ones")
    func statusDefaults() {
        let fleet = [registration("active"), registration("revoked", revokedAt: ago(day))]
        #expect(RuleSet(action: .revoke, match: Match()).selectedIDs(fleet) == ["active"])
        #expect(RuleSet(action: .delete, match: Match()).selectedIDs(fleet) == ["active"])
        #expect(RuleSet(action: .unrevoke, match: Match()).selectedIDs(fleet) == ["revoked"])
    }

    @Test("status any lets a delete rule select both active and revoked registrations")
    func statusAny() {
        let fleet = [registration("active"), registration("revoked", revokedAt: ago(day))]
        #expect(RuleSet(action: .delete, match: Match(status: .any)).selectedIDs(fleet) == ["active", "revoked"])
        #expect(RuleSet(action: .delete, match: Match(status: .revoked)).selectedIDs(fleet) == ["revoked"])
    }

    // MARK: Client version

    @Test(
        "client_version_below selects only parsable versions strictly below the minimum",
        arguments: [
            ("2024.1.160.0", true), ("2024.6.414.9", true), ("2024.6", true), ("2024.6.415", false),
            ("2024.6.415.0", false), ("2024.6.415.1", false), ("2024.11.0", false), ("2025.1.861.0", false),
            (nil, false), ("", false), ("2024.1.160-beta", false), ("2024.1.160b", false), ("unknown", false),
        ] as [(String?, Bool)]
    )
    func clientVersionBelow(clientVersion: String?, selected: Bool) {
        let rules = RuleSet(match: Match(clientVersionBelow: version("2024.6.415")))
        #expect(rules.selectedIDs([registration(clientVersion: clientVersion)]) == (selected ? ["r1"] : []))
    }

    @Test(
        "client_version_unknown = true selects missing or unparsable versions, false parsable ones",
        arguments: [(nil, true), ("", true), ("2024.6.415-beta", true), ("garbage", true), ("2024.6.415.0", false)]
            as [(String?, Bool)]
    )
    func clientVersionUnknown(clientVersion: String?, unknown: Bool) {
        let whenUnknown = RuleSet(match: Match(clientVersionUnknown: true))
        let whenKnown = RuleSet(match: Match(clientVersionUnknown: false))
        #expect(whenUnknown.selectedIDs([registration(clientVersion: clientVersion)]) == (unknown ? ["r1"] : []))
        #expect(whenKnown.selectedIDs([registration(clientVersion: clientVersion)]) == (unknown ? [] : ["r1"]))
    }

    // MARK: Globs and values

    @Test(
        "user_email selects when any glob matches, case-insensitively, and never without an email",
        arguments: [
            ("jdoe@contractor.example.com", true), ("JDoe@Contractor.Example.COM", true),
            ("kiosk@lobby.example.com", true),
            ("jdoe@example.com", false), (nil, false),
        ] as [(String?, Bool)]
    )
    func userEmail(email: String?, selected: Bool) {
        let globs = [glob("*@contractor.example.com", caseInsensitive: true), glob("kiosk@*", caseInsensitive: true)]
        let rules = RuleSet(match: Match(userEmail: globs))
        #expect(rules.selectedIDs([registration(userEmail: email)]) == (selected ? ["r1"] : []))
    }

    @Test(
        "device_name selects when any glob matches",
        arguments: [("warp-connector-paris", true), ("kiosk-7", true), ("kiosk-77", false), ("LAPTOP-8F2K1", false)]
    )
    func deviceName(name: String, selected: Bool) {
        let rules = RuleSet(match: Match(deviceName: [glob("warp-connector-*"), glob("kiosk-?")]))
        #expect(rules.selectedIDs([registration(deviceName: name)]) == (selected ? ["r1"] : []))
    }

    @Test(
        "key_type selects registrations whose key type equals one of the values",
        arguments: [("curve25519", true), ("secp256r1", true), ("Curve25519", false), (nil, false)] as [(String?, Bool)]
    )
    func keyType(value: String?, selected: Bool) {
        let rules = RuleSet(match: Match(keyType: ["curve25519", "secp256r1"]))
        #expect(rules.selectedIDs([registration(keyType: value)]) == (selected ? ["r1"] : []))
    }

    @Test(
        "tunnel_type selects registrations whose tunnel type equals one of the values",
        arguments: [("wireguard", true), ("masque", false), (nil, false)] as [(String?, Bool)]
    )
    func tunnelType(value: String?, selected: Bool) {
        let rules = RuleSet(match: Match(tunnelType: ["wireguard"]))
        #expect(rules.selectedIDs([registration(tunnelType: value)]) == (selected ? ["r1"] : []))
    }

    @Test(
        "profile selects registrations in one of the named settings profiles, case-sensitively",
        arguments: [("Contractors", true), ("Kiosks", true), ("contractors", false), ("Default", false), (nil, false)]
            as [(String?, Bool)]
    )
    func profile(name: String?, selected: Bool) {
        let rules = RuleSet(match: Match(profile: ["Contractors", "Kiosks"]))
        #expect(rules.selectedIDs([registration(profileName: name)]) == (selected ? ["r1"] : []))
    }

    // MARK: Users

    @Test(
        "user_missing = true selects registrations with neither user email nor user ID, false the others",
        arguments: [
            (nil, nil, true), ("", nil, true), (nil, "", true), ("", "", true), ("jdoe@example.com", nil, false),
            (nil, "u-1", false), ("jdoe@example.com", "u-1", false),
        ] as [(String?, String?, Bool)]
    )
    func userMissing(email: String?, userID: String?, missing: Bool) {
        let subject = registration(userID: userID, userEmail: email)
        #expect(RuleSet(match: Match(userMissing: true)).selectedIDs([subject]) == (missing ? ["r1"] : []))
        #expect(RuleSet(match: Match(userMissing: false)).selectedIDs([subject]) == (missing ? [] : ["r1"]))
    }

    @Test(
        "user_not_in_access = true selects users absent from Access (emails compared case-insensitively)",
        arguments: [
            ("gone@example.com", true), ("jdoe@example.com", false), ("JDOE@EXAMPLE.COM", false), (nil, false),
            ("", false),
        ] as [(String?, Bool)]
    )
    func userNotInAccess(email: String?, selected: Bool) {
        let directory = Directory(accessUsers: [
            AccessUser(id: "a", email: "JDoe@Example.com", lastSuccessfulLogin: nil)
        ])
        let rules = RuleSet(match: Match(userNotInAccess: true))
        #expect(rules.selectedIDs([registration(userEmail: email)], directory: directory) == (selected ? ["r1"] : []))
    }

    @Test("user_not_in_access = false selects users present in Access")
    func userInAccess() {
        let directory = Directory(accessUsers: [
            AccessUser(id: "a", email: "jdoe@example.com", lastSuccessfulLogin: nil)
        ])
        let rules = RuleSet(match: Match(userNotInAccess: false))
        let fleet = [
            registration("present"), registration("gone", userEmail: "gone@example.com"),
            registration("none", userEmail: nil),
        ]
        #expect(rules.selectedIDs(fleet, directory: directory) == ["present"])
    }

    @Test("user_not_in_access never matches without a directory")
    func userNotInAccessWithoutDirectory() {
        let rules = RuleSet(match: Match(userNotInAccess: true))
        #expect(rules.selectedIDs([registration(userEmail: "gone@example.com")], directory: nil).isEmpty)
    }

    // MARK: Combination

    @Test("every key present must hold")
    func keysAreAnded() {
        let rules = RuleSet(
            action: .delete,
            match: Match(lastSeenOlderThan: span("90d"), deviceName: [glob("kiosk-*")])
        )
        let fleet = [
            registration("both", deviceName: "kiosk-1", lastSeenAt: ago(100 * day)),
            registration("stale-only", deviceName: "LAPTOP-1", lastSeenAt: ago(100 * day)),
            registration("name-only", deviceName: "kiosk-2", lastSeenAt: ago(1 * day)),
        ]
        #expect(rules.selectedIDs(fleet) == ["both"])
    }

    @Test("an empty match selects every registration of the rule's status")
    func emptyMatch() {
        let fleet = [registration("a"), registration("b", userEmail: nil), registration("c", revokedAt: ago(day))]
        #expect(RuleSet(action: .delete, match: Match()).selectedIDs(fleet) == ["a", "b"])
    }
}

import Rules

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The evaluation time every rule test uses.
let now = Date(timeIntervalSince1970: 1_795_428_000)  // 2026-11-23T10:00:00Z
let day: TimeInterval = 86_400

/// The instant `seconds` before ``now``.
func ago(_ seconds: TimeInterval) -> Date { now.addingTimeInterval(-seconds) }

/// A parsed span; the tests only write valid ones.
func span(_ text: String) -> TimeSpan {
    guard let span = TimeSpan(parsing: text) else { preconditionFailure("\(text) is not a span") }
    return span
}

/// A parsed version; the tests only write valid ones.
func version(_ text: String) -> WARPVersion {
    guard let version = WARPVersion(text) else { preconditionFailure("\(text) is not a version") }
    return version
}

/// A compiled glob; the tests only write valid ones.
func glob(_ pattern: String, caseInsensitive: Bool = false) -> Glob {
    do { return try Glob(pattern, caseInsensitive: caseInsensitive) } catch {
        preconditionFailure("\(pattern): \(error)")
    }
}

/// An active registration seen a day ago with a current client and a user; override what a test is about.
func registration(
    _ id: String = "r1",
    deviceID: String? = nil,
    deviceName: String = "LAPTOP-8F2K1",
    clientVersion: String? = "2024.11.309.0",
    createdAt: Date? = ago(30 * day),
    lastSeenAt: Date? = ago(1 * day),
    revokedAt: Date? = nil,
    keyType: String? = "curve25519",
    tunnelType: String? = "masque",
    userID: String? = "u-1",
    userEmail: String? = "jdoe@example.com",
    profileName: String? = nil
) -> Registration {
    Registration(
        id: id,
        deviceID: deviceID ?? "device-\(id)",
        deviceName: deviceName,
        clientVersion: clientVersion,
        createdAt: createdAt,
        lastSeenAt: lastSeenAt,
        revokedAt: revokedAt,
        keyType: keyType,
        tunnelType: tunnelType,
        userID: userID,
        userEmail: userEmail,
        userName: userEmail == nil ? nil : "J. Doe",
        profileID: profileName == nil ? nil : "profile-\(profileName ?? "")",
        profileName: profileName
    )
}

extension RuleSet {
    /// A rule set of one rule named "rule" with no limits in the way.
    init(action: RuleAction = .revoke, match: Match, exclude: Exclusion = Exclusion(), grace: TimeSpan? = nil) {
        self.init(
            rules: [Rule(name: "rule", action: action, match: match, exclude: exclude, grace: grace)],
            limits: Limits(maxActionsPerRun: .max, maxFraction: 1)
        )
    }

    /// The plan for `registrations` at ``now``.
    func plan(_ registrations: [Registration], directory: Directory? = nil, marks: GraceMarks = GraceMarks()) -> Plan {
        plan(for: registrations, directory: directory, graceMarks: marks, at: now)
    }

    /// The IDs of the registrations the plan acts on, in plan order.
    func selectedIDs(_ registrations: [Registration], directory: Directory? = nil) -> [String] {
        plan(registrations, directory: directory).actions.map(\.registration.id)
    }
}

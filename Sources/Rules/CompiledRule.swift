#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A rule prepared for one evaluation: cutoff dates computed from `now` once, and the checks ordered
/// cheapest first, so that testing a registration allocates nothing.
struct CompiledRule: Sendable {
    let rule: Rule
    // Copied out of `rule` for the actions the rule plans.
    let name: String
    let action: RuleAction
    let isDryRun: Bool
    private let canSelectActive: Bool
    private let canSelectRevoked: Bool
    // `date < cutoff` is `now - date > span`: strictly older than the span.
    private let lastSeenCutoff: Date?
    private let createdCutoff: Date?
    private let revokedCutoff: Date?
    private let lastLoginCutoff: Date?
    /// A mark at or before this has waited out the grace (`now - firstSelected >= grace`).
    let graceCutoff: Date?
    private let versionBelow: VersionNumber?
    private let versionUnknown: Bool?
    /// True when the rule reads the client version, so the evaluation parses it.
    private let needsVersion: Bool
    // The match's other keys, copied out of `rule` so that reading them copies no `Match`.
    private let keyType: [String]?
    private let tunnelType: [String]?
    private let profile: [String]?
    private let userMissing: Bool?
    private let deviceName: [Glob]?
    private let userEmail: [Glob]?
    private let userNotInAccess: Bool?
    /// The rule's `[rule.exclude]`, copied out of `rule` like the match keys.
    let exclude: Exclusion
    let hasExclusion: Bool
    /// The string fields ``reason(for:at:directory:)`` reads, as ``PackedRegistration/Field`` bits: a
    /// packed registration builds only these to explain an action (its dates it always has).
    let reasonFields: UInt16

    init(_ rule: Rule, at now: Date) {
        func cutoff(_ span: TimeSpan?) -> Date? { span.map { now.addingTimeInterval(-$0.interval) } }
        self.rule = rule
        name = rule.name
        action = rule.action
        isDryRun = rule.dryRun
        canSelectActive = rule.canSelectActive
        canSelectRevoked = rule.canSelectRevoked
        lastSeenCutoff = cutoff(rule.match.lastSeenOlderThan)
        createdCutoff = cutoff(rule.match.createdOlderThan)
        revokedCutoff = cutoff(rule.match.revokedOlderThan)
        lastLoginCutoff = cutoff(rule.match.userLastLoginOlderThan)
        graceCutoff = cutoff(rule.grace)
        versionBelow = rule.match.clientVersionBelow?.number
        versionUnknown = rule.match.clientVersionUnknown
        needsVersion = versionBelow != nil || versionUnknown != nil
        keyType = rule.match.keyType
        tunnelType = rule.match.tunnelType
        profile = rule.match.profile
        userMissing = rule.match.userMissing
        deviceName = rule.match.deviceName
        userEmail = rule.match.userEmail
        userNotInAccess = rule.match.userNotInAccess
        exclude = rule.exclude
        hasExclusion = !rule.exclude.isEmpty
        let match = rule.match
        var reasonFields: [PackedRegistration.Field] = []
        if match.clientVersionBelow != nil || match.clientVersionUnknown != nil { reasonFields.append(.clientVersion) }
        if match.userEmail != nil || match.userNotInAccess != nil || match.userLastLoginOlderThan != nil {
            reasonFields.append(.userEmail)
        }
        if match.deviceName != nil { reasonFields.append(.deviceName) }
        if match.keyType != nil { reasonFields.append(.keyType) }
        if match.tunnelType != nil { reasonFields.append(.tunnelType) }
        if match.profile != nil { reasonFields.append(.profileName) }
        self.reasonFields = PackedRegistration.bits(reasonFields)
    }

    /// Returns true when `rule`'s match selects `registration` (its exclusion is checked apart).
    ///
    /// Static and by pointer: calling a method on an array element, or passing one as an argument,
    /// copies it, and copying a `Registration` or `CompiledRule` retains every string and array in it.
    /// Reading through the pointers loads only the fields a check needs.
    ///
    /// - Parameters:
    ///   - version: the registration's parsed client version, shared by the rules so that it is parsed
    ///     at most once per registration.
    ///   - versions: the versions parsed for earlier registrations.
    static func selects(
        _ registration: UnsafePointer<Registration>,
        by rule: UnsafePointer<CompiledRule>,
        version: inout ParsedVersion,
        versions: inout VersionCache,
        directory: Directory?
    ) -> Bool {
        if let revokedAt = registration.pointee.revokedAt {
            guard rule.pointee.canSelectRevoked else { return false }
            if let cutoff = rule.pointee.revokedCutoff, !(revokedAt < cutoff) { return false }
        } else {
            guard rule.pointee.canSelectActive else { return false }
        }
        if let cutoff = rule.pointee.lastSeenCutoff {
            guard let lastSeenAt = registration.pointee.lastSeenAt, lastSeenAt < cutoff else { return false }
        }
        if let cutoff = rule.pointee.createdCutoff {
            guard let createdAt = registration.pointee.createdAt, createdAt < cutoff else { return false }
        }
        if let keyTypes = rule.pointee.keyType {
            guard let value = registration.pointee.keyType, keyTypes.contains(value) else { return false }
        }
        if let tunnelTypes = rule.pointee.tunnelType {
            guard let value = registration.pointee.tunnelType, tunnelTypes.contains(value) else { return false }
        }
        if let profiles = rule.pointee.profile {
            guard let value = registration.pointee.profileName, profiles.contains(value) else { return false }
        }
        if let userMissing = rule.pointee.userMissing {
            guard registration.pointee.hasUser != userMissing else { return false }
        }
        if rule.pointee.needsVersion {
            let slot = version.slot(of: registration.pointee.clientVersion, versions: &versions)
            if let minimum = rule.pointee.versionBelow {
                guard let slot, versions.isVersion(inSlot: slot, below: minimum) else { return false }
            }
            if let versionUnknown = rule.pointee.versionUnknown {
                let isKnown = slot.map { versions.isVersion(inSlot: $0) } ?? false
                guard isKnown != versionUnknown else { return false }
            }
        }
        if let globs = rule.pointee.deviceName {
            let name = registration.pointee.deviceName
            guard globs.contains(where: { $0.matches(name) }) else { return false }
        }
        if let globs = rule.pointee.userEmail {
            guard let email = registration.pointee.userEmail, globs.contains(where: { $0.matches(email) }) else {
                return false
            }
        }
        if let userNotInAccess = rule.pointee.userNotInAccess {
            guard let directory, let email = registration.pointee.userEmail, !email.isEmpty,
                (directory.user(withEmail: email) == nil) == userNotInAccess
            else { return false }
        }
        if let cutoff = rule.pointee.lastLoginCutoff {
            guard let directory, let email = registration.pointee.userEmail, !email.isEmpty,
                let login = directory.user(withEmail: email)?.lastSuccessfulLogin, login < cutoff
            else { return false }
        }
        return true
    }
}

/// Where a registration's client version is in the ``VersionCache``, looked up on first use by the first
/// rule that needs it. Valid while the evaluation is at that registration: the next lookup may reuse the
/// slot.
enum ParsedVersion {
    case notParsed
    /// No `client_version` at all.
    case missing
    case inSlot(Int)

    mutating func slot(of text: String?, versions: inout VersionCache) -> Int? {
        switch self {
        case .inSlot(let slot):
            return slot
        case .missing:
            return nil
        case .notParsed:
            guard let text else {
                self = .missing
                return nil
            }
            let slot = versions.slot(of: text)
            self = .inSlot(slot)
            return slot
        }
    }
}

extension Registration {
    /// True when the registration names a user by email or ID (empty strings do not count).
    var hasUser: Bool { !(userEmail ?? "").isEmpty || !(userID ?? "").isEmpty }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension CompiledRule {
    /// Explains why the rule selected `registration`: one clause per match key present, in a fixed
    /// order, joined by "; ". Called when a planned action's reason is read, never while planning.
    func reason(for registration: Registration, at now: Date, directory: Directory?) -> String {
        let match = rule.match
        var clauses = Clauses()
        if let span = match.lastSeenOlderThan, let date = registration.lastSeenAt {
            clauses.append("last seen \(Self.age(from: date, to: now, beyond: span)) ago (limit \(span))")
        }
        if let span = match.createdOlderThan, let date = registration.createdAt {
            clauses.append("created \(Self.age(from: date, to: now, beyond: span)) ago (limit \(span))")
        }
        if let span = match.revokedOlderThan, let date = registration.revokedAt {
            clauses.append("revoked \(Self.age(from: date, to: now, beyond: span)) ago (limit \(span))")
        }
        if let minimum = match.clientVersionBelow, let version = registration.clientVersion {
            clauses.append("client \(version) is below \(minimum)")
        }
        if let unknown = match.clientVersionUnknown {
            clauses.append(unknown ? "client version unknown" : "client version \(registration.clientVersion ?? "")")
        }
        if let globs = match.userEmail, let email = registration.userEmail,
            let glob = globs.first(where: { $0.matches(email) })
        {
            clauses.append("user email \(email) matches \(glob)")
        }
        if let globs = match.deviceName, let glob = globs.first(where: { $0.matches(registration.deviceName) }) {
            clauses.append("device name matches \(glob)")
        }
        if match.keyType != nil, let keyType = registration.keyType {
            clauses.append("key type \(keyType)")
        }
        if match.tunnelType != nil, let tunnelType = registration.tunnelType {
            clauses.append("tunnel type \(tunnelType)")
        }
        if match.profile != nil, let profile = registration.profileName {
            clauses.append("profile \(profile)")
        }
        if let missing = match.userMissing {
            clauses.append(missing ? "no user" : "has a user")
        }
        if let notInAccess = match.userNotInAccess, let email = registration.userEmail {
            clauses.append("user \(email) is \(notInAccess ? "not " : "")in Access")
        }
        if let span = match.userLastLoginOlderThan, let email = registration.userEmail,
            let login = directory?.user(withEmail: email)?.lastSuccessfulLogin
        {
            clauses.append("user last logged in \(Self.age(from: login, to: now, beyond: span)) ago (limit \(span))")
        }
        if clauses.text.isEmpty {
            clauses.append("status \(rule.status.rawValue)")
        }
        return clauses.text
    }

    /// The time between two dates in whole days, rounded down ("114 days", "1 day"); under a day, in
    /// whole hours, minutes or seconds, so that a short limit never reads "0 days ago".
    ///
    /// - Parameter limit: the span the age was found to exceed. When the age in whole units does not
    ///   show that ("90 days ago (limit 90 days)" for 90 days and 5 hours), smaller units follow until it
    ///   does: "90 days 5 hours".
    static func age(from start: Date, to end: Date, beyond limit: TimeSpan? = nil) -> String {
        let seconds = max(0, end.timeIntervalSince(start))
        if let limit, seconds > Double(limit.seconds), seconds < 1e15 {
            let total = Int64(seconds.rounded(.down))
            let units: [(seconds: Int64, name: String)] = [(86_400, "day"), (3600, "hour"), (60, "minute"), (1, "second")]
            if let first = units.firstIndex(where: { $0.seconds <= total }) {
                var parts: [String] = []
                var shown: Int64 = 0
                for unit in units[first...] {
                    let count = (total - shown) / unit.seconds
                    guard count > 0 || parts.isEmpty else { continue }
                    parts.append("\(count) \(unit.name)\(count == 1 ? "" : "s")")
                    shown += count * unit.seconds
                    if shown > limit.seconds { break }
                }
                return parts.joined(separator: " ")
            }
        }
        let (count, unit): (Double, String) =
            switch seconds {
            case 86_400...: ((seconds / 86_400).rounded(.down), "day")
            case 3600...: ((seconds / 3600).rounded(.down), "hour")
            case 60...: ((seconds / 60).rounded(.down), "minute")
            default: (seconds.rounded(.down), "second")
            }
        let whole = count < 1e15 ? Int(count) : Int(1e15)
        return "\(whole) \(unit)\(whole == 1 ? "" : "s")"
    }
}

/// Clauses joined by "; " as they come, without an intermediate array.
private struct Clauses {
    var text = ""

    mutating func append(_ clause: String) {
        if !text.isEmpty { text += "; " }
        text += clause
    }
}

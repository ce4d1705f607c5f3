import Cloudflare
import Rules
import TOMLKit

/// Reads and validates a configuration file's text, collecting every problem before giving up.
struct ConfigurationReader {
    private let path: String
    private let source: SourceLines
    private var issues: [InvalidConfiguration.Issue] = []

    /// Parses `text` (the contents of `path`).
    ///
    /// - Throws: ``InvalidConfiguration`` listing every problem found.
    static func read(_ text: String, path: String) throws(InvalidConfiguration) -> Configuration {
        var reader = ConfigurationReader(path: path, source: SourceLines(text: text))
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw InvalidConfiguration(path: path, issues: [
                .init(keyPath: "", line: error.source.begin.line, message: "not valid TOML: \(error.description)")
            ])
        } catch {
            throw InvalidConfiguration(path: path, issues: [.init(keyPath: "", line: nil, message: "not valid TOML: \(error)")])
        }
        let configuration = reader.configuration(from: table)
        guard reader.issues.isEmpty, let configuration else {
            throw InvalidConfiguration(path: path, issues: reader.issues)
        }
        return configuration
    }

    private init(path: String, source: SourceLines) {
        self.path = path
        self.source = source
    }

    // MARK: - Sections

    private mutating func configuration(from root: TOMLTable) -> Configuration? {
        checkKeys(of: root, at: "", allowed: ConfigurationKeys.root)
        let dryRun = bool(root, "dry_run", at: "") ?? false

        let cloudflare = cloudflareSettings(table(root, "cloudflare", at: "", required: true))
        let schedule = scheduleSettings(table(root, "schedule", at: "", required: false))
        let (pacing, limits) = limitSettings(table(root, "limits", at: "", required: false))
        let exclude = exclusion(table(root, "exclude", at: "", required: false), at: "exclude")
        let rules = ruleList(root)

        guard let cloudflare else { return nil }
        return Configuration(
            path: path, dryRun: dryRun, cloudflare: cloudflare, schedule: schedule, pacing: pacing,
            ruleSet: RuleSet(rules: rules, exclude: exclude, limits: limits))
    }

    private mutating func cloudflareSettings(_ table: TOMLTable?) -> Configuration.Cloudflare? {
        guard let table else { return nil }
        let at = "cloudflare"
        checkKeys(of: table, at: at, allowed: ConfigurationKeys.cloudflare)
        var settings = Configuration.Cloudflare(accountID: "")
        if let accountID = string(table, "account_id", at: at) {
            if accountID.utf8.count == 32, accountID.utf8.allSatisfy(\.isHexDigit) {
                settings.accountID = accountID
            } else {
                report("\(at).account_id", "\"\(accountID)\" is not an account id; copy the 32 hexadecimal digits "
                    + "from the Cloudflare dashboard (Account home, \"Account ID\")")
            }
        } else if table["account_id"] == nil {
            report("\(at).account_id", "is required; add account_id = \"…\" (32 hexadecimal digits) under [cloudflare]")
        }
        let allowCustom = bool(table, "allow_custom_api_base", at: at) ?? false
        if let apiBase = string(table, "api_base", at: at) {
            if let problem = APIBase.problem(with: apiBase, allowingCustom: allowCustom) {
                report("\(at).api_base", problem)
            } else {
                settings.apiBase = apiBase
            }
        }
        settings.tokenFile = string(table, "token_file", at: at)
        settings.email = string(table, "email", at: at)
        settings.keyFile = string(table, "key_file", at: at)
        if settings.keyFile != nil, settings.email == nil {
            report("\(at).key_file", "a global API key needs its account email; add email = \"…\" under [cloudflare]")
        }
        if let perPage = integer(table, "per_page", at: at, in: 1...1000) { settings.perPage = perPage }
        return settings
    }

    private mutating func scheduleSettings(_ table: TOMLTable?) -> Configuration.Schedule {
        var schedule = Configuration.Schedule()
        guard let table else { return schedule }
        let at = "schedule"
        checkKeys(of: table, at: at, allowed: ConfigurationKeys.schedule)
        if let interval = timeSpan(table, "interval", at: at, zero: "runs must be at least a minute apart, e.g. \"15m\"") {
            if interval.seconds < 60 {
                report("\(at).interval", "\"\(interval)\" is too short; runs at least a minute apart, e.g. \"15m\"")
            } else {
                schedule.interval = .seconds(interval.seconds)
            }
        }
        if let jitter = timeSpan(table, "jitter", at: at) {
            schedule.jitter = .seconds(jitter.seconds)
        }
        if schedule.jitter >= schedule.interval {
            report("\(at).jitter", "must be shorter than the interval (\(schedule.interval.components.seconds)s)")
        }
        return schedule
    }

    private mutating func limitSettings(_ table: TOMLTable?) -> (Configuration.Pacing, Limits) {
        var pacing = Configuration.Pacing()
        var limits = Limits()
        guard let table else { return (pacing, limits) }
        let at = "limits"
        checkKeys(of: table, at: at, allowed: ConfigurationKeys.limits)
        if let rpm = integer(table, "requests_per_minute", at: at, in: 1...240,
            hint: "Cloudflare allows 1,200 requests per 5 minutes (240 a minute) per token")
        {
            pacing.requestsPerMinute = rpm
        }
        if let maxActions = integer(table, "max_actions_per_run", at: at, in: 0...1_000_000) {
            limits.maxActionsPerRun = maxActions
        }
        if let value = table["max_fraction"] {
            let number = value.double ?? value.int.map(Double.init)
            if let number, number >= 0, number <= 1 {
                limits.maxFraction = number
            } else {
                report("\(at).max_fraction", "\(describe(value)) is not a share between 0 and 1; write e.g. 0.10 for 10%")
            }
        }
        if let batch = integer(table, "batch_size", at: at, in: 1...100) { pacing.batchSize = batch }
        return (pacing, limits)
    }

    // MARK: - Rules

    private mutating func ruleList(_ root: TOMLTable) -> [Rule] {
        guard let value = root["rule"] else { return [] }
        guard let array = value.array else {
            report("rule", "must be written as [[rule]] tables, one per rule")
            return []
        }
        var rules: [Rule] = []
        var names: [String: Int] = [:]
        for (offset, element) in array.enumerated() {
            let at = "rule[\(offset + 1)]"
            guard let table = element.table else {
                report(at, "must be a table: start each rule with a [[rule]] line")
                continue
            }
            guard let rule = rule(table, at: at) else { continue }
            if let first = names[rule.name] {
                report("\(at).name", "\"\(rule.name)\" is already the name of rule[\(first)]; rule names must be unique")
            } else {
                names[rule.name] = offset + 1
            }
            rules.append(rule)
        }
        return rules
    }

    private mutating func rule(_ table: TOMLTable, at: String) -> Rule? {
        checkKeys(of: table, at: at, allowed: ConfigurationKeys.rule)
        let name = string(table, "name", at: at)
        if name == nil, table["name"] == nil { report("\(at).name", "is required; give the rule a name = \"…\"") }
        if let name, name.isEmpty || name.contains(where: { $0.isNewline }) {
            report("\(at).name", "must be a non-empty single line")
        }
        var action: RuleAction?
        if let text = string(table, "action", at: at) {
            action = RuleAction(rawValue: text)
            if action == nil { report("\(at).action", "\"\(text)\" is not an action; write revoke, delete or unrevoke") }
        } else if table["action"] == nil {
            report("\(at).action", "is required; write action = \"revoke\", \"delete\" or \"unrevoke\"")
        }
        // A grace of zero is no grace: the rule acts the first time it selects.
        let grace = timeSpan(table, "grace", at: at).flatMap { $0.seconds == 0 ? nil : $0 }
        let dryRun = bool(table, "dry_run", at: at) ?? false
        let matchTable = self.table(table, "match", at: at, required: true)
        let exclude = exclusion(self.table(table, "exclude", at: at, required: false), at: "\(at).exclude")
        // The match is checked even when the action is wrong, so that every problem is reported at once.
        let match = matchTable.flatMap { self.match($0, action: action ?? .delete, at: "\(at).match") }
        guard let name, let action, let match else { return nil }
        return Rule(name: name, action: action, match: match, exclude: exclude, grace: grace, dryRun: dryRun)
    }

    private mutating func match(_ table: TOMLTable, action: RuleAction, at: String) -> Match? {
        let before = issues.count
        checkKeys(of: table, at: at, allowed: ConfigurationKeys.match)
        var match = Match()
        if let text = string(table, "status", at: at) {
            match.status = StatusFilter(rawValue: text)
            if match.status == nil { report("\(at).status", "\"\(text)\" is not a status; write active, revoked or any") }
        }
        match.lastSeenOlderThan = timeSpan(table, "last_seen_older_than", at: at, zero: Self.zeroMatch)
        match.createdOlderThan = timeSpan(table, "created_older_than", at: at, zero: Self.zeroMatch)
        match.revokedOlderThan = timeSpan(table, "revoked_older_than", at: at, zero: Self.zeroMatch)
        match.userLastLoginOlderThan = timeSpan(table, "user_last_login_older_than", at: at, zero: Self.zeroMatch)
        if let text = string(table, "client_version_below", at: at) {
            match.clientVersionBelow = WARPVersion(text)
            if match.clientVersionBelow == nil {
                report("\(at).client_version_below", "\"\(text)\" is not a WARP version; write dotted numbers, e.g. \"2024.6.415\"")
            }
        }
        match.clientVersionUnknown = bool(table, "client_version_unknown", at: at)
        match.userEmail = globs(table, "user_email", at: at, caseInsensitive: true)
        match.deviceName = globs(table, "device_name", at: at, caseInsensitive: false)
        match.keyType = strings(table, "key_type", at: at)
        match.tunnelType = strings(table, "tunnel_type", at: at)
        match.profile = strings(table, "profile", at: at)
        match.userMissing = bool(table, "user_missing", at: at)
        match.userNotInAccess = bool(table, "user_not_in_access", at: at)

        // Impossible or dangerous combinations.
        let status = match.status ?? (action == .unrevoke || match.revokedOlderThan != nil ? .revoked : .active)
        if table.keys.allSatisfy({ $0 == "status" }) {
            report(at, "matches every \(status) registration; add a condition such as last_seen_older_than = \"90d\"")
        }
        if action == .revoke, status == .revoked {
            report("\(at).status", "a revoke rule cannot act on registrations that are already revoked; remove status or use action = \"delete\"")
        }
        if action == .unrevoke, status == .active {
            report("\(at).status", "an unrevoke rule cannot act on active registrations; remove status or write status = \"revoked\"")
        }
        // revoked_older_than alone implies status = "revoked"; only an explicit "active" contradicts it.
        if match.revokedOlderThan != nil, match.status == .active {
            report("\(at).revoked_older_than", "never holds for active registrations; write status = \"revoked\" in this match")
        }
        if match.clientVersionBelow != nil, match.clientVersionUnknown == true {
            report("\(at).client_version_unknown", "cannot hold together with client_version_below (an unknown version is never below it); split them into two rules")
        }
        if match.userMissing == true,
            match.userEmail != nil || match.userNotInAccess != nil || match.userLastLoginOlderThan != nil
        {
            report("\(at).user_missing", "a registration without a user has no email or Access user to match; remove the user_* keys or user_missing")
        }
        return issues.count == before ? match : nil
    }

    private mutating func exclusion(_ table: TOMLTable?, at: String) -> Exclusion {
        var exclusion = Exclusion()
        guard let table else { return exclusion }
        checkKeys(of: table, at: at, allowed: ConfigurationKeys.exclude)
        exclusion.registrationID = Set(strings(table, "registration_id", at: at) ?? [])
        exclusion.deviceID = Set(strings(table, "device_id", at: at) ?? [])
        exclusion.deviceName = globs(table, "device_name", at: at, caseInsensitive: false) ?? []
        exclusion.userEmail = globs(table, "user_email", at: at, caseInsensitive: true) ?? []
        exclusion.profile = strings(table, "profile", at: at) ?? []
        return exclusion
    }

    // MARK: - Typed values

    private mutating func checkKeys(of table: TOMLTable, at: String, allowed: [String]) {
        for key in table.keys where !allowed.contains(key) {
            let path = at.isEmpty ? key : "\(at).\(key)"
            if let suggestion = allowed.first(where: { Self.isTypo(key, of: $0) }) {
                report(path, "unknown key; did you mean \(suggestion)?")
            } else {
                report(path, "unknown key; known keys here: \(allowed.joined(separator: ", "))")
            }
        }
    }

    private mutating func table(_ parent: TOMLTable, _ key: String, at: String, required: Bool) -> TOMLTable? {
        let path = at.isEmpty ? key : "\(at).\(key)"
        guard let value = parent[key] else {
            if required { report(path, "is required; add a [\(path.replacingRuleIndex)] table") }
            return nil
        }
        guard let table = value.table else {
            report(path, "must be a table ([\(path.replacingRuleIndex)]), not \(describe(value))")
            return nil
        }
        return table
    }

    private mutating func string(_ table: TOMLTable, _ key: String, at: String) -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string else {
            report("\(at).\(key)".trimmingDot, "must be a string in quotes, not \(describe(value))")
            return nil
        }
        return text
    }

    private mutating func bool(_ table: TOMLTable, _ key: String, at: String) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let flag = value.bool else {
            report("\(at).\(key)".trimmingDot, "must be true or false (without quotes), not \(describe(value))")
            return nil
        }
        return flag
    }

    private mutating func integer(
        _ table: TOMLTable, _ key: String, at: String, in range: ClosedRange<Int>, hint: String? = nil
    ) -> Int? {
        guard let value = table[key] else { return nil }
        guard let number = value.int, value.type == .int else {
            report("\(at).\(key)", "must be a whole number, not \(describe(value))")
            return nil
        }
        guard range.contains(number) else {
            report("\(at).\(key)", "\(number) is out of range; write a number from \(range.lowerBound) to \(range.upperBound)"
                + (hint.map { " (\($0))" } ?? ""))
            return nil
        }
        return number
    }

    /// A duration. Zero (`"0s"`, `"0"` or `0`) is accepted where it means something (`zero` is nil);
    /// elsewhere `zero` is the reason it is refused, after the value.
    private mutating func timeSpan(_ table: TOMLTable, _ key: String, at: String, zero: String? = nil) -> TimeSpan? {
        guard let value = table[key] else { return nil }
        if value.int == 0 || value.string == "0" {
            if let zero { report("\(at).\(key)", "\(describe(value)) is zero; \(zero)") }
            return zero == nil ? TimeSpan(seconds: 0) : nil
        }
        guard let text = value.string else {
            report("\(at).\(key)", "\(describe(value)) is not a duration; write it in quotes with a unit, e.g. \"90d\"")
            return nil
        }
        switch TimeSpan.parse(text) {
        case .failure(.notASpan):
            report("\(at).\(key)", "\"\(text)\" is not a duration; write e.g. \"90d\" (units: s, m, h, d, w)")
            return nil
        case .failure(.tooLong):
            report("\(at).\(key)", "\"\(text)\" is longer than ztguardd can count; write at most a few years, e.g. \"520w\"")
            return nil
        case .success(let span) where span.seconds == 0:
            if let zero { report("\(at).\(key)", "\"\(text)\" is zero; \(zero)") }
            return zero == nil ? span : nil
        case .success(let span):
            return span
        }
    }

    /// Why a zero `*_older_than` is refused.
    private static let zeroMatch = "a match on age needs a length, or it selects every registration; remove the key "
        + "instead, or write e.g. \"90d\""

    /// A list of strings; a single string is taken as a list of one.
    private mutating func strings(_ table: TOMLTable, _ key: String, at: String) -> [String]? {
        guard let value = table[key] else { return nil }
        if let single = value.string { return [single] }
        guard let array = value.array else {
            report("\(at).\(key)", "must be a list of strings, e.g. [\"a\", \"b\"], not \(describe(value))")
            return nil
        }
        var result: [String] = []
        for (index, element) in array.enumerated() {
            guard let text = element.string else {
                report("\(at).\(key)[\(index + 1)]", "must be a string in quotes, not \(describe(element))")
                continue
            }
            result.append(text)
        }
        if result.isEmpty { report("\(at).\(key)", "is an empty list; remove the key or add a value") }
        return result
    }

    private mutating func globs(_ table: TOMLTable, _ key: String, at: String, caseInsensitive: Bool) -> [Glob]? {
        guard let patterns = strings(table, key, at: at) else { return nil }
        var globs: [Glob] = []
        for (index, pattern) in patterns.enumerated() {
            do {
                globs.append(try Glob(pattern, caseInsensitive: caseInsensitive))
            } catch {
                report("\(at).\(key)[\(index + 1)]", "\"\(pattern)\" is not a valid glob: \(error); escape a literal [ as \\\\[")
            }
        }
        return globs
    }

    private mutating func report(_ keyPath: String, _ message: String) {
        issues.append(.init(keyPath: keyPath, line: source.line(of: keyPath), message: message))
    }

    private func describe(_ value: any TOMLValueConvertible) -> String {
        switch value.type {
        case .string: "the string \"\(value.string ?? "")\""
        case .int: "the number \(value.int ?? 0)"
        case .double: "the number \(value.double ?? 0)"
        case .bool: "\(value.bool ?? false)"
        case .array: "a list"
        case .table: "a table"
        default: "a date or time"
        }
    }

    /// At most two edits apart (letters missing, extra or changed): "last_seen_older_then".
    private static func isTypo(_ key: String, of known: String) -> Bool {
        let a = Array(key), b = Array(known)
        guard !a.isEmpty, !b.isEmpty, abs(a.count - b.count) <= 2, a != b else { return false }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count] <= 2
    }
}

extension String {
    fileprivate var trimmingDot: String { hasPrefix(".") ? String(dropFirst()) : self }
    /// `rule[2].match` → `rule.match`, as a TOML table header is written.
    fileprivate var replacingRuleIndex: String {
        var out = ""
        var skipping = false
        for character in self {
            if character == "[" { skipping = true; continue }
            if character == "]" { skipping = false; continue }
            if !skipping { out.append(character) }
        }
        return out
    }
}

extension UInt8 {
    /// `0`–`9`, `a`–`f` or `A`–`F`: account IDs, registration IDs.
    var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}

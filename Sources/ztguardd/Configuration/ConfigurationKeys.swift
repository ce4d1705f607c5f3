/// Every key the configuration reader accepts, table by table: the lists the reader checks a file
/// against, and the ones the reference documentation (`doc/ztguardd.toml.5.scd`) is tested against.
enum ConfigurationKeys {
    /// The top level: one key and the tables.
    static let root = ["dry_run", "cloudflare", "schedule", "limits", "exclude", "rule"]
    static let cloudflare = [
        "account_id", "api_base", "allow_custom_api_base", "token_file", "email", "key_file", "per_page",
    ]
    static let schedule = ["interval", "jitter"]
    static let limits = ["requests_per_minute", "max_actions_per_run", "max_fraction", "batch_size"]
    /// `[exclude]` and each `[rule.exclude]`.
    static let exclude = ["registration_id", "device_id", "device_name", "user_email", "profile"]
    /// Each `[[rule]]`: four keys and two tables.
    static let rule = ["name", "action", "grace", "dry_run", "match", "exclude"]
    static let match = [
        "status", "last_seen_older_than", "created_older_than", "revoked_older_than", "client_version_below",
        "client_version_unknown", "user_email", "device_name", "key_type", "tunnel_type", "profile", "user_missing",
        "user_not_in_access", "user_last_login_older_than",
    ]

    /// Every key that holds a value, as its dotted path: `dry_run`, `cloudflare.account_id`,
    /// `rule.match.status`, `rule.exclude.profile`, …
    static var valuePaths: [String] {
        let tables: Set<String> = ["cloudflare", "schedule", "limits", "exclude", "rule", "match"]
        func paths(_ prefix: String, _ keys: [String]) -> [String] {
            keys.filter { !tables.contains($0) }.map { prefix.isEmpty ? $0 : "\(prefix).\($0)" }
        }
        return paths("", root) + paths("cloudflare", cloudflare) + paths("schedule", schedule)
            + paths("limits", limits) + paths("exclude", exclude) + paths("rule", rule)
            + paths("rule.match", match) + paths("rule.exclude", exclude)
    }
}

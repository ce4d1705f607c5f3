import Cloudflare
import Rules

/// The validated contents of `ztguardd.toml`.
///
/// ## Configuration keys
/// - `dry_run` (bool, default `false`): plan and record, never act.
/// - `[cloudflare]`: `account_id` (string, 32 hex digits, required); `api_base` (string, default
///   `https://api.cloudflare.com/client/v4`; another base only with `allow_custom_api_base = true`;
///   `http://` only for `127.0.0.1`, `::1` and `localhost`); `token_file`
///   (string path); `email` and `key_file` (legacy global key); `per_page` (integer 1–1000, default 100).
/// - `[schedule]`: `interval` (duration, at least 1m, default `1h`); `jitter` (duration, less than
///   `interval`, default `5m`).
/// - `[limits]`: `requests_per_minute` (integer 1–240, default 200: an average; the client sends up to
///   5 × that in any 300 s); `max_actions_per_run` (integer ≥ 0, default 100); `max_fraction` (number
///   in 0–1, default 0.10); `batch_size` (integer 1–100, default 50).
/// - `[exclude]`: `registration_id`, `device_id`, `device_name`, `user_email`, `profile` (lists of
///   strings; names and emails are shell globs).
/// - `[[rule]]`: `name` (string, unique, required), `action` (`revoke` | `delete` | `unrevoke`,
///   required), `grace` (duration), `dry_run` (bool), `[rule.match]` (at least one condition),
///   `[rule.exclude]` (as `[exclude]`).
///
/// Durations are an integer and a unit: `s`, `m`, `h`, `d`, `w` (`"90d"`).
struct Configuration: Sendable {
    static let defaultPath = "/etc/ztguardd/ztguardd.toml"
    static let defaultAPIBase = APIBase.cloudflare

    struct Cloudflare: Sendable, Equatable {
        var accountID: String
        var apiBase = Configuration.defaultAPIBase
        var tokenFile: String?
        var email: String?
        var keyFile: String?
        var perPage = 100
    }

    struct Schedule: Sendable, Equatable {
        var interval: Duration = .seconds(3600)
        var jitter: Duration = .seconds(300)
    }

    /// Request pacing and batching; the blast-radius limits live in `ruleSet.limits`.
    struct Pacing: Sendable, Equatable {
        var requestsPerMinute = 200
        var batchSize = 50
    }

    /// The file this was read from.
    var path: String
    var dryRun = false
    var cloudflare: Cloudflare
    var schedule = Schedule()
    var pacing = Pacing()
    var ruleSet: RuleSet
}

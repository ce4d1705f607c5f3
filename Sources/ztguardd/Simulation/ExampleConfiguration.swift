/// The example configuration shipped as `etc/ztguardd/ztguardd.toml`, built in for `ztguardd demo`.
/// A test keeps the two identical.
enum ExampleConfiguration {
    static let text = #"""
# /etc/ztguardd/ztguardd.toml — ztguardd configuration.
# Check it with `ztguardd check-config` (add --online to test the token), preview with `ztguardd plan`.

# true: plan and record every decision in the journal, change nothing. Start here, read the
# journal for a few days (journalctl -t ztguardd ZTG_EVENT=action), then set it to false.
dry_run = true

[cloudflare]
# Zero Trust account to keep clean (dashboard: Account home → Account ID).
account_id = "699d98642c564d2e855e9661899b7252"
# The token is not written here: install it as the systemd credential `cloudflare-api-token`
# (see the README), or name a file readable by its owner only:
# token_file = "/etc/ztguardd/token"
# Registrations per page when listing (1–1000).
per_page = 1000

[schedule]
interval = "1h"                      # one evaluation an hour
jitter = "5m"                        # plus up to 5 minutes, so many instances don't start together

[limits]
requests_per_minute = 200            # average; up to 5× in any 5 minutes (Cloudflare: 1,200 per 5 minutes)
max_actions_per_run = 100            # more planned than this: the run is aborted and nothing changes
max_fraction = 0.10                  # or more than 10% of the listed registrations
batch_size = 50                      # registration ids per revoke / delete request

[exclude]                            # never touched by any rule
user_email = ["ceo@example.com", "*@svc.example.com"]
device_name = ["warp-connector-*"]

# Rules are evaluated in order; the first rule that selects a registration claims it.

[[rule]]
name = "offboarded-users"            # people removed from Access keep working devices otherwise
action = "revoke"
grace = "1d"                         # give HR's re-hire mistakes a day
[rule.match]
user_not_in_access = true

[[rule]]
name = "stale-90-days"
action = "delete"
[rule.match]
last_seen_older_than = "90d"

[[rule]]
name = "outdated-client"
action = "revoke"
grace = "7d"                         # must be outdated for 7 days in a row first
[rule.match]
client_version_below = "2024.6.415"
[rule.exclude]
user_email = ["*@contractor.example.com"]

[[rule]]
name = "revoked-leftovers"
action = "delete"
[rule.match]
status = "revoked"
revoked_older_than = "30d"
"""#
}

import Foundation
import Rules
import Testing

@testable import ztguardd

/// A minimal valid file; each invalid case changes one thing.
private let base = """
    [cloudflare]
    account_id = "699d98642c564d2e855e9661899b7252"

    [[rule]]
    name = "stale"
    action = "delete"
    [rule.match]
    last_seen_older_than = "90d"

    """

private let header = """
    [cloudflare]
    account_id = "699d98642c564d2e855e9661899b7252"

    """

private func rule(_ body: String, name: String = "r", action: String = "revoke") -> String {
    header + "[[rule]]\nname = \"\(name)\"\naction = \"\(action)\"\n" + body + "\n"
}

/// One invalid file: where the problem is and what the message must tell the reader.
struct InvalidCase: Sendable, CustomTestStringConvertible {
    var toml: String
    var keyPath: String
    var hint: String
    var line: Int?

    var testDescription: String { "\(keyPath.isEmpty ? "(file)" : keyPath): \(hint)" }
}

private let invalidCases: [InvalidCase] = [
    .init(toml: "dryrun = true\n" + base, keyPath: "dryrun", hint: "did you mean dry_run?", line: 1),
    .init(toml: "dry_run = \"yes\"\n" + base, keyPath: "dry_run", hint: "must be true or false", line: 1),
    .init(toml: "dry_run = true\n", keyPath: "cloudflare", hint: "is required; add a [cloudflare] table"),
    .init(toml: "[cloudflare]\nper_page = 10\n", keyPath: "cloudflare.account_id", hint: "is required"),
    .init(toml: "[cloudflare]\naccount_id = \"abc\"\n", keyPath: "cloudflare.account_id", hint: "32 hexadecimal digits", line: 2),
    .init(toml: "[cloudflare]\naccount_id = 123\n", keyPath: "cloudflare.account_id", hint: "must be a string in quotes", line: 2),
    .init(toml: header + "api_base = \"http://api.cloudflare.com/client/v4\"\n", keyPath: "cloudflare.api_base",
        hint: "Use https://", line: 3),
    .init(toml: header + "api_base = \"ftp://example.com\"\n", keyPath: "cloudflare.api_base", hint: "is not an http(s) URL"),
    .init(toml: header + "api_base = \"https://any.host/client/v4\"\n", keyPath: "cloudflare.api_base",
        hint: "add allow_custom_api_base = true under [cloudflare]", line: 3),
    .init(toml: header + "api_base = \"http://127.0.0.1:8080/client/v4\"\n", keyPath: "cloudflare.api_base",
        hint: "is not Cloudflare's API", line: 3),
    .init(toml: header + "allow_custom_api_base = true\napi_base = \"http://127.0.0.08:80/client/v4\"\n",
        keyPath: "cloudflare.api_base", hint: "not loopback (127.0.0.1, ::1 or localhost)", line: 4),
    .init(toml: header + "per_page = 0\n", keyPath: "cloudflare.per_page", hint: "a number from 1 to 1000", line: 3),
    .init(toml: header + "per_page = \"100\"\n", keyPath: "cloudflare.per_page", hint: "must be a whole number"),
    .init(toml: header + "token = \"abc\"\n", keyPath: "cloudflare.token", hint: "unknown key; known keys here: account_id"),
    .init(toml: header + "key_file = \"/etc/k\"\n", keyPath: "cloudflare.key_file", hint: "add email ="),
    .init(toml: base + "[schedule]\ninterval = \"1 hour\"\n", keyPath: "schedule.interval", hint: "write e.g. \"90d\""),
    .init(toml: base + "[schedule]\ninterval = \"30s\"\n", keyPath: "schedule.interval", hint: "too short"),
    .init(toml: base + "[schedule]\ninterval = \"0s\"\n", keyPath: "schedule.interval",
        hint: "\"0s\" is zero; runs must be at least a minute apart"),
    .init(toml: rule("[rule.match]\nlast_seen_older_than = \"0d\""), keyPath: "rule[1].match.last_seen_older_than",
        hint: "\"0d\" is zero; a match on age needs a length"),
    .init(toml: rule("[rule.match]\ncreated_older_than = 0"), keyPath: "rule[1].match.created_older_than",
        hint: "is zero; a match on age needs a length"),
    .init(toml: rule("[rule.match]\nlast_seen_older_than = \"99999999999999999999w\""),
        keyPath: "rule[1].match.last_seen_older_than", hint: "is longer than ztguardd can count"),
    .init(toml: base + "[schedule]\ninterval = \"1h\"\njitter = \"2h\"\n", keyPath: "schedule.jitter",
        hint: "must be shorter than the interval"),
    .init(toml: base + "[limits]\nrequests_per_minute = 1000\n", keyPath: "limits.requests_per_minute",
        hint: "240 a minute"),
    .init(toml: base + "[limits]\nmax_fraction = 1.5\n", keyPath: "limits.max_fraction", hint: "between 0 and 1"),
    .init(toml: base + "[limits]\nbatch_size = 0\n", keyPath: "limits.batch_size", hint: "from 1 to 100"),
    .init(toml: base + "[limits]\nmax_actions_per_run = -1\n", keyPath: "limits.max_actions_per_run", hint: "out of range"),
    .init(toml: base + "[exclude]\nuser_email = 5\n", keyPath: "exclude.user_email", hint: "must be a list of strings"),
    .init(toml: base + "[exclude]\ndevice_name = [\"ok\", 3]\n", keyPath: "exclude.device_name[2]",
        hint: "must be a string in quotes"),
    .init(toml: base + "[exclude]\ndevice_name = [\"warp-[abc\"]\n", keyPath: "exclude.device_name[1]",
        hint: "is not a valid glob"),
    .init(toml: base + "[exclude]\nhostname = [\"x\"]\n", keyPath: "exclude.hostname", hint: "unknown key"),
    .init(toml: header + "[[rule]]\naction = \"delete\"\n[rule.match]\nlast_seen_older_than = \"90d\"\n",
        keyPath: "rule[1].name", hint: "is required; give the rule a name"),
    .init(toml: base + "[[rule]]\nname = \"stale\"\naction = \"revoke\"\n[rule.match]\nlast_seen_older_than = \"30d\"\n",
        keyPath: "rule[2].name", hint: "is already the name of rule[1]", line: 10),
    .init(toml: rule("[rule.match]\nlast_seen_older_than = \"9d\"", action: "remove"), keyPath: "rule[1].action",
        hint: "write revoke, delete or unrevoke", line: 5),
    .init(toml: header + "[[rule]]\nname = \"r\"\n[rule.match]\nlast_seen_older_than = \"9d\"\n", keyPath: "rule[1].action",
        hint: "is required"),
    .init(toml: header + "[[rule]]\nname = \"r\"\naction = \"delete\"\n", keyPath: "rule[1].match", hint: "is required"),
    .init(toml: rule("[rule.match]\nlast_seen_older_than = \"90 days\""), keyPath: "rule[1].match.last_seen_older_than",
        hint: "\"90 days\" is not a duration; write e.g. \"90d\"", line: 7),
    .init(toml: rule("[rule.match]\nlast_seen_older_than = 90"), keyPath: "rule[1].match.last_seen_older_than",
        hint: "in quotes with a unit"),
    .init(toml: rule("[rule.match]\nlast_seen_older_then = \"90d\""), keyPath: "rule[1].match.last_seen_older_then",
        hint: "did you mean last_seen_older_than?", line: 7),
    .init(toml: rule("[rule.match]\nstatus = \"deleted\"\nlast_seen_older_than = \"9d\""), keyPath: "rule[1].match.status",
        hint: "write active, revoked or any"),
    .init(toml: rule("[rule.match]\nstatus = \"revoked\"\nlast_seen_older_than = \"9d\""), keyPath: "rule[1].match.status",
        hint: "already revoked"),
    .init(toml: rule("[rule.match]\nstatus = \"active\"\nlast_seen_older_than = \"9d\"", action: "unrevoke"),
        keyPath: "rule[1].match.status", hint: "cannot act on active registrations"),
    .init(toml: rule("[rule.match]\nstatus = \"active\"\nrevoked_older_than = \"30d\"", action: "delete"),
        keyPath: "rule[1].match.revoked_older_than", hint: "write status = \"revoked\""),
    .init(toml: rule("[rule.match]\nclient_version_below = \"latest\""), keyPath: "rule[1].match.client_version_below",
        hint: "write dotted numbers"),
    .init(toml: rule("[rule.match]\nclient_version_below = \"2024.6.415\"\nclient_version_unknown = true"),
        keyPath: "rule[1].match.client_version_unknown", hint: "split them into two rules"),
    .init(toml: rule("[rule.match]\nuser_missing = true\nuser_email = [\"*@x.com\"]"), keyPath: "rule[1].match.user_missing",
        hint: "remove the user_* keys"),
    .init(toml: rule("[rule.match]\nstatus = \"any\""), keyPath: "rule[1].match", hint: "matches every any registration"),
    .init(toml: rule("grace = \"a week\"\n[rule.match]\nlast_seen_older_than = \"9d\""), keyPath: "rule[1].grace",
        hint: "is not a duration", line: 6),
    .init(toml: rule("dry_run = 1\n[rule.match]\nlast_seen_older_than = \"9d\""), keyPath: "rule[1].dry_run",
        hint: "must be true or false"),
    .init(toml: "rule = \"stale\"\n" + header, keyPath: "rule", hint: "must be written as [[rule]] tables"),
    .init(toml: header + "[[rule]]\nname = \"unterminated\n", keyPath: "", hint: "not valid TOML", line: 4),
    .init(toml: rule("[rule.match]\nlast_seen_older_than = \"9d\"\n[rule.exclude]\nuser_email = [\"[x\"]"),
        keyPath: "rule[1].exclude.user_email[1]", hint: "is not a valid glob"),
    .init(toml: rule("match = \"x\""), keyPath: "rule[1].match", hint: "must be a table"),
    .init(toml: rule("[rule.match]\nkey_type = []"), keyPath: "rule[1].match.key_type", hint: "empty list"),
]

@Suite struct ConfigurationReaderTests {
    @Test("every invalid file is refused with its key path, the line where known, and a hint", arguments: invalidCases)
    func invalidFile(_ invalid: InvalidCase) throws {
        let error = #expect(throws: InvalidConfiguration.self) {
            try ConfigurationReader.read(invalid.toml, path: "test.toml")
        }
        let issue = try #require(error?.issues.first { $0.keyPath == invalid.keyPath }, "issues: \(error?.issues ?? [])")
        #expect(issue.message.contains(invalid.hint), "message: \(issue.message)")
        if let line = invalid.line { #expect(issue.line == line) }
        #expect(error?.description.contains("test.toml") == true)
    }

    @Test("the corpus has at least 30 invalid files")
    func corpusSize() { #expect(invalidCases.count >= 30) }

    @Test("every problem is reported at once, not only the first")
    func allProblemsAtOnce() throws {
        let toml = "dry_run = 3\n" + rule("grace = \"1 day\"\n[rule.match]\nlast_seen_older_than = \"90 days\"", action: "nuke")
        let error = #expect(throws: InvalidConfiguration.self) { try ConfigurationReader.read(toml, path: "x.toml") }
        #expect(Set(error?.issues.map(\.keyPath) ?? []) == ["dry_run", "rule[1].action", "rule[1].grace", "rule[1].match.last_seen_older_than"])
    }

    @Test("zero is a duration where it means something: a jitter of none, a grace of none")
    func zeroWhereItMeansSomething() throws {
        for jitter in ["\"0s\"", "\"0\"", "0", "\"0m\""] {
            let configuration = try ConfigurationReader.read(
                base + "[schedule]\ninterval = \"15m\"\njitter = \(jitter)\n", path: "x.toml")
            #expect(configuration.schedule.jitter == .zero)
        }
        let graced = try ConfigurationReader.read(
            rule("grace = \"0s\"\n[rule.match]\nlast_seen_older_than = \"90d\""), path: "x.toml")
        #expect(graced.ruleSet.rules.first?.grace == nil)
    }

    @Test("a rejected duration's message never suggests the form it already has", arguments: [
        "\"0s\"", "\"0d\"", "\"99999999999999999999w\"",
    ])
    func noSelfContradictingHint(value: String) throws {
        let error = #expect(throws: InvalidConfiguration.self) {
            try ConfigurationReader.read(rule("[rule.match]\nlast_seen_older_than = \(value)"), path: "x.toml")
        }
        let message = try #require(error?.issues.first?.message)
        #expect(!message.contains("is not a duration"), "\(message)")
    }

    @Test("a minimal file gets the documented defaults")
    func defaults() throws {
        let configuration = try ConfigurationReader.read(base, path: "x.toml")
        #expect(configuration.dryRun == false)
        #expect(configuration.cloudflare.apiBase == "https://api.cloudflare.com/client/v4")
        #expect(configuration.cloudflare.perPage == 100)
        #expect(configuration.schedule == .init(interval: .seconds(3600), jitter: .seconds(300)))
        #expect(configuration.pacing == .init(requestsPerMinute: 200, batchSize: 50))
        #expect(configuration.ruleSet.limits == Limits(maxActionsPerRun: 100, maxFraction: 0.10))
        #expect(configuration.ruleSet.rules.map(\.name) == ["stale"])
    }

    @Test("the repository's example configuration is valid and is the one built into the demo")
    func exampleConfiguration() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("etc/ztguardd/ztguardd.toml")
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text == ExampleConfiguration.text + "\n" || text == ExampleConfiguration.text)
        let configuration = try ConfigurationReader.read(text, path: url.path)
        #expect(configuration.ruleSet.rules.map(\.name) == ["offboarded-users", "stale-90-days", "outdated-client", "revoked-leftovers"])
        #expect(configuration.ruleSet.needsAccessUsers)
    }

    @Test("http:// is accepted for loopback, for tests and the fake API, once the custom base is allowed")
    func loopbackHTTP() throws {
        let configuration = try ConfigurationReader.read(
            header + "allow_custom_api_base = true\napi_base = \"http://127.0.0.1:8080/client/v4\"\n"
                + base.dropFirst(header.count), path: "x.toml")
        #expect(configuration.cloudflare.apiBase == "http://127.0.0.1:8080/client/v4")
    }
}

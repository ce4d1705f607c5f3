import FakeCloudflareServer
import Foundation
import Rules
import Simulation
import Testing

/// The built binary, run as an administrator would, against the fake API on loopback.
@Suite struct CommandIntegrationTests {
    @Test("inventory --format json prints each of 2,500 registrations exactly once, as the API returned them")
    func inventoryJSON() async throws {
        let account = makeAccount(count: 2_500)
        let result = try await withFakeAPI(account) { server in
            let config = try writeConfiguration(apiBase: server.baseURL, rules: "")
            return try await runZTGuardd(
                ["inventory", "--config", config, "--status", "all", "--format", "json"],
                environment: ["CLOUDFLARE_API_TOKEN": token, "PATH": "/usr/bin:/bin"])
        }
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let array = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]])
        let ids = array.compactMap { $0["id"] as? String }
        #expect(ids.count == 2_500)
        #expect(Set(ids) == Set(account.registrations.map(\.id)))
        // Fields the rules never read are kept, because objects are copied, not re-encoded.
        #expect(array.allSatisfy { $0["key"] != nil && $0["device"] != nil })
    }

    @Test("inventory --format csv has a header and one line per registration")
    func inventoryCSV() async throws {
        let account = makeAccount(count: 120)
        let result = try await withFakeAPI(account) { server in
            let config = try writeConfiguration(apiBase: server.baseURL, rules: "")
            return try await runZTGuardd(["inventory", "--config", config, "--status", "all", "--format", "csv"],
                environment: ["CLOUDFLARE_API_TOKEN": token])
        }
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdoutText.split(separator: "\n")
        #expect(lines.first == "registration_id,device_id,device_name,user_email,last_seen_at,client_version,status,profile")
        #expect(lines.count == 121)
    }

    @Test("a refused token exits 77 with a message that says what to check, and the token appears nowhere")
    func refusedTokenExits77() async throws {
        let account = makeAccount(count: 50)
        let secret = "not-the-right-token-4f9c2a"
        let result = try await withFakeAPI(account) { server in
            let config = try writeConfiguration(apiBase: server.baseURL, rules: "")
            return try await runZTGuardd(["inventory", "--config", config], environment: ["CLOUDFLARE_API_TOKEN": secret])
        }
        #expect(result.status == 77)
        #expect(result.stderr.contains("check that the API token is valid"))
        #expect(!result.stderr.contains(secret))
        #expect(!result.stdoutText.contains(secret))
    }

    @Test("empty states say so: history before any run, inventory of an empty account")
    func emptyStates() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("ztg-empty-\(UUID().uuidString)").path
        let history = try await runZTGuardd(["history"], environment: ["STATE_DIRECTORY": state])
        #expect(history.status == 0)
        #expect(history.stdoutText.hasPrefix("No run is recorded yet in \(state)/runs."), "\(history.stdoutText)")

        let account = SimulatedAccount(configuration: .init(clock: { referenceNow }), fleet: SimulatedFleet(registrations: []))
        let inventory = try await withFakeAPI(account) { server in
            try await runZTGuardd(["inventory", "--config", try writeConfiguration(apiBase: server.baseURL, rules: "")],
                environment: ["CLOUDFLARE_API_TOKEN": token])
        }
        #expect(inventory.status == 0, "\(inventory.stderr)")
        #expect(inventory.stdoutText.hasSuffix("\nNo active registrations in this account.\n"), "\(inventory.stdoutText)")
    }

    @Test("the demo tells its story in one screen: summary, the limit and what to change, a few rows, where the rest is",
        arguments: [80, 120])
    func demoInOneScreen(columns: Int) async throws {
        let result = try await runZTGuardd(["demo"], environment: ["COLUMNS": "\(columns)"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count <= 40, "\(lines.count) lines")
        #expect(lines.allSatisfy { $0.count <= columns })
        let text = result.stdoutText
        let summary = try #require(text.range(of: "Summary (3000 registrations listed, dry run):"))
        let aborted = try #require(text.range(of: "ABORTED by the max_actions limit"))
        let rows = try #require(text.range(of: "A few of the actions, 3 per rule:"))
        #expect(summary.lowerBound < aborted.lowerBound && aborted.lowerBound < rows.lowerBound)
        #expect(text.replacingOccurrences(of: "\n", with: " ").contains("raise [limits] max_actions_per_run above"))
        #expect(text.contains("… and "))
        #expect(text.replacingOccurrences(of: "\n", with: " ").contains("ztguardd demo --format json"))
        #expect(text.contains("simulated account"))
    }

    @Test("an unknown command exits 64 and lists the commands, as git and systemctl do")
    func unknownCommandExits64() async throws {
        let result = try await runZTGuardd(["frobnicate"], environment: [:])
        #expect(result.status == 64)
        #expect(result.stderr.contains("'frobnicate' is not a command. The commands are: run, plan, inventory"))
        #expect(!result.stderr.contains("Unexpected argument"))
    }

    @Test("an unreachable API exits 1 after the retries")
    func unreachableAPIExits1() async throws {
        // Nothing listens on port 9 of loopback (discard is not run on these machines).
        let config = try writeConfiguration(apiBase: "http://127.0.0.1:9/client/v4", rules: "")
        let result = try await runZTGuardd(["check-config", "--online", "--config", config],
            environment: ["CLOUDFLARE_API_TOKEN": token], timeout: 120)
        #expect(result.status == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("connect"))
    }

    @Test("check-config exits 78 for an invalid file and lists every problem with its key path and line")
    func checkConfigInvalid() async throws {
        let config = try writeConfiguration(apiBase: "http://127.0.0.1:1/client/v4", rules: """
            [[rule]]
            name = "stale"
            action = "delete"
            [rule.match]
            last_seen_older_than = "90 days"
            """)
        let result = try await runZTGuardd(["check-config", "--config", config], environment: ["CLOUDFLARE_API_TOKEN": token])
        #expect(result.status == 78)
        #expect(result.stderr.contains(#"rule[1].match.last_seen_older_than: "90 days" is not a duration; write e.g. "90d""#))
        // As compilers write it, for an editor to jump to: FILE:LINE: key: message.
        #expect(result.stderr.contains("\(config):17: rule[1].match.last_seen_older_than: "), "\(result.stderr)")
    }

    @Test("check-config exits 78 for a missing file, and for a token file readable by others")
    func checkConfigMissingFileAndExposedToken() async throws {
        let missing = try await runZTGuardd(["check-config", "--config", "/nonexistent/ztguardd.toml"], environment: [:])
        #expect(missing.status == 78)
        #expect(missing.stderr.contains("cannot read the configuration file"))

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ztg-token-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let tokenPath = directory.appendingPathComponent("token").path
        try "secret-in-file".write(toFile: tokenPath, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: tokenPath)
        let config = try writeConfiguration(apiBase: "http://127.0.0.1:1/client/v4", rules: "")
        let text = try String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: "per_page = 500", with: "per_page = 500\ntoken_file = \"\(tokenPath)\"")
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        let exposed = try await runZTGuardd(["check-config", "--config", config], environment: [:])
        #expect(exposed.status == 78)
        #expect(exposed.stderr.contains("readable by group or others"))
        #expect(exposed.stderr.contains("chmod 600"))
        #expect(!exposed.stderr.contains("secret-in-file"))
    }

    @Test("plan --format json matches, registration for registration, a plan computed here for 5,000 registrations")
    func planMatchesIndependentComputation() async throws {
        // The fleet is generated around the real time, as the binary's plan is: its mix of stale, revoked
        // and current registrations stays the one the generator makes, whatever the date.
        let generatedAt = Date()
        let account = SimulatedAccount(
            configuration: .init(clock: { generatedAt }),
            fleet: SimulatedFleet.generated(count: 5_000, seed: 11, now: generatedAt))
        let rules = """
            [exclude]
            device_name = ["warp-connector-*"]

            [[rule]]
            name = "stale"
            action = "delete"
            [rule.match]
            last_seen_older_than = "90d"

            [[rule]]
            name = "outdated"
            action = "revoke"
            [rule.match]
            client_version_below = "2024.6.415"
            [rule.exclude]
            user_email = ["*@contractor.example.com"]

            [[rule]]
            name = "leftovers"
            action = "delete"
            [rule.match]
            status = "revoked"
            revoked_older_than = "30d"
            """
        let result = try await withFakeAPI(account) { server in
            let config = try writeConfiguration(apiBase: server.baseURL, rules: rules)
            return try await runZTGuardd(["plan", "--config", config, "--format", "json"],
                environment: ["CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": FileManager.default.temporaryDirectory.path + "/ztg-none-\(UUID().uuidString)"])
        }
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        // The run's own clock: a registration a second from a limit is judged at the instant the run judged it.
        let now = try #require((object["started_at"] as? String).flatMap(RFC3339.date(from:)))
        let actions = try #require(object["actions"] as? [[String: Any]])
        let planned = Dictionary(uniqueKeysWithValues: actions.map { ($0["registration_id"] as! String, $0["rule"] as! String) })
        #expect(object["dry_run"] as? Bool == true)
        #expect(object["listed"] as? Int == account.registrations.count)
        #expect(actions.allSatisfy { $0["outcome"] as? String == "planned" })

        // The same rules, written out longhand over the account's own records.
        let day: TimeInterval = 86_400
        var expected: [String: String] = [:]
        for registration in account.registrations {
            if registration.deviceName.hasPrefix("warp-connector-") { continue }
            let active = registration.revokedAt == nil
            if active, now.timeIntervalSince(registration.lastSeenAt) > 90 * day {
                expected[registration.id] = "stale"
            } else if active, versionBelow(registration.clientVersion, [2024, 6, 415]),
                !(registration.userEmail?.lowercased().hasSuffix("@contractor.example.com") ?? false)
            {
                expected[registration.id] = "outdated"
            } else if let revokedAt = registration.revokedAt, now.timeIntervalSince(revokedAt) > 30 * day {
                expected[registration.id] = "leftovers"
            }
        }
        #expect(expected.count > 300)
        #expect(planned == expected)
    }
}

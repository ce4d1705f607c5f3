import FakeCloudflareServer
import Foundation
import Simulation
import Testing

private func freshState() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("ztg-promise-\(UUID().uuidString)").path
}

/// Lines of ztguardd(8) and ztguardd.toml(5) that promise something of the binary, each checked on the binary.
@Suite struct DocumentedPromiseIntegrationTests {
    @Test("a refused token exits 77 from run --once, plan and check-config --online", arguments: [
        ["run", "--once"], ["plan"], ["check-config", "--online"],
    ])
    func refusedTokenExits77(command: [String]) async throws {
        let result = try await withFakeAPI(makeAccount(count: 20)) { server in
            let config = try writeConfiguration(apiBase: server.baseURL, rules: staleRule)
            return try await runZTGuardd(command + ["--config", config], environment: [
                "CLOUDFLARE_API_TOKEN": "not-the-right-token", "STATE_DIRECTORY": freshState(), "ZTGUARDD_AUDIT": "stderr",
            ])
        }
        #expect(result.status == 77, "\(result.stderr)")
    }

    @Test("history and undo of a run that is not recorded exit 1 and say where they looked", arguments: ["history", "undo"])
    func unknownRunExits1(command: String) async throws {
        let state = freshState()
        let result = try await runZTGuardd(
            [command, "0b9f0000-0000-4000-8000-000000000000"],
            environment: ["STATE_DIRECTORY": state, "CLOUDFLARE_API_TOKEN": token])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("0b9f0000-0000-4000-8000-000000000000"), "\(result.stderr)")
    }

    @Test("plan writes no report and no grace mark, even with a grace rule selecting registrations")
    func planWritesNothing() async throws {
        let state = freshState()
        let result = try await withFakeAPI(makeAccount(count: 300)) { server in
            let config = try writeConfiguration(apiBase: server.baseURL, rules: """
                [[rule]]
                name = "stale"
                action = "delete"
                grace = "7d"
                [rule.match]
                last_seen_older_than = "90d"
                """)
            return try await runZTGuardd(["plan", "--config", config, "--format", "json"], environment: [
                "CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state, "ZTGUARDD_AUDIT": "stderr",
            ])
        }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText.contains("\"actions\""), "\(result.stdoutText.prefix(300))")
        let written = (try? FileManager.default.subpathsOfDirectory(atPath: state)) ?? []
        #expect(written.filter { $0.hasSuffix(".json") }.isEmpty, "plan wrote \(written)")
        #expect(auditRecords(in: result.stderr).filter { $0["ZTG_EVENT"] != nil }.isEmpty, "plan journaled: \(result.stderr)")
    }

    @Test("a configuration that is bad at start: the daemon exits 78 with a config-rejected record naming the key")
    func badConfigurationAtStartExits78() async throws {
        let config = try writeConfiguration(apiBase: "http://127.0.0.1:1/client/v4", rules: """
            [[rule]]
            name = "stale"
            action = "delete"
            [rule.match]
            last_seen_older_than = "90 days"
            """)
        let result = try await runZTGuardd(["run", "--config", config], environment: [
            "CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": freshState(), "ZTGUARDD_AUDIT": "stderr",
        ])
        #expect(result.status == 78, "\(result.stderr)")
        let rejected = try #require(auditRecords(in: result.stderr).first { $0["ZTG_EVENT"] == "config-rejected" }, "\(result.stderr)")
        #expect(rejected["PRIORITY"] == "4")
        #expect(rejected["ZTG_ERROR"]?.contains("rule[1].match.last_seen_older_than") == true)
    }

    @Test("a custom API base is named in config-loaded (ZTG_API_BASE) and warned about with PRIORITY 4")
    func customAPIBaseIsJournaled() async throws {
        let (result, base) = try await withFakeAPI(makeAccount(count: 20)) { server in
            let config = try writeConfiguration(apiBase: server.baseURL, rules: staleRule)
            return (try await runZTGuardd(["run", "--once", "--dry-run", "--config", config], environment: [
                "CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": freshState(), "ZTGUARDD_AUDIT": "stderr",
            ]), server.baseURL)
        }
        #expect(result.status == 0, "\(result.stderr)")
        let records = auditRecords(in: result.stderr)
        let loaded = try #require(records.first { $0["ZTG_EVENT"] == "config-loaded" })
        #expect(loaded["ZTG_API_BASE"] == base)
        #expect(records.contains { $0["PRIORITY"] == "4" && $0["ZTG_API_BASE"] == base && $0["MESSAGE"]?.contains("custom API base") == true })
    }

    @Test("ztguardd.toml(5)'s validation example is what check-config prints for those two problems")
    func validationExampleMatchesTheBinary() async throws {
        let page = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("doc/ztguardd.toml.5.scd"), encoding: .utf8)
        // The example block after "$ ztguardd check-config --config ./ztguardd.toml", its wrapped lines joined.
        let block = try #require(page.components(separatedBy: "$ ztguardd check-config --config ./ztguardd.toml\n").dropFirst().first)
        var documented: [String] = []
        for line in block.prefix(while: { $0 != "`" }).split(separator: "\n") {
            if line.hasPrefix("      "), let last = documented.popLast() {
                documented.append(last + " " + line.trimmingCharacters(in: .whitespaces))
            } else {
                documented.append(String(line))
            }
        }
        try #require(documented.count == 3, "\(documented)")

        // A file with those two problems on lines 21 and 44.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ztg-example-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var lines = Array(repeating: "", count: 50)
        lines[0] = "[cloudflare]"
        lines[1] = "account_id = \"\(accountID)\""
        lines[19] = "[limits]"
        lines[20] = "batch_size = 500"
        for (index, text) in ["[[rule]]", "name = \"one\"", "action = \"revoke\"", "[rule.match]", "client_version_below = \"2024.6.415\"",
            "[[rule]]", "name = \"two\"", "action = \"delete\"", "[rule.match]", "last_seen_older_than = \"90 days\""].enumerated() {
            lines[34 + index] = text
        }
        try lines.joined(separator: "\n").write(toFile: directory + "/ztguardd.toml", atomically: true, encoding: .utf8)
        let result = try await runZTGuardd(
            ["check-config", "--config", "./ztguardd.toml"], environment: ["CLOUDFLARE_API_TOKEN": token], directory: directory)
        #expect(result.status == 78)
        let printed = result.stderr.split(separator: "\n").map(String.init)
        #expect(printed == documented)
    }

}

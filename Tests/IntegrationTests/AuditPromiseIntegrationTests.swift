import Cloudflare
import FakeCloudflareServer
import Foundation
import Rules
import Simulation
import Testing

@testable import ztguardd

/// The binary, with its audit records on stderr as JSON lines wherever it runs: `ZTGUARDD_AUDIT=stderr`
/// asks for them even where a journal listens, so these tests read the same records on every machine.
private func runAudited(
    _ arguments: [String], environment: [String: String], timeout: TimeInterval = 60
) async throws -> ProcessResult {
    try await runZTGuardd(
        arguments, environment: environment.merging(["ZTGUARDD_AUDIT": "stderr"]) { $1 }, timeout: timeout)
}

/// Promises of the audit trail and exit statuses that only the binary, end to end, can show: each checks
/// literal field names and values, not what production code computes. The records are read as the
/// JSON lines the binary writes on stderr (`ZTGUARDD_AUDIT=stderr`), on every machine, journald or not.
@Suite struct AuditPromiseIntegrationTests {
    @Test("a run stopped by a limit exits 3, changes nothing, and its run-aborted record has PRIORITY 4")
    func abortedRun() async throws {
        let account = makeAccount(count: 600)
        let result = try await withFakeAPI(account) { server in
            let config = try writeConfiguration(apiBase: server.baseURL, maxFraction: 0.01, rules: staleRule)
            return try await runAudited(["run", "--once", "--config", config], environment: [
                "CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": FileManager.default.temporaryDirectory.path + "/ztg-\(UUID())",
            ])
        }
        #expect(result.status == 3)
        #expect(account.changes.isEmpty)
        let aborted = try #require(auditRecords(in: result.stderr).first { $0["ZTG_EVENT"] == "run-aborted" })
        #expect(aborted["PRIORITY"] == "4")
        #expect(aborted["MESSAGE_ID"] == "c14c6aee634141359a356a2ae5a6ffc2")
        #expect(aborted["SYSLOG_IDENTIFIER"] == "ztguardd")
        #expect(aborted["ZTG_ERROR"]?.contains("max_fraction = 0.01") == true)
        let actions = auditRecords(in: result.stderr).filter { $0["ZTG_EVENT"] == "action" }
        #expect(!actions.isEmpty && actions.allSatisfy { $0["ZTG_OUTCOME"] == "skipped" && $0["PRIORITY"] == "5" })
    }

    @Test("plan exits 3 too when a limit would stop the run")
    func planExits3() async throws {
        let account = makeAccount(count: 600)
        let result = try await withFakeAPI(account) { server in
            let config = try writeConfiguration(apiBase: server.baseURL, maxFraction: 0.01, rules: staleRule)
            return try await runAudited(["plan", "--config", config, "--format", "json"], environment: [
                "CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": FileManager.default.temporaryDirectory.path + "/ztg-\(UUID())",
            ])
        }
        #expect(result.status == 3)
        #expect(!result.stdoutText.contains(token) && !result.stderr.contains(token), "the token is in no plan JSON")
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        #expect((object["aborted"] as? [String: Any])?["limit"] as? String == "max_fraction")
    }

    @Test("a failed run exits 1 with a run-failed record of PRIORITY 3; the token is in no record, retry or report")
    func failedRunKeepsTheTokenOut() async throws {
        let secret = "s3cr3t-token-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let config = try writeConfiguration(apiBase: "http://127.0.0.1:9/client/v4", rules: staleRule)
        let state = FileManager.default.temporaryDirectory.path + "/ztg-\(UUID())"
        let result = try await runAudited(["run", "--once", "--config", config],
            environment: ["CLOUDFLARE_API_TOKEN": secret, "STATE_DIRECTORY": state], timeout: 120)
        #expect(result.status == 1)
        let all = auditRecords(in: result.stderr)
        let failed = try #require(all.first { $0["ZTG_EVENT"] == "run-failed" })
        #expect(failed["PRIORITY"] == "3")
        #expect(failed["MESSAGE_ID"] == "9195eb2c51564ebcb7dc542f9b5c559a")
        #expect(all.contains { $0["MESSAGE"]?.contains("retrying") == true }, "the retries are recorded")
        #expect(!result.stderr.contains(secret) && !result.stdoutText.contains(secret))
        for name in (try? FileManager.default.subpathsOfDirectory(atPath: state)) ?? [] {
            let contents = (try? String(contentsOfFile: state + "/" + name, encoding: .utf8)) ?? ""
            #expect(!contents.contains(secret), "\(name)")
        }
    }

    @Test("with the legacy email and global key, the key appears nowhere: records, plan JSON, report")
    func legacyKeyStaysOut() async throws {
        let key = "0123456789abcdef0123456789abcdef01234"
        let account = SimulatedAccount(
            configuration: .init(legacyCredentials: .init(email: "admin@example.com", key: key), clock: { referenceNow }),
            fleet: SimulatedFleet.generated(count: 300, seed: 5, now: referenceNow))
        let state = FileManager.default.temporaryDirectory.path + "/ztg-\(UUID())"
        let (plan, run) = try await withFakeAPI(account) { server in
            let config = try writeConfiguration(apiBase: server.baseURL, extra: "", rules: staleRule)
            var text = try String(contentsOfFile: config, encoding: .utf8)
            text = text.replacingOccurrences(of: "per_page = 500", with: "per_page = 500\nemail = \"admin@example.com\"")
            try text.write(toFile: config, atomically: true, encoding: .utf8)
            let environment = ["CLOUDFLARE_API_KEY": key, "STATE_DIRECTORY": state]
            return (
                try await runAudited(["plan", "--config", config, "--format", "json"], environment: environment),
                try await runAudited(["run", "--once", "--config", config], environment: environment)
            )
        }
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!account.changes.isEmpty, "the legacy credentials were accepted and used")
        for output in [plan.stdoutText, plan.stderr, run.stdoutText, run.stderr] { #expect(!output.contains(key)) }
        for name in (try? FileManager.default.subpathsOfDirectory(atPath: state)) ?? [] {
            #expect(!((try? String(contentsOfFile: state + "/" + name, encoding: .utf8)) ?? "").contains(key), "\(name)")
        }
    }

    @Test("a token expiring within 14 days is warned about with PRIORITY 4; one expiring in 15 days is not", arguments: [
        (days: 13.0, warned: true), (days: 15.0, warned: false),
    ])
    func expiringToken(days: Double, warned: Bool) async throws {
        let now = Date()
        let account = SimulatedAccount(
            configuration: .init(tokenExpiresOn: now.addingTimeInterval(days * 86_400), clock: { now }),
            fleet: SimulatedFleet.generated(count: 100, seed: 9, now: now))
        let result = try await withFakeAPI(account) { server in
            let config = try writeConfiguration(apiBase: server.baseURL, rules: staleRule)
            return try await runAudited(["run", "--once", "--dry-run", "--config", config], environment: [
                "CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": FileManager.default.temporaryDirectory.path + "/ztg-\(UUID())",
            ])
        }
        #expect(result.status == 0, "\(result.stderr)")
        let expiring = auditRecords(in: result.stderr).filter { $0["ZTG_EVENT"] == "token-expiring" }
        #expect(expiring.count == (warned ? 1 : 0))
        if warned {
            #expect(expiring.first?["PRIORITY"] == "4")
            #expect(expiring.first?["MESSAGE_ID"] == "ae8ce7b2527b4fafa137f9e547d9c186")
            #expect(expiring.first?["ZTG_TOKEN_EXPIRES_ON"]?.hasPrefix(String(RFC3339.string(from: now.addingTimeInterval(days * 86_400)).prefix(10))) == true)
        }
    }

    @Test("token-expiring at the edge: 14 days less a second warns, exactly 14 days does not", arguments: [
        (remaining: 14 * 86_400.0 - 1, expiresOn: "2026-12-07T11:59:59Z" as String?),
        (remaining: 14 * 86_400.0, expiresOn: nil),
        (remaining: 86_400.0, expiresOn: "2026-11-24T12:00:00Z"),
    ])
    func expiringTokenAtTheEdge(remaining: TimeInterval, expiresOn: String?) async throws {
        // referenceNow is 2026-11-23T12:00:00Z; the run judges at exactly that instant.
        let account = SimulatedAccount(
            configuration: .init(tokenExpiresOn: referenceNow + remaining, clock: { referenceNow }),
            fleet: SimulatedFleet.generated(count: 50, seed: 9, now: referenceNow))
        let records = AuditRecords()
        let outcome = try await withFakeAPI(account) { server in
            let path = try writeConfiguration(apiBase: server.baseURL, rules: staleRule)
            return await Enforcer(
                configuration: try CommandContext.loadConfiguration(at: path), client: try curlClient(server),
                state: temporaryStateStore(), audit: records.auditLog, wallClock: FixedWallClock(now: referenceNow),
                forceDryRun: true
            ).run()
        }
        #expect(outcome.status == .succeeded, "\(outcome.report.failure ?? "")")
        let expiring = records.all.filter { $0[AuditKey.event.rawValue] == "token-expiring" }
        #expect(expiring.map { $0[AuditKey.tokenExpiresOn.rawValue] } == (expiresOn.map { [$0] } ?? []))
    }
}

import Cloudflare
import FakeCloudflareServer
import Foundation
import Glibc
import Logging
import Simulation
import Testing

@testable import ztguardd

/// A private file holding `contents`, in a fresh directory; its path.
private func privateFile(named name: String, _ contents: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ztg-cred-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent(name).path
    try contents.write(toFile: path, atomically: false, encoding: .utf8)
    chmod(path, 0o600)
    return path
}

/// Promises of ztguardd(8) and ztguardd.toml(5) about the daemon (`run` without `--once`) and its
/// credentials, each checked on the binary.
@Suite struct DaemonPromiseIntegrationTests {
    @Test("SIGTERM while listing: the run finishes listing, acts on nothing, records every action skipped and exits 0")
    func sigtermWhileListingActsOnNothing() async throws {
        let notify = try DatagramSocket()
        let account = makeAccount(count: 1_200)
        // Pages of 50, the second held for 20 s: the signal is sent once the first is answered, and must
        // land before the second is (checked below). 8 s were not enough for a test runner at nice 19
        // beside a CI run.
        let heldPage = FaultPlan.at([2], .slow(milliseconds: 20_000), where: { $0.url.contains("/devices/registrations?") })
        try await withFakeAPI(account, faults: heldPage) { server in
            let config = try actingDaemonConfiguration(apiBase: server.baseURL, perPage: 50)
            let state = temporaryStatePath()
            let daemon = try SpawnedProcess(
                executable: ztguarddBinary.path, arguments: ["run", "--config", config],
                environment: ["NOTIFY_SOCKET": notify.path, "CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state])
            let deadline = ContinuousClock.now + .seconds(30)
            while account.requestCount(for: .listRegistrations) < 1, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(2))
            }
            try #require(account.requestCount(for: .listRegistrations) >= 1, "the run never started listing")
            daemon.send(SIGTERM)
            // The count grows when a page is answered: still 1, the second page was not when the signal was sent.
            try #require(account.requestCount(for: .listRegistrations) == 1, "the signal was sent after the listing's second page")
            let end = await daemon.wait()
            #expect(end.exitStatus == 0, "\(end)")
            #expect(account.requestCount(for: .listRegistrations) > 2, "the listing was cut short")
            #expect(account.appliedRequests.isEmpty, "acted after SIGTERM: \(account.appliedRequests.count) requests")

            let reports = StateStore(directory: state).reports()
            let report = try #require(reports.first, "no report of the stopped run")
            #expect(reports.count == 1)
            #expect(!report.actions.isEmpty, "the plan was not recorded")
            #expect(report.actions.allSatisfy { $0.outcome == .skipped }, "\(Set(report.actions.map(\.outcome)))")
            // The listing was finished, not cut short: the plan recorded is the whole plan.
            let plan = try await runZTGuardd(["plan", "--config", config, "--format", "json"], environment: [
                "CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": temporaryStatePath(),
            ])
            let whole = try JSONDecoder().decode(RunReport.self, from: Data(plan.stdoutText.utf8))
            #expect(Set(report.actions.map(\.registrationID)) == Set(whole.actions.map(\.registrationID)))
            #expect(report.listed == whole.listed)
        }
    }

    @Test("a refused token fails the run, not the daemon: run-failed is recorded and the daemon waits for the next interval")
    func daemonCarriesOnAfterRefusedToken() async throws {
        let notify = try DatagramSocket()
        try await withFakeAPI(makeAccount(count: 100)) { server in
            let config = try actingDaemonConfiguration(apiBase: server.baseURL)
            let daemon = try SpawnedProcess(
                executable: ztguarddBinary.path, arguments: ["run", "--config", config],
                environment: [
                    "NOTIFY_SOCKET": notify.path, "CLOUDFLARE_API_TOKEN": "not-the-right-token",
                    "STATE_DIRECTORY": temporaryStatePath(), "ZTGUARDD_AUDIT": "stderr",
                ])
            let failed = await notify.next(until: "STATUS=Last run")
            #expect(failed?.last?.contains("FAILED") == true, "\(failed ?? [])")
            // A daemon that gave up would exit 77 now, without STOPPING=1; give it the time to.
            try await Task.sleep(for: .seconds(1))
            daemon.send(SIGTERM)
            let stopping = await notify.next(until: "STOPPING=1", timeout: .seconds(30))
            let end = await daemon.wait()
            #expect(stopping != nil, "the daemon was gone before SIGTERM: \(end)")
            #expect(end.exitStatus == 0, "\(end)")
            let records = auditRecords(in: end.stderr)
            let runFailed = try #require(records.first { $0["ZTG_EVENT"] == "run-failed" }, "\(end.stderr)")
            #expect(runFailed["ZTG_ERROR"]?.isEmpty == false)
        }
    }

    /// Where the fake API's token is in each case, and whether the run is let in. The token the fake
    /// accepts is in exactly one source; a wrong one in the others.
    struct CredentialCase: CustomTestStringConvertible, Sendable {
        var credential: String?
        var tokenFile: String?
        var environment: String?
        var accepted: Bool
        var testDescription: String {
            "credential \(credential ?? "-"), token_file \(tokenFile ?? "-"), environment \(environment ?? "-")"
        }
    }

    @Test(
        "credentials: $CREDENTIALS_DIRECTORY/cloudflare-api-token, then token_file, then $CLOUDFLARE_API_TOKEN; the first that exists wins",
        arguments: [
            CredentialCase(credential: "right", tokenFile: "wrong", environment: "wrong", accepted: true),
            CredentialCase(credential: "wrong", tokenFile: "right", environment: "right", accepted: false),
            CredentialCase(credential: nil, tokenFile: "right", environment: "wrong", accepted: true),
            CredentialCase(credential: nil, tokenFile: "wrong", environment: "right", accepted: false),
            CredentialCase(credential: nil, tokenFile: nil, environment: "right", accepted: true),
        ])
    func credentialOrder(_ sources: CredentialCase) async throws {
        func value(_ which: String) -> String { which == "right" ? token : "wrong-token-\(UUID().uuidString.prefix(8))" }
        let result = try await withFakeAPI(makeAccount(count: 20)) { server in
            var extra = ""
            if let file = sources.tokenFile { extra = "token_file = \"\(try privateFile(named: "token", value(file)))\"" }
            let config = try writeConfiguration(apiBase: server.baseURL, rules: staleRule)
            let text = try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "per_page = 500", with: "per_page = 500\n\(extra)")
            try text.write(toFile: config, atomically: true, encoding: .utf8)
            // The credentials directory exists in every case, as under systemd; the file in it only in some.
            let credentials = FileManager.default.temporaryDirectory.appendingPathComponent("ztg-creds-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
            if let credential = sources.credential {
                let path = credentials + "/cloudflare-api-token"
                try value(credential).write(toFile: path, atomically: false, encoding: .utf8)
                chmod(path, 0o600)
            }
            var environment = ["CREDENTIALS_DIRECTORY": credentials, "STATE_DIRECTORY": temporaryStatePath()]
            environment["CLOUDFLARE_API_TOKEN"] = sources.environment.map(value)
            return try await runZTGuardd(["check-config", "--online", "--config", config], environment: environment)
        }
        #expect(result.status == (sources.accepted ? 0 : 77), "\(result.stderr)")
    }

    @Test("the token variables are gone from the environment once read: a child started afterwards does not inherit them")
    func tokenVariablesRemovedForChildren() async throws {
        // The only test that changes this process's environment: the variables are set here, read and
        // removed by the code under test, and a child sees the environment it left.
        let sentinel = "sentinel-\(UUID().uuidString)"
        setenv("CLOUDFLARE_API_TOKEN", sentinel, 1)
        setenv("CLOUDFLARE_API_KEY", sentinel, 1)
        defer {
            unsetenv("CLOUDFLARE_API_TOKEN")
            unsetenv("CLOUDFLARE_API_KEY")
        }
        let configuration = try CommandContext.loadConfiguration(
            at: try writeConfiguration(apiBase: "http://127.0.0.1:1/client/v4", rules: staleRule))
        _ = try CommandContext(logger: .init(label: "test")).makeClient(for: configuration)
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ztg-env-\(UUID().uuidString)").path
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/usr/bin/env"), nil]
        defer { argv.forEach { free($0) } }
        // The child gets this process's own `environ`, as any child the daemon might start would.
        try #require(posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, environ) == 0)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let seen = try String(contentsOfFile: output, encoding: .utf8)
        #expect(seen.contains("PATH="), "the child's environment was not captured")
        #expect(!seen.contains(sentinel), "a child inherited a token variable")
    }

    @Test(
        "the interval runs from the start of one run to the start of the next, not from its end",
        .timeLimit(.minutes(3)))
    func intervalStartToStart() async throws {
        let notify = try DatagramSocket()
        let account = makeAccount(count: 300)
        // The first run takes over 5 s (its first page answered after 5 s): counted from its end, the
        // next run would come 5 s late.
        let slowFirstPage = FaultPlan.at([1], .slow(milliseconds: 5_000), where: { $0.url.contains("/devices/registrations?") })
        try await withFakeAPI(account, faults: slowFirstPage) { server in
            let config = try actingDaemonConfiguration(apiBase: server.baseURL, interval: "1m")
            let state = temporaryStatePath()
            let daemon = try SpawnedProcess(
                executable: ztguarddBinary.path, arguments: ["run", "--config", config],
                environment: ["NOTIFY_SOCKET": notify.path, "CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state])
            var stopped = false
            defer { if !stopped { daemon.send(SIGKILL) } }
            // Each run's report says when the daemon started it: the instants a loaded machine cannot shift,
            // where what this test sees of them (READY=1, the first request) came seconds late under load.
            let store = StateStore(directory: state)
            let deadline = ContinuousClock.now + .seconds(120)
            while store.reports().count < 2, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
            let reports = store.reports()
            try #require(reports.count >= 2, "no second run within 120 s")
            let firstRun = try #require(reports[0].finishedAt).timeIntervalSince(reports[0].startedAt)
            let gap = reports[1].startedAt.timeIntervalSince(reports[0].startedAt)
            try #require(firstRun > 4.5, "the first run was too short to tell: \(firstRun) s")
            #expect(gap >= 59.5, "the second run came early: \(gap) s after the first")
            #expect(gap < 62.5, "the interval was counted from the end of the first run (\(firstRun) s long): \(gap) s")
            daemon.send(SIGTERM)
            #expect(await daemon.wait().exitStatus == 0)
            stopped = true
        }
    }
}

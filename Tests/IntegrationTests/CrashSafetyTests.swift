import Cloudflare
import FakeCloudflareServer
import Foundation
import Glibc
import Rules
import Simulation
import Testing

@testable import ztguardd

/// A daemon configuration acting on stale registrations in batches of `batchSize`.
/// With `grace`, the rule keeps grace marks, so that every run writes `grace.json` too.
private func actingConfiguration(apiBase: String, batchSize: Int, grace: String? = nil) throws -> String {
    try writeConfiguration(apiBase: apiBase, batchSize: batchSize, rules: """
        [schedule]
        interval = "1h"
        jitter = "0"

        [[rule]]
        name = "stale"
        action = "revoke"
        \(grace.map { "grace = \"\($0)\"" } ?? "")
        [rule.match]
        last_seen_older_than = "90d"
        """)
}

private func temporaryStateDirectory() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("ztg-state-\(UUID().uuidString)").path
}

/// Starts `ztguardd` with `arguments`, the token and `state` as `STATE_DIRECTORY`; output discarded.
private func startDaemon(_ arguments: [String], state: String) throws -> Process {
    let process = Process()
    process.executableURL = ztguarddBinary
    process.arguments = arguments
    process.environment = ["CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

/// Waits at most `timeout` for the process to end; true when it did.
private func waitForExit(_ process: Process, timeout: Duration = .seconds(30)) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    return !process.isRunning
}

// Serialized: the SIGTERM test needs the daemon to be still acting when the signal lands, which a
// machine loaded by the kill -9 cases' processes can delay.
@Suite(.serialized) struct CrashSafetyTests {
    @Test("SIGTERM in the middle of acting finishes the batch in flight, records a complete report and exits 0")
    func sigtermMidRun() async throws {
        let account = makeAccount(count: 1_500)
        // Every revoke answer takes a second, so the run is surely acting when the signal arrives: about 40
        // batches, 40 s. With 300 ms the whole run took 11 s, and on a loaded CI machine the test runner
        // once sent the signal only after it had ended (the run then passed at 9.8 s, then failed at 11.4 s
        // with every action done). Unloaded, the test still takes about 3 s: two revokes, then the one in flight.
        let slowRevokes = FaultPlan.every(1, .slow(milliseconds: 1_000), where: { $0.url.contains("/revoke") })
        try await withFakeAPI(account, faults: slowRevokes) { server in
            let config = try actingConfiguration(apiBase: server.baseURL, batchSize: 5)
            let state = temporaryStateDirectory()
            let process = try startDaemon(["run", "--config", config], state: state)
            defer { if process.isRunning { process.terminate() } }

            let deadline = ContinuousClock.now + .seconds(30)
            while account.requestCount(for: .revokeRegistrations) < 2, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            try #require(account.requestCount(for: .revokeRegistrations) >= 2, "the run never started acting")
            kill(process.processIdentifier, SIGTERM)
            #expect(try await waitForExit(process))
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 0)

            let reports = try FileManager.default.contentsOfDirectory(atPath: state + "/runs").filter { $0.hasSuffix(".json") }
            try #require(reports.count == 1)
            let report = try JSONDecoder().decode(
                RunReport.self, from: Data(contentsOf: URL(fileURLWithPath: state + "/runs/" + reports[0])))
            let revoked = Set(account.changes.filter { $0.kind == .revoked }.map(\.registrationID))
            let done = Set(report.actions.filter { $0.outcome == .done }.map(\.registrationID))
            let skipped = Set(report.actions.filter { $0.outcome == .skipped }.map(\.registrationID))
            // Complete: every planned action is in the report, each either done or not attempted.
            #expect(report.actions.count == done.count + skipped.count)
            // It stopped early, after finishing what it had sent: the report is exactly what happened.
            #expect(!done.isEmpty && !skipped.isEmpty)
            #expect(done == revoked)
            #expect(done.count % 5 == 0, "only whole batches were sent")
        }
    }

    @Test(
        "kill -9 at seeded instants across a whole run, dry or acting, never leaves an unreadable report or grace file",
        arguments: 0..<8)
    func killNineLeavesReadableState(attempt: Int) async throws {
        // Seeded and reported: a failure names the seed, and the same seed kills at the same instants.
        let seed = 0x5EED_0000 + UInt64(attempt)
        var generator = SeededGenerator(seed: seed)
        let acting = attempt % 2 == 1
        let account = makeAccount(count: 2_000, seed: UInt64(100 + attempt))
        // Acting runs revoke in batches of 10, each answered after 20 ms: the kills land while actions are
        // journaled and the report is written too, not only while listing.
        let revokes: @Sendable (HTTPRequest) -> Bool = { $0.url.contains("/registrations/revoke") }
        try await withFakeAPI(account, faults: .every(1, .slow(milliseconds: 20), where: revokes)) { server in
            let config = try actingConfiguration(apiBase: server.baseURL, batchSize: 10, grace: acting ? nil : "1d")
            let arguments = ["run", "--once", "--config", config] + (acting ? [] : ["--dry-run"])
            let state = temporaryStateDirectory()
            // A first complete dry run, so that there is a last good state to keep; its length is the
            // span the kills are drawn from.
            let started = ContinuousClock.now
            let first = try startDaemon(["run", "--once", "--dry-run", "--config", config], state: state)
            #expect(try await waitForExit(first))
            #expect(first.terminationStatus == 0)
            let span = max(50, Int((ContinuousClock.now - started) / .milliseconds(1)) * (acting ? 4 : 1))

            var instants: [Int] = []
            for _ in 0..<3 {
                let process = try startDaemon(arguments, state: state)
                let instant = Int(generator.next() % UInt64(span))
                instants.append(instant)
                try await Task.sleep(for: .milliseconds(instant))
                kill(process.processIdentifier, SIGKILL)
                #expect(try await waitForExit(process))
            }
            let comment = Comment(rawValue: "seed \(seed), \(acting ? "acting" : "dry") runs killed at \(instants) ms of \(span)")

            let store = StateStore(directory: state)
            let names = try FileManager.default.contentsOfDirectory(atPath: state + "/runs").filter { $0.hasSuffix(".json") }
            #expect(names.count >= 1, comment)
            for name in names {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: state + "/runs/" + name))
                #expect((try? JSONDecoder().decode(RunReport.self, from: bytes)) != nil, "\(name) is unreadable; \(comment)")
            }
            #expect(store.reports().count == names.count, comment)
            // The first run marked every stale registration (dry attempts keep a grace rule); a later write,
            // whole or not at all, keeps them readable.
            let marks = try store.graceMarks()
            if !acting { #expect(!marks.firstSelected.isEmpty, comment) }
            // And the commands that read the state still work.
            let history = try await runZTGuardd(
                ["history", "--config", config], environment: ["STATE_DIRECTORY": state, "CLOUDFLARE_API_TOKEN": token])
            #expect(history.status == 0, "\(history.stderr); \(comment)")
        }
    }
}

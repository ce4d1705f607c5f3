import Cloudflare
import FakeCloudflareServer
import Foundation
import Glibc
import Simulation
import Testing

@testable import ztguardd

/// Text an attacker controls: CSI and OSC escape sequences, BEL, a right-to-left override, a line
/// separator, a NUL, a C1 CSI and a zero-width space.
private let hostile = "pwn\u{1B}[2J\u{1B}]0;title\u{7}\u{202E}rtl\u{2028}next\u{0}nul\u{9B}31m\u{200B}zw"

/// The characters of ``hostile`` a terminal obeys or hides, written out here rather than taken from the
/// filter under test.
private let obeyed: Set<Unicode.Scalar> = ["\u{1B}", "\u{7}", "\u{202E}", "\u{2028}", "\u{0}", "\u{9B}", "\u{200B}"]

/// The characters of `text` in ``obeyed``, as U+XXXX: what reached a person raw.
private func raw(_ text: String) -> [String] {
    text.unicodeScalars.filter { obeyed.contains($0) }.map { "U+" + String($0.value, radix: 16, uppercase: true) }
}

private func freshState() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("ztg-shown-\(UUID().uuidString)").path
}

/// Every road by which text from the network or from a state file reaches a person: a terminal (stdout,
/// stderr), a report listing, `systemctl status`. Each run against the binary, with ``hostile`` text in an
/// API error message, in device names and in a rule name.
@Suite struct ShownTextIntegrationTests {
    @Test("an API error message reaches plan's and run --once's stderr and history's listing shown, never obeyed")
    func apiErrorMessage() async throws {
        let listing: @Sendable (HTTPRequest) -> Bool = { $0.url.contains("/devices/registrations?") }
        let state = freshState()
        let environment = ["CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state, "ZTGUARDD_AUDIT": "stderr"]
        let (plan, run, history, historyJSON) = try await withFakeAPI(
            makeAccount(count: 20), faults: .every(1, .rejected(message: hostile), where: listing)
        ) { server in
            let config = try writeConfiguration(apiBase: server.baseURL, rules: staleRule)
            let plan = try await runZTGuardd(["plan", "--config", config], environment: environment)
            let run = try await runZTGuardd(["run", "--once", "--config", config], environment: environment)
            let runID = try #require(StateStore(directory: state).reports().first?.runID, "the failed run left no report")
            return (
                plan, run,
                try await runZTGuardd(["history", runID, "--config", config], environment: environment),
                try await runZTGuardd(["history", runID, "--config", config, "--format", "json"], environment: environment)
            )
        }
        #expect(plan.status == 1 && run.status == 1, "\(plan.stderr)\n\(run.stderr)")
        for (name, output) in [("plan", plan), ("run --once", run), ("history", history)] {
            #expect(raw(output.stdoutText + output.stderr).isEmpty, "\(name) printed \(raw(output.stdoutText + output.stderr)) raw")
        }
        // Shown, each character by its stand-in, the readable parts kept.
        #expect(plan.stderr.contains("pwn␛[2J␛]0;title␇"), "\(plan.stderr)")
        #expect(history.stdoutText.contains("failed: ") && history.stdoutText.contains("pwn␛[2J"), "\(history.stdoutText)")
        // The JSON report keeps the exact text, in JSON's escapes.
        let report = try JSONDecoder().decode(RunReport.self, from: historyJSON.stdout)
        #expect(report.failure?.contains(hostile) == true)
    }

    @Test("the daemon's STATUS= line shows an API error message's characters by their stand-ins, on one bounded line")
    func statusLine() async throws {
        let notify = try DatagramSocket()
        let listing: @Sendable (HTTPRequest) -> Bool = { $0.url.contains("/devices/registrations?") }
        let message = hostile + String(repeating: " and more", count: 100)
        try await withFakeAPI(makeAccount(count: 10), faults: .every(1, .rejected(message: message), where: listing)) { server in
            let config = try writeDaemonConfiguration(apiBase: server.baseURL)
            let daemon = try SpawnedProcess(
                executable: ztguarddBinary.path, arguments: ["run", "--config", config],
                environment: ["NOTIFY_SOCKET": notify.path, "CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": freshState()])
            let messages = await notify.next(until: "FAILED")
            daemon.send(SIGTERM)
            _ = await daemon.wait()
            let status = try #require(messages?.last, "no STATUS= after the failed run")
            #expect(raw(status).isEmpty, "STATUS= carried \(raw(status)) raw")
            #expect(status.contains("pwn␛[2J"), "\(status)")
            let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("STATUS=") })
            #expect(line.utf8.count <= "STATUS=".utf8.count + 400, "\(line.utf8.count) bytes")
        }
    }

    @Test("device names and a rule name: plan, inventory, run --once, history and undo show them, and ESC[2K LAPTOP-1 keeps LAPTOP-1 in the plan")
    func namesOnEveryRoad() async throws {
        let old = referenceNow - 200 * 86_400
        let recent = referenceNow - 100 * 86_400
        let fleet = SimulatedFleet(registrations: [
            SimulatedRegistration(
                id: "00000000-0000-4000-8000-000000000001", deviceID: "d1", deviceName: hostile, createdAt: old, lastSeenAt: old,
                userEmail: "a\u{202E}@example.com"),
            SimulatedRegistration(
                id: "00000000-0000-4000-8000-000000000002", deviceID: "d2", deviceName: "\u{1B}[2KLAPTOP-1", createdAt: old,
                lastSeenAt: recent, userEmail: "b@example.com"),
        ])
        let account = SimulatedAccount(configuration: .init(clock: { referenceNow }), fleet: fleet)
        let state = freshState()
        let environment = ["CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state, "ZTGUARDD_AUDIT": "stderr", "COLUMNS": "80"]
        var outputs: [(String, ProcessResult)] = []
        try await withFakeAPI(account) { server in
            // The rule name is the file's: a TOML string may hold any escape.
            let config = try writeConfiguration(apiBase: server.baseURL, rules: #"""
                [[rule]]
                name = "old\u001b[2J\u202e"
                action = "delete"
                [rule.match]
                last_seen_older_than = "150d"

                [[rule]]
                name = "stale"
                action = "revoke"
                [rule.match]
                last_seen_older_than = "90d"
                """#)
            for command in [["check-config"], ["plan"], ["inventory"], ["inventory", "--format", "csv"], ["run", "--once"]] {
                outputs.append((command.joined(separator: " "), try await runZTGuardd(command + ["--config", config], environment: environment)))
            }
            let runID = try #require(StateStore(directory: state).reports().first?.runID, "the run left no report")
            outputs.append(("history", try await runZTGuardd(["history", runID, "--config", config], environment: environment)))
            outputs.append(("undo", try await runZTGuardd(["undo", runID, "--config", config], environment: environment)))
        }
        for (name, output) in outputs {
            #expect(output.status == 0, "\(name): \(output.stderr)")
            #expect(raw(output.stdoutText + output.stderr).isEmpty, "\(name) printed \(raw(output.stdoutText + output.stderr)) raw")
        }
        let shown = Dictionary(outputs, uniquingKeysWith: { first, _ in first })
        // The table's 16-column DEVICE cell: the escape takes 4 columns, the name the rest.
        let plan = try #require(shown["plan"]).stdoutText
        #expect(plan.split(separator: "\n").contains { $0.hasPrefix("  ␛[2KLAPTOP-1 ") }, "\(plan)")
        #expect(try #require(shown["undo"]).stdoutText.contains("cannot restore pwn␛[2J"))
        #expect(try #require(shown["undo"]).stdoutText.contains("unrevoke ␛[2KLAPTOP-1"))
        #expect(try #require(shown["check-config"]).stdoutText.contains("old␛[2J\u{FFFD} → delete"))
    }
}

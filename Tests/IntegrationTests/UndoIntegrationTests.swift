import Cloudflare
import FakeCloudflareServer
import Foundation
import Rules
import Simulation
import Testing

private let outdatedRule = """
    [[rule]]
    name = "outdated"
    action = "revoke"
    [rule.match]
    client_version_below = "2024.6.415"
    """

/// A state directory holding the report of one acting run that revoked the outdated clients of
/// `account`, with its run ID and the IDs it revoked.
private func revokingRun(_ server: FakeCloudflareServer, state: String) async throws -> (runID: String, revoked: [String]) {
    let config = try writeConfiguration(apiBase: server.baseURL, rules: outdatedRule)
    let result = try await runZTGuardd(["run", "--once", "--config", config],
        environment: ["CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state])
    #expect(result.status == 0, "\(result.stderr)")
    let runs = try FileManager.default.contentsOfDirectory(atPath: state + "/runs").filter { $0.hasSuffix(".json") }
    let runID = String(try #require(runs.first).dropLast(5))
    let report = try #require(try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: "\(state)/runs/\(runID).json"))) as? [String: Any])
    let revoked = (report["actions"] as? [[String: Any]] ?? []).filter { $0["outcome"] as? String == "done" }
        .compactMap { $0["registration_id"] as? String }
    return (runID, revoked)
}

/// An account that stamps revocations with the real time, as Cloudflare does: undo compares them with the
/// run's own start and end.
private func undoAccount(count: Int) -> SimulatedAccount {
    SimulatedAccount(
        configuration: .init(clock: { Date() }), fleet: SimulatedFleet.generated(count: count, seed: 7, now: referenceNow))
}

private func freshState() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("ztg-undo-\(UUID().uuidString)").path
}

/// `undo` is an enforcement run: it trusts no report, applies [exclude] and the limits, reads what is
/// there now, and never re-enables what a current rule would revoke again.
@Suite struct UndoIntegrationTests {
    @Test("undo unrevokes exactly what the run revoked, once the rule that revoked them is gone")
    func undoRestoresTheRun() async throws {
        let account = undoAccount(count: 300)
        let state = freshState()
        try await withFakeAPI(account) { server in
            let (runID, revoked) = try await revokingRun(server, state: state)
            try #require(!revoked.isEmpty)
            let config = try writeConfiguration(apiBase: server.baseURL, rules: "")
            let result = try await runZTGuardd(["undo", runID, "--config", config],
                environment: ["CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state])
            #expect(result.status == 0, "\(result.stderr)")
            let unrevoked = account.changes.filter { $0.kind == .unrevoked }.map(\.registrationID)
            #expect(unrevoked.sorted() == revoked.sorted())
        }
    }

    @Test("undo --dry-run says what it would unrevoke and changes nothing")
    func undoDryRun() async throws {
        let account = undoAccount(count: 300)
        let state = freshState()
        try await withFakeAPI(account) { server in
            let (runID, revoked) = try await revokingRun(server, state: state)
            try #require(!revoked.isEmpty)
            let config = try writeConfiguration(apiBase: server.baseURL, rules: "")
            let result = try await runZTGuardd(["undo", runID, "--dry-run", "--config", config],
                environment: ["CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(account.changes.filter { $0.kind == .unrevoked }.isEmpty)
            #expect(account.appliedRequests.filter { $0.kind == .unrevoked }.isEmpty)
            let planned = result.stdoutText.split(separator: "\n").filter { $0.hasPrefix("planned: unrevoke") }
            #expect(planned.count == revoked.count, "\(result.stdoutText)")
            // No report of its own: history still lists the one run.
            let reports = try FileManager.default.contentsOfDirectory(atPath: state + "/runs").filter { $0.hasSuffix(".json") }
            #expect(reports == ["\(runID).json"])
        }
    }

    @Test("unrevokes whose answers are lost after the API applied them end done, each applied once")
    func lostUnrevokeAnswers() async throws {
        let account = undoAccount(count: 600)
        let state = freshState()
        let unrevokes: @Sendable (HTTPRequest) -> Bool = { $0.url.contains("/registrations/unrevoke") }
        try await withFakeAPI(account, faults: .every(2, .lostAnswer, where: unrevokes)) { server in
            let (runID, revoked) = try await revokingRun(server, state: state)
            try #require(revoked.count > 20, "more than one batch of 20")
            let path = try writeConfiguration(apiBase: server.baseURL, batchSize: 20, rules: "")
            let result = try await runZTGuardd(["undo", runID, "--config", path],
                environment: ["CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(server.injectedCount(of: .lostAnswer) >= 1)
            let unrevoked = account.changes.filter { $0.kind == .unrevoked }.map(\.registrationID)
            #expect(unrevoked.sorted() == revoked.sorted(), "each once, none twice")
            #expect(account.timesSent(.unrevoked) == Dictionary(revoked.map { ($0, 1) }, uniquingKeysWith: +),
                "each sent in one applied request only, the lost ones read back instead of sent again")
            #expect(result.stdoutText.split(separator: "\n").filter { $0.hasPrefix("done: unrevoke") }.count == revoked.count)
        }
    }

    @Test("undo leaves revoked what a current rule would revoke again, and says which rule, on stdout and in the journal")
    func currentRuleKeepsItRevoked() async throws {
        let account = undoAccount(count: 300)
        let state = freshState()
        try await withFakeAPI(account) { server in
            let (runID, revoked) = try await revokingRun(server, state: state)
            try #require(!revoked.isEmpty)
            let config = try writeConfiguration(apiBase: server.baseURL, rules: outdatedRule)
            let result = try await runZTGuardd(["undo", runID, "--config", config],
                environment: ["CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state, "ZTGUARDD_AUDIT": "stderr"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(account.changes.filter { $0.kind == .unrevoked }.isEmpty)
            #expect(result.stdoutText.split(separator: "\n").filter { $0.contains("rule outdated would select it again") }.count
                == revoked.count)
            // The record says why it was left alone, not that a limit or a shutdown stopped the run.
            let records = auditRecords(in: result.stderr).filter { $0["ZTG_EVENT"] == "action" }
            #expect(records.count == revoked.count)
            #expect(records.allSatisfy {
                $0["MESSAGE"]?.hasPrefix("Did not unrevoke registration") == true
                    && $0["MESSAGE"]?.contains("rule outdated would select it again") == true
            }, "\(records.first ?? [:])")
        }
    }

    @Test("undo refuses a report that names a registration twice, or one the run did not revoke", arguments: [
        "duplicate", "foreign run id", "not an id",
    ])
    func tamperedReportIsRefused(tampering: String) async throws {
        let account = undoAccount(count: 300)
        let state = freshState()
        try await withFakeAPI(account) { server in
            let (runID, revoked) = try await revokingRun(server, state: state)
            let path = "\(state)/runs/\(runID).json"
            var report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
                as? [String: Any])
            var actions = try #require(report["actions"] as? [[String: Any]])
            let first = try #require(actions.first)
            switch tampering {
            case "duplicate": actions.append(first)
            case "foreign run id": report["run_id"] = "0b9f0000-0000-4000-8000-000000000000"
            default:
                var forged = first
                forged["registration_id"] = "../../etc/passwd"
                actions.append(forged)
            }
            report["actions"] = actions
            try JSONSerialization.data(withJSONObject: report).write(to: URL(fileURLWithPath: path))
            let config = try writeConfiguration(apiBase: server.baseURL, rules: "")
            let result = try await runZTGuardd(["undo", runID, "--config", config],
                environment: ["CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state])
            #expect(result.status == 1)
            #expect(result.stderr.contains("cannot be undone"), "\(result.stderr)")
            #expect(account.changes.filter { $0.kind == .unrevoked }.isEmpty)
            #expect(!revoked.isEmpty)
        }
    }

    @Test("a registration someone else revoked, added to the report, is left revoked: its revoked_at is not the run's")
    func foreignRevocationIsLeftRevoked() async throws {
        let account = undoAccount(count: 300)
        let state = freshState()
        try await withFakeAPI(account) { server in
            let (runID, revoked) = try await revokingRun(server, state: state)
            try #require(!revoked.isEmpty)
            // An active registration the run did not touch, revoked by an administrator an hour before the run.
            let foreign = try #require(account.registrations.first { !$0.isRevoked && !revoked.contains($0.id) })
            _ = account.update(id: foreign.id) { $0.revokedAt = Date() - 3_600 }
            let path = "\(state)/runs/\(runID).json"
            var report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
                as? [String: Any])
            var actions = try #require(report["actions"] as? [[String: Any]])
            var forged = try #require(actions.first { $0["outcome"] as? String == "done" })
            forged["registration_id"] = foreign.id
            actions.append(forged)
            report["actions"] = actions
            try JSONSerialization.data(withJSONObject: report).write(to: URL(fileURLWithPath: path))

            let config = try writeConfiguration(apiBase: server.baseURL, rules: "")
            let result = try await runZTGuardd(["undo", runID, "--config", config],
                environment: ["CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state])
            #expect(result.status == 0, "\(result.stderr)")
            let unrevoked = account.changes.filter { $0.kind == .unrevoked }.map(\.registrationID)
            #expect(unrevoked.sorted() == revoked.sorted(), "exactly the run's own revocations")
            #expect(account.registration(id: foreign.id)?.isRevoked == true)
            let line = result.stdoutText.split(separator: "\n").first { $0.contains(foreign.id) }
            #expect(line?.hasPrefix("skipped:") == true && line?.contains("not during the run") == true, "\(line ?? "")")
        }
    }

    @Test("undo applies [exclude] and max_actions_per_run, and skips what is no longer revoked")
    func undoAppliesExclusionsAndLimits() async throws {
        let account = undoAccount(count: 400)
        let state = freshState()
        try await withFakeAPI(account) { server in
            let (runID, revoked) = try await revokingRun(server, state: state)
            try #require(revoked.count >= 3)
            // One is unrevoked by someone else meanwhile; one device is exempted by name.
            _ = account.update(id: revoked[0]) { $0.revokedAt = nil }
            let excludedName = try #require(account.registration(id: revoked[1])?.deviceName)
            let environment = ["CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state]

            let limited = try writeConfiguration(apiBase: server.baseURL, maxActions: 1, rules: "")
            let aborted = try await runZTGuardd(["undo", runID, "--config", limited], environment: environment)
            #expect(aborted.status == 3, "\(aborted.stderr)")
            #expect(account.changes.filter { $0.kind == .unrevoked }.isEmpty)

            let config = try writeConfiguration(apiBase: server.baseURL, rules: """
                [exclude]
                device_name = ["\(excludedName)"]
                """)
            let result = try await runZTGuardd(["undo", runID, "--config", config], environment: environment)
            #expect(result.status == 0, "\(result.stderr)")
            let unrevoked = Set(account.changes.filter { $0.kind == .unrevoked }.map(\.registrationID))
            #expect(unrevoked == Set(revoked.dropFirst(2)))
            #expect(result.stdoutText.contains("no longer revoked"))
            #expect(result.stdoutText.contains("exempted by [exclude]"))
        }
    }

    @Test("unreadable grace marks fail undo as they fail a run: exit 1 naming the file, nothing unrevoked")
    func unreadableGraceMarksFailUndo() async throws {
        let account = undoAccount(count: 300)
        let state = freshState()
        try await withFakeAPI(account) { server in
            let (runID, revoked) = try await revokingRun(server, state: state)
            try #require(!revoked.isEmpty)
            try Data("[{\"rule\": ".utf8).write(to: URL(fileURLWithPath: state + "/grace.json"))
            let config = try writeConfiguration(apiBase: server.baseURL, rules: "")
            let result = try await runZTGuardd(["undo", runID, "--config", config],
                environment: ["CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state, "ZTGUARDD_AUDIT": "stderr"])
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.contains("ztguardd: ") && result.stderr.contains("grace.json"), "\(result.stderr)")
            #expect(account.changes.filter { $0.kind == .unrevoked }.isEmpty)
            // Recorded as a failed run: started, failed with the reason, nothing in between.
            let records = auditRecords(in: result.stderr)
            #expect(records.map { $0["ZTG_EVENT"] ?? "" } == ["run-started", "run-failed"], "\(records)")
            let failed = try #require(records.last)
            #expect(failed["ZTG_RUN_ID"] == records.first?["ZTG_RUN_ID"] && failed["ZTG_RUN_ID"] != runID)
            #expect(failed["ZTG_ERROR"]?.contains("grace.json") == true, "\(failed)")
            #expect(failed["PRIORITY"] == "3" && failed["ZTG_SELECTED"] == "0" && failed["ZTG_DONE"] == "0")
        }
    }

    @Test("undo is recorded as a run: run-started, each action with the registration as listed now, run-finished with its counts")
    func undoRecordsItsRun() async throws {
        let account = undoAccount(count: 300)
        let state = freshState()
        try await withFakeAPI(account) { server in
            let (runID, revoked) = try await revokingRun(server, state: state)
            try #require(revoked.count >= 2)
            // Seen again since the run, by a newer client: the undo's records say what is there now.
            let seen = Date(timeIntervalSince1970: 1_795_000_000)
            _ = account.update(id: revoked[0]) {
                $0.lastSeenAt = seen
                $0.clientVersion = "2025.1.7.0"
            }
            let config = try writeConfiguration(apiBase: server.baseURL, rules: "")
            let result = try await runZTGuardd(["undo", runID, "--config", config],
                environment: ["CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state, "ZTGUARDD_AUDIT": "stderr"])
            #expect(result.status == 0, "\(result.stderr)")

            let records = auditRecords(in: result.stderr)
            try #require(records.count == revoked.count + 2, "\(records.map { $0["ZTG_EVENT"] ?? "" })")
            let undoRunID = try #require(records.first?["ZTG_RUN_ID"])
            #expect(undoRunID != runID)
            let started = records[0]
            #expect(started["ZTG_EVENT"] == "run-started" && started["MESSAGE"] == "Run started")
            #expect(started["ZTG_DRY_RUN"] == "0" && started["PRIORITY"] == "6")
            #expect(started["MESSAGE_ID"] == "8d72ffd14b824424a9be1f3cb35a4fec")

            let actions = records[1...revoked.count]
            #expect(actions.allSatisfy {
                $0["ZTG_EVENT"] == "action" && $0["ZTG_RUN_ID"] == undoRunID && $0["ZTG_ACTION"] == "unrevoke"
                    && $0["ZTG_OUTCOME"] == "done" && $0["ZTG_RULE"] == "undo \(runID)" && $0["ZTG_DRY_RUN"] == "0"
            })
            #expect(Set(actions.compactMap { $0["ZTG_REGISTRATION_ID"] }) == Set(revoked))
            for record in actions {
                let id = try #require(record["ZTG_REGISTRATION_ID"])
                let now = try #require(account.registration(id: id))
                #expect(record["ZTG_DEVICE_ID"] == now.deviceID && record["ZTG_DEVICE_NAME"] == now.deviceName)
                #expect(record["ZTG_LAST_SEEN"] == RFC3339.string(from: now.lastSeenAt), "\(record)")
                #expect(record["ZTG_CLIENT_VERSION"] == now.clientVersion, "\(record)")
            }
            let first = try #require(actions.first { $0["ZTG_REGISTRATION_ID"] == revoked[0] })
            #expect(first["ZTG_LAST_SEEN"] == "2026-11-18T11:06:40Z" && first["ZTG_CLIENT_VERSION"] == "2025.1.7.0")

            let finished = try #require(records.last)
            #expect(finished["ZTG_EVENT"] == "run-finished" && finished["MESSAGE"] == "Run finished")
            #expect(finished["MESSAGE_ID"] == "cc941b7ee4dc44849cc3678d7fe62c48" && finished["PRIORITY"] == "6")
            #expect(finished["ZTG_RUN_ID"] == undoRunID && finished["ZTG_DRY_RUN"] == "0")
            // The whole account is listed: max_fraction is a share of it, as in a run.
            #expect(finished["ZTG_LISTED"] == "300")
            #expect(finished["ZTG_SELECTED"] == "\(revoked.count)" && finished["ZTG_DONE"] == "\(revoked.count)")
            #expect(finished["ZTG_FAILED"] == "0")
            #expect(Int(finished["ZTG_API_REQUESTS"] ?? "") ?? 0 >= 2)
            #expect(finished["ZTG_DURATION_MS"].flatMap { Int($0) } != nil)
            // And kept as a run is: history finds it by its ID.
            #expect(FileManager.default.fileExists(atPath: "\(state)/runs/\(undoRunID).json"))
        }
    }

    @Test("undo checks max_fraction as a run does: one over the share of the account aborts it (exit 3, run-aborted), exactly the share passes")
    func undoChecksMaxFraction() async throws {
        let account = undoAccount(count: 400)
        let state = freshState()
        try await withFakeAPI(account) { server in
            let (runID, revoked) = try await revokingRun(server, state: state)
            try #require(revoked.count >= 2)
            let environment = ["CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state, "ZTGUARDD_AUDIT": "stderr"]

            let below = try writeConfiguration(
                apiBase: server.baseURL, maxFraction: Double(revoked.count - 1) / 400, rules: "")
            let aborted = try await runZTGuardd(["undo", runID, "--config", below], environment: environment)
            #expect(aborted.status == 3, "\(aborted.stderr)")
            #expect(account.changes.filter { $0.kind == .unrevoked }.isEmpty)
            #expect(aborted.stderr.contains("undo aborted by the max_fraction limit"), "\(aborted.stderr)")
            let records = auditRecords(in: aborted.stderr)
            let end = try #require(records.last)
            #expect(end["ZTG_EVENT"] == "run-aborted" && end["PRIORITY"] == "4", "\(end)")
            let detail = try #require(end["ZTG_ERROR"])
            #expect(detail.hasPrefix("\(revoked.count) of 400 registrations (")
                && detail.hasSuffix("planned, more than max_fraction = \(Double(revoked.count - 1) / 400) "
                    + "(\(String(format: "%g", Double(revoked.count - 1) / 4))%)"), "\(detail)")
            #expect(records.filter { $0["ZTG_EVENT"] == "action" }.allSatisfy {
                $0["ZTG_OUTCOME"] == "skipped" && $0["MESSAGE"]?.contains("safety limit") == true
            })

            let exactly = try writeConfiguration(apiBase: server.baseURL, maxFraction: Double(revoked.count) / 400, rules: "")
            let passed = try await runZTGuardd(["undo", runID, "--config", exactly], environment: environment)
            #expect(passed.status == 0, "\(passed.stderr)")
            #expect(account.changes.filter { $0.kind == .unrevoked }.count == revoked.count)
        }
    }
}


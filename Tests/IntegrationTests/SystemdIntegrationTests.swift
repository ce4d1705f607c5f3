import Cloudflare
import FakeCloudflareServer
import Foundation
import Glibc
import Logging
import Rules
import Simulation
import Testing

@testable import ztguardd

@Suite struct JournalTests {
    @Test("audit records arrive in journald's native protocol with every field of ztguardd(8), AUDIT RECORDS")
    func journalFields() async throws {
        let journal = try DatagramSocket()
        let collector = DatagramCollector(journal)
        let logger = Logger(label: "ztguardd") { _ in
            JournalLogHandler(writer: JournalWriter(destination: .socket(path: journal.path)), level: .info)
        }
        let account = makeAccount(count: 400)
        let registrations = account.registrationsByID
        let configuration = try ConfigurationReader.read("""
            [cloudflare]
            account_id = "\(accountID)"
            [limits]
            max_actions_per_run = 1000
            max_fraction = 1.0
            [[rule]]
            name = "stale"
            action = "delete"
            [rule.match]
            last_seen_older_than = "90d"
            """, path: "journal-test.toml")
        let client = CommandContext(logger: logger).makeClient(
            for: configuration, credentials: .apiToken(token), transport: account)
        let outcome = await Enforcer(
            configuration: configuration, client: client, state: nil, audit: AuditLog(logger: logger),
            wallClock: FixedWallClock(now: referenceNow), forceDryRun: false
        ).run()
        #expect(outcome.status == .succeeded)

        let entries = collector.stop().map(decodeJournalEntry)
        let byEvent = Dictionary(grouping: entries, by: { $0["ZTG_EVENT"] ?? "" })
        let started = try #require(byEvent["run-started"]?.first)
        #expect(started["MESSAGE_ID"] == AuditEvent.runStarted.messageID)
        #expect(started["PRIORITY"] == "6")
        #expect(started["SYSLOG_IDENTIFIER"] == "ztguardd")

        let actions = byEvent["action"] ?? []
        #expect(actions.count == outcome.report.actions.count)
        #expect(!actions.isEmpty)
        for field in ["ZTG_RUN_ID", "ZTG_DRY_RUN", "ZTG_RULE", "ZTG_ACTION", "ZTG_OUTCOME", "ZTG_REASON", "ZTG_REGISTRATION_ID",
            "ZTG_DEVICE_ID", "ZTG_DEVICE_NAME", "ZTG_USER_EMAIL", "ZTG_LAST_SEEN", "ZTG_CLIENT_VERSION", "MESSAGE_ID"]
        {
            let optional = field == "ZTG_USER_EMAIL" || field == "ZTG_CLIENT_VERSION"
            #expect(actions.allSatisfy { $0[field] != nil || optional }, "\(field)")
        }
        // The two optional fields, exactly as the account holds them: present with the same value when the
        // registration has one, absent when it has none.
        for entry in actions {
            let registration = try #require(registrations[entry["ZTG_REGISTRATION_ID"] ?? ""])
            #expect(entry["ZTG_USER_EMAIL"] == registration.userEmail)
            #expect(entry["ZTG_CLIENT_VERSION"] == registration.clientVersion)
            #expect(entry["ZTG_DEVICE_NAME"] == registration.deviceName)
        }
        #expect(actions.allSatisfy { $0["PRIORITY"] == "5" && $0["ZTG_OUTCOME"] == "done" && $0["ZTG_DRY_RUN"] == "0" })
        #expect(actions.allSatisfy { $0["ZTG_RUN_ID"] == outcome.report.runID })

        let finished = try #require(byEvent["run-finished"]?.first)
        #expect(finished["MESSAGE_ID"] == AuditEvent.runFinished.messageID)
        #expect(finished["ZTG_LISTED"] == "\(outcome.report.listed)")
        #expect(finished["ZTG_SELECTED"] == "\(actions.count)")
        #expect(finished["ZTG_DONE"] == "\(actions.count)")
        #expect(finished["ZTG_FAILED"] == "0")
        #expect(Int(finished["ZTG_API_REQUESTS"] ?? "") ?? 0 > 1)
        #expect(finished["ZTG_DURATION_MS"] != nil)
        #expect(!entries.contains { entry in entry.values.contains { $0.contains(token) } })
    }

    @Test("a value with a newline uses the binary-safe form and decodes back intact")
    func multilineValue() throws {
        let journal = try DatagramSocket()
        JournalWriter(destination: .socket(path: journal.path)).send([("MESSAGE", "two\nlines"), ("ZTG_EVENT", "x")])
        let entry = decodeJournalEntry(try #require(journal.receive()))
        #expect(entry == ["MESSAGE": "two\nlines", "ZTG_EVENT": "x"])
    }

    @Test("every audit event has its own MESSAGE_ID, and the catalog explains each one")
    func catalogCoversEveryEvent() throws {
        let ids = AuditEvent.allCases.map(\.messageID)
        #expect(Set(ids).count == ids.count)
        let catalog = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("systemd/ztguardd.catalog")
        let text = try String(contentsOf: catalog, encoding: .utf8)
        for event in AuditEvent.allCases { #expect(text.contains("-- \(event.messageID)\n"), "\(event)") }
    }
}

/// The daemon as systemd runs it: a real process, a fake NOTIFY_SOCKET, signals.
@Suite struct DaemonLifecycleTests {
    @Test("READY, STATUS, WATCHDOG, RELOADING around SIGHUP (bad file kept out, good file taken), then STOPPING and exit 0")
    func notifySequence() async throws {
        let notify = try DatagramSocket()
        let account = makeAccount(count: 300)
        try await withFakeAPI(account) { server in
            let config = try writeConfiguration(apiBase: server.baseURL, extra: "dry_run = true", rules: """
                [schedule]
                interval = "1h"
                jitter = "0"

                [[rule]]
                name = "stale"
                action = "delete"
                [rule.match]
                last_seen_older_than = "90d"
                """)
            let good = try String(contentsOfFile: config, encoding: .utf8)
            let state = temporaryStatePath()
            let process = Process()
            process.executableURL = ztguarddBinary
            process.arguments = ["run", "--config", config]
            process.environment = [
                "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "2000000", "CLOUDFLARE_API_TOKEN": token,
                "STATE_DIRECTORY": state, "ZTGUARDD_AUDIT": "stderr",
            ]
            let stderrPath = state + ".stderr"
            _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            defer { if process.isRunning { process.terminate() } }

            let ready = try #require(await notify.next(until: "READY=1"))
            #expect(ready.last?.contains("STATUS=") == true)
            let firstRun = try #require(await notify.next(until: "STATUS=Last dry run"))
            #expect(firstRun.last?.contains("selected") == true)
            #expect(await notify.next(until: "WATCHDOG=1") != nil)

            // A broken file: rejected, the daemon keeps running on the old rules.
            try (good + "\n[[rule]]\nname = 3\n").write(toFile: config, atomically: true, encoding: .utf8)
            kill(process.processIdentifier, SIGHUP)
            let rejected = try #require(await notify.next(until: "READY=1"))
            #expect(rejected.contains { $0.contains("RELOADING=1") && $0.contains("MONOTONIC_USEC=") })
            #expect(rejected.last?.contains("Reload rejected") == true)
            #expect(process.isRunning)

            // A good file again: taken.
            try good.write(toFile: config, atomically: true, encoding: .utf8)
            kill(process.processIdentifier, SIGHUP)
            let reloaded = try #require(await notify.next(until: "READY=1"))
            #expect(reloaded.last?.contains("Configuration reloaded") == true)

            kill(process.processIdentifier, SIGTERM)
            #expect(await notify.next(until: "STOPPING=1") != nil)
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(!process.isRunning)
            #expect(process.terminationStatus == 0)
            // The run was recorded, complete.
            let reports = try FileManager.default.contentsOfDirectory(atPath: state + "/runs")
            #expect(reports.count == 1)
            // The journal's side: loaded at start, rejected (naming the bad key) and kept, loaded again.
            let records = auditRecords(in: try String(contentsOfFile: stderrPath, encoding: .utf8))
            let configEvents = records.compactMap { $0["ZTG_EVENT"] }.filter { $0.hasPrefix("config-") }
            #expect(configEvents == ["config-loaded", "config-rejected", "config-loaded"])
            let rejectedRecord = records.first { $0["ZTG_EVENT"] == "config-rejected" }
            #expect(rejectedRecord?["PRIORITY"] == "4")
            #expect(rejectedRecord?["ZTG_ERROR"]?.contains("rule[2].name") == true, "\(rejectedRecord ?? [:])")
            #expect(rejectedRecord?["ZTG_CONFIG_PATH"] == config)
        }
    }

    @Test("SIGINT stops the daemon as SIGTERM does: STOPPING=1, exit 0")
    func sigintStopsLikeSigterm() async throws {
        let notify = try DatagramSocket()
        try await withFakeAPI(makeAccount(count: 100)) { server in
            let config = try writeDaemonConfiguration(apiBase: server.baseURL)
            let state = temporaryStatePath()
            let daemon = try SpawnedProcess(
                executable: ztguarddBinary.path, arguments: ["run", "--config", config],
                environment: ["NOTIFY_SOCKET": notify.path, "CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state])
            try #require(await notify.next(until: "STATUS=Last dry run") != nil)
            daemon.send(SIGINT)
            let stopping = await notify.next(until: "STOPPING=1", timeout: .seconds(30))
            let end = await daemon.wait()
            #expect(stopping != nil, "no STOPPING=1 after SIGINT")
            #expect(end.exitStatus == 0, "\(end)")
        }
    }

    @Test(
        "between runs the daemon sleeps: in 3 idle seconds its threads wake only to ping the watchdog",
        arguments: [nil, 1_000_000] as [Int?])
    func idleDaemonSleeps(watchdogUSec: Int?) async throws {
        let notify = try DatagramSocket()
        try await withFakeAPI(makeAccount(count: 300)) { server in
            let config = try writeConfiguration(apiBase: server.baseURL, extra: "dry_run = true", rules: """
                [schedule]
                interval = "1h"

                [[rule]]
                name = "stale"
                action = "delete"
                [rule.match]
                last_seen_older_than = "90d"
                """)
            let process = Process()
            process.executableURL = ztguarddBinary
            process.arguments = ["run", "--config", config]
            process.environment = [
                "NOTIFY_SOCKET": notify.path, "CLOUDFLARE_API_TOKEN": token,
                "STATE_DIRECTORY": FileManager.default.temporaryDirectory.appendingPathComponent("ztg-state-\(UUID().uuidString)").path,
            ]
            if let watchdogUSec { process.environment?["WATCHDOG_USEC"] = String(watchdogUSec) }
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            defer { if process.isRunning { process.terminate() } }

            try #require(await notify.next(until: "STATUS=Last dry run") != nil)
            // The run's last writes (its report, fsync) take as long as the machine makes them: settle until a
            // 300 ms window has no wake-up beyond the pings, for at most 20 s, then judge 3 s of idling.
            let settleDeadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < settleDeadline {
                _ = notify.drain(counting: "WATCHDOG=1")
                let start = try contextSwitches(of: process.processIdentifier)
                try await Task.sleep(for: .milliseconds(300))
                let woken = try contextSwitches(of: process.processIdentifier) - start
                if woken - notify.drain(counting: "WATCHDOG=1") <= 0 { break }
            }
            // The pings sent between the two samples are the datagrams that arrive between the two drains.
            _ = notify.drain(counting: "WATCHDOG=1")
            let before = try contextSwitches(of: process.processIdentifier)
            try await Task.sleep(for: .seconds(3))
            let after = try contextSwitches(of: process.processIdentifier)
            let pings = notify.drain(counting: "WATCHDOG=1")
            // Before: libdispatch's pool monitor woke it once a second (3 more here), and with a watchdog
            // the pinger of the finished run woke it once more. The interval is an hour.
            if watchdogUSec == nil {
                #expect(after - before == 0, "threads woken: \(before) -> \(after)")
                #expect(pings == 0)
            } else {
                #expect(pings >= 4, "pings every 0.5 s")
                // One ping either way: the two samples and the two drains cannot be taken at the same instant,
                // so a ping sent between a sample and its drain is counted on one side only.
                #expect(abs(after - before - pings) <= 1, "\(after - before) wake-ups for \(pings) pings")
            }
            #expect(process.isRunning)
        }
    }
}

/// Voluntary context switches of every thread of `pid`: a thread that wakes and sleeps again adds one.
/// (Involuntary ones count preemptions of a thread already awake, which a loaded machine adds.)
private func contextSwitches(of pid: Int32) throws -> Int {
    var total = 0
    for thread in try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") {
        let status = try String(contentsOfFile: "/proc/\(pid)/task/\(thread)/status", encoding: .utf8)
        for line in status.split(separator: "\n") where line.hasPrefix("voluntary_ctxt_switches:") {
            total += Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
        }
    }
    return total
}

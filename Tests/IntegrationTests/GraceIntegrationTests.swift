import Cloudflare
import FakeCloudflareServer
import Foundation
import Logging
import Rules
import Simulation
import Testing

@testable import ztguardd

private let gracedRule = """
    [[rule]]
    name = "stale-graced"
    action = "revoke"
    grace = "7d"
    [rule.match]
    last_seen_older_than = "90d"
    """

/// One acting run at `now`, keeping its state in `state`.
private func run(_ server: FakeCloudflareServer, state: StateStore, at now: Date) async throws -> Enforcer.Outcome {
    let path = try writeConfiguration(apiBase: server.baseURL, rules: gracedRule)
    return await Enforcer(
        configuration: try CommandContext.loadConfiguration(at: path), client: try curlClient(server), state: state,
        audit: AuditLog(logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }), wallClock: FixedWallClock(now: now),
        forceDryRun: false
    ).run()
}

/// `grace` across runs in time: the marks one run writes are what the next one reads.
@Suite struct GraceIntegrationTests {
    @Test("a grace rule waits on its first run and a second short of its grace, acts at exactly the grace, and a failed run between keeps the marks")
    func graceAcrossRuns() async throws {
        let day: TimeInterval = 86_400
        let account = makeAccount(count: 800)
        // Computed from the account's records: active, and last seen more than 90 days before the first run.
        let staleAtFirstRun = Set(account.registrations.filter {
            !$0.isRevoked && $0.lastSeenAt < referenceNow - 90 * day
        }.map(\.id))
        try #require(!staleAtFirstRun.isEmpty)
        let state = temporaryStateStore()
        let listing: @Sendable (HTTPRequest) -> Bool = { $0.url.contains("/devices/registrations?") }
        // Listing requests 1 (first run) and 2 (the run a day later, every attempt) are answered well and badly.
        let faults = FaultPlan.at(Set(2...7), .serverError(status: 503), where: listing)
        try await withFakeAPI(account, faults: faults) { server in
            let first = try await run(server, state: state, at: referenceNow)
            #expect(first.status == .succeeded)
            #expect(first.report.actions.isEmpty)
            #expect(first.waitingForGrace["stale-graced"] == staleAtFirstRun.count)
            let marksAfterFirst = try state.graceMarks()
            #expect(Set(marksAfterFirst.firstSelected.keys.map(\.registrationID)) == staleAtFirstRun)
            #expect(marksAfterFirst.firstSelected.values.allSatisfy { $0 == referenceNow })

            let failed = try await run(server, state: state, at: referenceNow + day)
            #expect(failed.status == .failed)
            #expect(server.injectedCount(of: .serverError(status: 503)) == 6)
            #expect(try state.graceMarks() == marksAfterFirst, "a failed run keeps the marks it found")

            // A successful run one second short of the 7-day grace acts on nothing, and keeps the first marks.
            let early = try await run(server, state: state, at: referenceNow + 7 * day - 1)
            #expect(early.status == .succeeded)
            #expect(early.report.actions.isEmpty, "acted before the grace had passed")
            #expect(early.waitingForGrace["stale-graced"] ?? 0 >= staleAtFirstRun.count)
            let marksAfterEarly = try state.graceMarks()
            for registrationID in staleAtFirstRun {
                #expect(marksAfterEarly.firstSelected[.init(rule: "stale-graced", registrationID: registrationID)] == referenceNow)
            }

            let second = try await run(server, state: state, at: referenceNow + 7 * day)
            #expect(second.status == .succeeded)
            // At exactly the grace, the registrations selected since the first run are acted on; those that
            // went stale since then wait for their own grace.
            #expect(Set(second.report.actions.map(\.registrationID)) == staleAtFirstRun)
            #expect(second.report.actions.count == staleAtFirstRun.count)
            #expect(second.report.actions.allSatisfy { $0.outcome == .done })
        }
        #expect(Set(account.changes.filter { $0.kind == .revoked }.map(\.registrationID)) == staleAtFirstRun)
    }

    @Test("a run that a limit aborts keeps the grace marks it found, so the graces do not start over")
    func abortedRunKeepsTheMarks() async throws {
        let account = makeAccount(count: 800)
        let state = temporaryStateStore()
        try await withFakeAPI(account) { server in
            let first = try await run(server, state: state, at: referenceNow)
            #expect(first.status == .succeeded)
            let marks = try state.graceMarks()
            try #require(!marks.firstSelected.isEmpty)

            // Past the grace, with a limit the selection exceeds: the run aborts before acting.
            let path = try writeConfiguration(apiBase: server.baseURL, rules: gracedRule)
            var configuration = try CommandContext.loadConfiguration(at: path)
            configuration.ruleSet.limits = Limits(maxActionsPerRun: 1, maxFraction: 1.0)
            let aborted = await Enforcer(
                configuration: configuration, client: try curlClient(server), state: state,
                audit: AuditLog(logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }),
                wallClock: FixedWallClock(now: referenceNow + 8 * 86_400), forceDryRun: false
            ).run()
            #expect(aborted.status == .aborted)
            #expect(try state.graceMarks().firstSelected.filter { marks.firstSelected[$0.key] != nil } == marks.firstSelected,
                "every mark of the first run is kept, with its date")
        }
        #expect(account.changes.isEmpty)
    }
}

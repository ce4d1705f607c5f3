import Cloudflare
import FakeCloudflareServer
import Foundation
import Logging
import Rules
import Simulation
import Synchronization
import Testing

@testable import ztguardd

private let rules = """
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
    """

/// What `rules` select in `account` at `referenceNow`, written out longhand over the account's own records:
/// active registrations last seen more than 90 days ago are deleted, the other active ones with a client
/// below 2024.6.415 revoked.
private func expectedActions(_ account: SimulatedAccount) -> (deletes: [String], revokes: [String]) {
    var deletes: [String] = []
    var revokes: [String] = []
    for registration in account.registrations where registration.revokedAt == nil {
        if referenceNow.timeIntervalSince(registration.lastSeenAt) > 90 * 86_400 {
            deletes.append(registration.id)
        } else if versionBelow(registration.clientVersion, [2024, 6, 415]) {
            revokes.append(registration.id)
        }
    }
    return (deletes.sorted(), revokes.sorted())
}

/// Each of `ids` once: what ``SimulatedAccount/timesSent(_:)`` shows when nothing was sent twice.
private func once(_ ids: [String]) -> [String: Int] {
    Dictionary(ids.map { ($0, 1) }, uniquingKeysWith: +)
}

/// An enforcer over the real libcurl transport, with `batch_size` 50 (or `batchSize`) and virtual time.
private func enforcer(
    _ server: FakeCloudflareServer, dryRun: Bool = false, state: StateStore? = nil, batchSize: Int = 50
) throws -> Enforcer {
    let path = try writeConfiguration(
        apiBase: server.baseURL, extra: "dry_run = \(dryRun)", batchSize: batchSize, rules: rules)
    let configuration = try CommandContext.loadConfiguration(at: path)
    return Enforcer(
        configuration: configuration, client: try curlClient(server), state: state,
        audit: AuditLog(logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }),
        wallClock: FixedWallClock(now: referenceNow), forceDryRun: false)
}

@Suite struct EnforcementIntegrationTests {
    @Test("the run's steps alone: listAndPlan plans what the rules select and sends nothing; act carries that plan out")
    func stepsAlone() async throws {
        let account = makeAccount(count: 600)
        let expected = expectedActions(account)
        let records = AuditRecords()
        try await withFakeAPI(account) { server in
            let enforcer = try enforcer(server, batchSize: 25)
            let query = RegistrationQuery(for: enforcer.configuration.ruleSet, at: referenceNow)
            let plan = try await enforcer.listAndPlan(query, at: referenceNow, runID: "steps")
            #expect(plan.listed == account.registrations.filter { $0.revokedAt == nil }.count)
            #expect(plan.actions.filter { $0.action == .delete }.map(\.registrationID) == expected.deletes)
            #expect(plan.actions.filter { $0.action == .revoke }.map(\.registrationID) == expected.revokes)
            #expect(account.changes.isEmpty && account.appliedRequests.isEmpty, "planning sends no action")

            var actions = Enforcer.reportActions(plan.actions, presentInAccess: [], dryRun: false)
            await enforcer.act(&actions, journal: RunJournal(audit: records.auditLog, runID: "steps", dryRun: false))
            #expect(actions.allSatisfy { $0.outcome == .done })
            #expect(Set(account.changes.map(\.registrationID)) == Set(expected.deletes + expected.revokes))
            #expect(records.events == Array(repeating: "action", count: actions.count), "each recorded as its batch completed")
        }
    }

    @Test("listAndPlan alone: a listing that fails on its second page throws, and nothing is planned or sent")
    func listAndPlanFailsWhole() async throws {
        let account = makeAccount(count: 600)
        let laterPages: @Sendable (HTTPRequest) -> Bool = { $0.url.contains("/devices/registrations?") && $0.url.contains("cursor=") }
        try await withFakeAPI(account, faults: .every(1, .successFalse, where: laterPages)) { server in
            let enforcer = try enforcer(server)
            let query = RegistrationQuery(for: enforcer.configuration.ruleSet, at: referenceNow)
            await #expect(throws: CloudflareAPIError.self) {
                _ = try await enforcer.listAndPlan(query, at: referenceNow, runID: "steps")
            }
            #expect(server.injectedCount(of: .successFalse) >= 1)
            #expect(account.appliedRequests.isEmpty)
        }
    }

    @Test("a run deletes and revokes exactly the selected registrations, each in one request, ceil(n / batch_size) per action")
    func actsExactlyOnThePlan() async throws {
        let account = makeAccount(count: 1_500)
        let expected = expectedActions(account)
        // Batches of 10: both actions span several, so an ID put into two batches would show.
        let outcome = try await withFakeAPI(account) { try await enforcer($0, batchSize: 10).run() }
        #expect(outcome.status == .succeeded)
        let deleted = outcome.report.actions.filter { $0.action == .delete }.map(\.registrationID)
        let revoked = outcome.report.actions.filter { $0.action == .revoke }.map(\.registrationID)
        #expect(!deleted.isEmpty && !revoked.isEmpty)
        // Every selected registration sent in exactly one applied request, and nothing else.
        #expect(account.timesSent(.deleted) == once(expected.deletes))
        #expect(account.timesSent(.revoked) == once(expected.revokes))
        #expect(outcome.report.actions.allSatisfy { $0.outcome == .done })
        #expect(Set(account.deletedRegistrationIDs.keys) == Set(deleted))
        #expect(Set(account.changes.filter { $0.kind == .revoked }.map(\.registrationID)) == Set(revoked))
        #expect(expected.revokes.count > 20 && expected.deletes.count > 20)
        #expect(account.requestCount(for: .deleteRegistrations) == (deleted.count + 9) / 10)
        #expect(account.requestCount(for: .revokeRegistrations) == (revoked.count + 9) / 10)
    }

    @Test("a dry run sends no mutating request at all and records every action as planned")
    func dryRunSendsNothingMutating() async throws {
        let account = makeAccount(count: 800)
        let outcome = try await withFakeAPI(account) { try await enforcer($0, dryRun: true).run() }
        #expect(outcome.status == .succeeded)
        #expect(!outcome.report.actions.isEmpty)
        #expect(outcome.report.actions.allSatisfy { $0.outcome == .planned })
        #expect(account.requestLog.allSatisfy { $0.method == .get })
        #expect(account.changes.isEmpty)
    }

    @Test("batches whose answers are lost after the API applied them end done, and nothing is applied twice", arguments: [
        FaultPlan.Fault.lostAnswer, .truncatedBody,
    ])
    func lostAnswersAreDone(fault: FaultPlan.Fault) async throws {
        let account = makeAccount(count: 1_000)
        let expected = expectedActions(account)
        let mutating: @Sendable (HTTPRequest) -> Bool = { $0.method != .get }
        let (outcome, injected) = try await withFakeAPI(account, faults: .every(2, fault, where: mutating)) { server in
            (try await enforcer(server, batchSize: 10).run(), server.injectedCount(of: fault))
        }
        #expect(injected >= 2, "the fault was injected")
        #expect(outcome.status == .succeeded)
        #expect(!outcome.report.actions.isEmpty)
        #expect(outcome.report.actions.allSatisfy { $0.outcome == .done })
        let deleted = outcome.report.actions.filter { $0.action == .delete }.map(\.registrationID)
        #expect(account.deletedRegistrationIDs.keys.sorted() == deleted.sorted())
        // Counted over the requests the account applied: an ID sent again after a lost answer, without
        // reading back first, or put into two batches, shows as 2 (the account's changes would not show it:
        // revoking a revoked registration changes nothing).
        #expect(account.timesSent(.deleted) == once(expected.deletes))
        #expect(account.timesSent(.revoked) == once(expected.revokes))
        #expect(outcome.report.actions.filter { $0.action == .revoke }.map(\.registrationID).sorted() == expected.revokes)
    }

    @Test("a batch that really fails is failed in the report, and the other batches still run")
    func failedBatchIsReported() async throws {
        let account = makeAccount(count: 1_000)
        let firstDelete: @Sendable (HTTPRequest) -> Bool = { $0.method == .delete }
        let faults = FaultPlan.combining((1...6).map { FaultPlan.at([$0], .serverError(status: 500), where: firstDelete) })
        let (outcome, injected) = try await withFakeAPI(account, faults: faults) { server in
            (try await enforcer(server).run(), server.injectedCount(of: .serverError(status: 500)))
        }
        #expect(injected == 6, "every attempt at the first delete batch failed")
        #expect(outcome.status == .failed)
        let deletes = outcome.report.actions.filter { $0.action == .delete }
        #expect(!deletes.isEmpty)
        let failed = deletes.filter { $0.outcome == .failed }
        #expect(failed.count == min(50, deletes.count))
        #expect(failed.allSatisfy { $0.error?.contains("500") == true })
        #expect(deletes.filter { $0.outcome == .done }.count == deletes.count - failed.count)
        #expect(outcome.report.actions.filter { $0.action == .revoke }.allSatisfy { $0.outcome == .done })
    }

    @Test("a safety limit aborts before the first action: nothing changes and every action is skipped")
    func limitAbortsBeforeActing() async throws {
        let account = makeAccount(count: 1_000)
        let outcome = try await withFakeAPI(account) { server in
            let path = try writeConfiguration(apiBase: server.baseURL, rules: rules)
            var configuration = try CommandContext.loadConfiguration(at: path)
            configuration.ruleSet.limits = Limits(maxActionsPerRun: 10, maxFraction: 1.0)
            return await Enforcer(
                configuration: configuration, client: try curlClient(server), state: nil,
                audit: AuditLog(logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }),
                wallClock: FixedWallClock(now: referenceNow), forceDryRun: false
            ).run()
        }
        #expect(outcome.status == .aborted)
        #expect(outcome.report.aborted?.limit == "max_actions")
        #expect(outcome.report.actions.count > 10)
        #expect(outcome.report.actions.allSatisfy { $0.outcome == .skipped })
        #expect(account.changes.isEmpty)
    }

    @Test("a listing that fails on a later page acts on nothing, records no action and keeps no grace mark")
    func partialListingActsOnNothing() async throws {
        let account = makeAccount(count: 1_500)
        let listing: @Sendable (HTTPRequest) -> Bool = { $0.url.contains("/devices/registrations?") && $0.method == .get }
        // Pages 1–7 of 15 arrive; the 8th fails every retry.
        let faults = FaultPlan.combining((8...30).map { FaultPlan.at([$0], .serverError(status: 503), where: listing) })
        let state = temporaryStateStore()
        let records = AuditRecords()
        let outcome = try await withFakeAPI(account, faults: faults) { server in
            let path = try writeConfiguration(apiBase: server.baseURL, rules: pagedRules)
            return await Enforcer(
                configuration: try CommandContext.loadConfiguration(at: path), client: try curlClient(server),
                state: state, audit: records.auditLog, wallClock: FixedWallClock(now: referenceNow), forceDryRun: false
            ).run()
        }
        #expect(outcome.status == .failed)
        #expect(outcome.report.failure?.contains("503") == true)
        #expect(outcome.report.listed == 0)
        #expect(outcome.report.actions.isEmpty)
        #expect(outcome.waitingForGrace.isEmpty)
        // The account answered pages 1–7; the faulty answers to page 8 never reached it.
        #expect(account.requestCount(for: .listRegistrations) == 7)
        #expect(account.requestLog.allSatisfy { $0.method == .get })
        #expect(account.changes.isEmpty)
        #expect(try state.graceMarks() == GraceMarks())
        #expect(try state.report(runID: outcome.report.runID) == outcome.report)
        #expect(records.events == ["run-started", "run-failed"])
        #expect(records.all.last?[AuditKey.listed.rawValue] == "0")
    }

    @Test("a run evaluated page by page plans exactly what the rules plan over the whole listing, for 60 pages")
    func pageByPagePlanEqualsWholeListingPlan() async throws {
        let account = makeAccount(count: 6_000, seed: 23)
        let state = temporaryStateStore()
        let records = AuditRecords()
        let (outcome, whole) = try await withFakeAPI(account) { server in
            let path = try writeConfiguration(apiBase: server.baseURL, rules: pagedRules)
            let configuration = try CommandContext.loadConfiguration(at: path)
            let ruleSet = configuration.ruleSet

            let whole = try await wholeListingPlan(
                server, ruleSet: ruleSet, query: RegistrationQuery(for: ruleSet, at: referenceNow), state: state
            )
            account.resetObservations()
            let outcome = try await dryRun(configuration, server: server, state: state, records: records)
            return (outcome, whole)
        }
        #expect(outcome.status == .succeeded)
        #expect(account.requestCount(for: .listRegistrations) == (whole.listed + 99) / 100)
        #expect(whole.listed > 5_000 && whole.abort == nil)
        #expect(Set(whole.actions.map(\.rule)).count == 4)
        #expect(whole.waitingForGrace.values.allSatisfy { $0 > 0 } && whole.waitingForGrace.count == 2)

        #expect(outcome.report.listed == whole.listed)
        #expect(outcome.report.actions == whole.actions.map { RunReport.Action($0, outcome: .planned) })
        #expect(outcome.report.aborted == nil)
        #expect(outcome.waitingForGrace == whole.waitingForGrace)
        #expect(try state.graceMarks() == whole.graceMarks)
        #expect(try state.report(runID: outcome.report.runID) == outcome.report)
        #expect(records.events == ["run-started"] + whole.actions.map { _ in "action" } + ["run-finished"])
        #expect(records.all.last?[AuditKey.listed.rawValue] == "\(whole.listed)")
    }

    @Test(
        "rules that all need last_seen_older_than list only what was seen before their cutoff, and plan exactly as over the whole listing",
        arguments: [1.0, 0.99]
    )
    func seenBeforePushdown(maxFraction: Double) async throws {
        let account = makeAccount(count: 6_000, seed: 29)
        let state = temporaryStateStore()
        let records = AuditRecords()
        let (outcome, whole, filter) = try await withFakeAPI(account) { server in
            let path = try writeConfiguration(apiBase: server.baseURL, maxFraction: maxFraction, rules: seenRules)
            let configuration = try CommandContext.loadConfiguration(at: path)
            let ruleSet = configuration.ruleSet

            // The whole listing, unfiltered: the statuses the rules need and nothing else.
            var everything = RegistrationQuery(status: ruleSet.statusesNeeded)
            everything.includePolicy = ruleSet.needsProfiles
            let whole = try await wholeListingPlan(server, ruleSet: ruleSet, query: everything, state: state)
            account.resetObservations()
            let outcome = try await dryRun(configuration, server: server, state: state, records: records)
            return (outcome, whole, ruleSet.seenBeforeFilter(at: referenceNow))
        }
        #expect(outcome.status == .succeeded)
        #expect(whole.abort == nil && !whole.actions.isEmpty && !whole.waitingForGrace.isEmpty)
        #expect(outcome.report.actions == whole.actions.map { RunReport.Action($0, outcome: .planned) })
        #expect(outcome.waitingForGrace == whole.waitingForGrace)
        #expect(try state.graceMarks() == whole.graceMarks)

        let listings = account.requestLog.filter { $0.endpoint == .listRegistrations }
        let sent = Set(listings.map { $0.query.first { $0.name == "seen_before" }?.value })
        if maxFraction >= 1 {
            // 30 days is the shortest span; the filter is the next whole second after its cutoff.
            let expected = RFC3339.string(from: referenceNow - 30 * 86_400 + 1)
            #expect(filter.map(RFC3339.string(from:)) == expected)
            #expect(sent == [expected])
            #expect(records.all.first?[AuditKey.listingSeenBefore.rawValue] == expected)
            // Fewer registrations transferred, fewer requests: only the ones seen before the cutoff.
            #expect(outcome.report.listed < whole.listed / 2)
            #expect(listings.count == (outcome.report.listed + 99) / 100)
        } else {
            // max_fraction's share is of the listed registrations: the listing stays whole.
            #expect(filter == nil)
            #expect(sent == [nil])
            #expect(records.all.first?[AuditKey.listingSeenBefore.rawValue] == nil)
            #expect(outcome.report.listed == whole.listed)
        }
    }

    @Test("unreadable grace marks fail the run before the listing, and nothing is acted on")
    func unreadableGraceMarksFailBeforeListing() async throws {
        let account = makeAccount(count: 1_000)
        let state = temporaryStateStore()
        try FileContents.makeDirectory(state.directory)
        try FileContents.writeAtomically(Array("not json".utf8), to: state.directory + "/grace.json")
        let outcome = try await withFakeAPI(account) { server in
            let path = try writeConfiguration(apiBase: server.baseURL, rules: pagedRules)
            return await Enforcer(
                configuration: try CommandContext.loadConfiguration(at: path), client: try curlClient(server),
                state: state, audit: AuditLog(logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }),
                wallClock: FixedWallClock(now: referenceNow), forceDryRun: false
            ).run()
        }
        #expect(outcome.status == .failed)
        #expect(outcome.report.failure != nil)
        #expect(outcome.report.listed == 0)
        #expect(account.requestCount(for: .listRegistrations) == 0)
        #expect(outcome.report.actions.isEmpty)
        #expect(account.requestLog.allSatisfy { $0.method == .get })
    }
}

/// Every kind of rule a plan can hold: a directory rule, grace, rule and top-level exclusions, both statuses.
private let pagedRules = """
    [exclude]
    device_name = ["warp-connector-*"]

    [[rule]]
    name = "offboarded"
    action = "revoke"
    grace = "1d"
    [rule.match]
    user_not_in_access = true

    [[rule]]
    name = "stale"
    action = "delete"
    [rule.match]
    last_seen_older_than = "90d"

    [[rule]]
    name = "outdated"
    action = "revoke"
    grace = "7d"
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

/// Rules that all look at `last_seen_older_than`, so the listing can be filtered by `seen_before`.
private let seenRules = """
    [exclude]
    device_name = ["warp-connector-*"]

    [[rule]]
    name = "stale"
    action = "delete"
    [rule.match]
    last_seen_older_than = "90d"

    [[rule]]
    name = "idle-outdated"
    action = "revoke"
    grace = "7d"
    [rule.match]
    last_seen_older_than = "30d"
    client_version_below = "2024.6.415"

    [[rule]]
    name = "revoked-and-gone"
    action = "delete"
    [rule.match]
    status = "revoked"
    last_seen_older_than = "45d"
    """

/// The plan over the whole listing of `query`, read in one array, with the Access users when the rules
/// need them. First saves into `state` grace marks dating the rules' picks 0 to 9 days back, so that
/// some grace rules act and others still wait; the plan uses those marks.
private func wholeListingPlan(
    _ server: FakeCloudflareServer, ruleSet: RuleSet, query: RegistrationQuery, state: StateStore
) async throws -> Plan {
    let reader = try curlClient(server, perPage: 1000)
    let registrations = try await reader.registrations(query)
    let directory = ruleSet.needsAccessUsers ? Directory(accessUsers: try await reader.accessUsers()) : nil
    let firstMarks = ruleSet.plan(for: registrations, directory: directory, graceMarks: GraceMarks(), at: referenceNow)
        .graceMarks.firstSelected
    let marks = GraceMarks(firstSelected: Dictionary(uniqueKeysWithValues: firstMarks.keys.enumerated().map {
        ($1, referenceNow - Double($0 % 10) * 86_400)
    }))
    try state.save(marks)
    return ruleSet.plan(for: registrations, directory: directory, graceMarks: marks, at: referenceNow)
}

/// One dry run of `configuration` at ``referenceNow``, listing 100 registrations per page.
private func dryRun(
    _ configuration: Configuration, server: FakeCloudflareServer, state: StateStore, records: AuditRecords
) async throws -> Enforcer.Outcome {
    await Enforcer(
        configuration: configuration, client: try curlClient(server, perPage: 100), state: state,
        audit: records.auditLog, wallClock: FixedWallClock(now: referenceNow), forceDryRun: true
    ).run()
}

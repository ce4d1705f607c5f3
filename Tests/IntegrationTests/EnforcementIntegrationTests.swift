import Cloudflare
import FakeCloudflareServer
import Foundation
import Logging
import Rules
import Simulation
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

/// An enforcer over the real libcurl transport, with `batch_size` 50 and virtual time.
private func enforcer(_ server: FakeCloudflareServer, dryRun: Bool = false, state: StateStore? = nil) throws -> Enforcer {
    let path = try writeConfiguration(apiBase: server.baseURL, extra: "dry_run = \(dryRun)", rules: rules)
    let configuration = try CommandContext.loadConfiguration(at: path)
    return Enforcer(
        configuration: configuration, client: try curlClient(server), state: state,
        audit: AuditLog(logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }),
        wallClock: FixedWallClock(now: referenceNow), forceDryRun: false)
}

@Suite struct EnforcementIntegrationTests {
    @Test("a run deletes and revokes exactly the planned registrations, in ceil(n / batch_size) requests per action")
    func actsExactlyOnThePlan() async throws {
        let account = makeAccount(count: 1_500)
        let outcome = try await withFakeAPI(account) { try await enforcer($0).run() }
        #expect(outcome.status == .succeeded)
        let deleted = outcome.report.actions.filter { $0.action == .delete }.map(\.registrationID)
        let revoked = outcome.report.actions.filter { $0.action == .revoke }.map(\.registrationID)
        #expect(!deleted.isEmpty && !revoked.isEmpty)
        #expect(outcome.report.actions.allSatisfy { $0.outcome == .done })
        #expect(Set(account.deletedRegistrationIDs.keys) == Set(deleted))
        #expect(Set(account.changes.filter { $0.kind == .revoked }.map(\.registrationID)) == Set(revoked))
        #expect(account.requestCount(for: .deleteRegistrations) == (deleted.count + 49) / 50)
        #expect(account.requestCount(for: .revokeRegistrations) == (revoked.count + 49) / 50)
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
        let mutating: @Sendable (HTTPRequest) -> Bool = { $0.method != .get }
        let outcome = try await withFakeAPI(account, faults: .every(2, fault, where: mutating)) { server in
            try await enforcer(server).run()
        }
        #expect(outcome.status == .succeeded)
        #expect(outcome.report.actions.allSatisfy { $0.outcome == .done })
        let deleted = Set(outcome.report.actions.filter { $0.action == .delete }.map(\.registrationID))
        #expect(Set(account.deletedRegistrationIDs.keys) == deleted)
        let revocations = account.changes.filter { $0.kind == .revoked }.map(\.registrationID)
        // A retried revoke is idempotent at the API, but each registration still ends revoked once.
        #expect(Set(revocations) == Set(outcome.report.actions.filter { $0.action == .revoke }.map(\.registrationID)))
    }

    @Test("a batch that really fails is failed in the report, and the other batches still run")
    func failedBatchIsReported() async throws {
        let account = makeAccount(count: 1_000)
        let firstDelete: @Sendable (HTTPRequest) -> Bool = { $0.method == .delete }
        let faults = FaultPlan.combining((1...6).map { FaultPlan.at([$0], .serverError(status: 500), where: firstDelete) })
        let outcome = try await withFakeAPI(account, faults: faults) { try await enforcer($0).run() }
        #expect(outcome.status == .failed)
        let deletes = outcome.report.actions.filter { $0.action == .delete }
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

    @Test("a listing that fails part-way acts on nothing")
    func partialListingActsOnNothing() async throws {
        let account = makeAccount(count: 1_000)
        let listing: @Sendable (HTTPRequest) -> Bool = { $0.url.contains("/devices/registrations?") && $0.method == .get }
        let faults = FaultPlan.combining((3...20).map { FaultPlan.at([$0], .serverError(status: 503), where: listing) })
        let outcome = try await withFakeAPI(account, faults: faults) { try await enforcer($0).run() }
        #expect(outcome.status == .failed)
        #expect(outcome.report.failure != nil)
        #expect(outcome.report.actions.isEmpty)
        #expect(account.changes.isEmpty)
    }
}

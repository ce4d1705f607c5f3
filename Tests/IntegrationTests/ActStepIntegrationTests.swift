import Cloudflare
import FakeCloudflareServer
import Foundation
import Rules
import Simulation
import Synchronization
import Testing

@testable import ztguardd

/// Actions of `kind` on the first `count` active registrations of `account`, not yet sent.
private func actions(_ kind: RuleAction, count: Int, of account: SimulatedAccount, from offset: Int = 0) -> [RunReport.Action] {
    account.registrations.filter { $0.revokedAt == nil }.dropFirst(offset).prefix(count).map { registration in
        let listed = Registration(
            id: registration.id, deviceID: registration.deviceID, deviceName: registration.deviceName, clientVersion: nil,
            lastSeenAt: registration.lastSeenAt, userEmail: registration.userEmail)
        return RunReport.Action(PlannedAction(rule: "test", action: kind, registration: listed, reason: "test"), outcome: .skipped)
    }
}

/// The act step alone, through libcurl against the fake API: the one place actions are cut into batches.
@Suite struct ActStepIntegrationTests {
    @Test("actions go batch_size to a request, each ID once, all done and each recorded once", arguments: [
        (ids: 1, batch: 50, requests: 1), (ids: 50, batch: 50, requests: 1), (ids: 51, batch: 50, requests: 2),
        (ids: 120, batch: 50, requests: 3), (ids: 7, batch: 1, requests: 7),
    ])
    func batches(ids count: Int, batch: Int, requests: Int) async throws {
        let account = makeAccount(count: 300)
        var sent = actions(.revoke, count: count, of: account)
        let recorded = Mutex<[String]>([])
        let ending = try await withFakeAPI(account) { server in
            let client = try curlClient(server)
            return await ActStep(client: client, batchSize: batch).run(&sent, pending: Array(sent.indices)) { batch in
                recorded.withLock { $0 += batch.map(\.registrationID) }
            }
        }
        #expect(ending == .finished)
        let applied = account.appliedRequests
        #expect(applied.count == requests)
        #expect(applied.allSatisfy { $0.kind == .revoked && $0.registrationIDs.count <= batch })
        #expect(applied.flatMap(\.registrationIDs) == sent.map(\.registrationID), "each ID once, in order")
        #expect(sent.allSatisfy { $0.outcome == .done })
        #expect(recorded.withLock { $0 } == sent.map(\.registrationID))
    }

    @Test("a stop requested after one batch: the step ends stopped, that batch done and recorded, the rest unsent and untouched")
    func stopAfterOneBatch() async throws {
        let account = makeAccount(count: 300)
        var sent = actions(.revoke, count: 30, of: account)
        let batches = Mutex(0)
        let ending = try await withFakeAPI(account) { server in
            let step = ActStep(client: try curlClient(server), batchSize: 10, shouldStop: { batches.withLock { $0 } >= 1 })
            return await step.run(&sent, pending: Array(sent.indices)) { _ in batches.withLock { $0 += 1 } }
        }
        #expect(ending == .stopped)
        #expect(batches.withLock { $0 } == 1)
        #expect(account.appliedRequests.count == 1)
        #expect(sent.prefix(10).allSatisfy { $0.outcome == .done })
        #expect(sent.dropFirst(10).allSatisfy { $0.outcome == .skipped && $0.error == nil })
    }

    @Test("unrevokes go first, then revokes, then deletes; a batch the API refuses fails alone, the next one still goes")
    func kindsInOrderAndFailuresAlone() async throws {
        let account = makeAccount(count: 300)
        // Deletes listed first, revokes after: the order sent is the step's, not the list's.
        var sent = actions(.delete, count: 2, of: account) + actions(.revoke, count: 2, of: account, from: 2)
        let refusedFirstRevoke = FaultPlan.at([1], .rejected(message: "nope"), where: { $0.url.contains("/revoke") })
        let ending = try await withFakeAPI(account, faults: refusedFirstRevoke) { server in
            let client = try curlClient(server)
            return await ActStep(client: client, batchSize: 1).run(&sent, pending: Array(sent.indices)) { _ in }
        }
        #expect(ending == .finished)
        #expect(account.appliedRequests.map(\.kind) == [.revoked, .deleted, .deleted], "the refused revoke is not applied")
        #expect(sent[2].outcome == .failed && sent[2].error?.contains("nope") == true)
        #expect(sent[3].outcome == .done && sent[0].outcome == .done && sent[1].outcome == .done)
    }
}

import Logging
import Rules
import Testing

@testable import ztguardd

@Suite struct AuditMessageTests {
    static func action(_ kind: RuleAction, _ outcome: RunReport.Action.Outcome, email: String? = "ana@example.com",
                       device: String = "LAPTOP-8F2K1", error: String? = nil,
                       skipped cause: RunReport.Action.SkipCause? = nil) -> RunReport.Action {
        let registration = Registration(id: "r-1", deviceID: "d-1", deviceName: device, userEmail: email)
        var action = RunReport.Action(
            PlannedAction(rule: "stale", action: kind, registration: registration, reason: "last seen 114 days ago (limit 90 days)"),
            outcome: outcome)
        action.error = error
        action.skipCause = cause
        return action
    }

    @Test("an action's journal message says what happened, to which registration, and why", arguments: [
        (action(.revoke, .done), "Revoked registration r-1 (LAPTOP-8F2K1, ana@example.com): last seen 114 days ago (limit 90 days)"),
        (action(.delete, .done), "Deleted registration r-1 (LAPTOP-8F2K1, ana@example.com): last seen 114 days ago (limit 90 days)"),
        (action(.unrevoke, .done, email: nil), "Unrevoked registration r-1 (LAPTOP-8F2K1): last seen 114 days ago (limit 90 days)"),
        (action(.revoke, .planned), "Would revoke registration r-1 (LAPTOP-8F2K1, ana@example.com) (dry run): last seen 114 days ago (limit 90 days)"),
        (action(.delete, .skipped, device: ""), "Did not delete registration r-1 (unnamed device, ana@example.com): a safety limit or a shutdown stopped the run first"),
        (action(.delete, .skipped, skipped: .limit), "Did not delete registration r-1 (LAPTOP-8F2K1, ana@example.com): a safety limit or a shutdown stopped the run first"),
        (action(.revoke, .skipped, skipped: .shutdown), "Did not revoke registration r-1 (LAPTOP-8F2K1, ana@example.com): a safety limit or a shutdown stopped the run first"),
        // The cause decides, not the reason's first words.
        (action(.revoke, .skipped, skipped: .presentInAccess), "Did not revoke registration r-1 (LAPTOP-8F2K1, ana@example.com): last seen 114 days ago (limit 90 days)"),
        (action(.unrevoke, .skipped, skipped: .leftAlone), "Did not unrevoke registration r-1 (LAPTOP-8F2K1, ana@example.com): last seen 114 days ago (limit 90 days)"),
        (action(.revoke, .failed, error: "HTTP 403: forbidden"), "Could not revoke registration r-1 (LAPTOP-8F2K1, ana@example.com): HTTP 403: forbidden"),
        (action(.revoke, .failed), "Could not revoke registration r-1 (LAPTOP-8F2K1, ana@example.com): the API refused it"),
    ])
    func message(action: RunReport.Action, expected: String) {
        #expect(action.journalMessage.description == expected)
    }
}

@Suite struct AuditFieldsTests {
    @Test("every audit key has a slot of its own, in the order of allCases")
    func slots() {
        #expect(AuditKey.allCases.map(\.slot) == Array(0..<AuditKey.count))
    }

    @Test("a field set and read back by key, the others left empty; given lists what was set")
    func setAndRead() {
        var fields: AuditFields = [.runID: "run-1", .error: "boom"]
        fields[.reason] = "stale"
        fields[.error] = nil
        #expect(fields[.runID] == "run-1")
        #expect(fields[.reason] == "stale")
        #expect(fields[.error] == nil)
        #expect(fields.given.map(\.key) == [.runID, .reason])
    }
}

@Suite struct AuditFieldBoundTests {
    @Test("a value longer than 1 KiB is journaled as its first bytes and its length, whole characters only")
    func longValuesAreBounded() throws {
        var fields = AuditFields()
        let name = String(repeating: "é", count: 100_000)
        fields[.deviceName] = name
        let value = try #require(fields[.deviceName])
        #expect(value.utf8.count <= AuditFields.maximumValueSize)
        #expect(value.hasSuffix("… (200000 bytes)"))
        #expect(value.hasPrefix("éé"))
        fields[.deviceName] = "short"
        #expect(fields[.deviceName] == "short")
    }
}

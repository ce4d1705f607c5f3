import Cloudflare
import FakeCloudflareServer
import Foundation
import Logging
import Rules
import Simulation
import Synchronization
import Testing

@testable import ztguardd

/// Revokes the registrations of users absent from Access: the rule a short Access listing turns into harm.
let offboardingRules = """
    [[rule]]
    name = "offboarded"
    action = "revoke"
    [rule.match]
    user_not_in_access = true
    """

/// 1,200 registrations and their Access users, both served at most 100 a page (the client asks for more).
func shortAnswerAccount() -> SimulatedAccount {
    SimulatedAccount(
        configuration: .init(perPageMax: 100, clock: { referenceNow }),
        fleet: SimulatedFleet.generated(count: 1_200, seed: 31, now: referenceNow))
}

/// The registrations `offboardingRules` selects, computed here from the account's own records: active,
/// with a user email that no Access user has (emails compared ignoring ASCII case).
func expectedRevocations(_ account: SimulatedAccount) -> [String] {
    let inAccess = Set(account.accessUsers.map { $0.email.lowercased() })
    return account.registrations.filter { registration in
        guard !registration.isRevoked, let email = registration.userEmail, !email.isEmpty else { return false }
        return !inAccess.contains(email.lowercased())
    }.map(\.id).sorted()
}

/// `offboardingRules` over the real transport at `referenceNow`: `plan` (a dry run that persists nothing) or
/// `run --once` (acting).
func offboardingRun(_ server: FakeCloudflareServer, acting: Bool) async throws -> Enforcer.Outcome {
    let path = try writeConfiguration(apiBase: server.baseURL, rules: offboardingRules)
    return await Enforcer(
        configuration: try CommandContext.loadConfiguration(at: path),
        client: try curlClient(server, perPage: 500), state: temporaryStateStore(),
        audit: AuditLog(logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }),
        wallClock: FixedWallClock(now: referenceNow), forceDryRun: !acting, persists: acting
    ).run()
}

/// Whether an Access user has `email` (ASCII case ignored).
func isInAccess(_ email: String?, _ account: SimulatedAccount) -> Bool {
    guard let email else { return false }
    return account.accessUsers.contains { $0.email.lowercased() == email.lowercased() }
}

/// One short answer on one page of one listing, under one command.
struct ShortAnswerCase: Sendable, CustomTestStringConvertible {
    enum Listing: String, Sendable { case registrations, accessUsers = "access users" }
    enum Page: String, Sendable, CaseIterable { case first, middle, last }
    enum Command: String, Sendable { case inventory, plan, run = "run --once" }

    var listing: Listing
    var fault: FaultPlan.Fault
    var page: Page
    var command: Command
    /// True: every attempt at that page gets the short answer. False: only the first.
    var persists: Bool

    var testDescription: String {
        "\(fault) on the \(page) \(listing) page, \(persists ? "every attempt" : "once"), under \(command)"
    }

    /// Every case: the three short answers on three pages of both listings, once and for good, under each
    /// command that reads the listing (`inventory` reads no Access users).
    static let all: [ShortAnswerCase] = {
        var cases: [ShortAnswerCase] = []
        for listing in [Listing.registrations, .accessUsers] {
            let commands: [Command] = listing == .registrations ? [.inventory, .plan, .run] : [.plan, .run]
            for fault in [FaultPlan.Fault.missingResult, .nullResult, .emptyResult] {
                for page in Page.allCases {
                    for command in commands {
                        for persists in [false, true] {
                            cases.append(ShortAnswerCase(
                                listing: listing, fault: fault, page: page, command: command, persists: persists))
                        }
                    }
                }
            }
        }
        return cases
    }()

    /// Whether `request` asks for a page of this case's listing (not an Access lookup by email).
    var matchesListing: @Sendable (HTTPRequest) -> Bool {
        switch listing {
        case .registrations: { $0.method == .get && $0.url.contains("/devices/registrations?") }
        case .accessUsers: { $0.url.contains("/access/users?page=") }
        }
    }
}

@Suite struct ShortAnswerIntegrationTests {
    @Test(
        "a short answer on any page of any listing gives the exact result after a retry, or exit 1 with nothing changed",
        arguments: ShortAnswerCase.all)
    func shortAnswer(_ testCase: ShortAnswerCase) async throws {
        let account = shortAnswerAccount()
        let active = account.registrations.filter { !$0.isRevoked }.map(\.id).sorted()
        let expected = expectedRevocations(account)
        let pages = ((testCase.listing == .registrations ? active.count : account.accessUsers.count) + 99) / 100
        try #require(pages >= 3 && !expected.isEmpty)
        let page = switch testCase.page {
        case .first: 1
        case .middle: pages / 2 + 1
        case .last: pages
        }
        // The page's request is the page-th request of the listing; its retries are the next ones.
        let faulted = testCase.persists ? Set(page...(page + 10)) : [page]
        let faults = FaultPlan.at(faulted, testCase.fault, where: testCase.matchesListing)

        try await withFakeAPI(account, faults: faults) { server in
            switch testCase.command {
            case .inventory:
                var query = RegistrationQuery(status: .active)
                query.includePolicy = true
                var listed: [String] = []
                do {
                    try await curlClient(server, perPage: 500).forEachRegistrationPage(query) { page in
                        listed += page.registrations.map(\.id)
                    }
                    #expect(!testCase.persists, "a listing that never got the page ended without error")
                    #expect(listed.sorted() == active, "each active registration exactly once")
                } catch let error as CloudflareAPIError {
                    #expect(testCase.persists, "a single short answer failed the listing: \(error)")
                    #expect(error.code == .invalidResponse)
                }
            case .plan, .run:
                let outcome = try await offboardingRun(server, acting: testCase.command == .run)
                let selected = outcome.report.actions.map(\.registrationID)
                #expect(outcome.report.actions.allSatisfy { !isInAccess($0.userEmail, account) })
                if testCase.persists {
                    #expect(outcome.status == .failed)
                    #expect(outcome.report.actions.isEmpty)
                    #expect(outcome.report.failure?.contains("without its result") == true
                        || outcome.report.failure?.contains("result_info.count") == true
                        || outcome.report.failure?.contains("fewer than its per_page") == true,
                        "\(outcome.report.failure ?? "no failure")")
                } else {
                    #expect(outcome.status == .succeeded, "\(outcome.report.failure ?? "")")
                    #expect(selected.sorted() == expected)
                    let outcomes = Set(outcome.report.actions.map(\.outcome))
                    #expect(outcomes == [testCase.command == .plan ? .planned : .done])
                }
            }
            #expect(server.injectedCount(of: testCase.fault) == (testCase.persists ? 6 : 1))
        }

        if testCase.command == .run && !testCase.persists {
            let revoked = account.changes.filter { $0.kind == .revoked }.map(\.registrationID)
            #expect(revoked.sorted() == expected)
        } else {
            #expect(account.changes.isEmpty)
            #expect(account.requestLog.allSatisfy { $0.method == .get })
        }
    }

    @Test("a user deleted between two Access users pages: the directory is read again, no other user's device is selected")
    func userDeletedBetweenPages() async throws {
        let account = shortAnswerAccount()
        let usersListing: @Sendable (HTTPRequest) -> Bool = { $0.url.contains("/access/users?page=") }
        let deleted = try #require(account.accessUsers.first)
        // Both listings end once they have read the users left.
        let pages = (account.accessUsers.count - 1 + 99) / 100
        let outcome = try await withFakeAPI(account, faults: .at([2], .accessUserDeleted, where: usersListing)) {
            server in
            let path = try writeConfiguration(apiBase: server.baseURL, rules: offboardingRules)
            let outcome = await Enforcer(
                configuration: try CommandContext.loadConfiguration(at: path),
                client: try curlClient(server, perPage: 500), state: temporaryStateStore(),
                audit: AuditLog(logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }),
                wallClock: FixedWallClock(now: referenceNow), forceDryRun: true, persists: false
            ).run()
            #expect(server.injectedCount(of: .accessUserDeleted) == 1)
            return outcome
        }
        #expect(outcome.status == .succeeded)
        #expect(!isInAccess(deleted.email, account))
        // Read once, seen to move, read again whole.
        let listingRequests = account.requestLog.filter { $0.endpoint == .listAccessUsers && !$0.values(for: "page").isEmpty }
        #expect(listingRequests.count == 2 * pages)
        // Only users really absent now are selected: the offboarded ones, and the one just deleted.
        #expect(outcome.report.actions.allSatisfy { !isInAccess($0.userEmail, account) })
        #expect(outcome.report.actions.map(\.registrationID).sorted() == expectedRevocations(account))
    }

    @Test("a user the Access listing missed but the lookup finds is not acted on, and the journal says why")
    func confirmationFindsUserPresent() async throws {
        let account = shortAnswerAccount()
        // The user listed first on page 2 owns an active registration.
        let owners = Set(account.registrations.filter { !$0.isRevoked }.compactMap { $0.userEmail?.lowercased() })
        var users = account.accessUsers
        let hiddenIndex = try #require(users.firstIndex { owners.contains($0.email.lowercased()) })
        users.swapAt(hiddenIndex, 100)
        account.replaceAccessUsers(users)
        let hidden = users[100]
        let offboardedBefore = expectedRevocations(account)
        // Before page 2 is answered, the first user leaves and a new one joins at the end: the total stays
        // the same, everyone moves up one place, and `hidden` (first on page 2) is never listed.
        let newcomer = SimulatedAccessUser(
            id: "newcomer", email: "new.joiner@example.com", name: "New Joiner", createdAt: referenceNow,
            lastSuccessfulLogin: referenceNow)
        let shifted = FaultPlanTrigger()
        let faults = FaultPlan { _, request in
            if request.url.contains("/access/users?page=2&"), shifted.fire() {
                var current = account.accessUsers
                current.removeFirst()
                current.append(newcomer)
                account.replaceAccessUsers(current)
            }
            return nil
        }
        let records = AuditRecords()
        let outcome = try await withFakeAPI(account, faults: faults) { server in
            let path = try writeConfiguration(apiBase: server.baseURL, rules: offboardingRules)
            return await Enforcer(
                configuration: try CommandContext.loadConfiguration(at: path),
                client: try curlClient(server, perPage: 500), state: temporaryStateStore(), audit: records.auditLog,
                wallClock: FixedWallClock(now: referenceNow), forceDryRun: false
            ).run()
        }
        #expect(outcome.status == .succeeded)
        let hiddenActions = outcome.report.actions.filter { $0.userEmail?.lowercased() == hidden.email.lowercased() }
        #expect(!hiddenActions.isEmpty, "the listing did miss the user")
        #expect(hiddenActions.allSatisfy {
            $0.outcome == .skipped && $0.reason.hasPrefix("present in Access on confirmation")
        })
        // In their place in the plan's order: the report is sorted by registration ID, as it is without them.
        let ids = outcome.report.actions.map(\.registrationID)
        #expect(ids == ids.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(hiddenActions.contains { $0.registrationID != ids.last }, "one is not simply last")
        let revoked = Set(account.changes.filter { $0.kind == .revoked }.map(\.registrationID))
        #expect(revoked.isDisjoint(with: hiddenActions.map(\.registrationID)))
        // Exactly the users offboarded before the run are revoked. The one who left while the directory was
        // read had been listed before leaving, so the run did not select them: the next run will.
        #expect(revoked == Set(offboardedBefore))
        // The journal explains each one.
        let journaled = records.all.filter {
            $0[AuditKey.event.rawValue] == "action" && $0[AuditKey.userEmail.rawValue] == hidden.email
        }
        #expect(journaled.count == hiddenActions.count)
        #expect(journaled.allSatisfy {
            $0[AuditKey.outcome.rawValue] == "skipped"
                && $0[AuditKey.reason.rawValue]?.hasPrefix("present in Access on confirmation") == true
        })
    }

    @Test("a lookup that fails after its retries fails the run before anything is done")
    func failedLookupActsOnNothing() async throws {
        let account = shortAnswerAccount()
        let lookups: @Sendable (HTTPRequest) -> Bool = { $0.url.contains("/access/users?email=") }
        let outcome = try await withFakeAPI(account, faults: .at(Set(1...6), .serverError(status: 503), where: lookups)) {
            server in
            let path = try writeConfiguration(apiBase: server.baseURL, rules: offboardingRules)
            return await Enforcer(
                configuration: try CommandContext.loadConfiguration(at: path),
                client: try curlClient(server, perPage: 500), state: temporaryStateStore(),
                audit: AuditLog(logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }),
                wallClock: FixedWallClock(now: referenceNow), forceDryRun: false
            ).run()
        }
        #expect(outcome.status == .failed)
        #expect(outcome.report.failure?.contains("confirming that users are absent from Access failed") == true)
        #expect(account.changes.isEmpty)
        #expect(account.requestLog.allSatisfy { $0.method == .get })
    }

    @Test("the binary: inventory exits 1 when the last page stays short, 0 with every registration when it is short once")
    func inventoryBinary() async throws {
        let listing: @Sendable (HTTPRequest) -> Bool = { $0.method == .get && $0.url.contains("/devices/registrations?") }
        for persists in [false, true] {
            let account = shortAnswerAccount()
            let active = account.registrations.filter { !$0.isRevoked }.map(\.id)
            let last = (active.count + 99) / 100
            let faults = FaultPlan.at(persists ? Set(last...(last + 10)) : [last], .emptyResult, where: listing)
            let result = try await withFakeAPI(account, faults: faults) { server in
                let config = try writeConfiguration(apiBase: server.baseURL, rules: "")
                return try await runZTGuardd(
                    ["inventory", "--config", config, "--format", "csv"],
                    environment: ["CLOUDFLARE_API_TOKEN": token], timeout: 120)
            }
            if persists {
                #expect(result.status == 1)
                #expect(result.stderr.contains("result_info.count"), "\(result.stderr)")
            } else {
                #expect(result.status == 0, "\(result.stderr)")
                let ids = result.stdoutText.split(separator: "\n").dropFirst().map { String($0.prefix { $0 != "," }) }
                #expect(ids.sorted() == active.sorted())
            }
        }
    }
}

/// True the first time it is asked, false after: a fault plan's side effect that must happen once.
private final class FaultPlanTrigger: Sendable {
    private let fired = Mutex(false)

    func fire() -> Bool { fired.withLock { fired in defer { fired = true }; return !fired } }
}

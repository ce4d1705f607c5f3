import Cloudflare
import FakeCloudflareServer
import Foundation
import Logging
import Rules
import Simulation
import Synchronization
import Testing

@testable import ztguardd

/// An answer that leaves out what Cloudflare's SDK models as optional, on the pages of one listing.
struct TerseAnswerCase: Sendable, CustomTestStringConvertible {
    enum Shape: String, Sendable, CaseIterable {
        case withoutCount = "every registrations page without result_info.count"
        case lastWithoutResultInfo = "registrations pages without count, the last one without result_info"
        case emptyMiddlePage = "registrations pages without count, an empty middle one whose cursor goes on"
        case allAtOnce = "registrations pages without count, an empty middle one and a last one without result_info"
        case usersWithoutTotal = "every Access users page without total_count"
        case usersWithoutResultInfo = "every Access users page without result_info"

        var isAboutRegistrations: Bool { self != .usersWithoutTotal && self != .usersWithoutResultInfo }
    }
    enum Command: String, Sendable, CaseIterable { case inventory, plan, run = "run --once" }

    var shape: Shape
    var command: Command

    var testDescription: String { "\(shape.rawValue), under \(command.rawValue)" }

    /// Every shape under every command that reads its listing (`inventory` reads no Access users).
    static let all: [TerseAnswerCase] = Shape.allCases.flatMap { shape in
        Command.allCases.filter { shape.isAboutRegistrations || $0 != .inventory }.map {
            TerseAnswerCase(shape: shape, command: $0)
        }
    }

    static let registrationsListing: @Sendable (HTTPRequest) -> Bool = {
        $0.method == .get && $0.url.contains("/devices/registrations?")
    }
    static let usersListing: @Sendable (HTTPRequest) -> Bool = { $0.url.contains("/access/users?page=") }

    /// The faults that make this shape, for a listing of `pages` pages as the account serves it, and how many
    /// of each must have been injected.
    ///
    /// Each shape stays for good where it is: the last page is always without `result_info`, and the API
    /// answers the middle page's cursor with an empty detour every time. A client that took the terse page for a
    /// short one would retry it and fail; one that follows the protocol asks for each page once.
    func faults(registrationPages pages: Int, userPages: Int) -> (plan: FaultPlan, injected: [FaultPlan.Fault: Int]) {
        let withoutCount = FaultPlan.Fault.without(fields: ["count"])
        let withoutInfo = FaultPlan.Fault.without(fields: ["result_info"])
        let middle = pages / 2 + 1
        switch shape {
        case .withoutCount:
            return (.every(1, withoutCount, where: Self.registrationsListing), [withoutCount: pages])
        case .lastWithoutResultInfo:
            let plan = FaultPlan.combining([
                .at(Set(pages...pages + 10), withoutInfo, where: Self.registrationsListing),
                .every(1, withoutCount, where: Self.registrationsListing),
            ])
            return (plan, [withoutInfo: 1, withoutCount: pages - 1])
        case .emptyMiddlePage:
            let plan = FaultPlan.combining([
                Self.detour(atRequest: middle), .every(1, withoutCount, where: Self.registrationsListing),
            ])
            return (plan, [.emptyDetour: 1, withoutCount: pages])
        case .allAtOnce:
            // The first plan that injects decides; each counts the listing's requests on its own. The detour
            // adds a request, so the last page is request pages + 1.
            let plan = FaultPlan.combining([
                Self.detour(atRequest: middle),
                .at(Set(pages + 1...pages + 11), withoutInfo, where: Self.registrationsListing),
                .every(1, withoutCount, where: Self.registrationsListing),
            ])
            return (plan, [.emptyDetour: 1, withoutInfo: 1, withoutCount: pages - 1])
        case .usersWithoutTotal:
            // The account states its per_page (100), so the short last page ends the listing.
            let fault = FaultPlan.Fault.without(fields: ["count", "total_count"])
            return (.every(1, fault, where: Self.usersListing), [fault: userPages])
        case .usersWithoutResultInfo:
            // The client asks for 1000 users a page; the account serves 100 and no longer says so: only the
            // empty page after the last one ends the listing.
            return (.every(1, withoutInfo, where: Self.usersListing), [withoutInfo: userPages + 1])
        }
    }

    /// An empty detour instead of the registrations page asked for by the `request`-th listing request, and
    /// again whenever that page's cursor is sent anew.
    static func detour(atRequest request: Int) -> FaultPlan {
        let detoured = Mutex<String?>(nil)
        let counted = FaultPlan.at([request], .emptyDetour, where: registrationsListing)
        return FaultPlan { number, httpRequest in
            guard registrationsListing(httpRequest) else { return nil }
            let cursor = URLComponents(string: httpRequest.url)?.queryItems?.first { $0.name == "cursor" }?.value ?? ""
            if let fault = counted.fault(forRequestNumber: number, httpRequest) {
                detoured.withLock { $0 = cursor }
                return fault
            }
            return detoured.withLock { $0 } == cursor ? .emptyDetour : nil
        }
    }
}

/// Answers that are terse, not broken: what Cloudflare's SDK treats as optional may be missing, and the
/// listing must then read every registration and act exactly as with the fields present.
@Suite struct TerseAnswerIntegrationTests {
    @Test("a field the SDK models as optional, left out: every registration is read, and the run acts as with it",
        arguments: TerseAnswerCase.all)
    func terseAnswer(_ testCase: TerseAnswerCase) async throws {
        let account = shortAnswerAccount()
        let active = account.registrations.filter { !$0.isRevoked }.map(\.id).sorted()
        let expected = expectedRevocations(account)
        let pages = (active.count + 99) / 100
        // A last page that is not full: the users listing then ends on it when the page size is stated.
        try #require(pages >= 3 && active.count % 100 != 0 && account.accessUsers.count % 100 != 0)
        try #require(!expected.isEmpty)
        let (faults, injected) = testCase.faults(
            registrationPages: pages, userPages: (account.accessUsers.count + 99) / 100)

        try await withFakeAPI(account, faults: faults) { server in
            switch testCase.command {
            case .inventory:
                let config = try writeConfiguration(apiBase: server.baseURL, rules: "")
                let result = try await runZTGuardd(
                    ["inventory", "--config", config, "--format", "csv"],
                    environment: ["CLOUDFLARE_API_TOKEN": token], timeout: 120)
                #expect(result.status == 0, "\(result.stderr)")
                let ids = result.stdoutText.split(separator: "\n").dropFirst().map { String($0.prefix { $0 != "," }) }
                #expect(ids.sorted() == active, "each active registration exactly once")
            case .plan, .run:
                let outcome = try await offboardingRun(server, acting: testCase.command == .run)
                #expect(outcome.status == .succeeded, "\(outcome.report.failure ?? "")")
                #expect(outcome.report.actions.map(\.registrationID).sorted() == expected)
                #expect(outcome.report.actions.allSatisfy { !isInAccess($0.userEmail, account) })
                #expect(Set(outcome.report.actions.map(\.outcome)) == [testCase.command == .plan ? .planned : .done])
            }
            for (fault, count) in injected {
                #expect(server.injectedCount(of: fault) == count, "\(fault)")
            }
        }

        if testCase.command == .run {
            let revoked = account.changes.filter { $0.kind == .revoked }.map(\.registrationID)
            #expect(revoked.sorted() == expected, "each revoked once, and only those")
        } else {
            #expect(account.changes.isEmpty)
        }
    }

    @Test("the fake takes its terse faults as fake-cloudflare's --fault does, and refuses a field the SDK requires")
    func terseFaultTexts() {
        #expect(FaultPlan.Fault("without:total_count,count") == .without(fields: ["count", "total_count"]))
        #expect(FaultPlan.Fault.without(fields: ["total_count", "count"]).description == "without:count,total_count")
        #expect(FaultPlan.Fault("without:result_info") == .without(fields: ["result_info"]))
        #expect(FaultPlan.Fault("empty-detour") == .emptyDetour)
        #expect(FaultPlan.Fault("without:result") == nil)
        #expect(FaultPlan.Fault("without:") == nil)
        #expect(FaultPlan.Fault("empty-detour:3") == nil)
    }
}

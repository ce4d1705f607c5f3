import Cloudflare
import FakeCloudflareServer
import Foundation
import Rules
import Simulation
import Testing

@Suite struct ListingIntegrationTests {
    @Test("every registration of a multi-page fleet is listed exactly once, however the listing ends", arguments: [
        SimulatedAccount.Configuration.ListingEnd.emptyCursor, .emptyPage,
    ])
    func listsEveryRegistrationOnce(end: SimulatedAccount.Configuration.ListingEnd) async throws {
        let account = makeAccount(count: 2_345, listingEnd: end)
        let expected = Set(account.registrations.filter { $0.revokedAt == nil }.map(\.id))
        let listed = try await withFakeAPI(account) { server in
            try await curlClient(server).registrations(RegistrationQuery(status: .active)).map(\.id)
        }
        #expect(listed.count == expected.count)
        #expect(Set(listed) == expected)
        #expect(account.requestCount(for: .listRegistrations) == (expected.count + 99) / 100 + (end == .emptyPage ? 1 : 0))
    }

    @Test("a 429 with Retry-After pauses, then the listing completes")
    func tooManyRequestsPausesThenSucceeds() async throws {
        let account = makeAccount(count: 300)
        let clock = VirtualClock()
        let listed = try await withFakeAPI(account, faults: .at([2], .tooManyRequests(retryAfterSeconds: 7))) { server in
            try await curlClient(server, clock: clock).registrations(RegistrationQuery(status: .any)).count
        }
        #expect(listed == 300)
        #expect(clock.sleeps.contains(.seconds(7)))
    }

    @Test("a fault in every 20th response still yields the exact inventory", arguments: [
        FaultPlan.Fault.serverError(status: 503), .connectionReset, .truncatedBody, .malformedJSON, .successFalse,
    ])
    func faultsEveryTwentiethResponse(fault: FaultPlan.Fault) async throws {
        let account = makeAccount(count: 4_000)
        let expected = Set(account.registrations.map(\.id))
        let (listed, injected) = try await withFakeAPI(account, faults: .every(20, fault)) { server in
            let ids = try await curlClient(server, perPage: 100).registrations(RegistrationQuery(status: .any)).map(\.id)
            return (ids, server.injectedCount(of: fault))
        }
        #expect(injected >= 2)
        #expect(listed.count == expected.count)
        #expect(Set(listed) == expected)
    }

    @Test("a refused token is an authentication error")
    func refusedToken() async throws {
        let account = makeAccount(count: 10)
        let error = try await withFakeAPI(account) { server in
            await #expect(throws: CloudflareAPIError.self) {
                try await curlClient(server, token: "wrong-token-xyz").verifyToken()
            }
        }
        #expect(error?.isAuthenticationFailure == true)
        #expect(error?.description.contains("wrong-token-xyz") == false)
    }
}

import Cloudflare
import FakeCloudflareServer
import Foundation
import Logging
import Rules
import Simulation
import Synchronization
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

    @Test("a 429 pauses every request of the token: one started while another waits out its Retry-After waits too")
    func tooManyRequestsHoldsBackAnotherRequest() async throws {
        let account = SimulatedAccount(
            configuration: .init(), fleet: SimulatedFleet.generated(count: 50, seed: 3, now: Date()))
        // The fake notes when it answered the verification 429 and when the listing's first request arrived:
        // the promise is judged on those two instants, whatever the machine's speed.
        let instants = Mutex<(pause: ContinuousClock.Instant?, listing: ContinuousClock.Instant?)>((nil, nil))
        let faults = FaultPlan { _, request in
            if request.url.contains("/tokens/verify") {
                return instants.withLock { instants in
                    guard instants.pause == nil else { return nil }
                    instants.pause = .now
                    return .tooManyRequests(retryAfterSeconds: 3)
                }
            }
            if request.url.contains("/devices/registrations?") {
                instants.withLock { instants in if instants.listing == nil { instants.listing = .now } }
            }
            return nil
        }
        try await withFakeAPI(account, faults: faults) { server in
            var configuration = CloudflareClient.Configuration(
                apiBase: server.baseURL, accountID: accountID, credentials: .apiToken(token))
            configuration.retry = RetryPolicy(maxAttempts: 2)
            // Real time: the pause is what is measured.
            let time = TimeSource.continuous
            let limiter = RateLimiter(requestsPerMinute: 200, time: time)
            let client = CloudflareClient(
                configuration: configuration, transport: try CurlTransport(options: .init(userAgent: "ztguardd-tests")),
                limiter: limiter, time: time, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            async let verified = client.verifyToken()
            // The listing starts once the client has taken the 429 in, while the verification waits.
            while await limiter.remainingPause == .zero { try await Task.sleep(for: .milliseconds(5)) }
            let listingStarted = ContinuousClock.now
            let listed = try await client.registrations(RegistrationQuery(status: .any))
            _ = try await verified
            #expect(listed.count == 50)
            let (pause, listing) = instants.withLock { $0 }
            let paused = try #require(pause)
            try #require(listingStarted < paused + .seconds(3), "the listing started after the pause: nothing to judge")
            // The client got the 429 after the fake answered it, and paused 3 s from then: the listing's first
            // request cannot reach the fake before the pause's end.
            let arrived = try #require(listing)
            #expect(arrived - paused >= .seconds(3), "the listing reached the API \(arrived - paused) after the 429")
        }
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

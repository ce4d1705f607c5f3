import Cloudflare
import Foundation
import Simulation
import Testing

@Suite("Rate limiting")
struct SimulatedAccountRateLimitTests {
    let clock = ManualClock(testNow)

    func makeAccount(requests: Int = 3, window: Int = 60, retryAfter: Int? = 30) -> SimulatedAccount {
        var configuration = testConfiguration(clock: clock)
        configuration.rateLimit = .init(requests: requests, windowSeconds: window, retryAfterSeconds: retryAfter)
        return SimulatedAccount(configuration: configuration, fleet: SimulatedFleet(registrations: [registration(1)]))
    }

    @Test("over the budget the account answers 429 with Retry-After, and stays blocked that long")
    func blocks() throws {
        let account = makeAccount()
        let list = request(.get, accountBase + "/devices/registrations")
        for remaining in [2, 1, 0] {
            let response = account.respond(to: list)
            #expect(response.status == 200)
            #expect(response.headers["ratelimit"] == "\"default\";r=\(remaining);t=60")
            #expect(response.headers["ratelimit-policy"] == "\"default\";q=3;w=60")
        }
        let refused = account.respond(to: list)
        #expect(refused.status == 429)
        #expect(refused.headers["retry-after"] == "30")
        #expect(try decode(Empty.self, refused).success == false)

        // Still blocked 29 seconds later, though the window has not even ended.
        clock.advance(seconds: 29)
        let stillRefused = account.respond(to: list)
        #expect(stillRefused.status == 429)
        #expect(stillRefused.headers["retry-after"] == "1")

        clock.advance(seconds: 1)
        #expect(account.respond(to: list).status == 200)
    }

    @Test("the budget renews when the window ends")
    func windowRenews() throws {
        let account = makeAccount(requests: 2, window: 10)
        let verify = request(.get, apiBase + "/user/tokens/verify")
        #expect(account.respond(to: verify).status == 200)
        clock.advance(seconds: 4)
        let second = account.respond(to: verify)
        #expect(second.headers["ratelimit"] == "\"default\";r=0;t=6")
        clock.advance(seconds: 6)
        #expect(account.respond(to: verify).status == 200)
        #expect(account.respond(to: verify).status == 200)
        #expect(account.respond(to: verify).status == 429)
    }

    @Test("Retry-After defaults to the window; every request counts, refused ones too")
    func defaults() throws {
        let account = makeAccount(requests: 1, window: 300, retryAfter: nil)
        #expect(
            account.respond(to: request(.get, accountBase + "/devices/registrations", token: "wrong")).status == 401
        )
        let refused = account.respond(to: request(.get, accountBase + "/devices/registrations"))
        #expect(refused.status == 429)
        #expect(refused.headers["retry-after"] == "300")
        #expect(account.requestCount(for: .listRegistrations) == 2)
    }

    @Test("without a rate limit there are no Ratelimit headers")
    func off() {
        let account = SimulatedAccount(configuration: testConfiguration(), fleet: SimulatedFleet(registrations: []))
        let response = account.respond(to: request(.get, accountBase + "/devices/registrations"))
        #expect(response.headers["ratelimit"] == nil)
        #expect(response.headers["retry-after"] == nil)
    }
}

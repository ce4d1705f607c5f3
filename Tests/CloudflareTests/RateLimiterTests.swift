import Testing

@testable import Cloudflare

@Suite struct RateLimiterTests {
    @Test("the budget allows requests_per_minute requests in any minute, and the next waits for the window")
    func budgetPerMinute() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(requestsPerMinute: 3, time: TimeSource(clock: clock))
        for _ in 0..<3 { try await limiter.acquire() }
        #expect(clock.sleeps.isEmpty)
        try await limiter.acquire()
        #expect(clock.sleeps == [.seconds(60)])
    }

    @Test("a pause holds back every request until it ends")
    func pauseHoldsRequests() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(requestsPerMinute: 100, time: TimeSource(clock: clock))
        await limiter.pause(for: .seconds(300))
        try await limiter.acquire()
        #expect(clock.sleeps == [.seconds(300)])
    }

    @Test("an exhausted server budget (Ratelimit r=0) pauses until it resets")
    func exhaustedServerBudgetPauses() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(requestsPerMinute: 100, time: TimeSource(clock: clock))
        await limiter.observe(headers: ["ratelimit": "\"default\";r=0;t=42"])
        try await limiter.acquire()
        #expect(clock.sleeps == [.seconds(42)])
    }

    @Test("a nearly spent server budget spreads the rest over the reset time")
    func nearlySpentBudgetSlowsDown() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(requestsPerMinute: 100, time: TimeSource(clock: clock))
        try await limiter.acquire()
        await limiter.observe(headers: ["x-ratelimit-remaining": "10", "x-ratelimit-reset": "30"])
        try await limiter.acquire()
        #expect(clock.sleeps == [.seconds(3)])
    }

    @Test("Ratelimit headers parse in both forms", arguments: [
        (["ratelimit": "\"default\";r=50;t=30"], ServerBudget(remaining: 50, resetsIn: .seconds(30))),
        (["x-ratelimit-remaining": "7", "x-ratelimit-reset": "12"], ServerBudget(remaining: 7, resetsIn: .seconds(12))),
    ])
    func headerParsing(headers: [String: String], expected: ServerBudget) {
        #expect(ServerBudget(headers: headers) == expected)
    }
}

@Suite struct RetryPolicyTests {
    @Test("backoff doubles from the base delay and stops at the maximum")
    func exponentialBackoff() {
        let policy = RetryPolicy(baseDelay: .milliseconds(500), maximumDelay: .seconds(30), random: { 1.0 })
        #expect((0..<8).map { policy.delay(beforeRetry: $0) } == [
            .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30),
        ])
    }

    @Test("full jitter scales the delay by the random draw")
    func fullJitter() {
        let policy = RetryPolicy(baseDelay: .seconds(1), random: { 0.25 })
        #expect(policy.delay(beforeRetry: 2) == .seconds(1))
    }

    @Test("Retry-After in seconds is honoured whatever its length; garbage falls back to the default", arguments: [
        ("1", Duration.seconds(1)), ("600", .seconds(600)), ("0.5", .milliseconds(500)), ("soon", .seconds(60)),
    ])
    func retryAfterParsing(header: String, expected: Duration) {
        #expect(RetryPolicy().retryAfter(header) == expected)
    }
}

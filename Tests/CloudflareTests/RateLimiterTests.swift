import Testing

@testable import Cloudflare

@Suite struct RateLimiterTests {
    @Test("a window exactly full never waits: 5 × requests_per_minute requests start at once")
    func windowExactlyFull() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(requestsPerMinute: 200, time: TimeSource(clock: clock))
        for _ in 0..<1_000 { try await limiter.acquire() }
        #expect(clock.sleeps.isEmpty)
    }

    @Test("one request over the window waits until the oldest leaves it, 300 s after it started")
    func oneOverWaitsForTheOldest() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(requestsPerMinute: 3, time: TimeSource(clock: clock))
        try await limiter.acquire()
        clock.advance(by: .seconds(10))
        for _ in 0..<14 { try await limiter.acquire() }
        #expect(clock.sleeps.isEmpty)
        try await limiter.acquire()
        // The first request started at 0 s, and it is now 10 s.
        #expect(clock.sleeps == [.seconds(290)])
    }

    @Test("the window slides: as the oldest starts leave it, as many new requests start and no more")
    func windowSlides() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(requestsPerMinute: 2, time: TimeSource(clock: clock))
        // Ten starts 20 s apart fill the window (capacity 10) over 0–180 s.
        for index in 0..<10 {
            if index > 0 { clock.advance(by: .seconds(20)) }
            try await limiter.acquire()
        }
        #expect(clock.sleeps.isEmpty)
        // At 310 s only the start at 0 s has left the window (at 300 s): one more starts at once.
        clock.advance(by: .seconds(130))
        try await limiter.acquire()
        #expect(clock.sleeps.isEmpty)
        // The next must wait for the start at 20 s to leave, at 320 s.
        try await limiter.acquire()
        #expect(clock.sleeps == [.seconds(10)])
    }

    @Test("a long run holds every 300-second window to 5 × requests_per_minute: 3,000 requests at 200 wait 10 minutes")
    func longRunAveragesTheBudget() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(requestsPerMinute: 200, time: TimeSource(clock: clock))
        for _ in 0..<3_000 { try await limiter.acquire() }
        // The first 1,000 start at 0 s, the next 1,000 at 300 s, the last 1,000 at 600 s.
        #expect(clock.totalSlept == .seconds(600))
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

    @Test("hostile Ratelimit numbers are bounded: a reset of an hour at most, no negative remainder", arguments: [
        (["ratelimit": "\"default\";r=0;t=9223372036854775807"], ServerBudget(remaining: 0, resetsIn: .seconds(3600))),
        (["ratelimit": "\"default\";r=-5;t=-7"], ServerBudget(remaining: 0, resetsIn: .seconds(3600))),
        (["x-ratelimit-remaining": "1", "x-ratelimit-reset": "86400"], ServerBudget(remaining: 1, resetsIn: .seconds(3600))),
    ])
    func hostileHeaderNumbers(headers: [String: String], expected: ServerBudget) async throws {
        #expect(ServerBudget(headers: headers) == expected)
        let clock = ManualClock()
        let limiter = RateLimiter(requestsPerMinute: 100, time: TimeSource(clock: clock))
        await limiter.observe(headers: headers)
        try await limiter.acquire()
        #expect(clock.totalSlept <= .seconds(3600))
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

    @Test("a Retry-After of any size becomes a duration without trapping, beyond the longest pause when huge", arguments: [
        "1e17", "1e15", "9223372036854775807", "3601", "1e308",
    ])
    func hugeRetryAfterIsBounded(header: String) {
        let policy = RetryPolicy()
        #expect(policy.retryAfter(header) > policy.maximumRateLimitPause)
        #expect(policy.retryAfter(header) <= policy.maximumRateLimitPause + .seconds(1))
    }
}

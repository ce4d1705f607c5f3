import Logging
@testable import Cloudflare

/// A client over `transport` with virtual time, and no randomness in backoff (the full delay).
func makeClient(
    _ transport: any Transport, clock: ManualClock = ManualClock(), requestsPerMinute: Int = 240,
    perPage: Int = 100, maxAttempts: Int = 6, credentials: Credentials = .apiToken("secret-token-123")
) -> CloudflareClient {
    var configuration = CloudflareClient.Configuration(
        apiBase: "https://api.example.test/client/v4", accountID: "acc1", credentials: credentials)
    configuration.perPage = perPage
    configuration.retry = RetryPolicy(maxAttempts: maxAttempts, random: { 1.0 })
    let time = TimeSource(clock: clock)
    return CloudflareClient(
        configuration: configuration, transport: transport,
        limiter: RateLimiter(requestsPerMinute: requestsPerMinute, time: time), time: time,
        logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
}

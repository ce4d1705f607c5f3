/// How often and how patiently a failed request is tried again.
///
/// Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff and Jitter"):
/// the n-th retry waits a random time in `0...min(maximumDelay, baseDelay * 2^n)`, so that many
/// clients that failed together do not retry together.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maximumDelay: Duration
    /// How many 429 pauses one request may wait through before it gives up.
    public var maxRateLimitPauses: Int
    /// A 429 without a usable `Retry-After` pauses this long.
    public var defaultRetryAfter: Duration
    /// The longest pause a `Retry-After` may impose. Asked to wait longer, the run fails instead, and the
    /// next scheduled run tries again: a hostile or broken header must not stall the daemon for years.
    public var maximumRateLimitPause: Duration = .seconds(3600)
    /// Picks a value in `0...1`; injected so tests are deterministic.
    public var random: @Sendable () -> Double

    public init(
        maxAttempts: Int = 6,
        baseDelay: Duration = .milliseconds(500),
        maximumDelay: Duration = .seconds(30),
        maxRateLimitPauses: Int = 10,
        defaultRetryAfter: Duration = .seconds(60),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.maxRateLimitPauses = maxRateLimitPauses
        self.defaultRetryAfter = defaultRetryAfter
        self.random = random
    }

    /// The wait before retry number `retry` (0 for the first retry).
    public func delay(beforeRetry retry: Int) -> Duration {
        let ceiling = retry >= 30 ? maximumDelay : min(maximumDelay, baseDelay * (1 << retry))
        return ceiling * random()
    }

    /// Whether a response with this HTTP status is worth trying again.
    static func isTransient(status: Int) -> Bool {
        status == 408 || (500...599).contains(status)
    }

    /// Parses `Retry-After`: delta-seconds (HTTP-dates are not sent by Cloudflare and fall back).
    ///
    /// Any number is bounded before it becomes a duration: the result is at most one second more than
    /// ``maximumRateLimitPause``, which the caller reads as "longer than it will wait".
    func retryAfter(_ header: String?) -> Duration {
        guard let header, let seconds = Double(header.trimmingSpaces), seconds >= 0, seconds.isFinite else {
            return defaultRetryAfter
        }
        let ceiling = Double(maximumRateLimitPause.components.seconds) + 1
        return .milliseconds(Int64((min(seconds, ceiling) * 1000).rounded(.up)))
    }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        var view = self[...]
        while view.first == " " { view.removeFirst() }
        while view.last == " " { view.removeLast() }
        return view
    }
}

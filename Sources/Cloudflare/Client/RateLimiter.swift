/// Paces every request of one token so that Cloudflare never has to say 429.
///
/// Three mechanisms, all shared by every request that goes through the limiter:
/// - a client-side budget shaped like Cloudflare's own (1,200 requests per 5 minutes per token): at most
///   `5 × requestsPerMinute` requests in any 300-second window. A run that needs fewer requests than the
///   window holds never waits for it; a longer one averages `requestsPerMinute`;
/// - a pause set by a 429's `Retry-After`, whatever its length, that holds back every request;
/// - a slow-down when the server's `Ratelimit` / `X-RateLimit-*` headers say the budget is nearly spent.
public actor RateLimiter {
    /// The length of the sliding window, as Cloudflare counts it.
    public static let window: Duration = .seconds(300)
    /// Requests the window holds: 5 × requests_per_minute.
    private let capacity: Int
    private let time: TimeSource
    /// Start times of the most recent requests, a ring of at most `capacity`, oldest at `oldestIndex`.
    private var recentStarts: [Duration] = []
    private var oldestIndex = 0
    /// No request may start before this instant (a 429 or an exhausted server-side budget).
    private var pausedUntil: Duration = .zero
    /// Minimum spacing between requests the server's headers asked for.
    private var spacing: Duration = .zero
    private var lastStart: Duration?

    /// Creates a limiter allowing `5 × requestsPerMinute` requests in any 300 seconds.
    public init(requestsPerMinute: Int, time: TimeSource) {
        self.capacity = max(1, requestsPerMinute).multipliedReportingOverflow(by: 5).partialValue
        self.time = time
        recentStarts.reserveCapacity(min(capacity, 1 << 16))
    }

    /// Waits until a request may start, then counts it as started.
    public func acquire() async throws {
        while true {
            let now = time.elapsed
            var earliest = pausedUntil
            if let lastStart, spacing > .zero { earliest = max(earliest, lastStart + spacing) }
            if recentStarts.count == capacity {
                earliest = max(earliest, recentStarts[oldestIndex] + Self.window)
            }
            if earliest <= now {
                record(now)
                return
            }
            // Sleep outside any state change; another request may have moved the pause meanwhile,
            // so check again after waking.
            try await time.sleep(for: earliest - now)
        }
    }

    /// Holds back every request for `duration` from now (a 429's `Retry-After`).
    public func pause(for duration: Duration) {
        pausedUntil = max(pausedUntil, time.elapsed + duration)
    }

    /// Adjusts the pace from the server's rate-limit headers on any response.
    ///
    /// Understands the IETF `Ratelimit: "default";r=REMAINING;t=SECONDS` header and the older
    /// `X-RateLimit-Remaining` / `X-RateLimit-Reset` pair.
    public func observe(headers: [String: String]) {
        guard let budget = ServerBudget(headers: headers) else { return }
        if budget.remaining <= 0 {
            pause(for: budget.resetsIn)
            spacing = .zero
        } else if budget.remaining < 20 {
            // Spread what is left evenly over the time until the budget resets.
            spacing = budget.resetsIn / budget.remaining
        } else {
            spacing = .zero
        }
    }

    /// How long requests are still held back by a pause, for logs and tests.
    public var remainingPause: Duration { max(.zero, pausedUntil - time.elapsed) }

    private func record(_ now: Duration) {
        lastStart = now
        if recentStarts.count < capacity {
            recentStarts.append(now)
        } else {
            recentStarts[oldestIndex] = now
            oldestIndex = (oldestIndex + 1) % capacity
        }
    }
}

/// What the server says is left of its budget.
struct ServerBudget: Equatable {
    var remaining: Int
    var resetsIn: Duration

    /// The longest reset a header may announce; a longer one is read as this (a pause of an hour at most).
    static let maximumReset = 3600

    init(remaining: Int, resetsIn: Duration) {
        self.remaining = remaining
        self.resetsIn = resetsIn
    }

    /// A budget from the header's numbers, each bounded: a negative remainder is none, a reset beyond
    /// ``maximumReset`` (or negative) is that bound, so that no header can overflow a duration or stall
    /// the client for longer than an hour.
    init(remaining: Int, resetSeconds: Int) {
        self.init(
            remaining: max(0, remaining),
            resetsIn: .seconds(resetSeconds < 0 || resetSeconds > Self.maximumReset ? Self.maximumReset : resetSeconds))
    }

    init?(headers: [String: String]) {
        if let value = headers["ratelimit"] {
            // Structured field: "default";r=50;t=30 (draft-ietf-httpapi-ratelimit-headers).
            var remaining: Int?
            var reset: Int?
            for parameter in value.split(separator: ";") {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces() }
                guard pair.count == 2 else { continue }
                if pair[0] == "r" { remaining = Int(pair[1]) }
                if pair[0] == "t" { reset = Int(pair[1]) }
            }
            guard let remaining, let reset else { return nil }
            self.init(remaining: remaining, resetSeconds: reset)
        } else if let remainingText = headers["x-ratelimit-remaining"], let remaining = Int(remainingText) {
            let reset = headers["x-ratelimit-reset"].flatMap { Int($0) } ?? 60
            // Some servers send an epoch timestamp here; anything beyond a day is treated as unknown.
            self.init(remaining: remaining, resetSeconds: reset > 86_400 ? 60 : reset)
        } else {
            return nil
        }
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var view = self
        while view.first == " " { view.removeFirst() }
        while view.last == " " { view.removeLast() }
        return view
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The state of a ``SimulatedAccount/Configuration/RateLimit``: one fixed window, and a block once it is spent.
struct RateLimitWindow {
    enum Decision {
        /// Answer the request, with these `Ratelimit` header values.
        case allowed(remaining: Int, resetSeconds: Int)
        case refused(retryAfterSeconds: Int)
    }

    let limit: SimulatedAccount.Configuration.RateLimit
    private var windowStart: Date?
    private var used = 0
    private var blockedUntil: Date?

    init(limit: SimulatedAccount.Configuration.RateLimit) {
        self.limit = limit
    }

    mutating func admit(at now: Date) -> Decision {
        if let blockedUntil {
            if now < blockedUntil {
                return .refused(retryAfterSeconds: max(1, Int(blockedUntil.timeIntervalSince(now).rounded(.up))))
            }
            self.blockedUntil = nil
            windowStart = nil
        }
        if let start = windowStart, now.timeIntervalSince(start) < Double(limit.windowSeconds) {
            used += 1
        } else {
            windowStart = now
            used = 1
        }
        if used > limit.requests {
            blockedUntil = now.addingTimeInterval(Double(limit.retryAfterSeconds))
            return .refused(retryAfterSeconds: limit.retryAfterSeconds)
        }
        let resetSeconds = Int((Double(limit.windowSeconds) - now.timeIntervalSince(windowStart ?? now)).rounded(.up))
        return .allowed(remaining: limit.requests - used, resetSeconds: max(0, resetSeconds))
    }

    /// `Ratelimit-Policy`, structured-field form as Cloudflare sends it.
    var policyHeader: String { "\"default\";q=\(limit.requests);w=\(limit.windowSeconds)" }
}

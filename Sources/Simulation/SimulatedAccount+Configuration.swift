#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension SimulatedAccount {
    /// How a simulated account authenticates, paginates, limits and tells time.
    public struct Configuration: Sendable {
        /// Who owns the API token: `GET /user/tokens/verify` accepts user tokens only,
        /// `GET /accounts/{id}/tokens/verify` account tokens only.
        public enum TokenKind: String, Sendable, Hashable { case user, account }

        /// What `…/tokens/verify` reports. A token that is not active is refused everywhere else (401).
        public enum TokenStatus: String, Sendable, Hashable { case active, disabled, expired }

        /// How the cursor listing of registrations tells the client that it is over.
        public enum ListingEnd: String, Sendable, Hashable {
            /// The last page carries an empty cursor.
            case emptyCursor
            /// Every non-empty page carries a cursor; the request after the last one answers an empty page with
            /// an empty cursor.
            case emptyPage
        }

        /// The legacy `X-Auth-Email` + `X-Auth-Key` pair (Global API key).
        public struct LegacyCredentials: Sendable, Hashable {
            public var email: String
            public var key: String

            public init(email: String, key: String) {
                self.email = email
                self.key = key
            }
        }

        /// A fixed-window request budget, like Cloudflare's 1,200 requests per 5 minutes.
        ///
        /// Every request counts, refused ones included. The request that exceeds the budget is answered 429 with
        /// `Retry-After: retryAfterSeconds`, and so is every request in the following `retryAfterSeconds`.
        public struct RateLimit: Sendable, Hashable {
            public var requests: Int
            public var windowSeconds: Int
            public var retryAfterSeconds: Int

            public init(requests: Int, windowSeconds: Int, retryAfterSeconds: Int? = nil) {
                precondition(requests > 0 && windowSeconds > 0, "a rate limit needs a positive budget and window")
                self.requests = requests
                self.windowSeconds = windowSeconds
                self.retryAfterSeconds = retryAfterSeconds ?? windowSeconds
            }

            /// Cloudflare's documented global limit: 1,200 requests per 300 seconds.
            public static let cloudflare = RateLimit(requests: 1200, windowSeconds: 300)
        }

        /// The account id in every `/accounts/{id}/…` path; another id is refused with 403.
        public var accountID: String
        /// The accepted `Authorization: Bearer` token; nil accepts no token.
        public var apiToken: String?
        /// The accepted legacy pair; nil accepts none. The email compares case-insensitively.
        public var legacyCredentials: LegacyCredentials?
        /// The token's id, as `…/tokens/verify` reports it.
        public var tokenID: String
        public var tokenKind: TokenKind
        public var tokenStatus: TokenStatus
        /// Reported by `…/tokens/verify`; once ``clock`` passes it, the token counts as expired.
        public var tokenExpiresOn: Date?
        public var listingEnd: ListingEnd
        /// The registrations listing answers 100 per page when asked for none, and at most this many.
        public var perPageMax: Int
        /// nil: no rate limit, and no `Ratelimit` headers.
        public var rateLimit: RateLimit?
        /// Timestamps with microseconds (`2025-02-03T18:15:01.123456Z`) instead of whole seconds.
        public var fractionalSeconds: Bool
        /// Keep a log of every request (``SimulatedAccount/requestLog``); counters are always kept.
        public var recordsRequests: Bool
        /// The account's "now": revocation and deletion times, rate-limit windows, token expiry.
        public var clock: @Sendable () -> Date

        public init(
            accountID: String = "699d98642c564d2e855e9661899b7252",
            apiToken: String? = "simulated-api-token",
            legacyCredentials: LegacyCredentials? = nil,
            tokenID: String = "ed17574386854bf78a67040be0a770b0",
            tokenKind: TokenKind = .user,
            tokenStatus: TokenStatus = .active,
            tokenExpiresOn: Date? = nil,
            listingEnd: ListingEnd = .emptyCursor,
            perPageMax: Int = 1000,
            rateLimit: RateLimit? = nil,
            fractionalSeconds: Bool = false,
            recordsRequests: Bool = true,
            clock: @escaping @Sendable () -> Date = { Date() }
        ) {
            self.accountID = accountID
            self.apiToken = apiToken
            self.legacyCredentials = legacyCredentials
            self.tokenID = tokenID
            self.tokenKind = tokenKind
            self.tokenStatus = tokenStatus
            self.tokenExpiresOn = tokenExpiresOn
            self.listingEnd = listingEnd
            self.perPageMax = perPageMax
            self.rateLimit = rateLimit
            self.fractionalSeconds = fractionalSeconds
            self.recordsRequests = recordsRequests
            self.clock = clock
        }
    }
}

public import Logging
import FoundationEssentials
import Rules
import Synchronization

/// Talks to the Cloudflare API v4 for one account: authentication, the response envelope,
/// the shared rate limit and retries. The endpoints live in extensions (`+Registrations`, …).
public struct CloudflareClient: Sendable {
    public struct Configuration: Sendable {
        /// e.g. "https://api.cloudflare.com/client/v4" (no trailing slash).
        public var apiBase: String
        public var accountID: String
        public var credentials: Credentials
        public var perPage: Int = 100
        public var retry = RetryPolicy()

        public init(apiBase: String, accountID: String, credentials: Credentials) {
            self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
            self.accountID = accountID
            self.credentials = credentials
        }
    }

    public let configuration: Configuration
    let transport: any Transport
    let limiter: RateLimiter
    let time: TimeSource
    let logger: Logger
    private let counter: RequestCounter

    /// Creates a client; `limiter` is shared by every request of this token.
    public init(
        configuration: Configuration, transport: any Transport, limiter: RateLimiter, time: TimeSource, logger: Logger
    ) {
        self.configuration = configuration
        self.transport = transport
        self.limiter = limiter
        self.time = time
        self.logger = logger
        self.counter = RequestCounter()
    }

    /// HTTP requests sent so far, retries included (the `ZTG_API_REQUESTS` figure).
    public var requestsSent: Int { counter.value }

    var accountPath: String { "/accounts/\(configuration.accountID)" }

    /// Sends one API request, with pacing and retries, and returns its decoded envelope.
    ///
    /// - Parameter problem: what is wrong with a successful envelope that the caller cannot use (a
    ///   listing page without its `result`, or one that contradicts its `result_info`), nil when nothing
    ///   is. Such an answer is a transient failure (ztguardd(8), LISTINGS AND COMPLETENESS): retried like
    ///   a malformed body, then thrown as ``CloudflareAPIError/Code/invalidResponse`` with the problem as
    ///   its hint.
    /// - Parameter retrying: false for a request that changes the account: its failure is thrown at once
    ///   (after any 429 pauses, which the API answers without applying anything), because a request whose
    ///   answer was lost may have been applied, and only reading the account back tells. The caller does
    ///   that before it sends anything again.
    /// - Throws: ``CloudflareAPIError`` for a refusal or an answer that stayed unusable after the
    ///   retries; ``TransportError`` when no answer arrived after the retries.
    func send<Payload: Decodable>(
        _ method: HTTPRequest.Method, _ path: String, query: QueryItems = QueryItems(), expecting: Payload.Type,
        retrying: Bool = true, problem: (Envelope<Payload>) -> String? = { _ in nil }
    ) async throws -> (envelope: Envelope<Payload>, body: [UInt8]) {
        let url = configuration.apiBase + path + query.encoded
        let request = HTTPRequest(
            method: method, url: url,
            headers: configuration.credentials.headers + [("Accept", "application/json")]
        )
        // For messages and logs: the method and path, never headers; ids in the query are not secret.
        let label = "\(method.rawValue) \(path)"
        let policy = configuration.retry
        var retries = 0
        var rateLimitPauses = 0
        while true {
            try await limiter.acquire()
            counter.increment()
            let started = time.elapsed
            let failure: any Error
            do {
                let response = try await transport.send(request)
                await limiter.observe(headers: response.headers)
                logger.debug(
                    "Cloudflare API answered",
                    metadata: [
                        "http.method": "\(method.rawValue)", "http.target": "\(path + query.encoded)",
                        "http.status": "\(response.status)", "http.bytes": "\(response.body.count)",
                        "http.duration_ms": "\((time.elapsed - started).milliseconds)",
                    ])
                if response.status == 429 {
                    let pause = policy.retryAfter(response.headers["retry-after"])
                    guard pause <= policy.maximumRateLimitPause else {
                        throw CloudflareAPIError(
                            code: .rateLimited, status: 429, request: label,
                            hint: "Cloudflare asked to wait more than \(policy.maximumRateLimitPause.components.seconds) s "
                                + "(Retry-After: \(response.headers["retry-after"].map { String($0.prefix(32)) } ?? "")); "
                                + "this run stops, and the next scheduled run tries again")
                    }
                    rateLimitPauses += 1
                    guard rateLimitPauses <= policy.maxRateLimitPauses else {
                        throw CloudflareAPIError(
                            code: .rateLimited, status: 429, request: label,
                            hint: "Cloudflare kept answering 429 after \(policy.maxRateLimitPauses) pauses; "
                                + "lower limits.requests_per_minute or check other users of this token")
                    }
                    logger.warning(
                        "Rate limited by Cloudflare; pausing every request",
                        metadata: ["http.target": "\(path)", "retry_after_ms": "\(pause.milliseconds)"])
                    await limiter.pause(for: pause)
                    continue
                }
                let outcome = Self.interpret(response, label: label, as: Payload.self)
                switch outcome {
                case .success(let envelope):
                    guard let problem = problem(envelope) else { return (envelope, response.body) }
                    failure = CloudflareAPIError(
                        code: .invalidResponse, status: response.status, request: label, hint: problem)
                case .failure(let error) where !Self.isRetryable(error):
                    throw error
                case .failure(let error):
                    failure = error
                }
            } catch let error as TransportError {
                // Not worth another try: a request libcurl refused, a certificate it rejected, an answer too large.
                guard Self.isRetryable(error) else { throw error }
                failure = error
            }
            retries += 1
            guard retrying, retries < policy.maxAttempts else { throw failure }
            let delay = policy.delay(beforeRetry: retries - 1)
            logger.notice(
                "Cloudflare API request failed; retrying",
                metadata: [
                    "http.target": "\(path)", "error": "\(failure)", "retry": "\(retries)",
                    "delay_ms": "\(delay.milliseconds)",
                ])
            try await time.sleep(for: delay)
        }
    }

    /// Turns a response into its envelope or the error it stands for.
    static func interpret<Payload: Decodable>(
        _ response: HTTPResponse, label: String, as: Payload.Type
    ) -> Swift.Result<Envelope<Payload>, CloudflareAPIError> {
        let envelope = decodeEnvelope(response.body, as: Payload.self)
        let messages = envelope?.errors ?? []
        switch response.status {
        case 200..<300:
            guard let envelope else {
                return .failure(CloudflareAPIError(
                    code: .invalidResponse, status: response.status, request: label,
                    hint: "the answer was not a complete Cloudflare JSON envelope"))
            }
            guard envelope.success else {
                // success:false under HTTP 200 is an error all the same.
                return .failure(CloudflareAPIError(code: .rejected, status: response.status, request: label, messages: messages))
            }
            return .success(envelope)
        case 401, 403:
            return .failure(CloudflareAPIError(
                code: .authentication, status: response.status, request: label, messages: messages,
                hint: "check that the API token is valid, not expired, and has the \"Zero Trust: Edit\" "
                    + "(or \"Zero Trust Read\" for read-only commands) permission on this account"))
        case 404:
            return .failure(CloudflareAPIError(code: .notFound, status: 404, request: label, messages: messages))
        default:
            let code: CloudflareAPIError.Code = RetryPolicy.isTransient(status: response.status) ? .server : .rejected
            return .failure(CloudflareAPIError(code: code, status: response.status, request: label, messages: messages))
        }
    }

    /// The body's envelope, nil when it is not one. A page of registrations goes through
    /// ``RegistrationPageDecoder`` first, which leaves any body it does not fully understand to `JSONDecoder`.
    static func decodeEnvelope<Payload: Decodable>(_ body: [UInt8], as: Payload.Type) -> Envelope<Payload>? {
        if Payload.self == [Registration].self, let page = RegistrationPageDecoder.envelope(from: body) {
            return page as? Envelope<Payload>
        }
        return try? JSONDecoder().decode(Envelope<Payload>.self, from: Data(body))
    }

    /// Whether `error`, thrown by ``send(_:_:query:expecting:retrying:problem:)``, is worth another try: a
    /// transient answer, or no answer at all from a transfer libcurl could make.
    static func isRetryable(_ error: any Error) -> Bool {
        switch error {
        case let error as CloudflareAPIError: isRetryable(error)
        case let error as TransportError: ![.initializationFailed, .tlsFailed, .answerTooLarge].contains(error.code)
        default: false
        }
    }

    /// Transient failures (ztguardd(8), RATE LIMITS AND RETRIES): 408, 5xx, an unusable body, and
    /// `success:false` under 2xx.
    static func isRetryable(_ error: CloudflareAPIError) -> Bool {
        switch error.code {
        case .server, .invalidResponse: true
        case .rejected: (200..<300).contains(error.status)
        default: false
        }
    }
}

/// Counts requests across concurrent tasks.
private final class RequestCounter: Sendable {
    private let count = Atomic<Int>(0)

    func increment() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// Query parameters in order, keys repeatable (`id=A&id=B`), values percent-encoded.
public struct QueryItems: Sendable, Equatable {
    private(set) var items: [(name: String, value: String)] = []

    public init() {}

    public mutating func append(_ name: String, _ value: String) { items.append((name, value)) }

    /// "" or "?a=1&b=2".
    var encoded: String {
        guard !items.isEmpty else { return "" }
        return "?" + items.map { "\(Self.escape($0.name))=\(Self.escape($0.value))" }.joined(separator: "&")
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return out
    }

    public static func == (lhs: QueryItems, rhs: QueryItems) -> Bool { lhs.encoded == rhs.encoded }
}

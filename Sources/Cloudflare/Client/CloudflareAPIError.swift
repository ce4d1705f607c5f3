/// The API answered, and the answer was a refusal or unusable.
public struct CloudflareAPIError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// 401/403, or an authentication error code: the token is invalid, expired or lacks a permission.
        case authentication
        /// 404: the account, the registration or the endpoint does not exist.
        case notFound
        /// 429 more often than the retry policy tolerates.
        case rateLimited
        /// 5xx or 408 after every retry.
        case server
        /// `success: false`, or another 4xx.
        case rejected
        /// A body that is not a Cloudflare envelope (truncated, not JSON, wrong shape), or a successful
        /// envelope that cannot be used as it is: a listing page without its `result`, or one that
        /// contradicts its own `result_info`.
        case invalidResponse
        /// The listing handed back a cursor it had already given: following it would never end.
        case repeatedCursor
        /// A page-numbered listing (Access users) changed while it was read, and again when it was read
        /// once more: no consistent view of it could be had.
        case listingMoved
    }

    /// One entry of the envelope's `errors`.
    public struct Message: Sendable, Equatable, Decodable {
        public var code: Int?
        public var message: String

        public init(code: Int?, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var code: Code
    /// HTTP status, 0 when not applicable.
    public var status: Int
    /// What was asked, e.g. "GET /accounts/…/devices/registrations"; never includes headers.
    public var request: String
    public var messages: [Message]
    /// Extra explanation: what to check or do.
    public var hint: String?

    public init(code: Code, status: Int, request: String, messages: [Message] = [], hint: String? = nil) {
        self.code = code
        self.status = status
        self.request = request
        self.messages = messages
        self.hint = hint
    }

    public var description: String {
        var text = "\(request) failed"
        if status != 0 { text += " with HTTP \(status)" }
        if !messages.isEmpty {
            text += ": " + messages.map { message in message.code.map { "\(message.message) (code \($0))" } ?? message.message }
                .joined(separator: "; ")
        }
        if let hint { text += ". \(hint)" }
        return text
    }

    /// Whether the error means the credentials were refused (exit status 77).
    public var isAuthenticationFailure: Bool { code == .authentication }
}

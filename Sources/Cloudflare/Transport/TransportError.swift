/// A request that produced no complete HTTP response.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case initializationFailed
        case timedOut
        case connectionFailed
        case tlsFailed
        /// The connection closed before the whole body arrived.
        case truncated
        /// The answer, decoded, grew past ``CurlTransport/Options/maximumBodySize``: no page of the API is
        /// that large, and buffering it would let a hostile answer (a gzip bomb) take the machine's memory.
        case answerTooLarge
        case other
    }

    public var code: Code
    /// libcurl's own explanation, from its error buffer or `curl_easy_strerror`, kept for the log.
    public var detail: String

    public init(code: Code, detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code): \(detail)" }
}

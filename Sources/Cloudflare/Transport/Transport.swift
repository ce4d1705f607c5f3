/// Sends HTTP requests for the Cloudflare client. Production uses ``CurlTransport``; tests and the
/// demo use an in-memory account, so no unit test touches the network.
public protocol Transport: Sendable {
    /// Sends `request` and returns the complete response.
    ///
    /// - Throws: ``TransportError`` if no complete response arrived. Non-2xx statuses are returned, not thrown.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

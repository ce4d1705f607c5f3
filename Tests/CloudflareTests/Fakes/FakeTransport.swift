@testable import Cloudflare

/// Replays canned responses (or errors) in order and records what it was sent.
actor FakeTransport: Transport {
    enum Reply: Sendable {
        case response(HTTPResponse)
        case failure(TransportError)
    }

    private var replies: [Reply]
    private(set) var sentRequests: [HTTPRequest] = []

    init(_ replies: [Reply]) { self.replies = replies }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        sentRequests.append(request)
        guard !replies.isEmpty else { throw TransportError(code: .connectionFailed, detail: "no canned response") }
        switch replies.removeFirst() {
        case .response(let response): return response
        case .failure(let error): throw error
        }
    }
}

extension FakeTransport.Reply {
    /// A Cloudflare envelope with `result` (raw JSON) and optional `result_info`.
    static func envelope(
        status: Int = 200, success: Bool = true, result: String = "null", resultInfo: String? = nil,
        errors: String = "[]", headers: [String: String] = [:]
    ) -> Self {
        var body = #"{"success":\#(success),"errors":\#(errors),"messages":[],"result":\#(result)"#
        if let resultInfo { body += #","result_info":\#(resultInfo)"# }
        body += "}"
        return .response(HTTPResponse(status: status, headers: headers, body: Array(body.utf8)))
    }

    static func registrationsPage(ids: [String], cursor: String) -> Self {
        let result = "[" + ids.map { registrationJSON(id: $0) }.joined(separator: ",") + "]"
        return envelope(result: result, resultInfo: #"{"count":\#(ids.count),"per_page":100,"cursor":"\#(cursor)"}"#)
    }

    static func registrationJSON(id: String, revokedAt: String? = nil) -> String {
        let revoked = revokedAt.map { "\"\($0)\"" } ?? "null"
        return #"{"id":"\#(id)","created_at":"2025-01-01T00:00:00Z","last_seen_at":"2026-11-01T00:00:00Z","revoked_at":\#(revoked),"device":{"id":"dev-\#(id)","name":"laptop-\#(id)","client_version":"2024.6.415.0"},"user":{"id":"u1","email":"a@example.com","name":"A"}}"#
    }
}

extension FakeTransport.Reply {
    /// A page of `GET …/access/users`: one user per email, with `count` and `per_page` as given and
    /// `total_count` when `total` is set (nil leaves it out, as an API without totals would).
    static func accessUsersPage(emails: [String], perPage: Int = 100, total: Int? = nil, count: Int? = -1) -> Self {
        let result = "[" + emails.map { #"{"id":"id-\#($0)","email":"\#($0)","last_successful_login":null}"# }
            .joined(separator: ",") + "]"
        var info = [#""per_page":\#(perPage)"#]
        if let count { info.append(#""count":\#(count < 0 ? emails.count : count)"#) }
        if let total { info.append(#""total_count":\#(total)"#) }
        return envelope(result: result, resultInfo: "{" + info.joined(separator: ",") + "}")
    }
}

import Testing

@testable import Cloudflare

@Suite struct QueryItemsTests {
    @Test("keys repeat and values are percent-encoded")
    func repeatedKeysAndEscaping() {
        var query = QueryItems()
        query.append("id", "a")
        query.append("id", "b")
        query.append("cursor", "x+y/z=")
        query.append("seen_before", "2026-11-23T10:00:00Z")
        #expect(query.encoded == "?id=a&id=b&cursor=x%2By%2Fz%3D&seen_before=2026-11-23T10%3A00%3A00Z")
    }
}

@Suite struct RawJSONTests {
    @Test("finds each element of the result array exactly, strings with brackets and escapes included")
    func resultElements() {
        let body = Array(#"{"success":true,"errors":[],"result":[{"id":"a","n":"x]\"},{"},{"id":"b","l":[1,2]}],"result_info":{"cursor":""}}"#.utf8)
        let elements = RawJSON.resultElements(in: body).map { String(decoding: body[$0], as: UTF8.self) }
        #expect(elements == [#"{"id":"a","n":"x]\"},{"}"#, #"{"id":"b","l":[1,2]}"#])
    }

    @Test("an empty or missing result has no elements")
    func emptyResult() {
        #expect(RawJSON.resultElements(in: Array(#"{"result":[]}"#.utf8)).isEmpty)
        #expect(RawJSON.resultElements(in: Array(#"{"success":false}"#.utf8)).isEmpty)
    }
}

@Suite struct APIBaseTests {
    @Test("https anywhere the administrator opted in to, http only to exactly 127.0.0.1, ::1 or localhost", arguments: [
        ("https://api.cloudflare.com/client/v4", true), ("http://127.0.0.1:8080/client/v4", true),
        ("http://localhost:1/x", true), ("http://[::1]:9/x", true), ("http://10.0.0.1/client/v4", false),
        ("http://api.cloudflare.com/client/v4", false), ("http://127.0.0.1.evil.com/x", false), ("ftp://x", false),
        ("http://127.0.0.08:80/x", false), ("http://127.1/x", false), ("http://127.0.0.2/x", false),
        ("https://evil.example/client/v4", true), ("https://bad host/x", false), ("https:///x", false),
    ])
    func schemeAndHost(url: String, allowed: Bool) {
        #expect((APIBase.problem(with: url, allowingCustom: true) == nil) == allowed)
    }

    @Test("without the opt-in the token goes to Cloudflare's API only", arguments: [
        ("https://api.cloudflare.com/client/v4", true), ("https://API.cloudflare.com/client/v4/", true),
        ("https://any.host/client/v4", false), ("http://127.0.0.1:8080/client/v4", false),
        ("https://api.cloudflare.com.evil.example/client/v4", false), ("https://api.cloudflare.com/client/v5", false),
    ])
    func cloudflareOnlyByDefault(url: String, allowed: Bool) {
        let problem = APIBase.problem(with: url, allowingCustom: false)
        #expect((problem == nil) == allowed)
        if let problem { #expect(problem.contains("allow_custom_api_base = true") || problem.contains("http://")) }
    }
}

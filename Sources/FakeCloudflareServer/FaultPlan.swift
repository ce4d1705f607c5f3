public import Cloudflare
import Synchronization

/// Which requests a ``FakeCloudflareServer`` answers badly, and how; decided per request.
///
/// ```swift
/// .every(20, .serverError(503))                                   // requests 20, 40, 60, …
/// .at([3, 7], .connectionReset)                                   // the 3rd and 7th request
/// .at([1], .lostAnswer, where: { $0.url.contains("/revoke") })    // the first revoke request
/// FaultPlan { number, request in number % 10 == 0 ? .slow(milliseconds: 500) : nil }
/// ```
///
/// A plan with a `where:` predicate counts only the requests it matches, so one plan instance belongs to one
/// server. Request numbers start at 1 and count every request the server received, on every connection.
public struct FaultPlan: Sendable {
    /// A way to answer a request badly.
    public enum Fault: Sendable, Hashable, CustomStringConvertible {
        /// A 5xx answer with an error envelope; the request is not applied.
        case serverError(status: Int)
        /// The connection is reset (RST) without an answer; the request is not applied.
        case connectionReset
        /// The request is applied; the answer's headers promise the whole body, half of it arrives, and the
        /// connection closes.
        case truncatedBody
        /// HTTP 200 with an HTML body; the request is not applied.
        case malformedJSON
        /// HTTP 200 with `"success": false` and error code 10001; the request is not applied.
        case successFalse
        /// The request is applied and answered normally after the delay.
        case slow(milliseconds: Int)
        /// The request IS applied to the account, then the connection is reset without an answer.
        case lostAnswer
        /// HTTP 429 with `Retry-After`; the request is not applied and the account is not blocked.
        case tooManyRequests(retryAfterSeconds: Int)
        /// The request is applied and answered `success: true`, but the envelope has no `result` key.
        case missingResult
        /// The request is applied and answered `success: true` with `"result": null`.
        case nullResult
        /// The request is applied and answered `success: true` with `"result": []`, its `result_info` as the
        /// account wrote it (a listing page then still describes a full page).
        case emptyResult
        /// The account's first Access user is deleted, then the request is applied and answered normally:
        /// a page-numbered users listing then shifts every later user one place up.
        case accessUserDeleted
        /// HTTP 200 with a 40 MiB body (a success envelope padded with spaces); the request is not applied.
        case oversizedBody
        /// HTTP 429 whose `Retry-After` header is exactly this text (`1e17`, `-1`, `soon`): what a hostile or
        /// broken server may send. The request is not applied.
        case retryAfterHeader(String)
        /// HTTP 200 with `Content-Encoding: gzip` and a valid gzip stream of this many MiB of zero bytes (128 MiB
        /// in 845 KB): a body small on the wire that a decoding client must not buffer whole. The request is
        /// not applied.
        case gzipBomb(mebibytes: Int)
        /// HTTP 400 with an error envelope whose message is exactly this text, newlines and all: an error the
        /// client must not retry and must not pass on raw. The request is not applied.
        case rejected(message: String)
        /// The request is applied and answered normally, less optional fields of the envelope: `result_info`
        /// itself, or keys of it (`count`, `total_count`, `per_page`, `page`, `cursor`). What Cloudflare's own
        /// SDK allows to be missing, and a client must read without failing.
        case without(fields: Set<String>)
        /// A registrations page that is empty and has no `count`, whose cursor resumes where the request's
        /// cursor did: a terse API's empty middle page, after which the listing goes on. The request is not
        /// applied (the account does not see it).
        case emptyDetour

        /// Whether the account applies the request despite the fault.
        public var appliesRequest: Bool {
            switch self {
            case .truncatedBody, .slow, .lostAnswer, .missingResult, .nullResult, .emptyResult, .accessUserDeleted,
                .without:
                true
            case .serverError, .connectionReset, .malformedJSON, .successFalse, .tooManyRequests, .oversizedBody,
                .retryAfterHeader, .gzipBomb, .rejected, .emptyDetour:
                false
            }
        }

        /// The command-line spelling (`server-error:503`, `slow:250`, `lost-answer`, …).
        public var description: String {
            switch self {
            case .serverError(let status): "server-error:\(status)"
            case .connectionReset: "connection-reset"
            case .truncatedBody: "truncated-body"
            case .malformedJSON: "malformed-json"
            case .successFalse: "success-false"
            case .slow(let milliseconds): "slow:\(milliseconds)"
            case .lostAnswer: "lost-answer"
            case .tooManyRequests(let seconds): "too-many-requests:\(seconds)"
            case .missingResult: "missing-result"
            case .nullResult: "null-result"
            case .emptyResult: "empty-result"
            case .accessUserDeleted: "access-user-deleted"
            case .oversizedBody: "oversized-body"
            case .retryAfterHeader(let value): "retry-after-header:\(value)"
            case .gzipBomb(let mebibytes): "gzip-bomb:\(mebibytes)"
            case .rejected(let message): "rejected:\(message)"
            case .without(let fields): "without:" + fields.sorted().joined(separator: ",")
            case .emptyDetour: "empty-detour"
            }
        }

        /// Parses ``description``; the number may be left out (`server-error` is 503, `slow` 1000 ms,
        /// `too-many-requests` 30 seconds, `gzip-bomb` 128 MiB).
        public init?(_ text: String) {
            if text.hasPrefix("retry-after-header:") {
                self = .retryAfterHeader(String(text.dropFirst("retry-after-header:".count)))
                return
            }
            if text.hasPrefix("rejected:") {
                self = .rejected(message: String(text.dropFirst("rejected:".count)))
                return
            }
            if text.hasPrefix("without:") {
                let fields = Set(text.dropFirst("without:".count).split(separator: ",").map(String.init))
                guard !fields.isEmpty, fields.isSubset(of: ResultRewrite.optionalFields) else { return nil }
                self = .without(fields: fields)
                return
            }
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            let number = parts.count == 2 ? Int(parts[1]) : nil
            if parts.count == 2 && number == nil { return nil }
            switch parts.first ?? "" {
            case "server-error":
                let status = number ?? 503
                guard (500...599).contains(status) else { return nil }
                self = .serverError(status: status)
            case "slow": self = .slow(milliseconds: max(0, number ?? 1000))
            case "too-many-requests": self = .tooManyRequests(retryAfterSeconds: max(0, number ?? 30))
            case "connection-reset" where number == nil: self = .connectionReset
            case "truncated-body" where number == nil: self = .truncatedBody
            case "malformed-json" where number == nil: self = .malformedJSON
            case "success-false" where number == nil: self = .successFalse
            case "lost-answer" where number == nil: self = .lostAnswer
            case "missing-result" where number == nil: self = .missingResult
            case "null-result" where number == nil: self = .nullResult
            case "empty-result" where number == nil: self = .emptyResult
            case "access-user-deleted" where number == nil: self = .accessUserDeleted
            case "oversized-body" where number == nil: self = .oversizedBody
            case "empty-detour" where number == nil: self = .emptyDetour
            case "gzip-bomb":
                let mebibytes = number ?? 128
                guard (1...4096).contains(mebibytes) else { return nil }
                self = .gzipBomb(mebibytes: mebibytes)
            default: return nil
            }
        }
    }

    private let decide: @Sendable (_ requestNumber: Int, _ request: HTTPRequest) -> Fault?

    /// A plan that asks `decide` about every request, with its number (from 1) across all connections.
    public init(_ decide: @escaping @Sendable (_ requestNumber: Int, _ request: HTTPRequest) -> Fault?) {
        self.decide = decide
    }

    /// The fault for the request numbered `requestNumber`, if any.
    public func fault(forRequestNumber requestNumber: Int, _ request: HTTPRequest) -> Fault? {
        decide(requestNumber, request)
    }

    /// Every request is answered well.
    public static var none: FaultPlan { FaultPlan { _, _ in nil } }

    /// Requests `n`, `2n`, `3n`, … get `fault`; with `predicate`, the `n`th, `2n`th, … matching request.
    public static func every(
        _ n: Int,
        _ fault: Fault,
        where predicate: (@Sendable (HTTPRequest) -> Bool)? = nil
    ) -> FaultPlan {
        precondition(n > 0, "every(0) would never inject")
        return counting(predicate) { number in number % n == 0 ? fault : nil }
    }

    /// The requests numbered `numbers` get `fault`; with `predicate`, counting only the matching requests.
    public static func at(
        _ numbers: Set<Int>,
        _ fault: Fault,
        where predicate: (@Sendable (HTTPRequest) -> Bool)? = nil
    ) -> FaultPlan {
        counting(predicate) { number in numbers.contains(number) ? fault : nil }
    }

    /// The first of `plans` that injects a fault decides. Every plan sees every request, so each counts as
    /// it would alone.
    public static func combining(_ plans: [FaultPlan]) -> FaultPlan {
        FaultPlan { number, request in
            plans.map { $0.fault(forRequestNumber: number, request) }.first { $0 != nil } ?? nil
        }
    }

    private static func counting(
        _ predicate: (@Sendable (HTTPRequest) -> Bool)?,
        _ decide: @escaping @Sendable (Int) -> Fault?
    ) -> FaultPlan {
        guard let predicate else { return FaultPlan { number, _ in decide(number) } }
        let matched = MatchCounter()
        return FaultPlan { _, request in
            guard predicate(request) else { return nil }
            return decide(matched.next())
        }
    }
}

/// Numbers the requests a predicate matched, from 1; shared by every copy of the plan that made it.
private final class MatchCounter: Sendable {
    private let count = Mutex(0)

    func next() -> Int {
        count.withLock { count in
            count += 1
            return count
        }
    }
}

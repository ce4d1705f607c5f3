import Foundation

/// How the result-shaped faults rewrite a successful answer's envelope: the short answers that a real
/// API sends now and then under `success: true`, which a client must never take for the end of a list.
enum ResultRewrite {
    /// No `result` key.
    case remove
    /// `"result": null`.
    case null
    /// `"result": []`, the rest of the envelope (its `result_info` included) unchanged.
    case empty
    /// The envelope without these fields: `result_info` itself, or keys of it; the result unchanged.
    case withoutFields(Set<String>)

    /// What ``FaultPlan/Fault/without(fields:)`` may leave out: the fields Cloudflare's SDK models as optional.
    static let optionalFields: Set<String> = ["result_info", "count", "total_count", "per_page", "page", "cursor"]

    init?(_ fault: FaultPlan.Fault) {
        switch fault {
        case .missingResult: self = .remove
        case .nullResult: self = .null
        case .emptyResult: self = .empty
        case .without(let fields): self = .withoutFields(fields)
        default: return nil
        }
    }

    /// `body` with its envelope's `result` rewritten; a body that is not a JSON object is left as it is.
    func apply(to body: [UInt8]) -> [UInt8] {
        guard var envelope = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else { return body }
        switch self {
        case .remove: envelope["result"] = nil
        case .null: envelope["result"] = NSNull()
        case .empty: envelope["result"] = [Any]()
        case .withoutFields(let fields) where fields.contains("result_info"): envelope["result_info"] = nil
        case .withoutFields(let fields):
            guard var info = envelope["result_info"] as? [String: Any] else { return body }
            for field in fields { info[field] = nil }
            envelope["result_info"] = info
        }
        guard let data = try? JSONSerialization.data(withJSONObject: envelope, options: [.sortedKeys]) else { return body }
        return Array(data)
    }
}

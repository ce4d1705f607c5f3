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

    init?(_ fault: FaultPlan.Fault) {
        switch fault {
        case .missingResult: self = .remove
        case .nullResult: self = .null
        case .emptyResult: self = .empty
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
        }
        guard let data = try? JSONSerialization.data(withJSONObject: envelope, options: [.sortedKeys]) else { return body }
        return Array(data)
    }
}

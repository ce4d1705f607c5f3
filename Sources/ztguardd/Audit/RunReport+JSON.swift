import FoundationEssentials
import Rules

/// The one writer of a run report's JSON: `runs/RUN_ID.json` and `plan --format json` (ztguardd(8), RUN
/// REPORTS). It owns the format:
/// - two spaces an indent level, and `" : "` between a key and its value;
/// - keys in sorted order, and `null` for a missing optional;
/// - strings escaped as RFC 8259 requires and no further: `"`, `\` and the C0 controls; `/` and every
///   other character are written as their UTF-8 bytes.
///
/// Reports written before it (by `JSONEncoder` with `.prettyPrinted`, `.sortedKeys` and
/// `.withoutEscapingSlashes`) have the same bytes; the shape tests hold it to them.
///
/// It streams. ``writeJSONThroughActions(to:)`` writes the report up to the end of its actions, one action
/// at a time. That part depends only on `aborted` and the actions: "aborted" is the only key sorted before
/// "actions". So it can be written while the run still records, and ``writeJSONAfterActions(to:)`` writes
/// the closing fields once the run has finished.
extension RunReport {
    /// Writes the whole report to `write`, in pieces.
    ///
    /// - Throws: What `write` threw.
    func writeJSON(to write: (ArraySlice<UInt8>) throws -> Void) throws {
        try writeJSONThroughActions(to: write)
        try writeJSONAfterActions(to: write)
    }

    /// The report's JSON as bytes, without a final newline.
    func jsonBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        // Appending cannot throw.
        try? writeJSON { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// The first part of ``writeJSON(to:)``: from `{` to the `]` that closes "actions".
    func writeJSONThroughActions(to write: (ArraySlice<UInt8>) throws -> Void) throws {
        let detail = aborted.map { (ReportJSON.capacity($0.detail), ReportJSON.capacity($0.limit)) }
        let head = [UInt8](capacity: 80 + (detail.map { $0.0 + $0.1 } ?? 0)) { out in
            out.append(literal: "{\n  \"aborted\" : ")
            if let aborted {
                out.append(literal: "{\n    \"detail\" : ")
                ReportJSON.appendQuoted(aborted.detail, to: &out)
                out.append(literal: ",\n    \"limit\" : ")
                ReportJSON.appendQuoted(aborted.limit, to: &out)
                out.append(literal: "\n  }")
            } else {
                out.append(literal: "null")
            }
            out.append(literal: ",\n  \"actions\" : [")
        }
        try write(head[...])
        // One action in memory at a time: the report of a large run is the biggest thing the daemon writes.
        for (index, action) in actions.enumerated() {
            try write(action.record.json(first: index == 0)[...])
        }
        // An empty array keeps the blank line the encoder always wrote.
        try write(Array((actions.isEmpty ? "\n\n  ]" : "\n  ]").utf8)[...])
    }

    /// The rest of ``writeJSON(to:)``, after ``writeJSONThroughActions(to:)``: the keys after "actions",
    /// and the closing brace.
    func writeJSONAfterActions(to write: (ArraySlice<UInt8>) throws -> Void) throws {
        let finished = finishedAt.map(RFC3339.string(from:))
        let capacity = 240 + ReportJSON.capacity(failure) + ReportJSON.capacity(finished) + ReportJSON.capacity(runID)
            + ReportJSON.capacity(RFC3339.string(from: startedAt))
        let tail = [UInt8](capacity: capacity) { out in
            if let apiRequests {
                out.append(literal: ",\n  \"api_requests\" : ")
                out.append(String(apiRequests))
            }
            out.append(literal: ",\n  \"dry_run\" : ")
            out.append(literal: dryRun ? "true" : "false")
            if let durationMS {
                out.append(literal: ",\n  \"duration_ms\" : ")
                out.append(String(durationMS))
            }
            if let failure {
                out.append(literal: ",\n  \"failure\" : ")
                ReportJSON.appendQuoted(failure, to: &out)
            }
            if let finished {
                out.append(literal: ",\n  \"finished_at\" : ")
                ReportJSON.appendQuoted(finished, to: &out)
            }
            out.append(literal: ",\n  \"listed\" : ")
            out.append(String(listed))
            out.append(literal: ",\n  \"run_id\" : ")
            ReportJSON.appendQuoted(runID, to: &out)
            out.append(literal: ",\n  \"started_at\" : ")
            ReportJSON.appendQuoted(RFC3339.string(from: startedAt), to: &out)
            out.append(literal: "\n}")
        }
        try write(tail[...])
    }
}

extension RunReport.Action.Record {
    /// The action as an element of the report's "actions": after a newline (a comma first, unless it is
    /// the `first`), four spaces in, its members six spaces in.
    func json(first: Bool) -> [UInt8] {
        let lastSeen = lastSeenAt.map(RFC3339.string(from:))
        /// Every member, keys sorted; the last has no comma. `error` only when there is one.
        func members(_ body: (_ key: StaticString, _ value: String?, _ last: Bool) -> Void) {
            body("action", action.rawValue, false)
            body("client_version", clientVersion, false)
            body("device_id", deviceID, false)
            body("device_name", deviceName, false)
            if let error { body("error", error, false) }
            body("last_seen_at", lastSeen, false)
            body("outcome", outcome.rawValue, false)
            body("reason", reason, false)
            body("registration_id", registrationID, false)
            body("rule", rule, false)
            body("user_email", userEmail, true)
        }
        // The comma and newline, `{` and a newline, the closing brace four spaces in; per member six
        // spaces, the quoted key, " : ", the value, and ",\n" or "\n".
        var capacity = 2 + 4 + 2 + 5
        members { key, value, _ in capacity += 6 + key.utf8CodeUnitCount + 2 + 3 + ReportJSON.capacity(value) + 2 }
        return [UInt8](capacity: capacity) { out in
            out.append(literal: first ? "\n    {\n" : ",\n    {\n")
            members { key, value, last in
                out.append(literal: "      \"")
                out.append(literal: key)
                out.append(literal: "\" : ")
                if let value { ReportJSON.appendQuoted(value, to: &out) } else { out.append(literal: "null") }
                out.append(literal: last ? "\n" : ",\n")
            }
            out.append(literal: "    }")
        }
    }
}

/// The strings of the report's JSON.
enum ReportJSON {
    /// The most bytes ``appendQuoted(_:to:)`` writes for `text` (every byte as `\u00XX`), or `null`'s 4.
    static func capacity(_ text: String?) -> Int {
        text.map { $0.utf8.count * 6 + 2 } ?? 4
    }

    /// Writes `text` as a JSON string: `"`, `\` and the C0 controls escaped (`\b`, `\f`, `\n`, `\r`, `\t`,
    /// or `\u00XX` in lower-case hex), every other byte as it is.
    static func appendQuoted(_ text: String, to out: inout ByteCursor) {
        out.append(UInt8(ascii: "\""))
        // Nearly every value needs no escape: one scan eight bytes at a time, then one copy.
        if !out.appendUnlessJSONEscaped(text) {
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(byte)
                case 0x08: out.append(literal: "\\b")
                case 0x0C: out.append(literal: "\\f")
                case UInt8(ascii: "\n"): out.append(literal: "\\n")
                case UInt8(ascii: "\r"): out.append(literal: "\\r")
                case UInt8(ascii: "\t"): out.append(literal: "\\t")
                case 0..<0x20:
                    out.append(literal: "\\u00")
                    out.append(hexDigits[Int(byte >> 4)])
                    out.append(hexDigits[Int(byte & 0x0F)])
                default: out.append(byte)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

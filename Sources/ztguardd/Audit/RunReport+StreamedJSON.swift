import FoundationEssentials
import Rules

extension RunReport {
    /// Writes the bytes of ``jsonBytes()`` to `write` in pieces: the report without its actions,
    /// with the actions encoded one at a time into the gap.
    ///
    /// Encoding a whole report builds the encoder's value tree and one growing byte array for every
    /// action at once; for a run with thousands of actions that was the largest allocation of the run.
    /// Here at most one action is encoded at a time.
    ///
    /// - Throws: What the encoder or `write` threw.
    func writeJSON(to write: (ArraySlice<UInt8>) throws -> Void) throws {
        try writeJSONThroughActions(to: write)
        try writeJSONAfterActions(to: write)
    }

    /// The first part of ``writeJSON(to:)``: the report up to the end of its actions. It depends on
    /// the actions and on `aborted` only (keys are sorted, and "aborted" is the one before "actions"),
    /// so it can be written while the run still records, and the rest written when it has finished.
    func writeJSONThroughActions(to write: (ArraySlice<UInt8>) throws -> Void) throws {
        guard !actions.isEmpty, let (outline, open, _) = try outline() else { return }
        let encoder = Self.jsonEncoder()
        try write(outline[..<open])
        // The encoder indents an action as a top-level object; inside "actions" it sits two levels deeper.
        let indent = [UInt8](repeating: UInt8(ascii: " "), count: 4)
        for (index, action) in actions.enumerated() {
            // Each action starts a line four spaces in, after a comma but for the first.
            let prefix = index > 0 ? ",\n    " : "\n    "
            let record = action.record
            if let piece = record.plainJSON(after: prefix) {
                try write(piece[...])
                continue
            }
            // An array, not `Data`: stepping through `Data` a byte at a time cost more than encoding.
            let encoded = Array(try encoder.encode(record))
            var piece = Array(prefix.utf8)
            var start = encoded.startIndex
            while let newline = encoded[start...].firstIndex(of: 0x0A) {
                piece.append(contentsOf: encoded[start...newline])
                piece.append(contentsOf: indent)
                start = newline + 1
            }
            piece.append(contentsOf: encoded[start...])
            try write(piece[...])
        }
        try write(Array("\n  ]".utf8)[...])
    }

    /// The rest of ``writeJSON(to:)``, after ``writeJSONThroughActions(to:)``: the whole report when
    /// that wrote nothing (no actions, or an encoder layout this code does not know).
    func writeJSONAfterActions(to write: (ArraySlice<UInt8>) throws -> Void) throws {
        guard !actions.isEmpty, let (outline, _, close) = try outline() else { return try write(try jsonBytes()[...]) }
        try write(outline[(close + 1)...])
    }

    /// The report without its actions, and the bounds of the gap they go in: just past
    /// `"actions" : [` and at its `]`. Nil for a layout this code does not know.
    private func outline() throws -> (bytes: [UInt8], open: Int, close: Int)? {
        var frame = self
        frame.actions = []
        let outline = Array(try Self.jsonEncoder().encode(frame))
        // Pretty output puts each top-level key on its own line after two spaces; a string value
        // cannot hold a raw newline, so this marks the one "actions" key of the top-level object.
        let key = Array("\n  \"actions\" : [".utf8)
        guard let open = outline.firstRange(of: key)?.upperBound,
            let close = outline[open...].firstIndex(of: UInt8(ascii: "]"))
        else { return nil }
        return (outline, open, close)
    }
}

extension RunReport.Action.Record {
    /// `prefix`, then this action as ``RunReport/jsonEncoder()`` writes it as an element of "actions"
    /// (keys sorted, one per line six spaces in, `null` for a missing optional but `error`, which is
    /// left out); or nil when one of its strings needs a JSON escape, and the caller lets the encoder
    /// write it.
    ///
    /// The encoder spent a third of a 8,000-action dry run's CPU on these few lines; strings without
    /// escapes are written verbatim by any JSON encoder, and the report tests compare the bytes.
    func plainJSON(after prefix: String) -> [UInt8]? {
        let lastSeen = lastSeenAt.map(RFC3339.string(from:))
        /// Every member in the encoder's order; the last has no comma.
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
        // `{`, a newline, and the closing brace four spaces in.
        var count = prefix.utf8.count + 2 + 5
        var plain = true
        members { key, value, last in
            if let value, value.needsJSONEscape(orDelete: true) { plain = false }
            // Six spaces, the quoted key, " : ", the quoted value or null, then ",\n" or "\n".
            count += 6 + key.utf8CodeUnitCount + 2 + 3 + (value.map { $0.utf8.count + 2 } ?? 4) + (last ? 1 : 2)
        }
        guard plain else { return nil }
        return [UInt8](capacity: count) { out in
            out.append(prefix)
            out.append(literal: "{\n")
            members { key, value, last in
                out.append(literal: "      \"")
                out.append(literal: key)
                out.append(literal: "\" : ")
                if let value {
                    out.append(UInt8(ascii: "\""))
                    out.append(value)
                    out.append(UInt8(ascii: "\""))
                } else {
                    out.append(literal: "null")
                }
                out.append(literal: last ? "\n" : ",\n")
            }
            out.append(literal: "    }")
        }
    }
}

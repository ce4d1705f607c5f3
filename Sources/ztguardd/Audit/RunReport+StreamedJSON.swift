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
        let encoder = Self.jsonEncoder()
        var frame = self
        frame.actions = []
        let outline = Array(try encoder.encode(frame))
        // Pretty output puts each top-level key on its own line after two spaces; a string value
        // cannot hold a raw newline, so this marks the one "actions" key of the top-level object.
        let key = Array("\n  \"actions\" : [".utf8)
        guard !actions.isEmpty else { return try write(outline[...]) }
        guard let open = outline.firstRange(of: key)?.upperBound,
            let close = outline[open...].firstIndex(of: UInt8(ascii: "]"))
        else {
            // A layout this code does not know: encode the report whole, as before.
            return try write(try jsonBytes()[...])
        }
        try write(outline[..<open])
        // The encoder indents an action as a top-level object; inside "actions" it sits two levels deeper.
        let indent = [UInt8](repeating: UInt8(ascii: " "), count: 4)
        var piece: [UInt8] = []
        for (index, action) in actions.enumerated() {
            piece.removeAll(keepingCapacity: true)
            if index > 0 { piece.append(UInt8(ascii: ",")) }
            piece.append(0x0A)
            piece.append(contentsOf: indent)
            let record = action.record
            if record.appendPlainJSON(to: &piece) {
                try write(piece[...])
                continue
            }
            // An array, not `Data`: stepping through `Data` a byte at a time cost more than encoding.
            let encoded = Array(try encoder.encode(record))
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
        try write(outline[(close + 1)...])
    }
}

extension RunReport.Action.Record {
    /// Appends this action as ``RunReport/jsonEncoder()`` writes it as an element of "actions" (keys
    /// sorted, one per line six spaces in, `null` for a missing optional but `error`, which is left
    /// out), and returns true; or, when one of its strings needs a JSON escape, appends nothing and
    /// returns false, and the caller lets the encoder write it.
    ///
    /// The encoder spent a third of a 8,000-action dry run's CPU on these few lines; strings without
    /// escapes are written verbatim by any JSON encoder, and the report tests compare the bytes.
    func appendPlainJSON(to out: inout [UInt8]) -> Bool {
        func isPlain(_ text: String?) -> Bool {
            !(text?.containsUTF8Byte { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == 0x7F } ?? false)
        }
        let lastSeen = lastSeenAt.map(RFC3339.string(from:))
        guard isPlain(rule), isPlain(registrationID), isPlain(deviceID), isPlain(deviceName), isPlain(userEmail),
            isPlain(lastSeen), isPlain(clientVersion), isPlain(reason), isPlain(error)
        else { return false }
        out.append(contentsOf: "{\n".utf8)
        func member(_ key: String, _ value: String?, last: Bool = false) {
            out.append(contentsOf: "      \"".utf8)
            out.append(contentsOf: key.utf8)
            out.append(contentsOf: "\" : ".utf8)
            if let value {
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: value.utf8)
                out.append(UInt8(ascii: "\""))
            } else {
                out.append(contentsOf: "null".utf8)
            }
            out.append(contentsOf: (last ? "\n" : ",\n").utf8)
        }
        member("action", action.rawValue)
        member("client_version", clientVersion)
        member("device_id", deviceID)
        member("device_name", deviceName)
        if let error { member("error", error) }
        member("last_seen_at", lastSeen)
        member("outcome", outcome.rawValue)
        member("reason", reason)
        member("registration_id", registrationID)
        member("rule", rule)
        member("user_email", userEmail, last: true)
        out.append(contentsOf: "    }".utf8)
        return true
    }
}

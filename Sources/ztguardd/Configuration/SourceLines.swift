/// Finds the line of a key path in a TOML file's text, so errors can point at it.
///
/// TOMLKit reports positions only for syntax errors; for everything else this reads the file's
/// table headers and `key = value` lines. It knows the shapes our file uses (`[table]`,
/// `[[rule]]`, `[rule.match]`, `key = …`); a key written any other way simply has no line.
struct SourceLines {
    private var lines: [String: Int] = [:]

    init(text: String) {
        var table = ""
        var ruleCount = 0
        var number = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = rawLine.drop { $0 == " " || $0 == "\t" }
            if line.hasPrefix("[[") {
                let name = line.dropFirst(2).prefix { $0 != "]" }.trimmed
                if name == "rule" {
                    ruleCount += 1
                    table = "rule[\(ruleCount)]"
                } else {
                    table = String(name)
                }
                lines[table] = lines[table] ?? number
            } else if line.hasPrefix("[") {
                let name = String(line.dropFirst().prefix { $0 != "]" }.trimmed)
                if name.hasPrefix("rule.") {
                    table = "rule[\(ruleCount)]" + name.dropFirst("rule".count)
                } else {
                    table = name
                }
                lines[table] = lines[table] ?? number
            } else if let equals = line.firstIndex(of: "="), !line.hasPrefix("#") {
                let key = line[..<equals].trimmed.replacingQuotes
                guard !key.isEmpty else { continue }
                let path = table.isEmpty ? key : "\(table).\(key)"
                lines[path] = lines[path] ?? number
            }
        }
    }

    /// The line where `keyPath` (or, failing that, its nearest enclosing table) is written.
    func line(of keyPath: String) -> Int? {
        var path = Substring(keyPath)
        while !path.isEmpty {
            if let line = lines[String(path)] { return line }
            // Drop an index ("device_name[2]") or the last component.
            if path.last == "]", let open = path.lastIndex(of: "["), !path.hasSuffix("]]"),
                lines[String(path[..<open])] != nil || path[..<open].contains(".")
            {
                path = path[..<open]
            } else if let dot = path.lastIndex(of: ".") {
                path = path[..<dot]
            } else {
                return nil
            }
        }
        return nil
    }
}

extension Substring {
    fileprivate var trimmed: Substring {
        var view = self
        while let first = view.first, first == " " || first == "\t" { view.removeFirst() }
        while let last = view.last, last == " " || last == "\t" || last == "\r" { view.removeLast() }
        return view
    }

    fileprivate var replacingQuotes: String {
        String(self.filter { $0 != "\"" && $0 != "'" })
    }
}

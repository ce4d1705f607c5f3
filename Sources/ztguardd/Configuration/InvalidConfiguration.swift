/// A configuration that cannot be used, with every problem found in it (exit status 78).
struct InvalidConfiguration: Error, CustomStringConvertible {
    /// One problem, located by its key path (rules counted from 1) and, where known, its line.
    struct Issue: Equatable, CustomStringConvertible {
        /// e.g. `rule[1].match.last_seen_older_than`; empty for the file as a whole.
        var keyPath: String
        var line: Int?
        /// What is wrong and what to write instead.
        var message: String

        var description: String {
            let location = line.map { "line \($0): " } ?? ""
            return keyPath.isEmpty ? location + message : "\(location)\(keyPath): \(message)"
        }
    }

    var path: String
    var issues: [Issue]

    var description: String {
        let count = issues.count == 1 ? "1 problem" : "\(issues.count) problems"
        return "\(path): \(count)\n" + issues.map { "  \(path):\($0)" }.joined(separator: "\n")
    }
}

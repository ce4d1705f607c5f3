/// A configuration that cannot be used, with every problem found in it (exit status 78).
struct InvalidConfiguration: Error, CustomStringConvertible {
    /// One problem, located by its key path (rules counted from 1) and, where known, its line.
    struct Issue: Equatable, CustomStringConvertible {
        /// e.g. `rule[1].match.last_seen_older_than`; empty for the file as a whole.
        var keyPath: String
        var line: Int?
        /// What is wrong and what to write instead.
        var message: String

        /// `key: message`, or the message alone for the file as a whole.
        var description: String { keyPath.isEmpty ? message : "\(keyPath): \(message)" }

        /// The line as compilers write it, which editors jump to: `file:line: key: message` when the
        /// line is known, `file: key: message` otherwise.
        func located(in path: String) -> String {
            (line.map { "\(path):\($0): " } ?? "\(path): ") + description
        }
    }

    var path: String
    var issues: [Issue]

    var description: String {
        let count = issues.count == 1 ? "1 problem" : "\(issues.count) problems"
        return "\(path): \(count)\n" + issues.map { "  " + $0.located(in: path) }.joined(separator: "\n")
    }
}

import FoundationEssentials
import Rules

/// The state directory (`$STATE_DIRECTORY`, default `/var/lib/ztguardd`): one report per run in
/// `runs/RUN_ID.json` and the grace marks in `grace.json`, each written atomically so a crash at
/// any instant leaves the last good version readable.
struct StateStore: Sendable {
    static let defaultDirectory = "/var/lib/ztguardd"

    var directory: String

    private var runsDirectory: String { directory + "/runs" }
    private var gracePath: String { directory + "/grace.json" }

    /// Writes `report` as `runs/RUN_ID.json`, the bytes of `plan --format json`.
    func save(_ report: RunReport) throws {
        try FileContents.makeDirectory(runsDirectory)
        // Streamed, one action at a time: the report of a large run is the biggest thing the daemon writes.
        try FileContents.writeAtomically(to: "\(runsDirectory)/\(report.runID).json") { file in
            try report.writeJSON { try file.write($0) }
            try file.write(CollectionOfOne(0x0A))
        }
    }

    /// The report of run `runID`, or nil if there is none.
    func report(runID: String) throws -> RunReport? {
        guard runID.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else { return nil }
        guard let bytes = FileContents.read("\(runsDirectory)/\(runID).json") else { return nil }
        return try JSONDecoder().decode(RunReport.self, from: Data(bytes))
    }

    /// Every readable report, oldest first. Leftover temporary files are ignored.
    func reports() -> [RunReport] {
        FileContents.names(inDirectory: runsDirectory)
            .filter { $0.hasSuffix(".json") }
            .compactMap { name in
                FileContents.read("\(runsDirectory)/\(name)").flatMap { try? JSONDecoder().decode(RunReport.self, from: Data($0)) }
            }
            .sorted { ($0.startedAt, $0.runID) < ($1.startedAt, $1.runID) }
    }

    /// The grace marks kept by the last run; empty when there are none yet.
    func graceMarks() throws -> GraceMarks {
        guard let bytes = FileContents.read(gracePath) else { return GraceMarks() }
        let entries = try JSONDecoder().decode([GraceEntry].self, from: Data(bytes))
        var marks = GraceMarks()
        for entry in entries {
            guard let date = RFC3339.date(from: entry.firstSelected) else { continue }
            marks.firstSelected[.init(rule: entry.rule, registrationID: entry.registrationID)] = date
        }
        return marks
    }

    /// Replaces the grace marks.
    func save(_ marks: GraceMarks) throws {
        try FileContents.makeDirectory(directory)
        let entries = marks.firstSelected
            .map { GraceEntry(rule: $0.key.rule, registrationID: $0.key.registrationID, firstSelected: RFC3339.string(from: $0.value)) }
            .sorted { ($0.rule, $0.registrationID) < ($1.rule, $1.registrationID) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted]
        try FileContents.writeAtomically(Array(try encoder.encode(entries)) + [0x0A], to: gracePath)
    }

    private struct GraceEntry: Codable {
        var rule: String
        var registrationID: String
        var firstSelected: String

        enum CodingKeys: String, CodingKey {
            case rule
            case registrationID = "registration_id"
            case firstSelected = "first_selected"
        }
    }
}

import FoundationEssentials
import Glibc
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

    /// Starts saving `report` while its run still journals its actions: the report up to the end of
    /// its actions is written to a temporary file and synced on a thread of its own, and
    /// ``ReportSave/finish(_:)`` writes the rest once the run has finished. The file ends as the one
    /// ``save(_:)`` writes, put in place the same way.
    ///
    /// A run's actions and `aborted` must be final when it starts; only its closing fields
    /// (`finished_at`, `duration_ms`, …) may still change.
    func startSaving(_ report: RunReport) -> ReportSave {
        let (runs, path) = (runsDirectory, "\(runsDirectory)/\(report.runID).json")
        let writing = ThreadOutcome { () -> Result<AtomicFile, any Error> in
            Result {
                try FileContents.makeDirectory(runs)
                var file = try AtomicFile(replacing: path)
                do {
                    try report.writeJSONThroughActions { try file.writer.write($0) }
                    try file.sync()
                } catch {
                    file.discard()
                    throw error
                }
                return file
            }
        }
        return ReportSave(store: self, started: report, writing: writing)
    }

    /// A report being saved; see ``StateStore/startSaving(_:)``.
    struct ReportSave: Sendable {
        fileprivate let store: StateStore
        fileprivate let started: RunReport
        fileprivate let writing: ThreadOutcome<Result<AtomicFile, any Error>>

        /// Writes the rest of `report`, the started one with its closing fields set, and puts the file
        /// in place. A report whose actions or `aborted` changed after all is saved whole instead.
        ///
        /// - Throws: What writing the file threw, here or on the thread.
        func finish(_ report: RunReport) async throws {
            var file = try await writing.value.get()
            guard report.aborted == started.aborted, report.actions.count == started.actions.count else {
                file.discard()
                return try store.save(report)
            }
            do {
                try report.writeJSONAfterActions { try file.writer.write($0) }
                try file.writer.write(CollectionOfOne(0x0A))
            } catch {
                file.discard()
                throw error
            }
            try file.commit()
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
        guard let bytes = FileContents.read(gracePath) else {
            // No file yet: no marks. A file that cannot be read must not pass for one without marks:
            // every grace would start over.
            guard errno == ENOENT else { throw FileError(operation: "read", path: gracePath) }
            return GraceMarks()
        }
        let entries: [GraceEntry]
        do {
            entries = try JSONDecoder().decode([GraceEntry].self, from: Data(bytes))
        } catch {
            throw UnreadableGraceMarks(path: gracePath)
        }
        var marks = GraceMarks()
        for entry in entries {
            guard let date = RFC3339.date(from: entry.firstSelected) else { continue }
            marks.firstSelected[.init(rule: entry.rule, registrationID: entry.registrationID)] = date
        }
        return marks
    }

    /// Replaces the grace marks, unless the file already holds them.
    ///
    /// Most runs change no mark, and a write costs two fsyncs: marks the file already holds are not
    /// written again, and no marks are not written where there is no file (a missing file reads as
    /// no marks).
    func save(_ marks: GraceMarks) throws {
        let entries = marks.firstSelected
            .map { GraceEntry(rule: $0.key.rule, registrationID: $0.key.registrationID, firstSelected: RFC3339.string(from: $0.value)) }
            .sorted { ($0.rule, $0.registrationID) < ($1.rule, $1.registrationID) }
        let encoder = JSONEncoder()
        // Sorted keys: the same marks must give the same bytes, and the encoder's own order changes
        // from one encoding to the next.
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let bytes = Array(try encoder.encode(entries)) + [0x0A]
        if let current = FileContents.read(gracePath) {
            if current == bytes { return }
        } else if errno == ENOENT, entries.isEmpty {
            return
        }
        try FileContents.makeDirectory(directory)
        try FileContents.writeAtomically(bytes, to: gracePath)
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

/// A grace-marks file that is not what ztguardd writes (cut short by hand, edited, corrupted): a run
/// or an undo that read it as no marks would start every grace over, so it fails instead.
struct UnreadableGraceMarks: Error, CustomStringConvertible {
    var path: String

    var description: String {
        "the grace marks in \(path) cannot be read (not the JSON ztguardd writes); restore the file, "
            + "or move it away to start every grace period over"
    }
}

import ArgumentParser
import FoundationEssentials
import Rules

/// `ztguardd history [RUN_ID]`: the recorded runs, or the actions of one run.
struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List recorded runs, or the actions of one run.")

    @OptionGroup var options: ConfigOption

    @Argument(help: "A run id from the list; omit it to list the runs.")
    var runID: String?

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func validate() throws {
        guard format != .csv else { throw ValidationError("history prints --format table or json") }
    }

    func run() async throws {
        try await CommandContext.reportingErrors {
            let environment = ProcessInfo.processInfo.environment
            let state = StateStore(directory: environment["STATE_DIRECTORY"].flatMap { $0.split(separator: ":").first.map(String.init) }
                ?? StateStore.defaultDirectory)
            if let runID {
                guard let report = try state.report(runID: runID) else {
                    CommandContext.printError("no run \(runID) in \(state.directory)/runs; `ztguardd history` lists the runs")
                    return 1
                }
                switch format {
                case .json: StandardOutput.write(PlanPrinter.json(report))
                default: StandardOutput.write(Self.actionTable(report))
                }
                return 0
            }
            let reports = state.reports()
            switch format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
                StandardOutput.write(Array(try encoder.encode(reports.map(RunSummary.init))) + [0x0A])
            default:
                guard !reports.isEmpty else {
                    StandardOutput.write(Self.noRunsYet(in: state.directory))
                    return 0
                }
                StandardOutput.write(TextTable.row(["RUN", "STARTED", "MODE", "LISTED", "SELECTED", "DONE", "FAILED", "RESULT"],
                    widths: Self.widths) + "\n")
                for report in reports {
                    let result = report.failure != nil ? "failed" : report.aborted != nil ? "aborted" : "ok"
                    StandardOutput.write(TextTable.row([
                        String(report.runID.prefix(8)), String(RFC3339.string(from: report.startedAt).prefix(16)),
                        report.dryRun ? "dry" : "act", "\(report.listed)", "\(report.selected)", "\(report.doneCount)",
                        "\(report.failedCount)", result,
                    ], widths: Self.widths) + "\n")
                }
            }
            return 0
        }
    }

    static let widths = [8, 16, 4, 7, 8, 6, 6, 7]

    /// What `history` says before any run: where runs are kept, and what records one.
    static func noRunsYet(in directory: String) -> String {
        "No run is recorded yet in \(directory)/runs. Each run of the daemon (ztguardd run, or the ztguardd "
            + "service) and each ztguardd run --once records one there; ztguardd plan records none.\n"
    }

    static func actionTable(_ report: RunReport) -> String {
        var text = "run \(report.runID), started \(RFC3339.string(from: report.startedAt))\(report.dryRun ? ", dry run" : "")\n"
        text += TextTable.row(["OUTCOME", "ACTION", "DEVICE", "USER", "RULE"], widths: [7, 8, 22, 24, 14]) + "\n"
        for action in report.actions {
            text += TextTable.row([action.outcome.rawValue, action.action.rawValue, action.deviceName, action.userEmail ?? "-", action.rule],
                widths: [7, 8, 22, 24, 14]) + "\n"
        }
        // Read from a file that quotes the API: shown, not obeyed.
        if let aborted = report.aborted { text += TerminalText.visible("aborted by \(aborted.limit): \(aborted.detail)") + "\n" }
        if let failure = report.failure { text += TerminalText.visible("failed: \(failure)") + "\n" }
        return text
    }
}

/// One line of `history --format json` (ztguardd(8)).
struct RunSummary: Encodable {
    var runID: String
    var startedAt: String
    var dryRun: Bool
    var listed: Int
    var selected: Int
    var done: Int
    var failed: Int
    var aborted: RunReport.Abort?

    enum CodingKeys: String, CodingKey {
        case runID = "run_id"
        case startedAt = "started_at"
        case dryRun = "dry_run"
        case listed, selected, done, failed, aborted
    }

    init(_ report: RunReport) {
        runID = report.runID
        startedAt = RFC3339.string(from: report.startedAt)
        dryRun = report.dryRun
        listed = report.listed
        selected = report.selected
        done = report.doneCount
        failed = report.failedCount
        aborted = report.aborted
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(runID, forKey: .runID)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(dryRun, forKey: .dryRun)
        try container.encode(listed, forKey: .listed)
        try container.encode(selected, forKey: .selected)
        try container.encode(done, forKey: .done)
        try container.encode(failed, forKey: .failed)
        try container.encode(aborted, forKey: .aborted)
    }
}

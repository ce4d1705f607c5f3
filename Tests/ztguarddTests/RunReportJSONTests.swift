import Foundation
import Rules
import Testing

@testable import ztguardd

/// A report with `count` actions whose fields vary: missing optionals, an error, characters JSON escapes.
private func makeReport(actions count: Int, aborted: RunReport.Abort? = nil, finished: Bool = true) -> RunReport {
    let started = Date(timeIntervalSince1970: 1_795_435_200)
    let names = [
        "laptop", "Zoë's \"MacBook\"", "build/agent\\01", "line\nbreak\ttab", "🛡️ kiosk", "\u{01}\u{1F}\u{7F}", "Sofia’s iPhone",
        "del\u{7F}", "para\u{2028}sep\u{2029}", "back\u{08}feed\u{0C}", "a/b",
    ]
    let actions = (0..<count).map { index in
        let registration = Registration(
            id: "reg-\(index)", deviceID: "dev-\(index)", deviceName: names[index % names.count],
            clientVersion: index % 3 == 0 ? nil : "2025.\(index % 12).\(index)",
            lastSeenAt: index % 5 == 0 ? nil : started - Double(index) * 3_600,
            userEmail: index % 4 == 0 ? nil : "user\(index)@example.com")
        let planned = PlannedAction(
            rule: index % 2 == 0 ? "unseen-90-days" : "old/client", action: index % 7 == 0 ? .delete : .revoke,
            registration: registration, reason: "last seen \(90 + index % 40) days ago (limit 90 days)")
        var action = RunReport.Action(planned, outcome: index % 11 == 0 ? .failed : .done)
        if action.outcome == .failed { action.error = "HTTP 500: \"internal\" error" }
        return action
    }
    var report = RunReport(
        runID: "4e1c0a52-0c3b-4f7e-9d51-\(String(count, radix: 16))", startedAt: started, dryRun: false, listed: count * 12,
        actions: actions, aborted: aborted)
    if finished {
        report.finishedAt = started + 42
        report.apiRequests = count / 50 + 3
        report.durationMS = 42_000
    }
    return report
}

private func makeStateDirectory() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("ztg-report-\(UUID().uuidString)").path
}

@Suite struct RunReportJSONTests {
    @Test("the report reads back equal, whatever its strings hold", arguments: [
        (actions: 0, aborted: false, finished: false), (actions: 0, aborted: true, finished: true),
        (actions: 1, aborted: false, finished: true), (actions: 3, aborted: true, finished: false),
        (actions: 2_000, aborted: false, finished: true),
    ])
    func readsBack(actions: Int, aborted: Bool, finished: Bool) throws {
        let report = makeReport(
            actions: actions, aborted: aborted ? RunReport.Abort(limit: "max_actions_per_run", detail: "3 > \"2\"") : nil,
            finished: finished)
        let streamed = report.jsonBytes()
        // Any JSON reader gets every string back exactly: names with quotes, controls, DEL, U+2028, emoji.
        #expect(try JSONDecoder().decode(RunReport.self, from: Data(streamed)) == report)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(streamed)) as? [String: Any])
        let names = (object["actions"] as? [[String: Any]] ?? []).compactMap { $0["device_name"] as? String }
        #expect(names == report.actions.map(\.deviceName))
    }

    @Test("a report with many actions is saved and read back equal, and the file is jsonBytes() and a newline")
    func roundTrip() throws {
        let report = makeReport(actions: 8_135, aborted: nil)
        let state = StateStore(directory: makeStateDirectory())
        defer { try? FileManager.default.removeItem(atPath: state.directory) }

        try state.save(report)

        #expect(try state.report(runID: report.runID) == report)
        #expect(state.reports() == [report])
        let saved = try #require(FileContents.read(state.directory + "/runs/\(report.runID).json"))
        #expect(saved == report.jsonBytes() + [0x0A])
        #expect(FileContents.names(inDirectory: state.directory + "/runs") == ["\(report.runID).json"])
    }

    @Test("a report started while its run journals, then finished, is the file save() writes", arguments: [0, 1, 2_000])
    func startedThenFinished(actions: Int) async throws {
        let state = StateStore(directory: makeStateDirectory())
        defer { try? FileManager.default.removeItem(atPath: state.directory) }
        var report = makeReport(actions: actions, finished: false)
        let saving = state.startSaving(report)
        // Only the closing fields change after the start.
        report.finishedAt = report.startedAt + 7
        report.durationMS = 7_000
        report.apiRequests = 12
        try await saving.finish(report)

        let saved = try #require(FileContents.read(state.directory + "/runs/\(report.runID).json"))
        #expect(saved == report.jsonBytes() + [0x0A])
        #expect(try state.report(runID: report.runID) == report)
        #expect(FileContents.names(inDirectory: state.directory + "/runs") == ["\(report.runID).json"])
    }

    @Test("a report whose actions or abort changed after it was started is saved whole, as it ended")
    func changedAfterStart() async throws {
        let state = StateStore(directory: makeStateDirectory())
        defer { try? FileManager.default.removeItem(atPath: state.directory) }
        let started = makeReport(actions: 3, finished: false)
        let saving = state.startSaving(started)
        var ended = makeReport(actions: 4)
        ended.runID = started.runID
        try await saving.finish(ended)
        #expect(FileContents.read(state.directory + "/runs/\(started.runID).json") == ended.jsonBytes() + [0x0A])
        #expect(FileContents.names(inDirectory: state.directory + "/runs") == ["\(started.runID).json"])
    }

    @Test("a report that cannot be written fails when it is finished, and leaves no file")
    func unwritable() async throws {
        let blocker = makeStateDirectory()
        defer { try? FileManager.default.removeItem(atPath: blocker) }
        try FileContents.writeAtomically(Array("a file, not a directory\n".utf8), to: blocker)
        let state = StateStore(directory: blocker + "/state")
        let report = makeReport(actions: 5)
        await #expect(throws: FileError.self) { try await state.startSaving(report).finish(report) }
        #expect(FileContents.read(blocker + "/state/runs/\(report.runID).json") == nil)
    }

    @Test("grace marks the file already holds are not written again; no marks and no file write none")
    func graceMarksWrittenOnChange() throws {
        let state = StateStore(directory: makeStateDirectory())
        defer { try? FileManager.default.removeItem(atPath: state.directory) }
        let path = state.directory + "/grace.json"
        /// Whether the file opened as `descriptor` is still the one at `path`: a write puts a new file
        /// in its place, and the old one is left with no link.
        func stillInPlace(_ descriptor: Int32) -> Bool {
            var status = stat()
            return fstat(descriptor, &status) == 0 && status.st_nlink == 1
        }
        try state.save(GraceMarks())
        #expect(FileContents.read(path) == nil)

        var marks = GraceMarks()
        for index in 0..<20 {
            marks.firstSelected[.init(rule: "unseen", registrationID: "reg-\(index)")] = Date(timeIntervalSince1970: 1_795_435_200)
        }
        try state.save(marks)
        let first = open(path, O_RDONLY)
        defer { close(first) }
        try #require(first >= 0)
        try state.save(marks)
        #expect(stillInPlace(first))
        #expect(try state.graceMarks() == marks)

        marks.firstSelected[.init(rule: "unseen", registrationID: "reg-x")] = Date(timeIntervalSince1970: 1_795_438_800)
        try state.save(marks)
        #expect(!stillInPlace(first))
        #expect(try state.graceMarks() == marks)

        // Marks that are gone are written as gone: the file stays, empty.
        let second = open(path, O_RDONLY)
        defer { close(second) }
        try state.save(GraceMarks())
        #expect(!stillInPlace(second))
        #expect(try state.graceMarks() == GraceMarks())
    }

    @Test("grace marks that cannot be read fail, rather than read as none; a missing file is none")
    func unreadableGraceMarks() throws {
        let state = StateStore(directory: makeStateDirectory())
        defer { try? FileManager.default.removeItem(atPath: state.directory) }
        #expect(try state.graceMarks() == GraceMarks())
        // A directory where the file should be: open succeeds, read fails (EISDIR), even for root.
        try FileManager.default.createDirectory(atPath: state.directory + "/grace.json", withIntermediateDirectories: true)
        #expect(throws: FileError.self) { try state.graceMarks() }
    }
}

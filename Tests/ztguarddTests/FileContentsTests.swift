import Foundation
import Testing

@testable import ztguardd

private func uniqueTemporaryPath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("ztg-files-\(UUID().uuidString)").path
}

@Suite struct FileContentsTests {
    struct Interrupted: Error {}

    @Test("writes larger than the buffer, and many small ones across it, arrive whole and in order")
    func bufferedWrites() throws {
        let directory = uniqueTemporaryPath()
        try FileContents.makeDirectory(directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/file"
        let large = (0..<(BufferedFileWriter.capacity * 3 + 17)).map { UInt8(truncatingIfNeeded: $0) }
        let small = (0..<10_000).map { Array("line \($0)\n".utf8) }

        try FileContents.writeAtomically(to: path) { file in
            for piece in small.prefix(5_000) { try file.write(piece) }
            try file.write(large)
            for piece in small.dropFirst(5_000) { try file.write(piece) }
        }

        #expect(FileContents.read(path) == small.prefix(5_000).flatMap { $0 } + large + small.dropFirst(5_000).flatMap { $0 })
    }

    @Test("when the contents fail midway, the old file stays and no temporary file is left")
    func failedWriteKeepsOldFile() throws {
        let directory = uniqueTemporaryPath()
        try FileContents.makeDirectory(directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/report.json"
        try FileContents.writeAtomically(Array("old\n".utf8), to: path)

        #expect(throws: Interrupted.self) {
            try FileContents.writeAtomically(to: path) { file in
                try file.write([UInt8](repeating: 0x41, count: BufferedFileWriter.capacity * 2))
                throw Interrupted()
            }
        }

        #expect(FileContents.read(path) == Array("old\n".utf8))
        #expect(FileContents.names(inDirectory: directory) == ["report.json"])
    }

    @Test("the temporary file is never one someone planted: a link at the old predictable name is left alone")
    func plantedLinkIsNotFollowed() throws {
        let directory = uniqueTemporaryPath()
        try FileContents.makeDirectory(directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let victim = directory + "/victim"
        try FileContents.writeAtomically(Array("precious\n".utf8), to: victim)
        let path = directory + "/grace.json"
        // The name the former code wrote through, pointing at another file.
        try FileManager.default.createSymbolicLink(atPath: "\(path).tmp.\(getpid())", withDestinationPath: victim)

        try FileContents.writeAtomically(Array("[]\n".utf8), to: path)

        #expect(FileContents.read(victim) == Array("precious\n".utf8))
        #expect(FileContents.read(path) == Array("[]\n".utf8))
    }

    @Test("as root, a file written in a folder of another user is given to that user", .enabled(if: geteuid() == 0))
    func rootWritesAsTheFolderOwner() throws {
        let directory = uniqueTemporaryPath()
        try FileContents.makeDirectory(directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try #require(chown(directory, 65534, 65534) == 0)
        let path = directory + "/grace.json"
        try FileContents.writeAtomically(Array("[]\n".utf8), to: path)
        var info = stat()
        try #require(stat(path, &info) == 0)
        #expect(info.st_uid == 65534 && info.st_gid == 65534)
    }
}

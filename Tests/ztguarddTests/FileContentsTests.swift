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
}

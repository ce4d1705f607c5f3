import FakeCloudflareServer
import Foundation
import Simulation
import Synchronization

/// The `--log` file: one JSON line per request, appended as requests finish on any event loop.
final class RequestLogFile: Sendable {
    private let handle: Mutex<FileHandle>

    init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        handle.seekToEndOfFile()
        self.handle = Mutex(handle)
    }

    func append(_ request: ServedRequest) {
        let line = Data((Self.line(for: request) + "\n").utf8)
        handle.withLock { $0.write(line) }
    }

    /// `{"n":1,"method":"POST","path":"…","query":{"id":["a","b"]},"status":200,"fault":"lost-answer"}`.
    static func line(for request: ServedRequest) -> String {
        var names: [String] = []
        var values: [String: [String]] = [:]
        for item in request.query {
            if values[item.name] == nil { names.append(item.name) }
            values[item.name, default: []].append(item.value)
        }
        let query = names.map { name in
            quoted(name) + ":[" + (values[name] ?? []).map(quoted).joined(separator: ",") + "]"
        }.joined(separator: ",")
        var line =
            "{\"n\":\(request.requestNumber),\"method\":\(quoted(request.method)),\"path\":\(quoted(request.path))"
        line += ",\"query\":{\(query)},\"status\":\(request.status.map(String.init) ?? "null")"
        if let fault = request.fault { line += ",\"fault\":\(quoted(fault.description))" }
        return line + "}"
    }

    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

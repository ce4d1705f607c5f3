import Glibc

/// Whole-file reads and crash-safe whole-file writes, with POSIX calls only.
enum FileContents {
    /// The bytes of the file at `path`, or nil (with `errno` set) if it cannot be read.
    static func read(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// Replaces the file at `path` with `bytes` so that a crash at any instant leaves either the old
    /// or the new contents, never a mix: write a temporary file, fsync it, rename it over the old
    /// one, then fsync the directory so the rename itself is durable.
    ///
    /// - Throws: ``FileError`` naming the step and the path.
    static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o640) throws(FileError) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let temporary = "\(path).tmp.\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw FileError(operation: "create", path: temporary) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                let error = FileError(operation: "write", path: temporary)
                close(descriptor)
                unlink(temporary)
                throw error
            }
            written += count
        }
        guard fsync(descriptor) == 0 else {
            let error = FileError(operation: "fsync", path: temporary)
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let error = FileError(operation: "rename", path: path)
            unlink(temporary)
            throw error
        }
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Creates `path` and its parents as needed (mode 0750).
    static func makeDirectory(_ path: String) throws(FileError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o750) != 0, errno != EEXIST {
                throw FileError(operation: "create directory", path: prefix)
            }
        }
    }

    /// The names in directory `path`, without "." and "..".
    static func names(inDirectory path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }
}

/// A file operation that failed, with the system's reason.
struct FileError: Error, CustomStringConvertible {
    var operation: String
    var path: String
    var reason: String

    init(operation: String, path: String) {
        self.operation = operation
        self.path = path
        self.reason = String(cString: strerror(errno))
    }

    var description: String { "cannot \(operation) \(path): \(reason)" }
}

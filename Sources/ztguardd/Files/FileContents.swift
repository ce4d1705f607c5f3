import Glibc

/// Whole-file reads and crash-safe whole-file writes, with POSIX calls only.
enum FileContents {
    /// The bytes of the file at `path`, or nil (with `errno` set) if it cannot be read.
    static func read(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        return read(descriptor: descriptor, atMost: .max)
    }

    /// What is left to read on `descriptor`, up to `limit + 1` bytes (so a caller can tell a file of
    /// exactly `limit` bytes from a longer one), or nil (with `errno` set) if reading fails.
    static func read(descriptor: Int32, atMost limit: Int) -> [UInt8]? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count <= limit {
            let left = limit - bytes.count
            let wanted = left < chunk.count ? left + 1 : chunk.count
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, wanted) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    /// Replaces the file at `path` with `bytes` so that a crash at any instant leaves either the old
    /// or the new contents, never a mix; see ``writeAtomically(to:mode:contents:)``.
    ///
    /// - Throws: ``FileError`` naming the step and the path.
    static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o640) throws {
        try writeAtomically(to: path, mode: mode) { file in try file.write(bytes) }
    }

    /// Replaces the file at `path` with what `contents` writes, so that a crash at any instant leaves
    /// either the old or the new contents, never a mix (``AtomicFile``).
    ///
    /// `contents` writes through a bounded buffer, so a large file never has to sit whole in memory.
    /// If it throws, the temporary file is removed and the old file is left as it was.
    ///
    /// - Throws: ``FileError`` naming the step and the path, or what `contents` threw.
    static func writeAtomically(
        to path: String, mode: mode_t = 0o640, contents: (inout BufferedFileWriter) throws -> Void
    ) throws {
        var file = try AtomicFile(replacing: path, mode: mode)
        do {
            try contents(&file.writer)
        } catch {
            file.discard()
            throw error
        }
        try file.commit()
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

/// A file being replaced so that a crash at any instant leaves either the old or the new contents,
/// never a mix: written to a temporary file next to it, which ``commit()`` fsyncs and renames over
/// the old one, then fsyncs the directory so the rename itself is durable.
///
/// A value that owns its descriptor: it can be written on one thread and committed on another, but
/// by one owner at a time, and ends with exactly one ``commit()`` or ``discard()``.
struct AtomicFile: Sendable {
    let path: String
    /// Writes to the temporary file.
    var writer: BufferedFileWriter

    /// Creates the temporary file for `path`.
    ///
    /// - Throws: ``FileError`` if it cannot be created.
    init(replacing path: String, mode: mode_t = 0o640) throws(FileError) {
        // A new file with a name no one can guess: created exclusively, never through a link someone
        // planted. `StateStore.reports()` reads only `*.json`, so one left by a crash is never taken for
        // a report.
        var temporary = ""
        var descriptor: Int32 = -1
        for _ in 0..<8 {
            temporary = path + ".tmp." + String(UInt64.random(in: 1...UInt64.max), radix: 16)
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if descriptor >= 0 || errno != EEXIST { break }
        }
        guard descriptor >= 0 else { throw FileError(operation: "create", path: temporary) }
        Self.giveToDirectoryOwner(descriptor, directory: Self.directory(of: path))
        self.path = path
        writer = BufferedFileWriter(descriptor: descriptor, path: temporary)
    }

    /// The folder of `path`.
    static func directory(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
    }

    /// As root, hands a new file to the owner of its folder: the service's dynamic user owns its state
    /// directory, and a report or grace-marks file left by `sudo ztguardd run --once` there must stay
    /// readable and replaceable by the service (unreadable grace marks fail every run).
    private static func giveToDirectoryOwner(_ descriptor: Int32, directory: String) {
        guard geteuid() == 0 else { return }
        var info = stat()
        guard stat(directory, &info) == 0, info.st_uid != 0 else { return }
        _ = fchown(descriptor, info.st_uid, info.st_gid)
    }

    /// Writes what is buffered, fsyncs, and puts the file in place of the old one. On failure the
    /// temporary file is removed and the old file is left as it was.
    ///
    /// - Throws: ``FileError`` naming the step and the path.
    consuming func commit() throws(FileError) {
        let temporary = writer.path
        do throws(FileError) {
            try writer.flush()
            guard fsync(writer.descriptor) == 0 else { throw FileError(operation: "fsync", path: temporary) }
        } catch {
            discard()
            throw error
        }
        close(writer.descriptor)
        guard rename(temporary, path) == 0 else {
            let error = FileError(operation: "rename", path: path)
            unlink(temporary)
            throw error
        }
        let directoryDescriptor = open(Self.directory(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Writes what is buffered and fsyncs what was written so far, so that ``commit()`` has little left
    /// to wait for: a report's actions are synced on the thread that wrote them.
    ///
    /// - Throws: ``FileError`` naming the step and the path.
    mutating func sync() throws(FileError) {
        try writer.flush()
        guard fsync(writer.descriptor) == 0 else { throw FileError(operation: "fsync", path: writer.path) }
    }

    /// Removes the temporary file; the old file is left as it was.
    consuming func discard() {
        close(writer.descriptor)
        unlink(writer.path)
    }
}

/// Writes to an open file through a buffer of at most `capacity` bytes, retrying short writes.
/// Only ``AtomicFile`` makes one; it owns the descriptor.
struct BufferedFileWriter {
    static let capacity = 64 * 1024

    fileprivate let descriptor: Int32
    fileprivate let path: String
    private var buffer: [UInt8] = []

    fileprivate init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
        buffer.reserveCapacity(Self.capacity)
    }

    /// Appends `bytes` to the file.
    ///
    /// - Throws: ``FileError`` if the system refused a write.
    mutating func write(_ bytes: some Collection<UInt8>) throws(FileError) {
        if buffer.count + bytes.count > Self.capacity { try flush() }
        if bytes.count > Self.capacity {
            // Too big to buffer: write it as it is rather than copy it through in pieces.
            try Self.writeAll(Array(bytes), to: descriptor, path: path)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Writes out whatever the buffer holds.
    fileprivate mutating func flush() throws(FileError) {
        guard !buffer.isEmpty else { return }
        try Self.writeAll(buffer, to: descriptor, path: path)
        buffer.removeAll(keepingCapacity: true)
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws(FileError) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError(operation: "write", path: path)
            }
            written += count
        }
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

import CSystemd
import Glibc

/// Sends one journal entry, given as `FIELD=value` pairs, to journald.
///
/// Production uses `sd_journal_sendv(3)` (native protocol, binary-safe). Tests inject a socket
/// path and read back the native protocol, since libsystemd always writes to
/// `/run/systemd/journal/socket`.
struct JournalWriter: Sendable {
    enum Destination: Sendable, Equatable {
        /// libsystemd's `sd_journal_sendv`.
        case systemJournal
        /// The native protocol sent by us to this datagram socket (tests).
        case socket(path: String)
    }

    static let systemSocketPath = "/run/systemd/journal/socket"

    var destination: Destination

    /// Whether journald listens on this machine (otherwise records go to stderr as JSON lines).
    static var systemJournalAvailable: Bool { access(systemSocketPath, W_OK) == 0 }

    /// Whether the audit records of `run` and `undo` go to the journal: where journald listens, unless
    /// `ZTGUARDD_AUDIT=stderr` asks for JSON lines on standard error (a container's log collector, or a
    /// test that reads them).
    static var auditGoesToJournal: Bool {
        guard let choice = getenv("ZTGUARDD_AUDIT"), String(cString: choice) == "stderr" else {
            return systemJournalAvailable
        }
        return false
    }

    /// Sends `fields` as one entry.
    func send(_ fields: [(name: String, value: String)]) {
        switch destination {
        case .systemJournal:
            // Every `NAME=value` in one buffer, an iovec into it per field (lengths given, so a value may
            // hold any byte): three arrays an entry rather than a string and a C copy per field, for the
            // thousands of records a run journals. sd_journal_sendv has sent the entry when it returns.
            var ranges: [Range<Int>] = []
            ranges.reserveCapacity(fields.count)
            var buffer = [UInt8](capacity: fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 1 }) { buffer in
                for (name, value) in fields {
                    let start = buffer.count
                    buffer.append(name)
                    buffer.append(UInt8(ascii: "="))
                    buffer.append(value)
                    ranges.append(start..<buffer.count)
                }
            }
            let sent = buffer.withUnsafeMutableBytes { bytes -> Bool in
                guard let base = bytes.baseAddress else { return true }
                var vectors = ranges.map { iovec(iov_base: base + $0.lowerBound, iov_len: $0.count) }
                return sd_journal_sendv(&vectors, Int32(vectors.count)) >= 0
            }
            // sd_journal_sendv fails only for malformed input or an unreachable socket; there is
            // nowhere better to report either than the stderr we would have used anyway.
            if !sent {
                let line = fields.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
                StandardStream.write((TerminalText.visible(line) + "\n").utf8, to: 2)
            }
        case .socket(let path):
            Self.sendNative(fields, to: path)
        }
    }

    /// Encodes `fields` in journald's native protocol: `KEY=value\n`, or for values with a newline
    /// `KEY\n` + 64-bit little-endian length + bytes + `\n` (systemd.journal-fields(7)).
    static func nativeEncoding(_ fields: [(name: String, value: String)]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (name, value) in fields {
            bytes.append(contentsOf: name.utf8)
            if value.utf8.contains(0x0A) {
                bytes.append(0x0A)
                var length = UInt64(value.utf8.count).littleEndian
                withUnsafeBytes(of: &length) { bytes.append(contentsOf: $0) }
                bytes.append(contentsOf: value.utf8)
            } else {
                bytes.append(UInt8(ascii: "="))
                bytes.append(contentsOf: value.utf8)
            }
            bytes.append(0x0A)
        }
        return bytes
    }

    private static func sendNative(_ fields: [(name: String, value: String)], to path: String) {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let bytes = nativeEncoding(fields)
        withUnixAddress(path) { address, length in
            _ = bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, 0, address, length) }
        }
    }
}

/// Calls `body` with a `sockaddr_un` for `path` (a leading "@" names an abstract socket).
func withUnixAddress<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    var pathBytes = Array(path.utf8)
    if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
    let capacity = MemoryLayout.size(ofValue: address.sun_path)
    let count = min(pathBytes.count, capacity - 1)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for index in 0..<count { raw[index] = pathBytes[index] }
    }
    let length = socklen_t(MemoryLayout<sa_family_t>.size + count + (pathBytes.first == 0 ? 0 : 1))
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
    }
}

import Foundation
import Glibc

/// A bound AF_UNIX datagram socket in a fresh temporary directory, standing in for
/// `$NOTIFY_SOCKET` or journald's socket.
final class DatagramSocket: Sendable {
    let path: String
    private let descriptor: Int32

    init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ztg-sock-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("s").path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard descriptor >= 0, bound == 0 else { throw POSIXError(.EADDRINUSE) }
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    /// The next datagram, or nil after `timeout` without one.
    func receive(timeout: Duration = .seconds(10)) -> [UInt8]? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&poller, 1, milliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        return count < 0 ? nil : Array(buffer[0..<count])
    }

    /// Reads every datagram already waiting, without blocking; how many contain `needle`.
    func drain(counting needle: String) -> Int {
        var count = 0
        while let datagram = receive(timeout: .zero) {
            if String(decoding: datagram, as: UTF8.self).contains(needle) { count += 1 }
        }
        return count
    }

    /// ``receive(until:timeout:)`` on a thread of its own: a blocking `poll` on one of the few threads
    /// of Swift's cooperative pool would stall every other test running meanwhile.
    func next(until needle: String, timeout: Duration = .seconds(20)) async -> [String]? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.receive(until: needle, timeout: timeout)) }
        }
    }

    /// Datagrams as text until one contains `needle`; all of them, in order, or nil on timeout.
    func receive(until needle: String, timeout: Duration = .seconds(20)) -> [String]? {
        var messages: [String] = []
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let datagram = receive(timeout: deadline - ContinuousClock.now) else { return nil }
            let text = String(decoding: datagram, as: UTF8.self)
            messages.append(text)
            if text.contains(needle) { return messages }
        }
        return nil
    }
}

/// Reads a socket's datagrams on a thread of its own while the code under test writes them: a
/// datagram socket's queue is short (`net.unix.max_dgram_qlen`, 10 here), and a writer blocks when
/// it is full, as it would on a journald that has stopped reading.
final class DatagramCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var datagrams: [[UInt8]] = []
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    init(_ socket: DatagramSocket) {
        Thread.detachNewThread { [self] in
            while true {
                let datagram = socket.receive(timeout: .milliseconds(50))
                let stop = lock.withLock {
                    if let datagram { datagrams.append(datagram) }
                    return stopping && datagram == nil
                }
                if stop { break }
            }
            finished.signal()
        }
    }

    /// Everything received, once the socket has been quiet for a moment after this call.
    func stop() -> [[UInt8]] {
        lock.withLock { stopping = true }
        finished.wait()
        return lock.withLock { datagrams }
    }
}

/// Decodes one journald native-protocol datagram into its fields (`KEY=value\n`, or
/// `KEY\n` + little-endian 64-bit length + bytes + `\n`).
func decodeJournalEntry(_ bytes: [UInt8]) -> [String: String] {
    var fields: [String: String] = [:]
    var index = 0
    while index < bytes.count {
        guard let end = bytes[index...].firstIndex(where: { $0 == 0x0A || $0 == UInt8(ascii: "=") }) else { break }
        let name = String(decoding: bytes[index..<end], as: UTF8.self)
        if bytes[end] == UInt8(ascii: "=") {
            let valueEnd = bytes[(end + 1)...].firstIndex(of: 0x0A) ?? bytes.count
            fields[name] = String(decoding: bytes[(end + 1)..<valueEnd], as: UTF8.self)
            index = valueEnd + 1
        } else {
            var length: UInt64 = 0
            for offset in 0..<8 { length |= UInt64(bytes[end + 1 + offset]) << (8 * UInt64(offset)) }
            let start = end + 9
            fields[name] = String(decoding: bytes[start..<(start + Int(length))], as: UTF8.self)
            index = start + Int(length) + 1
        }
    }
    return fields
}

import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Sends SIGKILL to a process the moment a file whose name `matches` accepts is created in one of
/// `directories`, after a delay of `delayMicroseconds`.
///
/// A thread blocked on inotify does it, not a polling loop: a file the daemon writes atomically lives
/// under its temporary name for a few milliseconds, less than a poll's interval on a loaded machine.
final class KillOnFileCreation: Sendable {
    private let descriptor: Int32
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let created = Mutex<String?>(nil)

    /// The name whose creation fired the kill, if one did.
    var firedBy: String? { created.withLock { $0 } }

    init(pid: pid_t, directories: [String], delayMicroseconds: UInt32, matches: @escaping @Sendable (String) -> Bool) throws {
        descriptor = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EINVAL) }
        for directory in directories {
            guard inotify_add_watch(descriptor, directory, UInt32(IN_CREATE)) >= 0 else {
                let code = errno
                close(descriptor)
                throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EINVAL)
            }
        }
        Thread { [self] in
            defer { finished.signal() }
            watch(pid: pid, delayMicroseconds: delayMicroseconds, matches: matches)
        }.start()
    }

    private func watch(pid: pid_t, delayMicroseconds: UInt32, matches: (String) -> Bool) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !stopped.load(ordering: .acquiring) {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 10) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { continue }
            // struct inotify_event: wd (4), mask (4), cookie (4), len (4), then len bytes of NUL-padded name.
            var offset = 0
            while offset + 16 <= count {
                let length = buffer.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)) }
                let name = String(decoding: buffer[(offset + 16)..<min(offset + 16 + length, count)].prefix { $0 != 0 }, as: UTF8.self)
                offset += 16 + length
                guard matches(name) else { continue }
                if delayMicroseconds > 0 { usleep(delayMicroseconds) }
                kill(pid, SIGKILL)
                created.withLock { $0 = name }
                return
            }
        }
    }

    /// Stops watching; waits for the thread to end.
    func stop() {
        stopped.store(true, ordering: .releasing)
        finished.wait()
        close(descriptor)
    }
}

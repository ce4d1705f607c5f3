import CSystemd
import Glibc

/// Tells the service manager about the daemon's state (sd_notify(3) protocol: datagrams of
/// `KEY=value` lines to `$NOTIFY_SOCKET`).
///
/// The socket path is read once by `main` and injected, so tests bind their own socket and
/// read the datagrams without touching the process environment. Without a path every call
/// does nothing, as sd_notify does when NOTIFY_SOCKET is unset.
struct SystemdNotifier: Sendable {
    var socketPath: String?
    /// The watchdog interval from `$WATCHDOG_USEC`, when systemd expects pings.
    var watchdogInterval: Duration?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    init(environment: [String: String], pid: Int32 = getpid()) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        if let usec = environment["WATCHDOG_USEC"].flatMap(Int64.init), usec > 0,
            environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == pid }) ?? true
        {
            watchdogInterval = .microseconds(usec)
        }
    }

    init(socketPath: String?, watchdogInterval: Duration? = nil) {
        self.socketPath = socketPath
        self.watchdogInterval = watchdogInterval
    }

    func notifyReady(status: String) { send("READY=1\nSTATUS=\(Self.singleLine(status))") }
    func notifyStatus(_ status: String) { send("STATUS=\(Self.singleLine(status))") }

    /// The most a `STATUS=` line holds, in bytes: what `systemctl status` shows on one line, more or less.
    static let maximumStatusSize = 400

    /// `status` as one line a person can read (``TerminalText/line(_:toUTF8Bytes:)``): a status can quote
    /// an API error message, whose newline would end `STATUS=` and start another assignment of the
    /// datagram (`WATCHDOG_USEC=1`), and whose escape sequences `systemctl status` would print.
    static func singleLine(_ status: String) -> String {
        TerminalText.line(status, toUTF8Bytes: maximumStatusSize)
    }
    func notifyWatchdog() { send("WATCHDOG=1") }
    func notifyStopping() { send("STOPPING=1") }

    /// `RELOADING=1` with the `MONOTONIC_USEC` systemd 253+ expects for `Type=notify-reload`.
    func notifyReloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let usec = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
        send("RELOADING=1\nMONOTONIC_USEC=\(usec)")
    }

    private func send(_ message: String) {
        guard let socketPath else { return }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        withUnixAddress(socketPath) { address, length in
            _ = message.withCString { sendto(descriptor, $0, strlen($0), Int32(MSG_NOSIGNAL), address, length) }
        }
    }
}

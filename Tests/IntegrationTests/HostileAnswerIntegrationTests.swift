import Cloudflare
import FakeCloudflareServer
import Foundation
import Simulation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What a hostile or careless environment cannot do to the token or the process, against the real
/// libcurl transport and the built binary.
@Suite struct HostileAnswerIntegrationTests {
    @Test("an answer that grows past 32 MiB is cut off at once, not buffered and not retried")
    func oversizedAnswerIsRefused() async throws {
        let account = makeAccount(count: 50)
        let listing: @Sendable (HTTPRequest) -> Bool = { $0.url.contains("/devices/registrations?") }
        try await withFakeAPI(account, faults: .at(Set(1...6), .oversizedBody, where: listing)) { server in
            let error = await #expect(throws: TransportError.self) {
                try await curlClient(server).registrations(RegistrationQuery())
            }
            #expect(error?.code == .answerTooLarge)
            #expect(server.injectedCount(of: .oversizedBody) == 1)
        }
    }

    @Test("a gzip answer that decodes past 32 MiB is cut off as it inflates, not buffered and not retried")
    func gzipBombIsRefused() async throws {
        let account = makeAccount(count: 50)
        let listing: @Sendable (HTTPRequest) -> Bool = { $0.url.contains("/devices/registrations?") }
        try await withFakeAPI(account, faults: .at(Set(1...6), .gzipBomb(mebibytes: 64), where: listing)) { server in
            let error = await #expect(throws: TransportError.self) {
                try await curlClient(server).registrations(RegistrationQuery())
            }
            #expect(error?.code == .answerTooLarge, "\(String(describing: error))")
            #expect(server.injectedCount(of: .gzipBomb(mebibytes: 64)) == 1)
        }
    }

    @Test("the fake's gzip bomb is a valid stream: gzip checks its CRC and inflates it to exactly that many zeros",
        arguments: [1, 2, 3, 10, 11, 257, 258, 259, 1_000_003])
    func gzipBombIsWellFormed(size: Int) throws {
        let stream = GzipBomb.bytes(decodedSize: size)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ztg-bomb-\(UUID().uuidString).gz")
        try Data(stream).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-dc", file.path]
        let out = Pipe()
        gzip.standardOutput = out
        try gzip.run()
        let decoded = out.fileHandleForReading.readDataToEndOfFile()
        gzip.waitUntilExit()
        #expect(gzip.terminationStatus == 0, "gzip refused the stream (its CRC or its deflate data)")
        #expect(decoded.count == size)
        #expect(decoded.allSatisfy { $0 == 0 })
    }

    @Test("with http_proxy set, a loopback http:// base is reached directly: the proxy never sees the token")
    func loopbackNeverGoesThroughAProxy() async throws {
        let account = makeAccount(count: 120)
        let proxyAccount = makeAccount(count: 1)
        let result = try await withFakeAPI(proxyAccount) { proxy in
            let result = try await withFakeAPI(account) { server in
                let config = try writeConfiguration(apiBase: server.baseURL, rules: "")
                let proxyURL = "http://127.0.0.1:\(proxy.port)"
                return try await runZTGuardd(
                    ["inventory", "--config", config, "--format", "csv"],
                    environment: [
                        "CLOUDFLARE_API_TOKEN": token, "http_proxy": proxyURL, "HTTP_PROXY": proxyURL,
                        "all_proxy": proxyURL, "ALL_PROXY": proxyURL,
                    ])
            }
            #expect(proxy.requestCount == 0)
            return result
        }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText.split(separator: "\n").count == 1 + account.registrations.filter { !$0.isRevoked }.count)
    }

    @Test("hostile device names reach the terminal and the spreadsheet disarmed: plan and inventory, table and CSV")
    func hostileNamesAreDisarmed() async throws {
        let erase = "laptop\u{1B}[1A\u{1B}[2K\u{202E}"
        let formula = "=HYPERLINK(\"http://evil.example\",\"click\")"
        let old = referenceNow - 200 * 86_400
        let fleet = SimulatedFleet(registrations: [
            SimulatedRegistration(
                id: "00000000-0000-4000-8000-000000000001", deviceID: "d1", deviceName: erase, createdAt: old, lastSeenAt: old,
                userEmail: "a@example.com"),
            SimulatedRegistration(
                id: "00000000-0000-4000-8000-000000000002", deviceID: "d2", deviceName: formula, createdAt: old, lastSeenAt: old,
                userEmail: "b@example.com"),
        ])
        let account = SimulatedAccount(configuration: .init(clock: { referenceNow }), fleet: fleet)
        let (plan, csv, table) = try await withFakeAPI(account) { server in
            let config = try writeConfiguration(apiBase: server.baseURL, rules: staleRule)
            let environment = [
                "CLOUDFLARE_API_TOKEN": token,
                "STATE_DIRECTORY": FileManager.default.temporaryDirectory.path + "/ztg-none-\(UUID().uuidString)",
            ]
            return (
                try await runZTGuardd(["plan", "--config", config], environment: environment),
                try await runZTGuardd(["inventory", "--config", config, "--format", "csv"], environment: environment),
                try await runZTGuardd(["inventory", "--config", config], environment: environment)
            )
        }
        for result in [plan, csv, table] {
            #expect(result.status == 0, "\(result.stderr)")
            #expect(!result.stdout.contains(0x1B), "an escape byte reached the terminal")
            #expect(!result.stdoutText.unicodeScalars.contains("\u{202E}"))
        }
        #expect(plan.stdoutText.contains("laptop␛[1A␛[2K\u{FFFD}"))
        #expect(csv.stdoutText.contains(#""'=HYPERLINK(""http://evil.example"",""click"")""#))
        #expect(!csv.stdoutText.contains("\n=HYPERLINK") && !csv.stdoutText.contains(",=HYPERLINK"))
    }
}

/// The process itself, against the built binary (`make test` runs this suite against the release binary
/// too): a hostile header ends in a clear failure, a bomb does not grow it, a crash leaves no core, and the
/// token is never sent below TLS 1.2.
@Suite struct ProcessHardeningIntegrationTests {
    @Test("a Retry-After of 1e17 or 1e15 makes the command fail with the reason, not crash or wait for ever", arguments: [
        "1e17", "1e15", "99999999999999999999",
    ])
    func hugeRetryAfter(header: String) async throws {
        let account = makeAccount(count: 50)
        let listing: @Sendable (HTTPRequest) -> Bool = { $0.url.contains("/devices/registrations?") }
        // Killed after 60 s, it would not exit 1 with the reason: no time bound of its own is needed.
        let result = try await withFakeAPI(account, faults: .at([1], .retryAfterHeader(header), where: listing)) { server in
            try await runZTGuardd(["inventory", "--config", try writeConfiguration(apiBase: server.baseURL, rules: "")],
                environment: ["CLOUDFLARE_API_TOKEN": token], timeout: 60)
        }
        #expect(result.status == 1, "a crash ends in a signal: \(result.status)")
        #expect(result.stderr.contains("asked to wait more than 3600 s"), "\(result.stderr)")
    }
}

extension ProcessHardeningIntegrationTests {
    @Test("a 845 KB gzip answer that inflates to 128 MiB: the daemon's run fails with the reason, its peak far below")
    func gzipBombAgainstTheBinary() async throws {
        let notify = try DatagramSocket()
        let listing: @Sendable (HTTPRequest) -> Bool = { $0.url.contains("/devices/registrations?") }
        try await withFakeAPI(makeAccount(count: 50), faults: .every(1, .gzipBomb(mebibytes: 128), where: listing)) {
            server in
            let config = try writeDaemonConfiguration(apiBase: server.baseURL)
            let state = temporaryStatePath()
            // The daemon, not a one-shot command: it is still alive after the failed run, so its own peak
            // (VmHWM) can be read.
            let daemon = try SpawnedProcess(
                executable: ztguarddBinary.path, arguments: ["run", "--config", config],
                environment: ["NOTIFY_SOCKET": notify.path, "CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state])
            let failed = await notify.next(until: "FAILED", timeout: .seconds(120))
            let peak = daemon.peakRSSKiB
            daemon.send(SIGTERM)
            let end = await daemon.wait()
            #expect(failed?.last?.contains("grew past 32 MiB once decoded") == true, "\(failed ?? []) \(end.stderr)")
            // The cap holds at most 32 MiB of body: the process stays below the 128 MiB the decoded answer alone
            // would take, and the bomb is not asked for again.
            let peakKiB = try #require(peak)
            #expect(peakKiB < 128 * 1024, "peak RSS \(peakKiB) KiB")
            #expect(server.injectedCount(of: .gzipBomb(mebibytes: 128)) == 1, "a bomb is not asked for twice")
        }
    }

    @Test("a crash leaves no core file: the process is not dumpable, even with core dumps allowed")
    func crashLeavesNoCore() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ztg-core-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // sh -c SCRIPT sh DIRECTORY COMMAND…: the command runs in DIRECTORY with core dumps allowed.
        let allowCores = ["-c", #"cd "$1" && shift && ulimit -c unlimited && exec "$@""#, "sh", directory]

        // The control: an ordinary process crashed the same way does leave a core here, so the absence below
        // is the daemon's doing, not the machine's.
        let control = try SpawnedProcess(
            executable: "/bin/sh", arguments: allowCores + ["/bin/sleep", "30"], environment: [:])
        // Signalled once it is `sleep`, not while the shell still sets up: a fixed 300 ms was not always
        // enough on a loaded machine, and the signal then went astray.
        let execDeadline = ContinuousClock.now + .seconds(20)
        while (try? String(contentsOfFile: "/proc/\(control.pid)/comm", encoding: .utf8)) != "sleep\n",
            ContinuousClock.now < execDeadline
        {
            try await Task.sleep(for: .milliseconds(10))
        }
        control.send(SIGSEGV)
        let controlEnd = await control.wait()
        #expect(controlEnd.signal == SIGSEGV)
        try #require(controlEnd.coreDumped, "this machine writes no core for a crashed process: the test cannot tell")
        for file in try FileManager.default.contentsOfDirectory(atPath: directory) {
            try FileManager.default.removeItem(atPath: directory + "/" + file)
        }

        try await withFakeAPI(makeAccount(count: 300)) { server in
            let config = try writeDaemonConfiguration(apiBase: server.baseURL)
            let daemon = try SpawnedProcess(
                executable: "/bin/sh", arguments: allowCores + [ztguarddBinary.path, "run", "--config", config],
                environment: [
                    "CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": directory + "/state",
                    // The Swift runtime's backtracer would catch the signal; the default action must run.
                    "SWIFT_BACKTRACE": "enable=no",
                ])
            // Once it has asked the API, the token is in its memory.
            let deadline = ContinuousClock.now + .seconds(30)
            while server.requestCount == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(server.requestCount > 0)
            daemon.send(SIGSEGV)
            let end = await daemon.wait()
            #expect(end.signal == SIGSEGV, "\(end)")
            #expect(!end.coreDumped)
        }
        let cores = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("core") }
        #expect(cores.isEmpty, "core files: \(cores)")
    }

    @Test("a server that speaks only TLS 1.1 is refused at the handshake, even where OpenSSL's own floor allows it")
    func tlsBelowOneTwoIsRefused() async throws {
        let server = try await LoopbackTLSServer(protocolFlag: "-tls1_1")
        defer { server.stop() }
        let config = try writeConfiguration(apiBase: server.apiBase, rules: "")
        let result = try await runZTGuardd(
            ["inventory", "--config", config],
            environment: ["CLOUDFLARE_API_TOKEN": token, "OPENSSL_CONF": server.permissiveConfiguration])
        #expect(result.status == 1, "\(result.stderr)")
        // Without the floor the handshake succeeds and only the self-signed certificate stops it.
        #expect(result.stderr.contains("protocol version"), "\(result.stderr)")
        #expect(!result.stderr.contains("certificate"), "\(result.stderr)")
    }

    @Test("SSLKEYLOGFILE is dropped at start: a TLS handshake writes no key log, where curl with the same variable does")
    func keyLogIsNotWritten() async throws {
        let server = try await LoopbackTLSServer(protocolFlag: "-tls1_3")
        defer { server.stop() }
        // The control: libcurl on this machine does write TLS secrets where SSLKEYLOGFILE says.
        let controlLog = server.directory + "/curl-keys"
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-skS", "--max-time", "10", "-o", "/dev/null", server.apiBase]
        curl.environment = ["SSLKEYLOGFILE": controlLog]
        try curl.run()
        curl.waitUntilExit()
        let controlSize = (try? FileManager.default.attributesOfItem(atPath: controlLog)[.size] as? Int) ?? 0
        try #require(controlSize > 0, "curl wrote no key log here: the test cannot tell")

        let keyLog = server.directory + "/ztguardd-keys"
        let config = try writeConfiguration(apiBase: server.apiBase, rules: "")
        let result = try await runZTGuardd(
            ["inventory", "--config", config], environment: ["CLOUDFLARE_API_TOKEN": token, "SSLKEYLOGFILE": keyLog])
        // The handshake completes; the self-signed certificate then stops the request.
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("certificate"), "\(result.stderr)")
        #expect(result.stderr.contains("ignoring SSLKEYLOGFILE"))
        #expect(!FileManager.default.fileExists(atPath: keyLog), "TLS secrets were written to \(keyLog)")
    }
}

/// `openssl s_server` on 127.0.0.1 with a fresh self-signed certificate, answering any request with a page of
/// its own (`-www`), under an OpenSSL configuration that allows TLS 1.0 and up on both ends.
private struct LoopbackTLSServer {
    let directory: String
    /// The OpenSSL configuration that allows TLS 1.0 and 1.1 (`OPENSSL_CONF`).
    let permissiveConfiguration: String
    let apiBase: String
    private let process: Process

    /// - Parameter protocolFlag: the one protocol the server speaks (`-tls1_1`, `-tls1_3`).
    init(protocolFlag: String) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ztg-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        permissiveConfiguration = directory + "/openssl.cnf"
        try """
            openssl_conf = default_conf
            [default_conf]
            ssl_conf = ssl_sect
            [ssl_sect]
            system_default = system_default_sect
            [system_default_sect]
            MinProtocol = TLSv1
            CipherString = DEFAULT@SECLEVEL=0
            """.write(toFile: permissiveConfiguration, atomically: true, encoding: .utf8)
        let certificate = Process()
        certificate.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        certificate.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem",
            "-days", "1", "-subj", "/CN=127.0.0.1",
        ]
        certificate.standardError = FileHandle.nullDevice
        try certificate.run()
        certificate.waitUntilExit()
        try #require(certificate.terminationStatus == 0)

        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "s_server", "-accept", "127.0.0.1:0", protocolFlag, "-cert", directory + "/cert.pem", "-key",
            directory + "/key.pem", "-www",
        ]
        process.environment = ["OPENSSL_CONF": permissiveConfiguration]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        guard let port = await Self.acceptedPort(output.fileHandleForReading) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw CancellationError()
        }
        apiBase = "https://127.0.0.1:\(port)/client/v4"
    }

    /// Kills the server with SIGKILL and reaps it: a child of the test runner inherits its blocked SIGTERM
    /// (Foundation's `Process` does not reset the signal mask), so `terminate()` would leave it running.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The port in `openssl s_server`'s "ACCEPT 127.0.0.1:PORT" line, read within 10 seconds.
    private static func acceptedPort(_ handle: FileHandle) async -> Int? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var text = ""
                let deadline = Date().addingTimeInterval(10)
                while Date() < deadline {
                    let data = handle.availableData
                    if data.isEmpty { break }
                    text += String(decoding: data, as: UTF8.self)
                    if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("ACCEPT ") }),
                        let port = line.split(separator: ":").last.flatMap({ Int($0) })
                    {
                        continuation.resume(returning: port)
                        return
                    }
                }
                continuation.resume(returning: nil)
            }
        }
    }
}

extension ProcessHardeningIntegrationTests {
    @Test("an API error message with newlines reaches systemd as one STATUS= line: it cannot set WATCHDOG_USEC")
    func errorMessageCannotInjectNotifyAssignments() async throws {
        let notify = try DatagramSocket()
        let hostile = "denied\nWATCHDOG_USEC=1\nSTATUS=all good"
        let listing: @Sendable (HTTPRequest) -> Bool = { $0.url.contains("/devices/registrations?") }
        try await withFakeAPI(makeAccount(count: 10), faults: .every(1, .rejected(message: hostile), where: listing)) { server in
            let config = try writeDaemonConfiguration(apiBase: server.baseURL)
            let state = temporaryStatePath()
            let daemon = try SpawnedProcess(
                executable: ztguarddBinary.path, arguments: ["run", "--config", config],
                environment: ["NOTIFY_SOCKET": notify.path, "CLOUDFLARE_API_TOKEN": token, "STATE_DIRECTORY": state])
            let datagrams = await notify.next(until: "FAILED")
            daemon.send(SIGTERM)
            let end = await daemon.wait()
            #expect(end.exitStatus == 0, "\(end)")
            let failed = try #require(datagrams?.last, "no STATUS=…FAILED datagram: \(end.stderr)")
            #expect(failed.contains("WATCHDOG_USEC=1"), "the message is shown, escaped: \(failed)")
            #expect(!failed.contains("\n"), "one line, one assignment: \(failed)")
            #expect(failed.hasPrefix("STATUS=Last dry run"))
        }
    }
}

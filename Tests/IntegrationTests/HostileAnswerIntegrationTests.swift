import Cloudflare
import FakeCloudflareServer
import Foundation
import Simulation
import Testing

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

    @Test("SSLKEYLOGFILE is dropped at start, and said so")
    func keyLogIsIgnored() async throws {
        let keyLog = FileManager.default.temporaryDirectory.appendingPathComponent("ztg-keys-\(UUID().uuidString)").path
        let config = try writeConfiguration(apiBase: "http://127.0.0.1:1/client/v4", rules: "")
        let result = try await runZTGuardd(
            ["check-config", "--config", config], environment: ["CLOUDFLARE_API_TOKEN": token, "SSLKEYLOGFILE": keyLog])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("ignoring SSLKEYLOGFILE"))
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
        #expect(plan.stdoutText.contains("laptop\\u{1b}[1A"))
        #expect(csv.stdoutText.contains(#""'=HYPERLINK(""http://evil.example"",""click"")""#))
        #expect(!csv.stdoutText.contains("\n=HYPERLINK") && !csv.stdoutText.contains(",=HYPERLINK"))
    }
}

/// Numbers from the network, against the built binary: a hostile header ends in a clear failure.
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

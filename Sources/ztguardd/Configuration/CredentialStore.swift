import Cloudflare
import Glibc

/// Finds the API credentials in the order of ztguardd.toml(5), CREDENTIALS; the first that exists wins:
/// `$CREDENTIALS_DIRECTORY/cloudflare-api-token` (systemd `LoadCredential=`), `token_file`,
/// `$CLOUDFLARE_API_TOKEN`; legacy: `email` with `$CREDENTIALS_DIRECTORY/cloudflare-api-key`,
/// `key_file` or `$CLOUDFLARE_API_KEY`.
struct CredentialStore {
    var environment: [String: String]

    /// Loads the credentials `settings` point at.
    ///
    /// - Throws: ``InvalidConfiguration`` (exit 78) when none is found, a file cannot be read, or a
    ///   file is readable by group or others.
    func credentials(for settings: Configuration.Cloudflare, configPath: String) throws(InvalidConfiguration) -> Credentials {
        let directory = environment["CREDENTIALS_DIRECTORY"].flatMap { $0.isEmpty ? nil : $0 }
        if let directory, let token = try secret(atPath: directory + "/cloudflare-api-token", key: "", configPath: configPath) {
            return .apiToken(token)
        }
        if let file = settings.tokenFile,
            let token = try secret(atPath: file, key: "cloudflare.token_file", configPath: configPath, mustExist: true)
        {
            return .apiToken(token)
        }
        if let token = environment["CLOUDFLARE_API_TOKEN"], !token.isEmpty {
            return .apiToken(try checked(token.trimmingWhitespace, from: "$CLOUDFLARE_API_TOKEN", key: "", configPath: configPath))
        }
        if let email = settings.email {
            if let directory, let key = try secret(atPath: directory + "/cloudflare-api-key", key: "", configPath: configPath) {
                return .globalKey(email: email, key: key)
            }
            if let file = settings.keyFile,
                let key = try secret(atPath: file, key: "cloudflare.key_file", configPath: configPath, mustExist: true)
            {
                return .globalKey(email: email, key: key)
            }
            if let key = environment["CLOUDFLARE_API_KEY"], !key.isEmpty {
                return .globalKey(
                    email: email, key: try checked(key.trimmingWhitespace, from: "$CLOUDFLARE_API_KEY", key: "", configPath: configPath))
            }
        }
        throw InvalidConfiguration(path: configPath, issues: [
            .init(keyPath: "cloudflare", line: nil, message:
                "no API token found; install it as the systemd credential cloudflare-api-token "
                + "(LoadCredential=cloudflare-api-token:/etc/ztguardd/token), set token_file under [cloudflare], "
                + "or export CLOUDFLARE_API_TOKEN")
        ])
    }

    /// The most a credential file may hold: a token is 40 characters, a global key 37.
    static let maximumSecretSize = 4096

    /// Reads a secret file, or returns nil when an optional one does not exist.
    ///
    /// Opened without following a symbolic link and without blocking (a FIFO would hang start-up), then
    /// checked on the open descriptor, so that what is checked is what is read: a regular file, owned by
    /// this process's user or root, giving no permission to group or others, at most
    /// ``maximumSecretSize`` bytes, holding one token (``checked(_:from:key:configPath:)``).
    private func secret(
        atPath path: String, key: String, configPath: String, mustExist: Bool = false
    ) throws(InvalidConfiguration) -> String? {
        func refuse(_ message: String) -> InvalidConfiguration {
            InvalidConfiguration(path: configPath, issues: [.init(keyPath: key, line: nil, message: message)])
        }
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if !mustExist, code == ENOENT { return nil }
            if code == ELOOP { throw refuse("\(path) is a symbolic link; name the file itself") }
            throw refuse("cannot read \(path): \(String(cString: strerror(code)))")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw refuse("cannot read \(path): \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw refuse("\(path) is not a regular file; write the token into a plain file")
        }
        guard info.st_uid == geteuid() || info.st_uid == 0 else {
            throw refuse("\(path) belongs to uid \(info.st_uid), neither this process's user (uid \(geteuid())) nor root; "
                + "run: chown root \(path)")
        }
        guard info.st_mode & (S_IRWXG | S_IRWXO) == 0 else {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw refuse("\(path) is readable by group or others (mode \(mode)); run: chmod 600 \(path)")
        }
        guard info.st_size <= Self.maximumSecretSize else {
            throw refuse("\(path) holds \(info.st_size) bytes; an API token is one line of about 40 characters")
        }
        guard let contents = FileContents.read(descriptor: descriptor, atMost: Self.maximumSecretSize) else {
            throw refuse("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        guard contents.count <= Self.maximumSecretSize else {
            throw refuse("\(path) holds more than \(Self.maximumSecretSize) bytes; an API token is one line of about 40 characters")
        }
        let secret = String(decoding: contents, as: UTF8.self).trimmingWhitespace
        guard !secret.isEmpty else { throw refuse("\(path) is empty; write the API token into it") }
        return try checked(secret, from: path, key: key, configPath: configPath)
    }

    /// `secret` when it is one token: letters, digits and `-_.~+/=`. Anything else (a second line, a
    /// space, a control character) would reach the request's headers as more than the token.
    private func checked(
        _ secret: String, from source: String, key: String, configPath: String
    ) throws(InvalidConfiguration) -> String {
        let allowed = secret.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="):
                true
            default: false
            }
        }
        guard allowed else {
            throw InvalidConfiguration(path: configPath, issues: [.init(keyPath: key, line: nil, message:
                "\(source) holds more than one token (another line, a space or a control character); "
                + "write the token alone on one line")])
        }
        return secret
    }
}

extension String {
    var trimmingWhitespace: String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}

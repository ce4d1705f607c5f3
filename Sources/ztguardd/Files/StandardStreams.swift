import Glibc

/// Writes to the standard streams with write(2): no shared `FILE *` state, which Swift 6
/// rightly refuses to touch from concurrent code, and whole chunks per call.
enum StandardStream {
    /// Writes all of `bytes` to `descriptor` (1 for stdout, 2 for stderr), retrying short writes.
    static func write(_ bytes: some Collection<UInt8>, to descriptor: Int32) {
        let buffer = Array(bytes)
        var written = 0
        buffer.withUnsafeBytes { raw in
            while written < raw.count {
                let count = Glibc.write(descriptor, raw.baseAddress! + written, raw.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    return
                }
                written += count
            }
        }
    }
}

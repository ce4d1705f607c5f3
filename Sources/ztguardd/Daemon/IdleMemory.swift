import CMalloc
import Glibc

/// What the daemon hands back to the system before it sleeps until the next run.
///
/// After a run over 100,000 registrations, 23 MB stayed resident for the hour until the next one.
/// Two parts of it were the run's leftovers rather than the daemon's needs: heap the run freed, which
/// glibc keeps for reuse, and the pages of ztguardd's own executable the run read (its code and
/// read-only data, about 8 MB), which stay mapped until memory runs short.
enum IdleMemory {
    /// Returns the freed heap (`malloc_trim`) and pages out the executable's read-only mappings
    /// (`MADV_PAGEOUT`, Linux 5.4 and later). The pages are clean copies of the file: the kernel drops
    /// those no other process maps (a second instance of the template unit keeps the pages it shares),
    /// and the next run reads what it needs back in, a few milliseconds once per interval. Best effort:
    /// a kernel or a sandbox that refuses `madvise` leaves the pages where they are.
    ///
    /// What runs after the call on the way to sleep reads its pages back in: with the release binary,
    /// after a run over 100,000 registrations, 4.8 MB of the executable stay resident instead of 8.6,
    /// 2.5 MB of them written data (relocations, globals) that no advice can drop without swap.
    ///
    /// - Returns: the bytes of mappings that were paged out, for the debug log.
    @discardableResult
    static func release() -> Int {
        malloc_trim(0)
        var pagedOut = 0
        for range in executableReadOnlyMappings() where advise(range, MADV_PAGEOUT) {
            pagedOut += Int(range.upperBound - range.lowerBound)
        }
        return pagedOut
    }

    /// The executable's mappings that hold only file contents: `r-xp` (code) and `r--p` (read-only
    /// data). Writable ones hold relocated and written data, which only swap could take.
    static func executableReadOnlyMappings() -> [Range<UInt>] {
        guard let executable = FileContents.readLink("/proc/self/exe"),
            let maps = FileContents.read("/proc/self/maps")
        else { return [] }
        return mappings(inMaps: maps, of: executable)
    }

    /// Parses `/proc/PID/maps` lines (`START-END PERMS OFFSET DEV INODE PATH`): the address ranges of
    /// `path`'s private mappings that are not writable.
    static func mappings(inMaps maps: [UInt8], of path: String) -> [Range<UInt>] {
        var ranges: [Range<UInt>] = []
        for line in maps.split(separator: UInt8(ascii: "\n")) {
            let columns = line.split(separator: UInt8(ascii: " "), maxSplits: 5, omittingEmptySubsequences: true)
            guard columns.count == 6 else { continue }
            let permissions = Array(columns[1])
            guard permissions.count == 4, permissions[1] == UInt8(ascii: "-"), permissions[3] == UInt8(ascii: "p"),
                String(decoding: columns[5].drop { $0 == UInt8(ascii: " ") }, as: UTF8.self) == path
            else { continue }
            let bounds = columns[0].split(separator: UInt8(ascii: "-"))
            guard bounds.count == 2,
                let start = UInt(String(decoding: bounds[0], as: UTF8.self), radix: 16),
                let end = UInt(String(decoding: bounds[1], as: UTF8.self), radix: 16), start < end
            else { continue }
            ranges.append(start..<end)
        }
        return ranges
    }

    private static func advise(_ range: Range<UInt>, _ advice: Int32) -> Bool {
        guard let start = UnsafeMutableRawPointer(bitPattern: range.lowerBound) else { return false }
        return madvise(start, Int(range.upperBound - range.lowerBound), advice) == 0
    }
}

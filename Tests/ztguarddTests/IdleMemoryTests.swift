import Testing

@testable import ztguardd

@Suite struct IdleMemoryTests {
    @Test("the executable's private read-only mappings are found in /proc/PID/maps, and nothing else")
    func mappingsOfTheExecutable() {
        let maps = """
            55d0a0000000-55d0a0490000 r--p 00000000 fd:01 131 /usr/local/bin/ztguardd
            55d0a0490000-55d0a15c0000 r-xp 00490000 fd:01 131 /usr/local/bin/ztguardd
            55d0a15c0000-55d0a1665000 r--p 015c0000 fd:01 131 /usr/local/bin/ztguardd
            55d0a1665000-55d0a3a81000 rw-p 01664000 fd:01 131 /usr/local/bin/ztguardd
            55d0a3a81000-55d0a3a82000 r--s 00000000 fd:01 131 /usr/local/bin/ztguardd
            55d0a4000000-55d0a4021000 rw-p 00000000 00:00 0                          [heap]
            7f1c2a000000-7f1c2a028000 r--p 00000000 fd:01 262 /usr/lib/x86_64-linux-gnu/libc.so.6
            7f1c2b000000-7f1c2b001000 r-xp 00000000 fd:01 140 /usr/local/bin/ztguardd-old
            7f1c2c000000-7f1c2c001000 r-xp 00000000 fd:01 141 /opt/my tools/ztguardd (deleted)
            7ffd1e1f0000-7ffd1e211000 rw-p 00000000 00:00 0                          [stack]
            """
        #expect(IdleMemory.mappings(inMaps: Array(maps.utf8), of: "/usr/local/bin/ztguardd") == [
            0x55d0_a000_0000..<0x55d0_a049_0000, 0x55d0_a049_0000..<0x55d0_a15c_0000, 0x55d0_a15c_0000..<0x55d0_a166_5000,
        ])
        // A path with a space, as the kernel prints an executable replaced on disk.
        #expect(IdleMemory.mappings(inMaps: Array(maps.utf8), of: "/opt/my tools/ztguardd (deleted)") == [
            0x7f1c_2c00_0000..<0x7f1c_2c00_1000,
        ])
        #expect(IdleMemory.mappings(inMaps: Array("garbage\n\n1-2 r-xp".utf8), of: "/usr/local/bin/ztguardd").isEmpty)
    }

    @Test("this test process's own executable has read-only mappings to hand back")
    func ownMappings() {
        #expect(!IdleMemory.executableReadOnlyMappings().isEmpty)
    }
}

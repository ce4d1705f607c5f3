import Testing

@testable import ztguardd

/// `schedule.jitter`: "up to this much, chosen at random for each run (whole seconds)".
@Suite struct SchedulerJitterTests {
    /// SplitMix64: a small seeded generator, so that a failure repeats.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("a jitter of 3 s draws 0, 1, 2 or 3 whole seconds, each of them, and nothing between")
    func wholeSeconds() {
        var generator = Seeded(state: 42)
        let draws = (0..<400).map { _ in Scheduler.jitter(upTo: .seconds(3), using: &generator) }
        #expect(Set(draws) == [.seconds(0), .seconds(1), .seconds(2), .seconds(3)])
    }

    @Test("no jitter draws nothing")
    func zero() {
        var generator = Seeded(state: 7)
        #expect((0..<20).allSatisfy { _ in Scheduler.jitter(upTo: .zero, using: &generator) == .zero })
    }
}

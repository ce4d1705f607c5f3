import FoundationEssentials

/// The source of "now" for a run. Not `Clock`: the standard library's `Clock` measures elapsed
/// time, not dates. Read once per run and passed down.
protocol WallClock: Sendable {
    var now: Date { get }
}

struct SystemWallClock: WallClock {
    var now: Date { Date() }
}

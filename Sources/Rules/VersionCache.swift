/// The client versions one ``RuleSet/Evaluation/add(_:)`` has parsed, so that the few distinct version
/// strings of a fleet are parsed once each instead of once per registration.
///
/// Keyed by the bytes of the `String` value itself, which cost nothing to read: a string of up to 15
/// UTF-8 bytes (any WARP version) holds its text in them, and a longer one the address of its storage,
/// which the cache keeps alive by holding the string. Equal bytes are therefore always equal text (equal
/// text in two storages merely takes two slots). Direct-mapped: a version whose slot is taken replaces
/// the one there.
struct VersionCache {
    private typealias Key = (UInt64, UInt64)
    private static let slotBits = 6

    /// One slot per key hash, and a last one for a string that cannot be keyed.
    private var keys = [Key?](repeating: nil, count: (1 << slotBits) + 1)
    private var numbers = [VersionNumber?](repeating: nil, count: (1 << slotBits) + 1)
    /// The strings of `keys`, held so that no storage whose address is a key is freed and reused.
    private var texts = [String?](repeating: nil, count: (1 << slotBits) + 1)

    /// Returns the slot that holds `text` parsed, parsing it there if needed. The slot keeps it until the
    /// next call, so that the rules compare against it in place instead of copying it out.
    mutating func slot(of text: String) -> Int {
        guard let key = Self.key(of: text) else {
            let slot = 1 << Self.slotBits
            numbers[slot] = VersionNumber(parsing: text)
            return slot
        }
        let mixed = (key.0 &* 0x9E37_79B9_7F4A_7C15) ^ (key.1 &* 0xC2B2_AE3D_27D4_EB4F)
        let slot = Int(truncatingIfNeeded: mixed >> (64 - UInt64(Self.slotBits)))
        if let cached = keys[slot], cached == key { return slot }
        keys[slot] = key
        numbers[slot] = VersionNumber(parsing: text)
        texts[slot] = text
        return slot
    }

    /// True when `slot` holds a version.
    func isVersion(inSlot slot: Int) -> Bool { numbers[slot] != nil }

    /// True when `slot` holds a version below `minimum`.
    func isVersion(inSlot slot: Int, below minimum: VersionNumber) -> Bool {
        guard let number = numbers[slot] else { return false }
        return number < minimum
    }

    /// The bytes of the `String` value, nil where a string is not two words.
    private static func key(of text: String) -> Key? {
        withUnsafeBytes(of: text) { bytes in
            guard bytes.count == MemoryLayout<Key>.size else { return nil }
            return (bytes.loadUnaligned(as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
    }
}

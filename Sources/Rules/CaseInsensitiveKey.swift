/// A dictionary key that hashes and compares a string with ASCII letters folded to lower case,
/// so that looking up a registration's email allocates no lower-cased copy.
struct CaseInsensitiveKey: Hashable, Sendable {
    let text: String

    init(_ text: String) { self.text = text }

    static func == (lhs: CaseInsensitiveKey, rhs: CaseInsensitiveKey) -> Bool {
        lhs.text.utf8.count == rhs.text.utf8.count
            && lhs.text.utf8.elementsEqual(rhs.text.utf8) { $0.asciiLowercased == $1.asciiLowercased }
    }

    func hash(into hasher: inout Hasher) {
        // Eight bytes at a time: one `combine` per byte would dominate a lookup.
        var word: UInt64 = 0
        var shift: UInt64 = 0
        for byte in text.utf8 {
            word |= UInt64(byte.asciiLowercased) << shift
            shift += 8
            if shift == 64 {
                hasher.combine(word)
                word = 0
                shift = 0
            }
        }
        hasher.combine(word)
        hasher.combine(text.utf8.count)
    }
}

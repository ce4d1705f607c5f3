#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A ``Registration`` in one allocation: what a ``PlannedAction`` keeps of the registration it plans.
///
/// A plan holds one registration per selected device until the run has acted and recorded, thousands
/// of them. As a `Registration` each cost 224 bytes inline and four or five more allocations for the
/// strings that do not fit in one (three UUIDs, the email): about 680 bytes, the largest part of a
/// 100,000-registration run's heap. Packed, the strings follow one another in one buffer, a UUID in
/// its 16 bytes: about 200 bytes. Reading a field builds its string again; the run reads each action's
/// fields a few times (journal, report), far fewer than it has bytes to save.
///
/// Layout of the buffer after the header: each present string field in ``Field`` order, either 16
/// bytes (a lowercase, hyphenated UUID: its bit in ``Header/uuids``) or its UTF-8 length as LEB128 and
/// its bytes. The header says which fields are present and holds the three dates.
struct PackedRegistration: @unchecked Sendable {
    // @unchecked: the buffer is written once, in `init`, and only read afterwards.
    private let storage: ManagedBuffer<Header, UInt8>

    struct Header {
        /// Bit `field.rawValue` set: the field is present (a non-optional field always is); bits 11 to
        /// 13: the dates are.
        var present: UInt16
        /// Bit set: the field is stored as the 16 bytes of a UUID.
        var uuids: UInt16
        // Dates as their `timeIntervalSinceReferenceDate`, which is what a `Date` stores: 8 bytes each
        // instead of an optional's 16.
        private var dates: (Double, Double, Double)

        init(present: UInt16, uuids: UInt16, createdAt: Date?, lastSeenAt: Date?, revokedAt: Date?) {
            self.present = present
            self.uuids = uuids
            dates = (
                createdAt?.timeIntervalSinceReferenceDate ?? 0, lastSeenAt?.timeIntervalSinceReferenceDate ?? 0,
                revokedAt?.timeIntervalSinceReferenceDate ?? 0
            )
            if createdAt != nil { self.present |= 1 << 11 }
            if lastSeenAt != nil { self.present |= 1 << 12 }
            if revokedAt != nil { self.present |= 1 << 13 }
        }

        var createdAt: Date? { date(dates.0, bit: 11) }
        var lastSeenAt: Date? { date(dates.1, bit: 12) }
        var revokedAt: Date? { date(dates.2, bit: 13) }

        private func date(_ interval: Double, bit: UInt16) -> Date? {
            present & (1 << bit) != 0 ? Date(timeIntervalSinceReferenceDate: interval) : nil
        }
    }

    /// The string fields, in storage order.
    enum Field: Int, CaseIterable {
        case id, deviceID, deviceName, clientVersion, keyType, tunnelType, userID, userEmail, userName, profileID,
            profileName
    }

    init(_ registration: Registration) {
        let values: [String?] = [
            registration.id, registration.deviceID, registration.deviceName, registration.clientVersion,
            registration.keyType, registration.tunnelType, registration.userID, registration.userEmail,
            registration.userName, registration.profileID, registration.profileName,
        ]
        var header = Header(
            present: 0, uuids: 0, createdAt: registration.createdAt, lastSeenAt: registration.lastSeenAt,
            revokedAt: registration.revokedAt)
        var size = 0
        for (index, value) in values.enumerated() {
            guard let value else { continue }
            header.present |= 1 << index
            let count = value.utf8.count
            if count == 36, value.utf8.withContiguousStorageIfAvailable(UUIDBytes.isCanonical) == true {
                header.uuids |= 1 << index
                size += 16
            } else {
                size += LEB128.size(of: count) + count
            }
        }
        storage = ManagedBuffer<Header, UInt8>.create(minimumCapacity: size) { _ in header }
        storage.withUnsafeMutablePointerToElements { start in
            var cursor = start
            for (index, value) in values.enumerated() {
                guard var value else { continue }
                value.withUTF8 { bytes in
                    if header.uuids & (1 << index) != 0 {
                        UUIDBytes.pack(bytes, into: cursor)
                        cursor += 16
                    } else {
                        cursor = LEB128.write(bytes.count, at: cursor)
                        if let base = bytes.baseAddress { cursor.initialize(from: base, count: bytes.count) }
                        cursor += bytes.count
                    }
                }
            }
        }
    }

    /// The registration, every field read again.
    var registration: Registration {
        var strings = [String?](repeating: nil, count: Field.allCases.count)
        forEachField { field, value in strings[field.rawValue] = value() }
        let header = storage.header
        return Registration(
            id: strings[Field.id.rawValue] ?? "", deviceID: strings[Field.deviceID.rawValue] ?? "",
            deviceName: strings[Field.deviceName.rawValue] ?? "", clientVersion: strings[Field.clientVersion.rawValue],
            createdAt: header.createdAt, lastSeenAt: header.lastSeenAt, revokedAt: header.revokedAt,
            keyType: strings[Field.keyType.rawValue], tunnelType: strings[Field.tunnelType.rawValue],
            userID: strings[Field.userID.rawValue], userEmail: strings[Field.userEmail.rawValue],
            userName: strings[Field.userName.rawValue], profileID: strings[Field.profileID.rawValue],
            profileName: strings[Field.profileName.rawValue])
    }

    /// One field, or nil when the registration has none.
    subscript(field: Field) -> String? {
        var found: String?
        forEachField(upTo: field) { current, value in if current == field { found = value() } }
        return found
    }

    var lastSeenAt: Date? { storage.header.lastSeenAt }

    /// Calls `body` with each present field up to `last`, and a closure that builds its string.
    private func forEachField(upTo last: Field = .profileName, _ body: (Field, () -> String) -> Void) {
        let header = storage.header
        storage.withUnsafeMutablePointerToElements { start in
            var cursor = UnsafePointer(start)
            for field in Field.allCases {
                let bit: UInt16 = 1 << field.rawValue
                guard header.present & bit != 0 else { continue }
                if header.uuids & bit != 0 {
                    let bytes = cursor
                    body(field) { UUIDBytes.string(from: bytes) }
                    cursor += 16
                } else {
                    let (count, next) = LEB128.read(at: cursor)
                    body(field) { String(decoding: UnsafeBufferPointer(start: next, count: count), as: UTF8.self) }
                    cursor = next + count
                }
                if field == last { return }
            }
        }
    }
}

/// Unsigned LEB128: seven bits a byte, low first, the high bit set on every byte but the last.
private enum LEB128 {
    static func size(of value: Int) -> Int {
        var value = UInt(value)
        var size = 1
        while value >= 0x80 {
            value >>= 7
            size += 1
        }
        return size
    }

    static func write(_ value: Int, at cursor: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var value = UInt(value)
        var cursor = cursor
        while value >= 0x80 {
            cursor.initialize(to: UInt8(truncatingIfNeeded: value) | 0x80)
            cursor += 1
            value >>= 7
        }
        cursor.initialize(to: UInt8(value))
        return cursor + 1
    }

    static func read(at cursor: UnsafePointer<UInt8>) -> (value: Int, next: UnsafePointer<UInt8>) {
        var value: UInt = 0
        var shift: UInt = 0
        var cursor = cursor
        while true {
            let byte = cursor.pointee
            cursor += 1
            value |= UInt(byte & 0x7F) << shift
            if byte < 0x80 { return (Int(value), cursor) }
            shift += 7
        }
    }
}

/// A UUID's 36 characters (`8-4-4-4-12` lowercase hex digits) as its 16 bytes, and back.
enum UUIDBytes {
    private static let digits = Array("0123456789abcdef".utf8)

    /// True for exactly the strings ``string(from:)`` gives back byte for byte.
    static func isCanonical(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard text.count == 36 else { return false }
        for (index, byte) in text.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
                else { return false }
            }
        }
        return true
    }

    /// Writes the 16 bytes of a canonical UUID (``isCanonical(_:)``) at `out`.
    static func pack(_ text: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>) {
        var high: UInt8?
        var written = 0
        for (index, byte) in text.enumerated() where !(index == 8 || index == 13 || index == 18 || index == 23) {
            let nibble = byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : byte - UInt8(ascii: "a") + 10
            if let first = high {
                (out + written).initialize(to: first << 4 | nibble)
                written += 1
                high = nil
            } else {
                high = nibble
            }
        }
    }

    /// The canonical text of the 16 bytes at `bytes`.
    static func string(from bytes: UnsafePointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: 36) { out in
            var position = 0
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    out[position] = UInt8(ascii: "-")
                    position += 1
                }
                out[position] = digits[Int(bytes[index] >> 4)]
                out[position + 1] = digits[Int(bytes[index] & 0x0F)]
                position += 2
            }
            return 36
        }
    }
}

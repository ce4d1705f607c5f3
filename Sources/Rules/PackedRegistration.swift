#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where a ``PlannedAction`` keeps its registration: as listed, until it is packed.
enum StoredRegistration: Sendable {
    case listed(ListedRegistration)
    case packed(PackedRegistration)

    var registration: Registration {
        switch self {
        case .listed(let listed): listed.page[listed.index]
        case .packed(let packed): packed.registration
        }
    }

    /// The registration, or for a packed one only the string fields in `fields` (``PackedRegistration/registration(fields:)``).
    func registration(fields: UInt16) -> Registration {
        switch self {
        case .listed(let listed): listed.page[listed.index]
        case .packed(let packed): packed.registration(fields: fields)
        }
    }

    /// One string field, or nil when the registration has none.
    subscript(field: PackedRegistration.Field) -> String? {
        switch self {
        case .listed(let listed): listed.page[listed.index][field]
        case .packed(let packed): packed[field]
        }
    }

    var lastSeenAt: Date? {
        switch self {
        case .listed(let listed): listed.page[listed.index].lastSeenAt
        case .packed(let packed): packed.lastSeenAt
        }
    }

    var subject: PlannedAction.Subject {
        switch self {
        case .listed(let listed):
            let registration = listed.page[listed.index]
            return PlannedAction.Subject(
                registrationID: registration.id, deviceID: registration.deviceID, deviceName: registration.deviceName,
                userEmail: registration.userEmail, lastSeenAt: registration.lastSeenAt, clientVersion: registration.clientVersion)
        case .packed(let packed): return packed.subject
        }
    }
}

/// A registration as listed, where it lies in its page: an action the evaluation plans holds the page
/// (one reference for all of the page's actions) rather than a copy of the registration (an allocation
/// and a retain of each of its strings, then as many releases): at 1M registrations that copy was most
/// of what planning cost. The page lives as long as one of its actions is unpacked; a listing of many
/// pages packs each page's actions once it is evaluated (``RuleSet/Evaluation/packClaims()``).
struct ListedRegistration: Sendable {
    let page: [Registration]
    let index: Int

    init(page: [Registration], index: Int) {
        self.page = page
        self.index = index
    }

    /// A registration in a page of its own.
    init(_ registration: Registration) { self.init(page: [registration], index: 0) }
}

/// A ``Registration`` in one allocation: what a ``PlannedAction`` keeps of the registration it plans
/// once packed.
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

        init(createdAt: Date?, lastSeenAt: Date?, revokedAt: Date?) {
            present = 0
            uuids = 0
            dates = (
                createdAt?.timeIntervalSinceReferenceDate ?? 0, lastSeenAt?.timeIntervalSinceReferenceDate ?? 0,
                revokedAt?.timeIntervalSinceReferenceDate ?? 0
            )
            if createdAt != nil { present |= 1 << 11 }
            if lastSeenAt != nil { present |= 1 << 12 }
            if revokedAt != nil { present |= 1 << 13 }
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
        var header = Header(createdAt: registration.createdAt, lastSeenAt: registration.lastSeenAt, revokedAt: registration.revokedAt)
        // Two passes over the fields, spelled out: sizes and flags, then the bytes. A run packs one
        // registration per selected device.
        var size = 0
        Self.measure(registration.id, .id, &header, &size)
        Self.measure(registration.deviceID, .deviceID, &header, &size)
        Self.measure(registration.deviceName, .deviceName, &header, &size)
        Self.measure(registration.clientVersion, .clientVersion, &header, &size)
        Self.measure(registration.keyType, .keyType, &header, &size)
        Self.measure(registration.tunnelType, .tunnelType, &header, &size)
        Self.measure(registration.userID, .userID, &header, &size)
        Self.measure(registration.userEmail, .userEmail, &header, &size)
        Self.measure(registration.userName, .userName, &header, &size)
        Self.measure(registration.profileID, .profileID, &header, &size)
        Self.measure(registration.profileName, .profileName, &header, &size)
        let uuids = header.uuids
        storage = ManagedBuffer<Header, UInt8>.create(minimumCapacity: size) { _ in header }
        storage.withUnsafeMutablePointerToElements { start in
            var cursor = start
            Self.write(registration.id, .id, uuids, &cursor)
            Self.write(registration.deviceID, .deviceID, uuids, &cursor)
            Self.write(registration.deviceName, .deviceName, uuids, &cursor)
            Self.write(registration.clientVersion, .clientVersion, uuids, &cursor)
            Self.write(registration.keyType, .keyType, uuids, &cursor)
            Self.write(registration.tunnelType, .tunnelType, uuids, &cursor)
            Self.write(registration.userID, .userID, uuids, &cursor)
            Self.write(registration.userEmail, .userEmail, uuids, &cursor)
            Self.write(registration.userName, .userName, uuids, &cursor)
            Self.write(registration.profileID, .profileID, uuids, &cursor)
            Self.write(registration.profileName, .profileName, uuids, &cursor)
        }
    }

    private static func measure(_ value: String?, _ field: Field, _ header: inout Header, _ size: inout Int) {
        guard let value else { return }
        let bit: UInt16 = 1 << field.rawValue
        header.present |= bit
        let count = value.utf8.count
        if count == 36, value.utf8.withContiguousStorageIfAvailable(UUIDBytes.isCanonical) == true {
            header.uuids |= bit
            size += 16
        } else {
            size += LEB128.size(of: count) + count
        }
    }

    private static func write(_ value: String?, _ field: Field, _ uuids: UInt16, _ cursor: inout UnsafeMutablePointer<UInt8>) {
        guard var value else { return }
        let asUUID = uuids & (1 << field.rawValue) != 0
        let start = cursor
        cursor = value.withUTF8 { bytes in write(bytes, asUUID: asUUID, at: start) }
    }

    private static func write(
        _ bytes: UnsafeBufferPointer<UInt8>, asUUID: Bool, at cursor: UnsafeMutablePointer<UInt8>
    ) -> UnsafeMutablePointer<UInt8> {
        if asUUID {
            UUIDBytes.pack(bytes, into: cursor)
            return cursor + 16
        }
        let start = LEB128.write(bytes.count, at: cursor)
        if let base = bytes.baseAddress { start.initialize(from: base, count: bytes.count) }
        return start + bytes.count
    }

    /// The registration, every field read again.
    var registration: Registration { registration(fields: .max) }

    /// The registration with its dates and only the string fields whose bits are set in `fields`
    /// (``bits(_:)``); the others are empty or nil.
    func registration(fields: UInt16) -> Registration {
        var registration = Registration(id: "", deviceID: "", deviceName: "")
        read(into: &registration, fields: fields) { registration, field, value in registration[field] = value }
        let header = storage.header
        registration.createdAt = header.createdAt
        registration.lastSeenAt = header.lastSeenAt
        registration.revokedAt = header.revokedAt
        return registration
    }

    /// The fields a report and the journal name a registration by, read in one pass; the others are
    /// skipped without building their strings.
    var subject: PlannedAction.Subject {
        var subject = PlannedAction.Subject(registrationID: "", deviceID: "", deviceName: "", lastSeenAt: storage.header.lastSeenAt)
        read(into: &subject, fields: Self.subjectFields) { subject, field, value in
            switch field {
            case .id: subject.registrationID = value
            case .deviceID: subject.deviceID = value
            case .deviceName: subject.deviceName = value
            case .clientVersion: subject.clientVersion = value
            case .userEmail: subject.userEmail = value
            default: break
            }
        }
        return subject
    }

    private static let subjectFields = bits([.id, .deviceID, .deviceName, .clientVersion, .userEmail])

    /// `fields` as the mask ``registration(fields:)`` takes.
    static func bits(_ fields: [Field]) -> UInt16 {
        fields.reduce(0) { $0 | 1 << $1.rawValue }
    }

    /// One field, or nil when the registration has none.
    subscript(field: Field) -> String? {
        var found: String?
        read(into: &found, fields: 1 << field.rawValue) { found, _, value in found = value }
        return found
    }

    var lastSeenAt: Date? { storage.header.lastSeenAt }

    /// Builds the string of each present field whose bit is set in `fields` and hands it to `assign`;
    /// skips the others.
    private func read<Target>(
        into target: inout Target, fields: UInt16, _ assign: (inout Target, Field, String) -> Void
    ) {
        storage.withUnsafeMutablePointers { header, start in
            let (present, uuids) = (header.pointee.present, header.pointee.uuids)
            var cursor = UnsafePointer(start)
            for field in Field.allCases {
                let bit: UInt16 = 1 << field.rawValue
                guard present & bit != 0 else { continue }
                let isUUID = uuids & bit != 0
                let count: Int
                if isUUID {
                    count = 16
                } else {
                    (count, cursor) = LEB128.read(at: cursor)
                }
                if fields & bit != 0 {
                    let value =
                        isUUID
                        ? UUIDBytes.string(from: cursor)
                        : String(decoding: UnsafeBufferPointer(start: cursor, count: count), as: UTF8.self)
                    assign(&target, field, value)
                }
                cursor += count
                // Nothing wanted after this field: stop reading.
                if fields >> (field.rawValue + 1) == 0 { return }
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
    private static let digits: StaticString = "0123456789abcdef"

    /// True for exactly the strings ``string(from:)`` gives back byte for byte.
    static func isCanonical(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard text.count == 36 else { return false }
        for index in 0..<36 {
            let byte = text[index]
            if index == 8 || index == 13 || index == 18 || index == 23 {
                if byte != UInt8(ascii: "-") { return false }
            } else if !(byte &- UInt8(ascii: "0") < 10 || byte &- UInt8(ascii: "a") < 6) {
                return false
            }
        }
        return true
    }

    /// Writes the 16 bytes of a canonical UUID (``isCanonical(_:)``) at `out`.
    static func pack(_ text: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>) {
        func nibble(_ byte: UInt8) -> UInt8 { byte <= UInt8(ascii: "9") ? byte &- UInt8(ascii: "0") : byte &- UInt8(ascii: "a") &+ 10 }
        var position = 0
        for index in 0..<16 {
            if position == 8 || position == 13 || position == 18 || position == 23 { position += 1 }
            out[index] = nibble(text[position]) << 4 | nibble(text[position + 1])
            position += 2
        }
    }

    /// The canonical text of the 16 bytes at `bytes`.
    static func string(from bytes: UnsafePointer<UInt8>) -> String {
        digits.withUTF8Buffer { digits in
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
}

extension Registration {
    /// The string field `field`, read or written by name.
    fileprivate subscript(field: PackedRegistration.Field) -> String? {
        get {
            switch field {
            case .id: id
            case .deviceID: deviceID
            case .deviceName: deviceName
            case .clientVersion: clientVersion
            case .keyType: keyType
            case .tunnelType: tunnelType
            case .userID: userID
            case .userEmail: userEmail
            case .userName: userName
            case .profileID: profileID
            case .profileName: profileName
            }
        }
        set {
            switch field {
            case .id: id = newValue ?? ""
            case .deviceID: deviceID = newValue ?? ""
            case .deviceName: deviceName = newValue ?? ""
            case .clientVersion: clientVersion = newValue
            case .keyType: keyType = newValue
            case .tunnelType: tunnelType = newValue
            case .userID: userID = newValue
            case .userEmail: userEmail = newValue
            case .userName: userName = newValue
            case .profileID: profileID = newValue
            case .profileName: profileName = newValue
            }
        }
    }
}

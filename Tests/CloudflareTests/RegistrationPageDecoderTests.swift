import Foundation
import Rules
import Simulation
import Testing

@testable import Cloudflare

/// The fast path must never disagree with `JSONDecoder`: whatever it returns equals what `JSONDecoder`
/// makes of the same bytes, and it returns nothing for a body `JSONDecoder` refuses.
@Suite struct RegistrationPageDecoderTests {
    @Test("the simulated account's pages take the fast path and decode exactly as JSONDecoder decodes them")
    func simulatedPages() throws {
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        let fleet = SimulatedFleet.generated(count: 1_234, seed: 11, now: now)
        let account = SimulatedAccount(configuration: .init(clock: { now }), fleet: fleet)
        var cursor = ""
        var listed = 0
        repeat {
            let url = "https://api.cloudflare.com/client/v4/accounts/699d98642c564d2e855e9661899b7252"
                + "/devices/registrations?per_page=500&status=all&include=policy" + (cursor.isEmpty ? "" : "&cursor=\(cursor)")
            let response = account.respond(to: HTTPRequest(
                method: .get, url: url, headers: [("Authorization", "Bearer simulated-api-token")]))
            let fast = try #require(RegistrationPageDecoder.envelope(from: response.body))
            try expectSameAsJSONDecoder(response.body)
            listed += fast.result?.count ?? 0
            cursor = fast.resultInfo?.cursor ?? ""
        } while !cursor.isEmpty
        #expect(listed == 1_234)
    }

    @Test("bodies the fast path reads: the same envelope as JSONDecoder's", arguments: Self.readableBodies)
    func readable(_ example: Example) throws {
        let body = Array(example.body.utf8)
        #expect(RegistrationPageDecoder.envelope(from: body) != nil, "\(example.name) left the fast path")
        try expectSameAsJSONDecoder(body)
    }

    @Test("bodies left to JSONDecoder: the fast path gives nil, whatever JSONDecoder makes of them",
          arguments: Self.bodiesLeftToJSONDecoder)
    func leftToJSONDecoder(_ example: Example) {
        #expect(RegistrationPageDecoder.envelope(from: Array(example.body.utf8)) == nil, "\(example.name)")
    }

    @Test("the decoded fields: nulls, empty timestamps, no user, no policy, a missing device name")
    func fields() throws {
        let body = Array(Self.page(registrations: Self.sparse).utf8)
        let envelope = try #require(RegistrationPageDecoder.envelope(from: body))
        let registration = try #require(envelope.result?.first)
        #expect(registration == Registration(
            id: "r2", deviceID: "d2", deviceName: "", lastSeenAt: Date(timeIntervalSince1970: 1_785_000_000)))
        #expect(envelope.resultInfo == ResultInfo(cursor: "c1", count: 1, perPage: 100, page: nil, totalCount: nil))
    }

    @Test("invalid UTF-8 and a byte order mark are left to JSONDecoder")
    func bytes() {
        var invalid = Array(Self.page(registrations: Self.full).utf8)
        let name = invalid.firstRange(of: Array("LAPTOP".utf8))!
        invalid[name.lowerBound] = 0xFF
        #expect(RegistrationPageDecoder.envelope(from: invalid) == nil)
        #expect(RegistrationPageDecoder.envelope(from: [0xEF, 0xBB, 0xBF] + Array(Self.page(registrations: "").utf8)) == nil)
    }

    @Test("every proper prefix of a page is left to JSONDecoder")
    func truncated() {
        let page = Array(Self.page(registrations: [Self.full, Self.sparse, Self.unicode].joined(separator: ",")).utf8)
        let read = (0..<page.count).filter { RegistrationPageDecoder.envelope(from: Array(page[..<$0])) != nil }
        #expect(read.isEmpty, "prefixes read: \(read.prefix(5))")
        #expect(RegistrationPageDecoder.envelope(from: page) != nil)
    }

    @Test("invalid UTF-8 in a skipped or a read string is left to JSONDecoder",
          arguments: [[0xED, 0xA0, 0x80], [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xFE]] as [[UInt8]])
    func invalidUTF8(_ sequence: [UInt8]) {
        for template in [#"{"id":"r","device":{"id":"d","name":"A_B"}}"#, #"{"id":"r","device":{"id":"d"},"note":"A_B"}"#] {
            var body = Array(Self.page(registrations: template).utf8)
            let marker = body.firstIndex(of: UInt8(ascii: "_"))!
            body.replaceSubrange(marker...marker, with: sequence)
            #expect(RegistrationPageDecoder.envelope(from: body) == nil, "\(sequence) in \(template)")
        }
    }

    @Test("the keys tell fields apart by every byte and the length, up to 16 bytes and beyond")
    func keysThatAlmostMatch() throws {
        // Each near-miss carries a value of a type its look-alike field would refuse, so a key taken
        // for the field would leave the fast path, and the readable test below would fail.
        let registration = #"""
            {"id":"r","i":1,"idx":true,"iD":[1],"device":{"id":"d","ID":2,"client_versioN":3,"client_version_x":[],
            "name_":{}},"last_seen_aT":4,"last_seen_at_":5,"created_at ":6,"userx":7,"user":{"emai":8,"e-mail":9},
            "policy":{"nam":10,"namespace":11},"key_typ":12,"tunnel_type.":13,"seventeen_bytes_a":14,
            "sixteen_bytes_ab":15}
            """#
        let body = Array(Self.page(registrations: registration).utf8)
        let envelope = try #require(RegistrationPageDecoder.envelope(from: body))
        #expect(envelope.result == [Registration(id: "r", deviceID: "d", deviceName: "")])
        try expectSameAsJSONDecoder(body)
        let info = Array(#"{"success":true,"result_infoX":1,"result_info":{"cursorx":1,"count_":"2","per_pagE":[],"total_counts":{}}}"#.utf8)
        #expect(RegistrationPageDecoder.envelope(from: info)?.resultInfo == ResultInfo())
        try expectSameAsJSONDecoder(info)
    }

    /// Thousands of random edits of a page: deleted, inserted, replaced and repeated bytes. Most
    /// break the JSON; many do not (a digit for a digit, a space, a letter in a name).
    @Test("mutated pages: whenever the fast path reads one, JSONDecoder reads the same envelope")
    func mutatedPages() throws {
        let original = Array(Self.page(registrations: [Self.full, Self.sparse, Self.unicode].joined(separator: ",")).utf8)
        // JSON's own bytes, letters, and bytes JSON or UTF-8 refuse: controls, DEL, stray continuation
        // bytes, the lead of a UTF-16 surrogate, 0xFF.
        let alphabet = Array(#"{}[]":,\ 0123456789.-eEtrufalsn_xébcdDC/"#.utf8) + [0x00, 0x09, 0x0B, 0x0C, 0x7F, 0x80, 0xBF, 0xC3, 0xED, 0xFF]
        var random = SplitMix(seed: 20_261_201)
        var read = 0
        for _ in 0..<4_000 {
            var body = original
            for _ in 0..<(1 + random.next(below: 5)) {
                let position = random.next(below: body.count)
                switch random.next(below: 4) {
                case 0: body.remove(at: position)
                case 1: body.insert(alphabet[random.next(below: alphabet.count)], at: position)
                case 2: body[position] = alphabet[random.next(below: alphabet.count)]
                default:
                    let end = min(body.count, position + 1 + random.next(below: 12))
                    body.insert(contentsOf: body[position..<end], at: position)
                }
            }
            if RegistrationPageDecoder.envelope(from: body) != nil { read += 1 }
            try expectSameAsJSONDecoder(body)
        }
        // The property means something only if a fair share of the edits stay on the fast path.
        #expect(read > 400, "only \(read) of 4,000 mutated pages were read by the fast path")
    }

    /// The string scanner reads eight bytes at a time: a special byte must be found wherever it sits
    /// in a word, and at the word's edges.
    @Test("a quote, an escape, a control character or a non-ASCII character at every position of strings up to 24 bytes")
    func specialBytesAtEveryPosition() throws {
        // (as written in the JSON, what the name is, whether the fast path reads it)
        let specials: [(json: [UInt8], decoded: String, readable: Bool)] = [
            (Array(#"\""#.utf8), "\"", true), (Array(#"\\"#.utf8), "\\", true), (Array(#"\n"#.utf8), "\n", true),
            (Array(#"\u00e9"#.utf8), "é", true), (Array("é".utf8), "é", true), (Array("💻".utf8), "💻", true),
            ([0x7F], "\u{7F}", true), ([0x01], "", false), ([0x1F], "", false), ([0x09], "", false),
        ]
        var read = 0
        for length in 0...24 {
            for position in 0...length {
                for special in specials {
                    let before = String(repeating: "a", count: position)
                    let after = String(repeating: "b", count: length - position)
                    let name = Array(before.utf8) + special.json + Array(after.utf8)
                    let registration = Array(#"{"id":"r1","device":{"id":"d1","name":""#.utf8) + name + Array(#""}}"#.utf8)
                    let page = Array(Self.page(registrations: String(decoding: registration, as: UTF8.self)).utf8)
                    try expectSameAsJSONDecoder(page)
                    let fast = RegistrationPageDecoder.envelope(from: page)?.result?.first?.deviceName
                    if special.readable {
                        #expect(fast == before + special.decoded + after, "length \(length), position \(position)")
                        read += 1
                    } else {
                        #expect(fast == nil, "a raw control character at \(position) of \(length) was read")
                    }
                }
            }
        }
        #expect(read == 325 * 7)
    }

    // MARK: Support

    struct Example: Sendable, CustomTestStringConvertible {
        var name: String
        var body: String
        var testDescription: String { name }
    }

    /// Compares the fast path with `JSONDecoder` on `body`; nil from the fast path is always allowed.
    func expectSameAsJSONDecoder(_ body: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard let fast = RegistrationPageDecoder.envelope(from: body) else { return }
        let reference: Envelope<[Registration]>
        do {
            reference = try JSONDecoder().decode(Envelope<[Registration]>.self, from: Data(body))
        } catch {
            Issue.record("the fast path read a body JSONDecoder refuses (\(error)): \(String(decoding: body, as: UTF8.self))",
                         sourceLocation: sourceLocation)
            return
        }
        #expect(fast.success == reference.success, sourceLocation: sourceLocation)
        #expect(fast.errors == reference.errors, sourceLocation: sourceLocation)
        #expect(fast.result == reference.result, sourceLocation: sourceLocation)
        // String equality is canonical equivalence: compare the bytes too.
        #expect(fast.result?.map(\.utf8Fields) == reference.result?.map(\.utf8Fields), sourceLocation: sourceLocation)
        #expect(fast.resultInfo == reference.resultInfo, sourceLocation: sourceLocation)
        #expect(fast.resultInfo?.cursor.map { Array($0.utf8) } == reference.resultInfo?.cursor.map { Array($0.utf8) },
                sourceLocation: sourceLocation)
    }

    static func page(registrations: String, extra: String = #","messages":[]"#) -> String {
        #"{"success":true,"errors":[]"# + extra + #","result":["# + registrations
            + #"],"result_info":{"cursor":"c1","count":1,"per_page":100}}"#
    }

    /// Every key the API sends, with values of every JSON type among the ones the client skips.
    static let full = #"""
        {"id":"r1","key":"k3Y+/=","key_type":"curve25519","tunnel_type":"masque","created_at":"2025-01-02T03:04:05.123456Z",
        "last_seen_at":"2026-11-01T10:00:00Z","revoked_at":null,"deleted_at":"","updated_at":"2026-11-01T10:00:00+02:00",
        "device":{"id":"d1","name":"LAPTOP-1","client_version":"2024.6.415.0","os_version":"14.1","serial_number":null,
        "last_seen_user":{"email":"a@example.com","id":"u0"}},"user":{"id":"u1","email":"a@example.com","name":"A B",
        "groups":[1,-2,3.5,-0.25e-3,1E+9,0,true,false,null,[],{},[[{"x":[]}]]]},
        "policy":{"id":"p1","name":"Default","default":true,"deleted":false,"updated_at":"2026-01-01T00:00:00Z"}}
        """#

    static let sparse = #"""
        {"id":"r2","created_at":"","last_seen_at":"2026-07-25T17:20:00Z","revoked_at":"","key_type":null,
        "device":{"id":"d2","name":null},"user":null}
        """#

    static let unicode = #"""
        {"id":"r3","device":{"id":"d3","name":"Müllers MacBook 💻","client_version":"2025.1.0"},
        "user":{"email":"jürgen@exämple.com","name":"Jürgen \u00d8 \"J\" \ud83d\ude00"},"policy":null}
        """#

    static let readableBodies: [Example] = [
        Example(name: "an empty listing", body: page(registrations: "")),
        Example(name: "a full registration", body: page(registrations: full)),
        Example(name: "nulls and empty timestamps", body: page(registrations: sparse)),
        Example(name: "non-ASCII names", body: page(registrations: unicode)),
        Example(name: "several registrations", body: page(registrations: [full, sparse, unicode].joined(separator: ","))),
        Example(name: "whitespace everywhere",
                body: " \n{ \"success\" :\ttrue ,\r\n\"errors\" : [ ] , \"result\" : [ \(sparse) , \(full) ] ,"
                    + " \"result_info\" : { \"cursor\" : null , \"page\" : 2 } } \n"),
        Example(name: "a null result", body: #"{"success":true,"errors":null,"result":null}"#),
        Example(name: "no result and no result_info", body: #"{"success":true}"#),
        Example(name: "success false without messages", body: #"{"success":false,"errors":[],"result":null}"#),
        Example(name: "keys in another order", body: #"{"result_info":{"total_count":-1,"cursor":""},"result":[],"success":true}"#),
        Example(name: "an offset timestamp", body: page(registrations: #"{"id":"r","device":{"id":"d"},"last_seen_at":"2026-01-01T00:00:00.5-05:30"}"#)),
        Example(name: "nesting of 64 in a skipped value",
                body: #"{"success":true,"n":"# + String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + "}"),
        Example(name: "every escape in a name, and in the cursor",
                body: #"{"success":true,"result":["# + #"{"id":"r","device":{"id":"d","name":"A\"B\\C\/D\b\f\n\r\tE\u0026\u003C\u00e9\u00C9\u0000"}}"#
                    + #"],"result_info":{"cursor":"eyJ\/a\u003d"}}"#),
        Example(name: "a surrogate pair and a combining mark",
                body: page(registrations: #"{"id":"r","device":{"id":"d","name":"\ud83d\ude00 \uDBFF\uDFFF a\u0301"},"user":{"email":"\u0061@example.com"}}"#)),
        Example(name: "escapes in skipped strings", body: page(registrations: full, extra: #","note":["\"","\\","\ud83d\ude00"]"#)),
        Example(name: "minus zero", body: #"{"success":true,"result_info":{"count":-0,"page":0}}"#),
        Example(name: "the largest Int", body: #"{"success":true,"result_info":{"count":9223372036854775807,"page":-9223372036854775808}}"#),
    ]

    static let bodiesLeftToJSONDecoder: [Example] = [
        Example(name: "a timestamp written with an escape",
                body: page(registrations: #"{"id":"r","device":{"id":"d"},"last_seen_at":"2026-01-01T00:00:00\u005A"}"#)),
        Example(name: "a lone low surrogate", body: page(registrations: #"{"id":"r","device":{"id":"d","name":"\udc00"}}"#)),
        Example(name: "a high surrogate without its low one",
                body: page(registrations: #"{"id":"r","device":{"id":"d","name":"\ud800\u0041"}}"#)),
        Example(name: "a lone surrogate in a skipped string (JSONDecoder accepts it there)",
                body: page(registrations: full, extra: #","note":"\ud800""#)),
        Example(name: "an escape JSON does not define (JSONDecoder skips it)", body: page(registrations: full, extra: #","note":"\x""#)),
        Example(name: "a short \\u escape", body: page(registrations: full, extra: #","note":"\u12""#)),
        Example(name: "an escape in a skipped key", body: page(registrations: full, extra: #","m\u0065ssages":[]"#)),
        Example(name: "a repeated key", body: page(registrations: #"{"id":"r","id":"s","device":{"id":"d"}}"#)),
        Example(name: "a repeated device key", body: page(registrations: #"{"id":"r","device":{"id":"d","id":"e"}}"#)),
        Example(name: "error messages", body: #"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}]}"#),
        Example(name: "a fraction where an integer is read", body: #"{"success":true,"result_info":{"per_page":1.0}}"#),
        Example(name: "an Int overflow", body: #"{"success":true,"result_info":{"count":9223372036854775808}}"#),
        Example(name: "a trailing comma (JSONDecoder accepts it)", body: #"{"success":true,"result":[],}"#),
        Example(name: "text after the envelope", body: #"{"success":true} x"#),
        Example(name: "a truncated page", body: String(page(registrations: full).dropLast(40))),
        Example(name: "not a timestamp", body: page(registrations: #"{"id":"r","device":{"id":"d"},"created_at":"yesterday"}"#)),
        Example(name: "no id", body: page(registrations: #"{"device":{"id":"d"}}"#)),
        Example(name: "a null id", body: page(registrations: #"{"id":null,"device":{"id":"d"}}"#)),
        Example(name: "no device", body: page(registrations: #"{"id":"r"}"#)),
        Example(name: "a null device", body: page(registrations: #"{"id":"r","device":null}"#)),
        Example(name: "a number for a string", body: page(registrations: #"{"id":7,"device":{"id":"d"}}"#)),
        Example(name: "a user that is not an object", body: page(registrations: #"{"id":"r","device":{"id":"d"},"user":[]}"#)),
        Example(name: "a registration that is not an object", body: page(registrations: "1")),
        Example(name: "no success", body: #"{"result":[]}"#),
        Example(name: "a string for success", body: #"{"success":"true"}"#),
        Example(name: "a control character in a string", body: page(registrations: "{\"id\":\"r\tx\",\"device\":{\"id\":\"d\"}}")),
        Example(name: "a leading zero", body: page(registrations: full, extra: #","n":01"#)),
        Example(name: "a bare minus", body: page(registrations: full, extra: #","n":-"#)),
        Example(name: "a misspelt literal", body: page(registrations: full, extra: #","n":nul"#)),
        Example(name: "nesting deeper than 64",
                body: page(registrations: full, extra: #","n":"# + String(repeating: "[", count: 70) + String(repeating: "]", count: 70))),
        Example(name: "a repeated envelope key", body: #"{"success":true,"result":[],"result":null}"#),
        Example(name: "a repeated user key", body: page(registrations: #"{"id":"r","device":{"id":"d"},"user":{"email":"a","email":"b"}}"#)),
        Example(name: "a repeated policy key", body: page(registrations: #"{"id":"r","device":{"id":"d"},"policy":{"name":"a","name":"b"}}"#)),
        Example(name: "a repeated result_info key", body: #"{"success":true,"result_info":{"cursor":"a","cursor":"b"}}"#),
        Example(name: "a user that is a string", body: page(registrations: #"{"id":"r","device":{"id":"d"},"user":"u"}"#)),
        Example(name: "a policy that is a boolean", body: page(registrations: #"{"id":"r","device":{"id":"d"},"policy":true}"#)),
        Example(name: "errors as an object", body: #"{"success":true,"errors":{}}"#),
        Example(name: "errors with a number", body: #"{"success":true,"errors":[1]}"#),
        Example(name: "nesting of 65 in a skipped value",
                body: #"{"success":true,"n":"# + String(repeating: "[", count: 65) + String(repeating: "]", count: 65) + "}"),
        Example(name: "an array for an envelope", body: "[]"),
        Example(name: "an empty body", body: ""),
    ]
}

extension Registration {
    /// Every string field's bytes and every timestamp, for a comparison that `String`'s canonical
    /// equivalence cannot blur.
    fileprivate var utf8Fields: [[UInt8]] {
        [id, deviceID, deviceName, clientVersion, keyType, tunnelType, userID, userEmail, userName, profileID, profileName]
            .map { $0.map { Array($0.utf8) } ?? [0xFF] }
            + [createdAt, lastSeenAt, revokedAt].map { date in
                date.map { withUnsafeBytes(of: $0.timeIntervalSince1970.bitPattern) { Array($0) } } ?? [0xFF]
            }
    }
}

/// SplitMix64: a small seeded generator, so that a failing mutation can be replayed.
struct SplitMix {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next(below bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}

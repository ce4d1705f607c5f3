import Foundation
import Testing

@testable import ztguardd

@Suite struct JSONLinesLogHandlerTests {
    @Test("escapes quote, backslash and control characters, and passes every other character through as UTF-8", arguments: [
        (value: "plain", literal: #""plain""#),
        (value: "say \"hi\"", literal: #""say \"hi\"""#),
        (value: #"C:\Users"#, literal: #""C:\\Users""#),
        (value: "two\nlines", literal: #""two\nlines""#),
        (value: "a\tb\rc", literal: #""a\tb\rc""#),
        (value: "\u{01}", literal: #""\u0001""#),
        (value: "\u{08}\u{0C}", literal: #""\u0008\u000c""#),
        (value: "\u{1F}", literal: #""\u001f""#),
        (value: "\u{7F}", literal: "\"\u{7F}\""),
        (value: "café", literal: "\"café\""),
        (value: "🛡️ laptop", literal: "\"🛡️ laptop\""),
        (value: "/path/\u{00}end", literal: #""/path/\u0000end""#),
        (value: "", literal: #""""#),
    ])
    func escaping(value: String, literal: String) throws {
        var line: [UInt8] = []
        JSONLinesLogHandler.appendQuoted(value, to: &line)
        #expect(String(decoding: line, as: UTF8.self) == literal)
        #expect(line == Array(literal.utf8))
        // Any JSON reader gets the value back.
        #expect(try JSONDecoder().decode(String.self, from: Data(line)) == value)
    }

    @Test("a record is one line: the fields in order as one JSON object")
    func line() throws {
        let fields = [("MESSAGE", "Registration revoked"), ("PRIORITY", "5"), ("ZTG_DEVICE_NAME", "Zoë's \"mac\"\n")]
        let line = JSONLinesLogHandler.line(fields.map { (name: $0.0, value: $0.1) })
        #expect(String(decoding: line, as: UTF8.self)
            == #"{"MESSAGE":"Registration revoked","PRIORITY":"5","ZTG_DEVICE_NAME":"Zoë's \"mac\"\n"}"# + "\n")
        #expect(line.filter { $0 == 0x0A }.count == 1)
        let object = try JSONDecoder().decode([String: String].self, from: Data(line))
        #expect(object == Dictionary(uniqueKeysWithValues: fields))
    }
}

import Foundation
import StoreSQL
import Testing

/// The one policy for a row that cannot be read, whichever engine gave the row.
struct StoredRowTests {
    let row = StoredRow(SQLRow(columns: SQLColumns(["id", "kind", "at", "seal", "gone"]),
                               values: [.integer(3), .text("seed"), .integer(1_796_194_800_123), .blob([1, 2]), .null]),
                        table: "things", keyColumn: "id")

    @Test func readsEachKindAndNamesTheRowByItsKey() throws {
        #expect(row.key == "3")
        #expect(try row.value("kind", as: String.self) == "seed")
        #expect(try row.instant("at") == Millis.date(1_796_194_800_123))
        #expect(try row.bytes("seal") == [1, 2])
        #expect(try row.optionalInstant("gone") == nil)
        #expect(try row.parsed("kind") { $0 == "seed" ? 1 : nil } == 1)
    }

    @Test func aValueOfAnotherKindOrAMissingColumnIsUnreadable() {
        #expect(throws: StoreError.unreadableRow(table: "things", key: "3", problem: "column kind: text is not a valid Int64")) {
            try row.value("kind", as: Int64.self)
        }
        #expect(throws: StoreError.unreadableRow(table: "things", key: "3", problem: "column gone: NULL is not a valid String")) {
            try row.value("gone", as: String.self)
        }
        #expect(throws: StoreError.unreadableRow(table: "things", key: "3", problem: "column missing: no such column")) {
            try row.value("missing", as: String?.self)
        }
        #expect(throws: StoreError.unreadableRow(table: "things", key: "3", problem: "column kind holds 'seed', which is not a valid Bool")) {
            try row.parsed("kind") { Bool($0) }
        }
    }

    @Test func aListHasOnePlaceholderPerValueAndNeverNone() {
        #expect(SQLList(["a", "b"]).sql == "(?, ?)")
        #expect(SQLList(["a", "b"]).arguments == [.text("a"), .text("b")])
        #expect(SQLList([]).sql == "(NULL)")
    }
}

import Foundation
import StoreSQL
import Testing

struct SQLValueTests {
    @Test func valuesGoInAndComeBackOut() {
        #expect(Int64(sqlValue: Int64(42).sqlValue) == 42)
        #expect(String(sqlValue: "héllo".sqlValue) == "héllo")
        #expect([UInt8](sqlValue: [UInt8]([0, 255]).sqlValue) == [0, 255])
        #expect(Data(sqlValue: Data([1, 2]).sqlValue) == Data([1, 2]))
        #expect(Bool(sqlValue: true.sqlValue) == true)
        #expect(Double(sqlValue: 1.5.sqlValue) == 1.5)
    }

    @Test func aValueOfAnotherKindIsNotReadAsThisOne() {
        #expect(Int64(sqlValue: .text("42")) == nil)
        #expect(String(sqlValue: .integer(1)) == nil)
        #expect(Bool(sqlValue: .integer(2)) == nil)
        #expect(Int(sqlValue: .null) == nil)
    }

    @Test func anOptionalReadsNullAsNoneAndRefusesAnotherKind() {
        #expect(String?(sqlValue: .null) == .some(nil))
        #expect(String?(sqlValue: .text("a")) == .some("a"))
        #expect(String?(sqlValue: .integer(1)) == nil)
    }

    @Test func aRowFindsItsColumnsByName() {
        let columns = SQLColumns(["id", "name", "id"])
        let row = SQLRow(columns: columns, values: [.integer(1), .text("a"), .integer(2)])
        #expect(row["name"] == .text("a"))
        #expect(row["id"] == .integer(1))
        #expect(row["missing"] == nil)
    }
}

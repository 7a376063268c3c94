import BookingDomain
import DaemonKit
import Foundation
import SuiteCalendar

/// The configuration loaders, from the bytes of a file: `booking.yaml` (the suite's keys and the
/// calendar section every daemon reads for its zone) and the production calendar file. Bad input
/// must be refused with a `ConfigurationError`, whose one-line description is built too.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfiguration(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let configuration = try SuiteConfiguration.parse(text, file: "/etc/booking/booking.yaml")
        _ = try CalendarSettings.businessZone(configuration)
    } catch {
        _ = error.description
    }
    do {
        _ = try ConfigurationYAML.decode(ProductionCalendar.self, from: text, file: "/etc/booking/production-calendar.yaml")
    } catch {
        _ = error.description
    }
    return 0
}

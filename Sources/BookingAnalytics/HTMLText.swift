import Foundation

/// Numbers as the report's SVG writes them. (Text goes through `escapeHTML`: UTM values,
/// referrers and ids reach the page as a visitor's link or an admin's input wrote them.)
enum HTMLText {
    /// An SVG coordinate: one decimal is finer than a printed dot.
    static func coordinate(_ value: Double) -> String {
        String(format: "%.1f", value)
    }
}

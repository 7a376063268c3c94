// Foundation's XMLParser leaks the CFString of every error libxml2 raises: the error callback
// (_structuredErrorFunc -> _CFErrorCreateFromXMLInterface) makes a string for the message and
// nothing releases it. Nothing of ours is on the stack; any document XMLParser refuses shows it.
//
//   swiftc -sanitize=address script/sanitizers/xml-error-leak.swift -o /tmp/xml-error-leak
//   /tmp/xml-error-leak     # LeakSanitizer: leaks allocated in _CFErrorCreateFromXMLInterface
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

for text in ["not xml at all", "<a><b></a>"] {
    let parser = XMLParser(data: Data(text.utf8))
    print("\(text.debugDescription) parsed: \(parser.parse())")
}

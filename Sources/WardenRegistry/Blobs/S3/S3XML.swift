import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The few XML documents S3 answers with (errors, ListObjectsV2,
/// CreateMultipartUpload, CompleteMultipartUpload), read into a small tree.
///
/// S3's documents are small (a listing page holds at most 1,000 keys), so a
/// tree is simpler than a streaming reader and costs nothing that matters.
final class S3XML {
    let name: String
    private(set) var text = ""
    private(set) var children: [S3XML] = []

    init(name: String) {
        self.name = name
    }

    /// Parses `data`; nil when it is not well-formed XML (an HTML error page from a proxy, say).
    static func parse(_ data: Data) -> S3XML? {
        let reader = Reader()
        let parser = XMLParser(data: data)
        parser.delegate = reader
        guard parser.parse(), let root = reader.root else { return nil }
        return root
    }

    /// The first child element called `name`.
    func child(_ name: String) -> S3XML? {
        children.first { $0.name == name }
    }

    /// Every child element called `name`, in document order.
    func all(_ name: String) -> [S3XML] {
        children.filter { $0.name == name }
    }

    /// The text of the first child called `name`.
    func value(_ name: String) -> String? {
        child(name)?.text
    }

    /// Escapes text for an element's content.
    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            default: result.append(character)
            }
        }
        return result
    }

    /// Builds the tree from the parser's events.
    private final class Reader: NSObject, XMLParserDelegate {
        var root: S3XML?
        private var stack: [S3XML] = []

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName: String?, attributes: [String: String] = [:]
        ) {
            let element = S3XML(name: elementName)
            if let parent = stack.last { parent.children.append(element) } else { root = element }
            stack.append(element)
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            _ = stack.popLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }
    }
}

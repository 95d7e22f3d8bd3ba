import Foundation
import Mustache

/// Every page's template, parsed once at start: one way to render a page (`Page.render`). A template that does not
/// parse is a programming error the first page test finds, so parsing failures stop the process.
enum Templates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        let sources = ["layout": layout] + authorizePages + dashboardPages + tokenPages + keyPages + userPages + sitePages + applicationPages
        for (name, text) in sources {
            do { try library.register(text, named: name) } catch { preconditionFailure("template \(name) does not parse: \(error)") }
        }
        return library
    }()

    /// Renders a named template with a context (a dictionary or a struct whose properties the template names).
    static func render(_ name: String, _ context: Any) -> String {
        guard let html = library.render(context, withTemplate: name) else { preconditionFailure("no template named \(name)") }
        return html
    }
}

extension Dictionary where Key == String, Value == String {
    static func + (lhs: Self, rhs: Self) -> Self { lhs.merging(rhs) { _, new in new } }
}

extension Optional {
    /// The value for a template's dictionary: a missing value must be NSNull there (a dictionary keeps an Optional
    /// as a present value, which a section would render as true).
    var orNull: Any { map { $0 as Any } ?? NSNull() }
}

extension String {
    /// The value for a template's dictionary, where an empty text must not open a section.
    var orNullIfEmpty: Any { isEmpty ? NSNull() : self }
}

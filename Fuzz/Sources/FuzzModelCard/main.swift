// libFuzzer target: bytes (UTF-8) -> ModelCard(yaml:) -> check(against:) and the card's JSON.
//
// Any thrown error is an accepted outcome; a trap or an ASan report is a bug.
import Foundation
import WardenCore
import WardenModel

/// A fixed signature like a small classifier's, so check(against:) walks its comparisons
/// (names, dtypes, ranks, fixed and dynamic dims) for cards that declare IO.
/// A static, not a top-level `let`: libFuzzer's main() replaces this file's, so top-level
/// code in main.swift never runs, while statics are initialized lazily on first use.
enum Fixture {
    static let signature = IOSignature(
        inputs: [
            TensorSpec(name: "features", dataType: .float32, shape: [.symbolic("batch"), .fixed(30)]),
            TensorSpec(name: "mask", dataType: .bool, shape: nil),
        ],
        outputs: [
            TensorSpec(name: "probabilities", dataType: .float32, shape: [.unknown, .fixed(2)]),
            TensorSpec(name: "label", dataType: .int64, shape: [.symbolic("batch")]),
        ]
    )
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelCard(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let buffer = UnsafeRawBufferPointer(start: start, count: count)
    // ModelCard.load(fromDirectory:) rejects non-UTF-8 files before parsing; do the same.
    guard let text = String(validating: buffer, as: UTF8.self) else { return -1 }
    guard let card = try? ModelCard(yaml: text) else { return 0 }
    _ = try? card.check(against: Fixture.signature)
    // What `warden inspect --json` does with a card (CLISupport.swift uses the same options).
    _ = try? JSONSerialization.data(withJSONObject: card.jsonObject, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    return 0
}

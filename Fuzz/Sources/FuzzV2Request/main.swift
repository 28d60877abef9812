// libFuzzer target: bytes -> the Open Inference Protocol request reader (`V2Request`),
// which reads every inference request's body: KServe V2 JSON, or Triton's binary tensor
// extension (a JSON header of Inference-Header-Content-Length bytes, then raw tensors).
//
// The first byte picks the framing: even, the rest is a JSON body; odd, the next two bytes
// (little-endian) are the Inference-Header-Content-Length and the rest is the body.
// Any thrown error is an accepted outcome; a trap or an ASan report is a bug.
import WardenCore
@testable import WardenServer

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzV2Request(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    guard let selector = bytes.first else { return 0 }
    var headerLength: Int?
    var body = bytes.dropFirst()
    if selector & 1 == 1 {
        guard body.count >= 2 else { return 0 }
        headerLength = Int(body[body.startIndex]) | Int(body[body.startIndex + 1]) << 8
        body = body.dropFirst(2)
    }
    _ = try? V2Request(body: body, headerLength: headerLength)
    return 0
}

import Testing
import WardenCore
import WardenTestSupport
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

@Suite struct TensorBytesTests {
    func bytes<T>(_ values: [T]) -> ArraySlice<UInt8> { values.withUnsafeBytes { Array($0)[...] } }

    @Test("narrow types decode widened and encode back as declared")
    func widenedRoundTrips() throws {
        let cases: [(TensorDataType, ArraySlice<UInt8>, Tensor.Storage)] = [
            (.float16, bytes([Float16(1.5), -2].map(\.bitPattern)), .float([1.5, -2])),
            (.int16, bytes([Int16(-300), 7]), .int32([-300, 7])),
            (.uint16, bytes([UInt16(65535), 1]), .int32([65535, 1])),
            (.uint32, bytes([UInt32(4_000_000_000), 2]), .int64([4_000_000_000, 2])),
            (.uint64, bytes([UInt64(1) << 40, 3]), .int64([1 << 40, 3])),
        ]
        for (type, encoded, storage) in cases {
            let decoded = try TensorBytes.decode(encoded, type: type, count: 2)
            #expect(decoded == storage, "\(type)")
            var back: [UInt8] = []
            TensorBytes.encode(decoded, as: type, into: &back)
            #expect(back[...] == encoded, "\(type)")
            #expect(TensorBytes.byteCount(decoded, as: type) == encoded.count, "\(type)")
            #expect(Tensor(shape: [2], storage: decoded).fits(type))
        }
    }

    @Test("sizes that do not add up and values the executor cannot hold are refused")
    func refusals() throws {
        expectWardenError(.invalidArgument, containing: "take 6") { _ = try TensorBytes.decode([0, 0, 0, 0][...], type: .int16, count: 3) }
        expectWardenError(.invalidArgument, containing: "beyond what the executor computes with") {
            _ = try TensorBytes.decode(bytes([UInt64.max]), type: .uint64, count: 1)
        }
        // A BYTES element that is not UTF-8 is refused rather than changed (a JPEG's bytes, say).
        let jpeg: [UInt8] = [4, 0, 0, 0, 0xFF, 0xD8, 0xFF, 0xE0]
        expectWardenError(.invalidArgument, containing: ["BYTES element 0 is not UTF-8 text", "UINT8 tensor"]) {
            _ = try TensorBytes.decode(jpeg[...], type: .string, count: 1)
        }
        let text: [UInt8] = [5, 0, 0, 0] + Array("héll".utf8)
        #expect(try TensorBytes.decode(text[...], type: .string, count: 1) == .string(["héll"]))
    }
}

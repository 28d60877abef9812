import Foundation
import Testing
import WardenCore
import WardenTensor
import WardenSandbox
import WardenTestSupport

/// The pipeline modules in `Modules/`: hand-written WAT that follows the host ABI
/// (`docs/wasm-abi.md`) for real preprocess and postprocess jobs, run through the
/// host as a model's stages are. Each is checked on good input against the same
/// computation done in Swift, and on each kind of bad input for its `warden.fail` message.
@Suite struct PipelineModuleTests {
    static func module(_ name: String, role: String = "preprocess") throws -> SandboxModule {
        let path = try #require(Bundle.module.path(forResource: name, ofType: "wat", inDirectory: "Modules"))
        return try SandboxModule(contentsOf: path, role: role, limits: .defaults)
    }

    static func bytes(_ name: String, _ values: [UInt8]) -> TensorSet.Entry {
        TensorSet.Entry(name: name, dataType: .uint8, tensor: Tensor(shape: [values.count], storage: .uint8(values)))
    }

    static func strings(_ name: String, _ values: [String], shape: [Int]? = nil) -> TensorSet.Entry {
        TensorSet.Entry(name: name, dataType: .string, tensor: Tensor(shape: shape ?? [values.count], storage: .string(values)))
    }

    /// The one output named `name`.
    static func output(_ outputs: [TensorSet.Entry], _ name: String) throws -> TensorSet.Entry {
        try #require(outputs.first { $0.name == name }, "no output '\(name)' in \(outputs.map(\.name))")
    }

    static func floats(_ entry: TensorSet.Entry) throws -> [Float] {
        guard case .float(let values) = entry.tensor.storage else {
            Issue.record("'\(entry.name)' holds \(entry.tensor.storage), not floats")
            return []
        }
        return values
    }

    static func int64s(_ entry: TensorSet.Entry) throws -> [Int64] {
        guard case .int64(let values) = entry.tensor.storage else {
            Issue.record("'\(entry.name)' holds \(entry.tensor.storage), not int64s")
            return []
        }
        return values
    }

    // MARK: image_normalize.wat

    static let mean: [Float] = [0.485, 0.456, 0.406]
    static let std: [Float] = [0.229, 0.224, 0.225]

    /// A binary PPM: the header, then width*height RGB pixels.
    static func ppm(width: Int, height: Int, header: String? = nil, pixels: [UInt8]? = nil) -> [UInt8] {
        let rgb = pixels ?? (0..<(width * height * 3)).map { UInt8(($0 * 37 + 11) % 256) }
        return Array((header ?? "P6\n\(width) \(height)\n255\n").utf8) + rgb
    }

    @Test func imageBecomesNormalizedChannelsFirstFloats() throws {
        let (width, height) = (4, 3)
        let file = Self.ppm(width: width, height: height)
        let rgb = Array(file.suffix(width * height * 3))
        let outputs = try Self.module("image_normalize").call([Self.bytes("image", file)])
        #expect(outputs.map(\.name) == ["pixels"])
        let pixels = try Self.output(outputs, "pixels")
        #expect(pixels.dataType == .float32)
        #expect(pixels.tensor.shape == [1, 3, height, width])
        let values = try Self.floats(pixels)
        try #require(values.count == 3 * height * width)
        // CHW: value [0, c, y, x] is at c*H*W + y*W + x, from byte (y*W + x)*3 + c of the image.
        for c in 0..<3 {
            for y in 0..<height {
                for x in 0..<width {
                    let byte = rgb[(y * width + x) * 3 + c]
                    let expected = (Float(byte) / 255 - Self.mean[c]) / Self.std[c]
                    let got = values[c * height * width + y * width + x]
                    #expect(abs(got - expected) < 1e-5, "channel \(c) at (\(x), \(y)): \(got), expected \(expected)")
                }
            }
        }
    }

    @Test func aFullSizeImageFitsTheDefaultLimits() throws {
        // 224x224, as an ImageNet model takes it: 150 KB in, 588 KiB out, within the default fuel and pages.
        let file = Self.ppm(width: 224, height: 224)
        let outputs = try Self.module("image_normalize").call([Self.bytes("image", file)])
        let pixels = try Self.output(outputs, "pixels")
        #expect(pixels.tensor.shape == [1, 3, 224, 224])
        let values = try Self.floats(pixels)
        try #require(values.count == 3 * 224 * 224)
        // The last value: channel 2 of the last pixel.
        #expect(abs(values[values.count - 1] - (Float(file[file.count - 1]) / 255 - Self.mean[2]) / Self.std[2]) < 1e-5)
    }

    @Test func imageHeaderWhitespaceMayBeSpacesTabsAndCRLF() throws {
        // Pixel bytes that look like whitespace (10, 32) right after the header's one whitespace byte.
        let rgb: [UInt8] = [10, 32, 9, 255, 0, 128]
        let file = Self.ppm(width: 2, height: 1, header: "P6 \t2\r\n 1\n\n255\r", pixels: rgb)
        let outputs = try Self.module("image_normalize").call([Self.bytes("file", file)])
        let pixels = try Self.output(outputs, "pixels")
        #expect(pixels.tensor.shape == [1, 3, 1, 2])
        let expected: [Float] = [rgb[0], rgb[3], rgb[1], rgb[4], rgb[2], rgb[5]].enumerated().map { index, byte in
            (Float(byte) / 255 - Self.mean[index / 2]) / Self.std[index / 2]
        }
        let values = try Self.floats(pixels)
        #expect(values.count == expected.count)
        for (got, want) in zip(values, expected) {
            #expect(abs(got - want) < 1e-5)
        }
    }

    @Test func imageRefusesWhatIsNotAn8BitBinaryPPM() throws {
        let module = try Self.module("image_normalize")
        expectWardenError(.wasmRejectedInput, containing: ["preprocess module image_normalize.wat rejected the input", "expected a binary PPM image (P6)"]) {
            _ = try module.call([Self.bytes("image", Array("P3\n4 3\n255\n0 0 0\n".utf8))])
        }
        expectWardenError(.wasmRejectedInput, containing: "expected a binary PPM image (P6)") {
            _ = try module.call([Self.bytes("image", [0x89, 0x50, 0x4e, 0x47])])
        }
        expectWardenError(.wasmRejectedInput, containing: "only 8-bit PPM images (maxval 255) are supported") {
            // 16-bit samples: two bytes each.
            _ = try module.call([Self.bytes("image", Array("P6\n4 3\n65535\n".utf8) + Array(repeating: 0, count: 72))])
        }
        expectWardenError(.wasmRejectedInput, containing: ["the image says 4x3 but holds fewer pixel bytes", "it needs 36 after the header and has 35"]) {
            _ = try module.call([Self.bytes("image", Array(Self.ppm(width: 4, height: 3).dropLast()))])
        }
        expectWardenError(.wasmRejectedInput, containing: "the image says 4x3 but holds fewer pixel bytes") {
            _ = try module.call([Self.bytes("image", Array("P6\n4 3\n255".utf8))])
        }
        expectWardenError(.wasmRejectedInput, containing: "the image must be a UINT8 tensor of the file's bytes") {
            _ = try module.call([TensorSet.Entry(name: "image", dataType: .float32, tensor: Tensor(shape: [2], floats: [1, 2]))])
        }
        expectWardenError(.wasmRejectedInput, containing: "the image must be a UINT8 tensor of the file's bytes") {
            _ = try module.call([])
        }
        expectWardenError(.wasmRejectedInput, containing: "the PPM header must give width, height and maxval") {
            _ = try module.call([Self.bytes("image", Array("P6\nfour 3\n255\n".utf8))])
        }
    }

    // MARK: tokenizer.wat

    static func tokenize(_ text: String) throws -> (ids: [Int64], mask: [Int64], shape: [Int]) {
        let outputs = try module("tokenizer").call([strings("text", [text])])
        #expect(outputs.map(\.name) == ["input_ids", "attention_mask"])
        let ids = try output(outputs, "input_ids"), mask = try output(outputs, "attention_mask")
        #expect(ids.dataType == .int64 && mask.dataType == .int64)
        #expect(ids.tensor.shape == mask.tensor.shape)
        return (try int64s(ids), try int64s(mask), ids.tensor.shape)
    }

    @Test func textBecomesTokenIdsBetweenCLSAndSEP() throws {
        let tokens = try Self.tokenize("Warden ships models safely, and FAST!")
        #expect(tokens.ids == [2, 7, 8, 9, 10, 12, 11, 3])
        #expect(tokens.mask == Array(repeating: 1, count: 8))
        #expect(tokens.shape == [1, 8])
    }

    @Test func unknownWordsAreUNKAndNonASCIISeparates() throws {
        #expect(try Self.tokenize("the zebra is signed").ids == [2, 4, 1, 13, 14, 3])
        // "wasm2" is one unknown word; "é" splits "modél" into "mod" and "l", both unknown.
        #expect(try Self.tokenize("wasm2 wasm modél").ids == [2, 1, 15, 1, 1, 3])
    }

    @Test func emptyTextIsJustCLSAndSEP() throws {
        let tokens = try Self.tokenize("")
        #expect(tokens.ids == [2, 3])
        #expect(tokens.mask == [1, 1])
        #expect(tokens.shape == [1, 2])
        #expect(try Self.tokenize(" ,.;!? ").ids == [2, 3])
    }

    @Test func longTextsKeep62Words() throws {
        let text = (0..<100).map { $0 % 2 == 0 ? "model" : "a" }.joined(separator: " ")
        let tokens = try Self.tokenize(text)
        #expect(tokens.shape == [1, 64])
        #expect(tokens.ids.count == 64)
        #expect(tokens.ids.first == 2 && tokens.ids.last == 3)
        #expect(Array(tokens.ids[1..<63]) == (0..<62).map { $0 % 2 == 0 ? 6 : 5 })
        #expect(tokens.mask == Array(repeating: 1, count: 64))
        // Exactly 62 words are all kept.
        #expect(try Self.tokenize(Array(repeating: "wasm", count: 62).joined(separator: " ")).shape == [1, 64])
    }

    @Test func tokenizerRefusesAnythingButOneText() throws {
        let module = try Self.module("tokenizer")
        expectWardenError(.wasmRejectedInput, containing: "the text must be one BYTES element") {
            _ = try module.call([Self.strings("text", ["one", "two"])])
        }
        expectWardenError(.wasmRejectedInput, containing: "the text must be one BYTES element") {
            _ = try module.call([Self.bytes("text", Array("hello".utf8))])
        }
        expectWardenError(.wasmRejectedInput, containing: "the text must be one BYTES element") {
            _ = try module.call([])
        }
        // A [1, 1] tensor is still one text.
        let outputs = try module.call([Self.strings("text", ["a model"], shape: [1, 1])])
        #expect(try Self.int64s(Self.output(outputs, "input_ids")) == [2, 5, 6, 3])
    }

    // MARK: topk.wat

    static func probabilities(_ rows: [[Float]]) -> TensorSet.Entry {
        TensorSet.Entry(name: "probabilities", dataType: .float32, tensor: Tensor(shape: [rows.count, rows.first?.count ?? 0], floats: rows.flatMap { $0 }))
    }

    @Test func topTwoLabelsAndScoresPerRow() throws {
        let label = TensorSet.Entry(name: "label", dataType: .int64, tensor: Tensor(shape: [2], int64s: [1, 0]))
        let outputs = try Self.module("topk", role: "postprocess").call([label, Self.probabilities([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]])])
        #expect(outputs.map(\.name) == ["labels", "scores"])
        let labels = try Self.output(outputs, "labels"), scores = try Self.output(outputs, "scores")
        #expect(labels.dataType == .string)
        #expect(labels.tensor.shape == [2, 2])
        #expect(labels.tensor.storage == .string(["versicolor", "virginica", "setosa", "virginica"]))
        #expect(scores.dataType == .float32)
        #expect(scores.tensor.shape == [2, 2])
        #expect(try Self.floats(scores) == [0.7, 0.2, 0.5, 0.3])
    }

    @Test func topkTiesKeepTheLowerClassFirst() throws {
        let outputs = try Self.module("topk", role: "postprocess").call([Self.probabilities([[0.25, 0.5, 0.25], [0.4, 0.2, 0.4], [1, 1, 1]])])
        #expect(try Self.output(outputs, "labels").tensor.storage == .string(["versicolor", "setosa", "setosa", "virginica", "setosa", "versicolor"]))
        #expect(try Self.floats(Self.output(outputs, "scores")) == [0.5, 0.25, 0.4, 0.4, 1, 1])
    }

    @Test func topkRefusesOtherClassCountsAndMissingProbabilities() throws {
        let module = try Self.module("topk", role: "postprocess")
        expectWardenError(.wasmRejectedInput, containing: ["postprocess module topk.wat rejected the input", "the model gives 4 classes but the module has 3 labels"]) {
            _ = try module.call([Self.probabilities([[0.1, 0.2, 0.3, 0.4]])])
        }
        expectWardenError(.wasmRejectedInput, containing: "no 'probabilities' tensor in the model's outputs") {
            _ = try module.call([TensorSet.Entry(name: "label", dataType: .int64, tensor: Tensor(shape: [1], int64s: [0]))])
        }
        expectWardenError(.wasmRejectedInput, containing: "the 'probabilities' tensor must be FP32 with shape [N, C]") {
            _ = try module.call([TensorSet.Entry(name: "probabilities", dataType: .float32, tensor: Tensor(shape: [3], floats: [0.1, 0.2, 0.7]))])
        }
    }

    // MARK: csv_features.wat

    @Test func csvLinesBecomeAFeatureMatrix() throws {
        let lines = ["5.1,3.5,1.4,0.2", " 6.7, 3.0 ,5.2,2.3", "-1,0,2.5,10"]
        let outputs = try Self.module("csv_features").call([Self.strings("rows", lines)])
        #expect(outputs.map(\.name) == ["input"])
        let input = try Self.output(outputs, "input")
        #expect(input.dataType == .float32)
        #expect(input.tensor.shape == [3, 4])
        let expected: [Float] = [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3, -1, 0, 2.5, 10]
        let values = try Self.floats(input)
        try #require(values.count == expected.count)
        for (got, want) in zip(values, expected) {
            #expect(abs(got - want) < 1e-6, "\(got), expected \(want)")
        }
    }

    @Test func csvNumbersMayOmitEitherSideOfThePoint() throws {
        let outputs = try Self.module("csv_features").call([Self.strings("rows", ["3.,.25,-0.5,007\r\n"])])
        #expect(try Self.floats(Self.output(outputs, "input")) == [3, 0.25, -0.5, 7])
    }

    @Test func csvRefusesLinesThatAreNotFourNumbers() throws {
        let module = try Self.module("csv_features")
        let message = "each line must hold 4 comma-separated numbers, such as 5.1,3.5,1.4,0.2"
        for line in ["1,2,3", "a,b,c,d", "1,2,3,4,5", "1,2,3,4,", "1,,3,4", "1 2,3,4,5", "-,1,2,3", "1.2.3,4,5,6", ""] {
            expectWardenError(.wasmRejectedInput, containing: message) {
                _ = try module.call([Self.strings("rows", [line])])
            }
        }
        expectWardenError(.wasmRejectedInput, containing: [message, "(line 2 does not)"]) {
            _ = try module.call([Self.strings("rows", ["1,2,3,4", "1,2,3"])])
        }
        expectWardenError(.wasmRejectedInput, containing: "the input must be a BYTES tensor of shape [N]") {
            _ = try module.call([Self.strings("rows", [])])
        }
        expectWardenError(.wasmRejectedInput, containing: "the input must be a BYTES tensor of shape [N]") {
            _ = try module.call([TensorSet.Entry(name: "rows", dataType: .float32, tensor: Tensor(shape: [4], floats: [1, 2, 3, 4]))])
        }
    }
}

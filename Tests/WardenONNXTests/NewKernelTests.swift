import Foundation
import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// Pad, Split, LayerNormalization, InstanceNormalization, LRN, ConvTranspose
/// and the 3-D pools: small worked examples, and the errors a user
/// sees for inputs they cannot run on. ONNX's backend cases
/// (ConformanceTests) cover the rest.
@Suite struct NewKernelTests {
    /// Runs one node of `op` from the kernel table on `inputs`; the node is called 'n'.
    static func run(_ op: String, _ inputs: [Tensor?], opset: Int64 = 18, outputs: Int = 1, _ attributes: Onnx_AttributeProto...) throws -> [Tensor] {
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = "n"
        node.input = inputs.indices.map { "in\($0)" }
        node.output = (0..<outputs).map { "out\($0)" }
        node.attribute = attributes
        let kernel = try #require(Kernels.all[op])
        return try kernel(NodeContext(node: node, opset: opset, resolver: ExternalDataResolver(directory: ".")), inputs)
    }

    static func attribute(_ name: String, ints: [Int]) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .ints
        attribute.ints = ints.map(Int64.init)
        return attribute
    }

    static func attribute(_ name: String, int: Int) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .int
        attribute.i = Int64(int)
        return attribute
    }

    static func attribute(_ name: String, float: Float) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .float
        attribute.f = float
        return attribute
    }

    static func attribute(_ name: String, string: String) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .string
        attribute.s = Data(string.utf8)
        return attribute
    }

    static func ints(_ values: [Int64]) -> Tensor { Tensor(shape: [values.count], int64s: values) }

    static let row = Tensor(shape: [3], floats: [1, 2, 3])

    // MARK: Pad

    @Test(arguments: [
        ("constant", [Float(0), 0, 1, 2, 3, 0, 0]),
        ("reflect", [3, 2, 1, 2, 3, 2, 1]),
        ("edge", [1, 1, 1, 2, 3, 3, 3]),
        ("wrap", [2, 3, 1, 2, 3, 1, 2]),
    ])
    func padModes(mode: String, expected: [Float]) throws {
        let out = try Self.run("Pad", [Self.row, Self.ints([2, 2])], Self.attribute("mode", string: mode))
        #expect(out[0].shape == [7])
        #expect(out[0].floats == expected)
    }

    @Test func padAxesConstantValueAndTypes() throws {
        let x = Tensor(shape: [2, 2], int64s: [1, 2, 3, 4])
        let out = try Self.run("Pad", [x, Self.ints([1, 0]), Tensor(shape: [], int64s: [9]), Self.ints([-1])])
        #expect(out[0].shape == [2, 3])
        #expect(out[0].storage == .int64([9, 1, 2, 9, 3, 4]))
        // Opset 2 takes pads and value as attributes; negative pads crop.
        let old = try Self.run("Pad", [Self.row], opset: 2, Self.attribute("pads", ints: [-1, 1]), Self.attribute("value", float: 7))
        #expect(old[0].floats == [2, 3, 7])
    }

    @Test func padRefusals() throws {
        expectWardenError(.invalidArgument, containing: "Pad 'n': pads has 3 values; it needs 2: a begin and an end for each of 1 axes of [3]") {
            _ = try Self.run("Pad", [Self.row, Self.ints([1, 1, 1])])
        }
        expectWardenError(.invalidArgument, containing: "pads -2 and -1 on axis 0 remove all 3 elements of [3]") {
            _ = try Self.run("Pad", [Self.row, Self.ints([-2, -1])])
        }
        expectWardenError(.invalidArgument, containing: "mode 'mirror' is not one of constant, reflect, edge, wrap") {
            _ = try Self.run("Pad", [Self.row, Self.ints([1, 1])], Self.attribute("mode", string: "mirror"))
        }
        expectWardenError(.invalidArgument, containing: "cannot reflect-pad axis 0 of [0]: it is empty") {
            _ = try Self.run("Pad", [Tensor(shape: [0], floats: []), Self.ints([1, 1])], Self.attribute("mode", string: "reflect"))
        }
        expectWardenError(.invalidArgument, containing: "constant_value must be one value, got [2]") {
            _ = try Self.run("Pad", [Self.row, Self.ints([1, 1]), Tensor(shape: [2], floats: [1, 2])])
        }
        expectWardenError(.invalidArgument, containing: "axes [0, -1] name an axis twice") {
            _ = try Self.run("Pad", [Self.row, Self.ints([1, 1, 1, 1]), nil, Self.ints([0, -1])])
        }
        expectWardenError(.invalidArgument, containing: "Pad 'n': pads [9223372036854775807, 1] are too large") {
            _ = try Self.run("Pad", [Self.row, Self.ints([Int64.max, 1])])
        }
        expectWardenError(.invalidArgument, containing: "the padded shape [0, 1099511627777] is too large") {
            _ = try Self.run("Pad", [Tensor(shape: [0, 1], floats: []), Self.ints([0, 0, 0, 1 << 40])])
        }
        expectWardenError(.invalidArgument, containing: "Pad 'n': the attribute 'pads' is required") {
            _ = try Self.run("Pad", [Self.row], opset: 2)
        }
    }

    // MARK: Split

    @Test func splitForms() throws {
        let x = Tensor(shape: [2, 4], floats: [0, 1, 2, 3, 4, 5, 6, 7])
        let equal = try Self.run("Split", [x], opset: 13, outputs: 2, Self.attribute("axis", int: 1))
        #expect(equal.map(\.shape) == [[2, 2], [2, 2]])
        #expect(equal.map(\.floats) == [[0, 1, 4, 5], [2, 3, 6, 7]])
        let sized = try Self.run("Split", [x, Self.ints([1, 3])], opset: 13, outputs: 2, Self.attribute("axis", int: -1))
        #expect(sized.map(\.floats) == [[0, 4], [1, 2, 3, 5, 6, 7]])
        let attribute = try Self.run("Split", [x], opset: 11, outputs: 2, Self.attribute("split", ints: [3, 1]), Self.attribute("axis", int: 1))
        #expect(attribute.map(\.shape) == [[2, 3], [2, 1]])
        let chunks = try Self.run("Split", [Tensor(shape: [7], int64s: Array(0..<7))], outputs: 3, Self.attribute("num_outputs", int: 3))
        #expect(chunks.map(\.storage) == [.int64([0, 1, 2]), .int64([3, 4, 5]), .int64([6])])
    }

    @Test func splitRefusals() throws {
        expectWardenError(.invalidArgument, containing: "Split 'n': axis 0 of [3] does not split into 2 equal parts; give the sizes in 'split'") {
            _ = try Self.run("Split", [Self.row], outputs: 2)
        }
        expectWardenError(.invalidArgument, containing: "split sizes [2, 2] must be non-negative and add up to 3, the size of axis 0 of [3]") {
            _ = try Self.run("Split", [Self.row, Self.ints([2, 2])], outputs: 2)
        }
        expectWardenError(.invalidArgument, containing: "split has 3 sizes for 2 outputs") {
            _ = try Self.run("Split", [Self.row, Self.ints([1, 1, 1])], outputs: 2)
        }
        expectWardenError(.invalidArgument, containing: "num_outputs is 3 but the node has 2 outputs") {
            _ = try Self.run("Split", [Self.row], outputs: 2, Self.attribute("num_outputs", int: 3))
        }
        expectWardenError(.invalidArgument, containing: "Split 'n': axis 2 is out of range for rank 1") {
            _ = try Self.run("Split", [Self.row], outputs: 1, Self.attribute("axis", int: 2))
        }
    }

    // MARK: Normalization

    @Test func layerNormalizationAndItsStatistics() throws {
        let x = Tensor(shape: [2, 2], floats: [1, 3, 1, 5])
        let out = try Self.run("LayerNormalization", [x, Tensor(shape: [2], floats: [1, 2]), Tensor(shape: [], floats: [0.5])], opset: 17, outputs: 3,
                               Self.attribute("epsilon", float: 0))
        #expect(out[0].floats == [-0.5, 2.5, -0.5, 2.5])
        #expect(out[1].shape == [2, 1] && out[1].floats == [2, 3])
        #expect(out[2].shape == [2, 1] && out[2].floats == [1, 0.5])
    }

    @Test func normalizationRefusals() throws {
        let x = Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        expectWardenError(.invalidArgument, containing: "LayerNormalization 'n': Scale [2] does not broadcast to X [2, 3]") {
            _ = try Self.run("LayerNormalization", [x, Tensor(shape: [2], floats: [1, 1])], opset: 17)
        }
        expectWardenError(.invalidArgument, containing: "B [4, 3] does not broadcast to X [2, 3]") {
            _ = try Self.run("LayerNormalization", [x, Tensor(shape: [3], floats: [1, 1, 1]), Tensor(shape: [4, 3], floats: Array(repeating: 0, count: 12))], opset: 17)
        }
        expectWardenError(.invalidArgument, containing: "stash_type 7 is not supported") {
            _ = try Self.run("LayerNormalization", [x, Tensor(shape: [3], floats: [1, 1, 1])], opset: 17, Self.attribute("stash_type", int: 7))
        }
        expectWardenError(.invalidArgument, containing: "X must be a floating-point tensor, got int64") {
            _ = try Self.run("LayerNormalization", [Tensor(shape: [1], int64s: [1]), Tensor(shape: [1], floats: [1])], opset: 17)
        }
        expectWardenError(.invalidArgument, containing: "InstanceNormalization 'n': input must be [N, C, D1, …] (rank ≥ 3), got [2, 3]") {
            _ = try Self.run("InstanceNormalization", [x, Tensor(shape: [3], floats: [1, 1, 1]), Tensor(shape: [3], floats: [0, 0, 0])])
        }
        let image = Tensor(shape: [1, 2, 1, 2], floats: [1, 2, 3, 4])
        expectWardenError(.invalidArgument, containing: "scale and B must have one value per channel (2), got 3 and 2") {
            _ = try Self.run("InstanceNormalization", [image, Tensor(shape: [3], floats: [1, 1, 1]), Tensor(shape: [2], floats: [0, 0])])
        }
        expectWardenError(.invalidArgument, containing: "LRN 'n': the attribute 'size' is required") { _ = try Self.run("LRN", [image]) }
        expectWardenError(.invalidArgument, containing: "size must be positive, got 0") { _ = try Self.run("LRN", [image], Self.attribute("size", int: 0)) }
    }

    @Test func instanceNormalizationAndLRNValues() throws {
        let image = Tensor(shape: [1, 2, 1, 2], floats: [1, 3, 4, 6])
        let normalized = try Self.run("InstanceNormalization", [image, Tensor(shape: [2], floats: [2, 1]), Tensor(shape: [2], floats: [0, 1])],
                                      Self.attribute("epsilon", float: 0))
        #expect(normalized[0].floats == [-2, 2, 0, 2])
        // Channel 0 sums channels 0 and 1, channel 1 only itself: y = x / (1 + 1/2 · Σx²).
        let lrn = try Self.run("LRN", [Tensor(shape: [1, 2, 1, 1], floats: [1, 2])], Self.attribute("size", int: 2),
                               Self.attribute("alpha", float: 1), Self.attribute("beta", float: 1))
        #expect(lrn[0].floats.map { ($0 * 1e5).rounded() / 1e5 } == [Float((1 / 3.5 * 1e5).rounded() / 1e5), Float((2 / 3.0 * 1e5).rounded() / 1e5)])
    }

    // MARK: ConvTranspose

    static let signal = Tensor(shape: [1, 1, 3], floats: [1, 2, 3])
    static let taps = Tensor(shape: [1, 1, 3], floats: [1, 10, 100])

    @Test func convTransposeOutputShapes() throws {
        let stride = Self.attribute("strides", ints: [2])
        #expect(try Self.run("ConvTranspose", [Self.signal, Self.taps], stride)[0].floats == [1, 10, 102, 20, 203, 30, 300])
        // onnxruntime's placements: an odd padding unit goes first for output_shape, last for SAME_UPPER.
        #expect(try Self.run("ConvTranspose", [Self.signal, Self.taps], stride, Self.attribute("output_shape", ints: [6]))[0].floats == [10, 102, 20, 203, 30, 300])
        #expect(try Self.run("ConvTranspose", [Self.signal, Self.taps], stride, Self.attribute("auto_pad", string: "SAME_UPPER"))[0].floats == [1, 10, 102, 20, 203, 30])
        let padded = try Self.run("ConvTranspose", [Self.signal, Self.taps, Tensor(shape: [1], floats: [0.5])], stride,
                                  Self.attribute("pads", ints: [1, 2]), Self.attribute("output_padding", ints: [1]))
        #expect(padded[0].floats == [10.5, 102.5, 20.5, 203.5, 30.5])
    }

    @Test func convTransposeRefusals() throws {
        expectWardenError(.invalidArgument, containing: "ConvTranspose 'n': weights [2, 1, 3] do not fit input [1, 1, 3] with group 1") {
            _ = try Self.run("ConvTranspose", [Self.signal, Tensor(shape: [2, 1, 3], floats: Array(repeating: 1, count: 6))])
        }
        expectWardenError(.invalidArgument, containing: "B must have one value per output channel (1), got 2") {
            _ = try Self.run("ConvTranspose", [Self.signal, Self.taps, Tensor(shape: [2], floats: [0, 0])])
        }
        expectWardenError(.invalidArgument, containing: "pads [3, 3] leave no output for input [3] and kernel [3]") {
            _ = try Self.run("ConvTranspose", [Self.signal, Self.taps], Self.attribute("pads", ints: [3, 3]))
        }
        expectWardenError(.invalidArgument, containing: "output_shape 9 on spatial axis 0 is too large") {
            _ = try Self.run("ConvTranspose", [Self.signal, Self.taps], Self.attribute("strides", ints: [2]), Self.attribute("output_shape", ints: [9]))
        }
        expectWardenError(.invalidArgument, containing: "input must be [N, C, D1, …] with at least one spatial axis, got [1, 3]") {
            _ = try Self.run("ConvTranspose", [Tensor(shape: [1, 3], floats: [1, 2, 3]), Self.taps])
        }
        expectWardenError(.invalidArgument, containing: "strides and dilations must be positive") {
            _ = try Self.run("ConvTranspose", [Self.signal, Self.taps], Self.attribute("strides", ints: [0]))
        }
    }

    // MARK: 3-D pooling

    static let cube = Tensor(shape: [1, 1, 2, 2, 2], floats: [1, 2, 3, 4, 5, 6, 7, 8])

    @Test func volumetricValues() throws {
        let window = Self.attribute("kernel_shape", ints: [2, 2, 2])
        #expect(try Self.run("AveragePool", [Self.cube], window)[0].floats == [4.5])
        #expect(try Self.run("MaxPool", [Self.cube], window)[0].floats == [8])
        // 1-D and 2-D inputs still go to the planar kernels.
        #expect(try Self.run("MaxPool", [Self.signal], Self.attribute("kernel_shape", ints: [2]))[0].floats == [2, 3])
    }

    @Test func volumetricRefusals() throws {
        expectWardenError(.invalidArgument, containing: "MaxPool 'n': needs kernel_shape with 3 values") { _ = try Self.run("MaxPool", [Self.cube]) }
        expectWardenError(.invalidArgument, containing: "AveragePool 'n': the kernel [3, 3, 3] does not fit the input [2, 2, 2]") {
            _ = try Self.run("AveragePool", [Self.cube], Self.attribute("kernel_shape", ints: [3, 3, 3]))
        }
        expectWardenError(.invalidArgument, containing: "MaxPool 'n': kernel_shape, strides and dilations need 3 values and pads 6") {
            _ = try Self.run("MaxPool", [Self.cube], Self.attribute("kernel_shape", ints: [2, 2, 2]), Self.attribute("strides", ints: [1, 1]))
        }
    }
}

import Foundation
import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// 3×3 convolutions by Winograd F(4×4, 3×3) against the same layer through im2col.
@Suite struct WinogradTests {
    /// x [n, c, h, w] → Conv 3×3 with the given pads (and a bias) → optionally Relu.
    static func model(n: Int, c: Int, m: Int, h: Int, w: Int, pads: [Int], relu: Bool) throws -> ONNXModel {
        var graph = Onnx_GraphProto()
        graph.name = "winograd"
        graph.input = [FusionTests.value("x", [n, c, h, w])]
        graph.initializer = [
            FusionTests.initializer("w", [m, c, 3, 3], GEMMTests.random(m * c * 9, seed: 40)),
            FusionTests.initializer("b", [m], GEMMTests.random(m, seed: 41)),
        ]
        graph.node = [FusionTests.node("Conv", ["x", "w", "b"], [relu ? "c" : "y"], [("pads", pads)])]
        if relu { graph.node.append(FusionTests.node("Relu", ["c"], ["y"])) }
        let oh = h + pads[0] + pads[2] - 2, ow = w + pads[1] + pads[3] - 2
        graph.output = [FusionTests.value("y", [n, m, oh, ow])]
        return try TestGraph.model(graph, path: "winograd.onnx")
    }

    /// Winograd's rounding error grows with the layer's values rather than
    /// with each output, so it is measured against the largest output: an
    /// output near zero may be off by about 1e-5 of that.
    static func expectClose(_ actual: [Float], _ expected: [Float], _ label: String) {
        #expect(actual.count == expected.count, "\(label): count")
        let scale = expected.reduce(Float(0)) { max($0, abs($1)) }
        let worst = zip(actual, expected).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(worst <= 2e-5 * max(scale, 1), "\(label): worst error \(worst) for outputs up to \(scale)")
    }

    static func winograd(_ executor: Executor) -> ConvolutionKernels.WinogradWeights? {
        (executor.steps.first?.prepared as? ConvolutionKernels.ConvPlan)?.winograd
    }

    /// Odd sizes (partial tiles at the right and bottom), asymmetric padding,
    /// no padding, batches, Relu, and a case with more tiles than one block
    /// holds, so a block boundary falls in the middle of a tile row.
    @Test(arguments: [
        (1, 16, 16, 13, 11, [1, 1, 1, 1], false),
        (2, 16, 24, 15, 17, [0, 1, 2, 0], true),
        (1, 20, 16, 18, 18, [0, 0, 0, 0], false),
        (3, 64, 64, 38, 38, [1, 1, 1, 1], true),
    ])
    func matchesIm2col(n: Int, c: Int, m: Int, h: Int, w: Int, pads: [Int], relu: Bool) throws {
        let model = try Self.model(n: n, c: c, m: m, h: h, w: w, pads: pads, relu: relu)
        let plain = try Executor(model: model, options: .init(threads: 1, fusion: false))
        let x = Tensor(shape: [n, c, h, w], floats: GEMMTests.random(n * c * h * w, seed: 42))
        let expected = try #require(try plain.run(["x": x])["y"])
        #expect(Self.winograd(plain) == nil, "without load-time preparation the layer goes through im2col")
        for threads in [1, 2] {
            let fast = try Executor(model: model, options: .init(threads: threads))
            let plan = try #require(Self.winograd(fast), "a 3×3 stride-1 Conv with ≥ 16 channels gets Winograd weights")
            let layout = ConvolutionKernels.Winograd.Layout(
                images: n, height: h, width: w, outputHeight: expected.shape[2], outputWidth: expected.shape[3], padTop: pads[0], padLeft: pads[1])
            #expect(layout.tiles >= ConvolutionKernels.Winograd.minimumTiles, "the case must be large enough to take the Winograd path")
            #expect(plan.channels == c && plan.filters == m)
            #expect(!plan.isTransformed, "the weights are transformed by the first call that needs them, not at load")
            let actual = try #require(try fast.run(["x": x])["y"])
            #expect(plan.isTransformed)
            #expect(actual.shape == expected.shape)
            Self.expectClose(actual.floats, expected.floats, "n \(n) c \(c) m \(m) \(h)×\(w) pads \(pads) threads \(threads)")
        }
    }

    /// A block holds `blockBudget / (36 · channels)` tiles; the 64-channel case above must span more than one.
    @Test func theLargeCaseSpansBlocks() {
        let perBlock = ConvolutionKernels.Winograd.blockBudget / (36 * 64) / 8 * 8
        #expect(3 * 10 * 10 > perBlock)
    }

    /// Narrow layers, strided, dilated or grouped ones, and other kernel sizes keep im2col.
    @Test func onlyWideThreeByThreeStrideOneLayersArePrepared() throws {
        let narrow = try Executor(model: try Self.model(n: 1, c: 8, m: 16, h: 12, w: 12, pads: [1, 1, 1, 1], relu: false))
        #expect(Self.winograd(narrow) == nil)
        var proto = try Onnx_ModelProto(serializedBytes: try Self.model(n: 1, c: 16, m: 16, h: 12, w: 12, pads: [1, 1, 1, 1], relu: false).proto.serializedData())
        proto.graph.node[0].attribute.append({
            var a = Onnx_AttributeProto()
            a.name = "strides"
            a.type = .ints
            a.ints = [2, 2]
            return a
        }())
        proto.graph.output = [FusionTests.value("y", [1, 16, 6, 6])]
        let strided = try Executor(model: try ONNXModel(serialized: try proto.serializedData(), path: "strided.onnx"))
        #expect(Self.winograd(strided) == nil)
    }

    /// With too few tiles (a 7×7 output is 4 tiles) the prepared layer still runs through im2col, and agrees.
    @Test func smallOutputsFallBackToIm2col() throws {
        let model = try Self.model(n: 1, c: 16, m: 16, h: 7, w: 7, pads: [1, 1, 1, 1], relu: false)
        let fast = try Executor(model: model, options: .init(threads: 1))
        #expect(Self.winograd(fast) != nil)
        let plain = try Executor(model: model, options: .init(threads: 1, fusion: false))
        let x = Tensor(shape: [1, 16, 7, 7], floats: GEMMTests.random(16 * 49, seed: 43))
        Self.expectClose(try #require(try fast.run(["x": x])["y"]).floats, try #require(try plain.run(["x": x])["y"]).floats, "7×7")
        #expect(Self.winograd(fast)?.isTransformed == false, "a layer that never needs Winograd never pays for the transform")
    }

    /// A transform mixes all 36 values of a patch, so a NaN or infinity would
    /// spread to outputs whose window does not cover it. Such inputs go through
    /// im2col, and the outputs are NaN or infinite exactly where the direct sum's are.
    @Test(arguments: [Float.nan, .infinity, -.infinity])
    func nonFiniteInputsMatchTheDirectSum(special: Float) throws {
        let model = try Self.model(n: 1, c: 16, m: 16, h: 16, w: 16, pads: [1, 1, 1, 1], relu: false)
        let fast = try Executor(model: model, options: .init(threads: 1))
        let plain = try Executor(model: model, options: .init(threads: 1, fusion: false))
        var values = GEMMTests.random(16 * 256, seed: 44)
        values[5 * 16 + 5] = special  // channel 0, row 5, column 5
        let x = Tensor(shape: [1, 16, 16, 16], floats: values)
        let actual = try #require(try fast.run(["x": x])["y"]).floats
        let expected = try #require(try plain.run(["x": x])["y"]).floats
        #expect(actual.map(\.isNaN) == expected.map(\.isNaN))
        #expect(actual.map(\.isInfinite) == expected.map(\.isInfinite))
        #expect(actual.contains { !$0.isFinite } && actual.contains { $0.isFinite })
        Self.expectClose(actual.filter(\.isFinite), expected.filter(\.isFinite), "\(special)")
    }
}

/// A Conv with few output positions turns the product around (positions as rows, filters as columns).
@Suite struct TransposedConvolutionTests {
    static func transposed(_ executor: Executor) -> ConvolutionKernels.TransposedWeights? {
        (executor.steps.first?.prepared as? ConvolutionKernels.ConvPlan)?.transposed
    }

    /// 3×3 over 5×5 (25 positions) with 128 filters, batch 2, bias and Relu; and a 1×1 Conv over 7×7.
    @Test(arguments: [(64, 128, 5, 3, true), (64, 128, 7, 1, false)])
    func matchesTheUsualProduct(channels: Int, filters: Int, size: Int, kernel: Int, relu: Bool) throws {
        let pads = kernel == 3 ? [1, 1, 1, 1] : [0, 0, 0, 0]
        var graph = Onnx_GraphProto()
        graph.input = [FusionTests.value("x", [2, channels, size, size])]
        graph.initializer = [
            FusionTests.initializer("w", [filters, channels, kernel, kernel], GEMMTests.random(filters * channels * kernel * kernel, seed: 50)),
            FusionTests.initializer("b", [filters], GEMMTests.random(filters, seed: 51)),
        ]
        graph.node = [FusionTests.node("Conv", ["x", "w", "b"], [relu ? "c" : "y"], [("pads", pads)])]
        if relu { graph.node.append(FusionTests.node("Relu", ["c"], ["y"])) }
        graph.output = [FusionTests.value("y", [2, filters, size, size])]
        let model = try TestGraph.model(graph, path: "few-positions.onnx")
        let x = Tensor(shape: [2, channels, size, size], floats: GEMMTests.random(2 * channels * size * size, seed: 52))
        let plain = try Executor(model: model, options: .init(threads: 1, fusion: false))
        #expect(Self.transposed(plain) == nil)
        let expected = try #require(try plain.run(["x": x])["y"])
        for threads in [1, 2] {
            let fast = try Executor(model: model, options: .init(threads: threads))
            let weights = try #require(Self.transposed(fast))
            #expect(weights.suits(positions: size * size, kernel: .best) && !weights.isPacked)
            let actual = try #require(try fast.run(["x": x])["y"])
            #expect(weights.isPacked, "the first call with few positions packs the turned-around weights")
            #expect(actual.shape == expected.shape)
            GEMMTests.expectClose(actual.floats, expected.floats, "\(channels)→\(filters) \(kernel)×\(kernel) over \(size)×\(size), threads \(threads)")
        }
    }
}

/// MaxPool over rows of 16 or more columns takes the separable path; it must agree with the window-by-window maximum.
@Suite struct MaxPoolTests {
    @Test func separableMaxMatchesTheWindowMaximum() throws {
        let (c, h, w) = (3, 9, 37)
        var values = GEMMTests.random(c * h * w, seed: 60)
        values[5] = .nan
        values[w * 2 + 20] = -.infinity
        values[w * 4 + 36] = .infinity
        var graph = Onnx_GraphProto()
        graph.input = [FusionTests.value("x", [1, c, h, w])]
        graph.node = [FusionTests.node("MaxPool", ["x"], ["y"], [("kernel_shape", [3, 3]), ("strides", [2, 2]), ("pads", [1, 1, 1, 1])])]
        let (oh, ow) = ((h + 2 - 3) / 2 + 1, (w + 2 - 3) / 2 + 1)
        graph.output = [FusionTests.value("y", [1, c, oh, ow])]
        let executor = try Executor(model: try TestGraph.model(graph, path: "maxpool.onnx"))
        let y = try #require(try executor.run(["x": Tensor(shape: [1, c, h, w], floats: values)])["y"])
        #expect(y.shape == [1, c, oh, ow])
        var expected: [Float] = []
        for plane in 0..<c {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var best = -Float.infinity
                    for ky in 0..<3 {
                        for kx in 0..<3 {
                            let (iy, ix) = (oy * 2 - 1 + ky, ox * 2 - 1 + kx)
                            // Padding never wins, and neither does a NaN: the executor's MaxPool ignores NaN.
                            if iy >= 0, iy < h, ix >= 0, ix < w, values[(plane * h + iy) * w + ix] > best { best = values[(plane * h + iy) * w + ix] }
                        }
                    }
                    expected.append(best)
                }
            }
        }
        #expect(y.floats == expected)
        #expect(y.floats.contains(.infinity))
    }

    /// The 2 × 2, stride-2 path (8 outputs at a time) against the window maximum and mean: odd sizes
    /// (the last row and column left out), a NaN that never wins a max, an all-NaN window, ±∞.
    @Test(arguments: [false, true])
    func twoByTwoPoolingMatchesTheWindow(average: Bool) throws {
        let (c, h, w) = (2, 9, 37)
        var values = GEMMTests.random(c * h * w, seed: 61)
        values[3] = .nan
        for index in [w * 2 + 4, w * 2 + 5, w * 3 + 4, w * 3 + 5] { values[index] = .nan }
        values[w * 4 + 30] = -.infinity
        values[h * w + w * 6 + 33] = .infinity
        var graph = Onnx_GraphProto()
        graph.input = [FusionTests.value("x", [1, c, h, w])]
        graph.node = [FusionTests.node(average ? "AveragePool" : "MaxPool", ["x"], ["y"], [("kernel_shape", [2, 2]), ("strides", [2, 2])])]
        let (oh, ow) = (h / 2, w / 2)
        graph.output = [FusionTests.value("y", [1, c, oh, ow])]
        let executor = try Executor(model: try TestGraph.model(graph, path: "pool.onnx"))
        let y = try #require(try executor.run(["x": Tensor(shape: [1, c, h, w], floats: values)])["y"])
        var expected: [Float] = []
        for plane in 0..<c {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let taps = [(0, 0), (0, 1), (1, 0), (1, 1)].map { values[(plane * h + 2 * oy + $0.0) * w + 2 * ox + $0.1] }
                    if average {
                        expected.append((taps[0] + taps[1] + taps[2] + taps[3]) / 4)
                    } else {
                        expected.append(taps.reduce(-Float.infinity) { $1 > $0 ? $1 : $0 })
                    }
                }
            }
        }
        #expect(y.shape == [1, c, oh, ow])
        #expect(y.floats.count == expected.count)
        #expect(zip(y.floats, expected).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(y.floats) vs \(expected)")
        if !average {
            #expect(y.floats[ow + 2] == -.infinity, "an all-NaN window gives −∞, as the general loop does")
            #expect(y.floats.contains(.infinity))
        }
    }
}

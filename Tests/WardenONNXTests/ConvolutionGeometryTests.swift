import Testing
import WardenCore
import WardenTestSupport
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// The window geometry Conv and every pool share: its refusals on 2-D inputs.
@Suite struct ConvolutionGeometryTests {
    let image = Tensor(shape: [1, 1, 4, 4], floats: Array(repeating: 1, count: 16))

    @Test("an unknown auto_pad, a zero stride and a window larger than the input are refused")
    func refusals() {
        expectWardenError(.invalidArgument, containing: "auto_pad 'SAME_MIDDLE' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID") {
            _ = try NewKernelTests.run("MaxPool", [image], NewKernelTests.attribute("kernel_shape", ints: [2, 2]), NewKernelTests.attribute("auto_pad", string: "SAME_MIDDLE"))
        }
        expectWardenError(.invalidArgument, containing: "must be positive and pads non-negative") {
            _ = try NewKernelTests.run("MaxPool", [image], NewKernelTests.attribute("kernel_shape", ints: [2, 2]), NewKernelTests.attribute("strides", ints: [0, 1]))
        }
        expectWardenError(.invalidArgument, containing: "the kernel [5, 5] does not fit the input [4, 4]") {
            _ = try NewKernelTests.run("AveragePool", [image], NewKernelTests.attribute("kernel_shape", ints: [5, 5]))
        }
    }
}

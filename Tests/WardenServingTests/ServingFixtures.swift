import Foundation
import Logging
import Synchronization
import WardenCore
import WardenIntegrity
import WardenTensor
import WardenTestSupport
@testable import WardenServing

/// The committed repository (signed by model_signing) and helpers to copy and load it.
enum ServingFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static var repository: String { root + "/repository" }
    static var trust: TrustPolicy { get throws { try TrustPolicy(directory: root + "/trust") } }

    static var quietLogger: Logger {
        var logger = Logger(label: "warden.test")
        logger.logLevel = .critical
        return logger
    }

    static func loader(trust: TrustPolicy? = nil, requireSignature: Bool = true) throws -> VersionLoader {
        VersionLoader(trust: try trust ?? Self.trust, requireSignature: requireSignature, logger: quietLogger)
    }

    /// A private copy of `iris/<version>` for the loader to own.
    static func checkout(_ version: String, in directory: TemporaryDirectory) throws -> String {
        let target = directory.file("checkout-\(version)-\(UUID().uuidString)")
        try FileManager.default.copyItem(atPath: repository + "/iris/\(version)", toPath: target)
        return target
    }

    static func load(_ version: String, in directory: TemporaryDirectory) throws -> ServedVersion {
        try loader().load(model: "iris", version: version, checkout: checkout(version, in: directory))
    }

    /// Four iris-like rows per request.
    static func rows(_ count: Int, seed: Float = 0) -> Tensor {
        Tensor(shape: [count, 4], floats: (0..<(count * 4)).map { Float($0 % 7) * 0.7 + seed })
    }
}

/// A real ONNX runtime behind a gate the test opens: holds inferences in flight
/// on purpose, to fill queues and overlap swaps deterministically.
final class GatedRuntime: ModelRuntime {
    let inner: any ModelRuntime
    private let open = Atomic<Bool>(false)
    let started = Atomic<Int>(0)

    init(_ inner: any ModelRuntime) { self.inner = inner }

    var signature: IOSignature { inner.signature }
    var platform: String { inner.platform }

    func release() { open.store(true, ordering: .releasing) }

    func infer(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        started.add(1, ordering: .relaxed)
        var spins = 0
        while !open.load(ordering: .acquiring), spins < 20_000 {  // at most ~20 s
            usleep(1000)
            spins += 1
        }
        return try inner.infer(inputs)
    }
}

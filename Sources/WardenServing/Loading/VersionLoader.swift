import Foundation
import Logging
import WardenCore
import WardenIntegrity
import WardenModel
import WardenTensor
import WardenSandbox

/// The verification gate, then the load.
///
/// Before anything is parsed the loader re-hashes the exact bytes in the
/// checkout it was given (a folder only Warden writes: hard links to the
/// registry's content-addressed blobs, or a private copy of a repository
/// folder) and verifies the signature against the trust policy. Only then does
/// it parse the model, build the runtime and warm it up with one dry-run
/// inference. Any failure throws and leaves nothing behind: the version that
/// is serving is never touched by a load that fails.
public struct VersionLoader: Sendable {
    /// Why a load did not happen, as the repository index shows it.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public enum Stage: String, Sendable {
            /// Unsigned, tampered or untrusted: the verification gate refused it.
            case refused
            /// Verified, but it would not parse, build or warm up.
            case failed
        }
        public let stage: Stage
        public let error: WardenError
        public var description: String { "\(stage == .refused ? "verification refused" : "load failed"): \(error.message)" }
    }

    public var trust: TrustPolicy?
    /// When false (a development registry run with --no-require-signature), an unsigned
    /// version loads after its files are re-hashed against the digest the registry recorded.
    public var requireSignature: Bool
    public var metrics: ServingMetrics
    public var logger: Logger
    /// The server-wide caps on what a card's `sandbox` limits may ask for.
    public var sandboxCaps: SandboxLimits = .defaultCaps

    public init(trust: TrustPolicy?, requireSignature: Bool = true, metrics: ServingMetrics = ServingMetrics(), logger: Logger = Logger(label: "warden.serving")) {
        self.trust = trust
        self.requireSignature = requireSignature
        self.metrics = metrics
        self.logger = logger
    }

    /// Verifies and loads the model in `checkout`, which the returned version then owns
    /// (it is removed when the version is released, or at once when the load fails).
    /// - Parameters:
    ///   - bundle: the signature; nil reads `model.sig` from the checkout when present.
    ///   - expectedDigest: the manifest digest the registry recorded, which the bytes must match too.
    /// - Throws: `Failure`, saying whether verification refused the version or the load failed.
    public func load(model: String, version: String, checkout: String, bundle: SignatureBundle? = nil, expectedDigest: Digest? = nil) throws -> ServedVersion {
        do {
            let served = try loadChecked(model: model, version: version, checkout: checkout, bundle: bundle, expectedDigest: expectedDigest)
            metrics.recordLoad(model: model, outcome: "loaded")
            return served
        } catch let failure as Failure {
            try? FileManager.default.removeItem(atPath: checkout)
            metrics.recordLoad(model: model, outcome: failure.stage == .refused ? "refused" : "failed")
            logger.error("\(model)@\(version) not loaded: \(failure)")
            throw failure
        }
    }

    private func loadChecked(model: String, version: String, checkout: String, bundle given: SignatureBundle?, expectedDigest: Digest?) throws -> ServedVersion {
        // 1. The gate: signature and bytes.
        let signaturePath = (checkout as NSString).appendingPathComponent("model.sig")
        let (digest, signers) = try refusing { () throws -> (Digest, [String]) in
            var bundle = given
            if bundle == nil, FileManager.default.fileExists(atPath: signaturePath) {
                bundle = try SignatureBundle(contentsOf: signaturePath)
            }
            let digest: Digest
            var signers: [String] = []
            if let bundle {
                guard let trust else {
                    throw WardenError(.untrustedSignature, "the server trusts no keys, so no signature can verify; give it the signers' *.pub keys (--trust DIR)")
                }
                let result = try Verifier(policy: trust).verify(model: checkout, bundle: bundle, signaturePath: signaturePath)
                digest = result.rootDigest
                signers = result.signers.map(\.keyID)
            } else if requireSignature {
                throw WardenError(.signatureRequired, "\(model)@\(version) is not signed; only versions with a trusted signature are served (sign it with warden sign)")
            } else {
                digest = try ModelHasher().manifest(of: checkout, alsoIgnoring: [signaturePath]).rootDigest
                logger.warning("\(model)@\(version) is unsigned; serving it because signatures are not required")
            }
            if let expectedDigest, expectedDigest != digest {
                throw WardenError(.modelModified, "the bytes hash to manifest \(digest), but the registry recorded \(expectedDigest)")
            }
            return (digest, signers)
        }

        // 2. Parse, build, warm up.
        return try failing {
            let description = try ModelDescription(contentsOf: checkout)
            let settings = try ServingSettings(card: description.card?.serving)
            let runtime = try PipelineRuntime.make(
                for: description, caps: sandboxCaps, threads: settings.intraOpThreads, model: model, version: version, metrics: metrics, logger: logger
            )
            let contracts = try OutputContracts(card: description.card?.contracts, outputs: runtime.signature.outputs.map(\.name))
            let drift = try DriftMonitor.make(card: description.card?.drift, inputs: runtime.signature.inputs.map(\.name))
            do {
                try Self.warmUp(runtime)
            } catch let error as WardenError {
                throw WardenError(error.code, "the warm-up inference failed: \(error.message)", cause: error)
            }
            return ServedVersion(
                model: model, version: version, manifestDigest: digest, signers: signers, runtime: runtime,
                settings: settings, card: description.card, checkout: checkout, metrics: metrics, contracts: contracts, drift: drift
            )
        }
    }

    private func refusing<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as WardenError { throw Failure(stage: .refused, error: error) }
    }

    private func failing<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as WardenError { throw Failure(stage: .failed, error: error) }
    }

    /// One dry-run inference on zeros. A preprocess module may rightly reject zeros (they are
    /// no image); then the model alone is warmed up on zeros of its own inputs.
    static func warmUp(_ runtime: any ModelRuntime) throws {
        guard let pipeline = runtime as? PipelineRuntime else {
            _ = try runtime.infer(warmUpInputs(for: runtime.signature))
            return
        }
        do {
            _ = try pipeline.run(warmUpInputs(for: runtime.signature), recording: false)
        } catch let error as WardenError where error.code == .wasmRejectedInput {
            for case (.model(let model), _) in pipeline.stages {
                _ = try model.infer(warmUpInputs(for: model.signature))
            }
        }
    }

    /// Zeros of each input's type, with every dynamic dim 1.
    static func warmUpInputs(for signature: IOSignature) -> [String: Tensor] {
        var inputs: [String: Tensor] = [:]
        for spec in signature.inputs {
            let shape = (spec.shape ?? [.fixed(1)]).map { dim -> Int in
                if case .fixed(let size) = dim { return Int(size) }
                return 1
            }
            let count = shape.reduce(1, *)
            let storage: Tensor.Storage = switch Tensor.storageType(for: spec.dataType) {
            case .float64: .double(Array(repeating: 0, count: count))
            case .int64: .int64(Array(repeating: 0, count: count))
            case .int32: .int32(Array(repeating: 0, count: count))
            case .int8: .int8(Array(repeating: 0, count: count))
            case .uint8: .uint8(Array(repeating: 0, count: count))
            case .bool: .bool(Array(repeating: false, count: count))
            case .string: .string(Array(repeating: "", count: count))
            default: .float(Array(repeating: 0, count: count))
            }
            inputs[spec.name] = Tensor(shape: shape, storage: storage)
        }
        return inputs
    }
}

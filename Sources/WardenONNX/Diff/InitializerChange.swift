import Foundation
import WardenCore

/// How one initializer (a trained tensor) differs between two models.
public struct InitializerChange: Sendable, Hashable {
    /// Numeric distance between old and new values of the same shape.
    public struct ValueStatistics: Sendable, Hashable {
        public let elementCount: Int
        /// Elements whose value changed (bit for bit; NaN to the same NaN is unchanged).
        public let changedCount: Int
        /// The largest `|new - old|` over finite pairs.
        public let maxAbsoluteDifference: Double
        /// `‖new - old‖₂ / ‖old‖₂`; infinite when old is all zeros and new is not.
        public let relativeL2Change: Double

        public var changedFraction: Double { elementCount == 0 ? 0 : Double(changedCount) / Double(elementCount) }
    }

    public enum Kind: Sendable, Hashable {
        case added
        case removed
        /// Different dtype or shape: `float32 [8, 4]`.
        case reshaped(from: String, to: String)
        /// Same dtype and shape, other values.
        case valuesChanged(ValueStatistics)
        /// Same dtype and shape, other bytes, but values that cannot be compared numerically (strings).
        case bytesChanged
    }

    /// The name in the new model (the old name when removed).
    public let name: String
    /// The name in the old model, when it differs (pairs matched by position in an unchanged topology).
    public let oldName: String?
    public let kind: Kind
}

/// Finds a model's trained values by parameter name: initializers, and trained
/// attributes of `ai.onnx.ml` nodes (`ModelInspection.Parameter.Kind.attribute`).
package struct TrainedValues {
    package struct Values {
        let type: TensorDataType
        let shape: [Int64]
        /// Little-endian values; a slice of the mapped file for external data, never a copy of it.
        let bytes: Data
        /// A sparse tensor's indices: values compare element by element only where these match.
        var indices: Data? = nil

        var description: String { "\(type) [\(shape.map(String.init).joined(separator: ", "))]" }
    }

    private let tensors: [String: Onnx_TensorProto]
    private let sparse: [String: Onnx_SparseTensorProto]
    private let attributes: [String: TrainedAttributes.Entry]
    private let resolver: ExternalDataResolver

    package init(_ model: ONNXModel) throws {
        tensors = Dictionary(model.graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        sparse = Dictionary(model.graph.sparseInitializer.map { ($0.values.name, $0) }, uniquingKeysWith: { first, _ in first })
        let entries = TrainedAttributes.entries(of: model.graph, order: try GraphOrder.order(model.graph))
        attributes = Dictionary(entries.map { ($0.label, $0) }, uniquingKeysWith: { first, _ in first })
        resolver = ExternalDataResolver(directory: model.directory)
    }

    package func values(of name: String) throws -> Values? {
        if let tensor = tensors[name] {
            try TensorValues.validate(tensor, resolver: resolver)
            guard let type = TensorDataType(onnx: tensor.dataType) else { return nil }
            let bytes: Data =
                if tensor.dataLocation == .external { try resolver.bytes(of: tensor) }
                else if !tensor.rawData.isEmpty { tensor.rawData }
                else { Data(TensorValues.typedBytes(tensor)) }
            return Values(type: type, shape: tensor.dims, bytes: bytes)
        }
        if let tensor = sparse[name] {
            guard let type = TensorDataType(onnx: tensor.values.dataType) else { return nil }
            func bytes(_ part: Onnx_TensorProto) throws -> Data {
                var out = Data()
                try TensorValues.forEachChunk(part, resolver: resolver) { out.append(contentsOf: $0) }
                return out
            }
            return Values(type: type, shape: tensor.dims, bytes: try bytes(tensor.values), indices: try bytes(tensor.indices))
        }
        if let entry = attributes[name] {
            let (type, count) = TrainedAttributes.typeAndCount(entry.attribute)
            return Values(type: type, shape: [count], bytes: try TrainedAttributes.valueBytes(entry.attribute, resolver: resolver))
        }
        return nil
    }
}

/// Compares the trained values of two ONNX models.
///
/// Initializers pair by name. When the topology fingerprints are equal and
/// names differ (an exporter renamed them), they pair by their position in the
/// canonical order, which is the order `ModelInspection.parameters` lists.
/// External data is compared straight from the mapped files.
public enum InitializerComparison {
    public static func changes(
        from old: ONNXModel, _ oldInspection: ModelInspection,
        to new: ONNXModel, _ newInspection: ModelInspection
    ) throws -> [InitializerChange] {
        let oldValues = try TrainedValues(old)
        let newValues = try TrainedValues(new)
        var pairs: [(old: String, new: String)] = []
        var removed: [String] = []
        var added: [String] = []

        let sameTopology = oldInspection.topologyFingerprint == newInspection.topologyFingerprint
            && oldInspection.parameters.count == newInspection.parameters.count
        if sameTopology {
            pairs = zip(oldInspection.parameters, newInspection.parameters).map { ($0.name, $1.name) }
        } else {
            let newNames = Set(newInspection.parameters.map(\.name))
            let oldNames = Set(oldInspection.parameters.map(\.name))
            for parameter in oldInspection.parameters {
                if newNames.contains(parameter.name) { pairs.append((parameter.name, parameter.name)) } else { removed.append(parameter.name) }
            }
            added = newInspection.parameters.map(\.name).filter { !oldNames.contains($0) }
        }

        var changes: [InitializerChange] = []
        for (oldName, newName) in pairs {
            guard let a = try oldValues.values(of: oldName), let b = try newValues.values(of: newName) else { continue }
            let renamed = oldName == newName ? nil : oldName
            if a.type != b.type || a.shape != b.shape {
                changes.append(.init(name: newName, oldName: renamed, kind: .reshaped(from: a.description, to: b.description)))
                continue
            }
            if let kind = compare(a, b) {
                changes.append(.init(name: newName, oldName: renamed, kind: kind))
            }
        }
        changes += removed.map { .init(name: $0, oldName: nil, kind: .removed) }
        changes += added.map { .init(name: $0, oldName: nil, kind: .added) }
        return changes
    }

    /// nil when the values are identical.
    package static func compare(_ a: TrainedValues.Values, _ b: TrainedValues.Values) -> InitializerChange.Kind? {
        if a.bytes == b.bytes, a.indices == b.indices { return nil }
        if a.indices != b.indices { return .bytesChanged }
        guard let width = a.type.byteWidth, a.bytes.count == b.bytes.count, a.bytes.count % width == 0 else { return .bytesChanged }
        return a.bytes.withUnsafeBytes { x in
            b.bytes.withUnsafeBytes { y in
                .valuesChanged(statistics(x, y, count: x.count / width, type: a.type))
            }
        }
    }

    package static func statistics(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer, count: Int, type: TensorDataType) -> InitializerChange.ValueStatistics {
        let width = type.byteWidth ?? 1
        var changed = 0
        var maxAbs = 0.0
        var diffSquares = 0.0
        var baseSquares = 0.0
        for index in 0..<count {
            let offset = index * width
            if memcmp(x.baseAddress! + offset, y.baseAddress! + offset, width) != 0 { changed += 1 }
            let old = ElementDecoding.double(x, at: offset, type: type)
            let new = ElementDecoding.double(y, at: offset, type: type)
            baseSquares += old.isFinite ? old * old : 0
            guard old.isFinite, new.isFinite else { continue }
            let delta = abs(new - old)
            maxAbs = max(maxAbs, delta)
            diffSquares += delta * delta
        }
        let relative: Double =
            baseSquares > 0 ? (diffSquares / baseSquares).squareRoot() : (diffSquares > 0 ? .infinity : 0)
        return .init(elementCount: count, changedCount: changed, maxAbsoluteDifference: maxAbs, relativeL2Change: relative)
    }
}

/// Reads one little-endian element of a fixed-width tensor as a Double.
package enum ElementDecoding {
    package static func double(_ buffer: UnsafeRawBufferPointer, at offset: Int, type: TensorDataType) -> Double {
        switch type {
        case .float32: Double(Float(bitPattern: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        case .float64: Double(bitPattern: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        case .float16: halfToDouble(buffer.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
        case .bfloat16: Double(Float(bitPattern: UInt32(buffer.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) << 16))
        case .int8: Double(buffer.loadUnaligned(fromByteOffset: offset, as: Int8.self))
        case .uint8, .bool: Double(buffer.loadUnaligned(fromByteOffset: offset, as: UInt8.self))
        case .int16: Double(buffer.loadUnaligned(fromByteOffset: offset, as: Int16.self))
        case .uint16: Double(buffer.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
        case .int32: Double(buffer.loadUnaligned(fromByteOffset: offset, as: Int32.self))
        case .uint32: Double(buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        case .int64: Double(buffer.loadUnaligned(fromByteOffset: offset, as: Int64.self))
        case .uint64: Double(buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        // Complex and 8-bit float formats: compared as raw bytes only.
        default: Double(buffer.loadUnaligned(fromByteOffset: offset, as: UInt8.self))
        }
    }

    /// IEEE 754 binary16 to Double, without relying on the platform's Float16.
    package static func halfToDouble(_ bits: UInt16) -> Double {
        let negative = bits & 0x8000 != 0
        let exponent = Int((bits >> 10) & 0x1F)
        let fraction = Double(bits & 0x3FF)
        let magnitude: Double
        switch exponent {
        case 0: magnitude = fraction * 0x1p-24
        case 31: magnitude = fraction == 0 ? .infinity : .nan
        default: magnitude = (1 + fraction / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
        }
        return negative ? -magnitude : magnitude
    }
}

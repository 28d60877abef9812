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
        let oldTensors = Dictionary(old.graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let newTensors = Dictionary(new.graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
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

        let oldResolver = ExternalDataResolver(directory: old.directory)
        let newResolver = ExternalDataResolver(directory: new.directory)
        var changes: [InitializerChange] = []
        for (oldName, newName) in pairs {
            guard let a = oldTensors[oldName], let b = newTensors[newName] else { continue }
            let renamed = oldName == newName ? nil : oldName
            let oldShape = describe(a)
            let newShape = describe(b)
            if a.dataType != b.dataType || a.dims != b.dims {
                changes.append(.init(name: newName, oldName: renamed, kind: .reshaped(from: oldShape, to: newShape)))
                continue
            }
            if let kind = try compareValues(a, oldResolver, b, newResolver) {
                changes.append(.init(name: newName, oldName: renamed, kind: kind))
            }
        }
        changes += removed.map { .init(name: $0, oldName: nil, kind: .removed) }
        changes += added.map { .init(name: $0, oldName: nil, kind: .added) }
        return changes
    }

    static func describe(_ tensor: Onnx_TensorProto) -> String {
        let type = TensorDataType(onnx: tensor.dataType)?.description ?? "type \(tensor.dataType)"
        return "\(type) [\(tensor.dims.map(String.init).joined(separator: ", "))]"
    }

    /// nil when the values are identical.
    static func compareValues(
        _ a: Onnx_TensorProto, _ aResolver: ExternalDataResolver,
        _ b: Onnx_TensorProto, _ bResolver: ExternalDataResolver
    ) throws -> InitializerChange.Kind? {
        let aBytes = try valueBytes(a, aResolver)
        let bBytes = try valueBytes(b, bResolver)
        if aBytes == bBytes { return nil }
        guard let type = TensorDataType(onnx: a.dataType), let width = type.byteWidth, aBytes.count == bBytes.count else {
            return .bytesChanged
        }
        return aBytes.withUnsafeBytes { x in
            bBytes.withUnsafeBytes { y in
                .valuesChanged(statistics(x, y, count: x.count / width, type: type))
            }
        }
    }

    /// The tensor's value bytes: a slice of the mapped file for external data, never a copy of it.
    static func valueBytes(_ tensor: Onnx_TensorProto, _ resolver: ExternalDataResolver) throws -> Data {
        try TensorValues.validate(tensor, resolver: resolver)
        if tensor.dataLocation == .external { return try resolver.bytes(of: tensor) }
        if !tensor.rawData.isEmpty { return tensor.rawData }
        return Data(TensorValues.typedBytes(tensor))
    }

    static func statistics(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer, count: Int, type: TensorDataType) -> InitializerChange.ValueStatistics {
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
enum ElementDecoding {
    static func double(_ buffer: UnsafeRawBufferPointer, at offset: Int, type: TensorDataType) -> Double {
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
    static func halfToDouble(_ bits: UInt16) -> Double {
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

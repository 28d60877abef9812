import Foundation
import WardenCore
import WardenTensor
import WardenServing

/// Writes an inference response: JSON, or a JSON header followed by the binary
/// outputs (then `Inference-Header-Content-Length` says where the JSON ends).
/// The JSON is written by hand: formatting thousands of floats through
/// JSONSerialization costs more than the inference of a small model.
struct V2Response {
    var bytes: [UInt8] = []
    /// The JSON header's length when binary outputs follow it.
    var headerLength: Int?

    /// - Parameter outputs: each with the type the model declares, which may be narrower than the tensor's (float16 computed as float32).
    init(model: String, version: String, id: String?, outputs: [(name: String, tensor: Tensor, declared: TensorDataType, binary: Bool)]) {
        var json = "{\"model_name\":\(Self.quoted(model)),\"model_version\":\(Self.quoted(version))"
        if let id { json += ",\"id\":\(Self.quoted(id))" }
        json += ",\"outputs\":["
        var binary: [UInt8] = []
        for (index, output) in outputs.enumerated() {
            if index > 0 { json += "," }
            let tensor = output.tensor
            let declared = tensor.fits(output.declared) ? output.declared : tensor.dataType
            json += "{\"name\":\(Self.quoted(output.name)),\"datatype\":\"\(declared.v2Name)\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))]"
            if output.binary {
                json += ",\"parameters\":{\"binary_data_size\":\(TensorBytes.byteCount(tensor.storage, as: declared))}}"
                TensorBytes.encode(tensor.storage, as: declared, into: &binary)
            } else {
                json += ",\"data\":["
                Self.append(tensor.storage, to: &json)
                json += "]}"
            }
        }
        json += "]}"
        bytes = Array(json.utf8)
        if outputs.contains(where: \.binary) {
            headerLength = bytes.count
            bytes += binary
        }
    }

    static func append(_ storage: Tensor.Storage, to json: inout String) {
        func join<T>(_ values: [T], _ format: (T) -> String) {
            json.reserveCapacity(json.utf8.count + values.count * 8)
            for (index, value) in values.enumerated() {
                if index > 0 { json += "," }
                json += format(value)
            }
        }
        switch storage {
        case .float(let v): join(v) { number(Double($0), text: "\($0)") }
        case .mappedFloat(let v): join(v.values) { number(Double($0), text: "\($0)") }
        case .double(let v): join(v) { number($0, text: "\($0)") }
        case .int64(let v): join(v) { String($0) }
        case .int32(let v): join(v) { String($0) }
        case .int8(let v): join(v) { String($0) }
        case .uint8(let v): join(v) { String($0) }
        case .bool(let v): join(v) { $0 ? "true" : "false" }
        case .string(let v): join(v) { quoted($0) }
        }
    }

    /// Non-finite values as Python's json module writes them (tritonclient reads them back).
    static func number(_ value: Double, text: String) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
        return text
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

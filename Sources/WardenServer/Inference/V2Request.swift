import Foundation
import WardenCore
import WardenTensor
import WardenServing

/// An Open Inference Protocol (KServe V2) inference request, from JSON or from
/// Triton's binary tensor data extension (a JSON header of
/// `Inference-Header-Content-Length` bytes, then each binary input's raw bytes
/// in input order).
struct V2Request {
    struct Output {
        var name: String
        var binary: Bool?
    }

    var id: String?
    var inputs: [String: Tensor] = [:]
    /// Each input's datatype as the request declares it (the tensor may be wider, see `Tensor.storageType(for:)`).
    var datatypes: [String: TensorDataType] = [:]
    /// The outputs asked for, in order; nil for all.
    var outputs: [Output]?
    /// `binary_data_output`: every output in binary unless an output says otherwise.
    var binaryOutputs = false
    /// The `timeout` parameter, in microseconds.
    var timeout: Duration?

    /// - Parameters:
    ///   - body: the whole request body.
    ///   - headerLength: the `Inference-Header-Content-Length` value, when present.
    /// - Throws: `.invalidArgument` saying what is wrong, with the JSON path.
    init(body: ArraySlice<UInt8>, headerLength: Int?) throws {
        let jsonEnd: Int
        if let headerLength {
            guard headerLength >= 0, headerLength <= body.count else {
                throw WardenError(.invalidArgument, "Inference-Header-Content-Length is \(headerLength), but the body has only \(body.count) bytes")
            }
            jsonEnd = headerLength
        } else {
            jsonEnd = body.count
        }
        let root = InferenceField(value: try InferenceJSON.parse(body[body.startIndex..<(body.startIndex + jsonEnd)], what: "the inference request"), path: "")
        _ = try root.object()
        id = try root.optionalField("id")?.string()

        if let parameters = try root.optionalField("parameters") {
            if let binary = try parameters.optionalField("binary_data_output") { binaryOutputs = try binary.bool() }
            if let timeout = try parameters.optionalField("timeout") {
                let microseconds = try timeout.integer()
                guard microseconds >= 0 else { throw timeout.error("must be a non-negative number of microseconds") }
                if microseconds > 0 { self.timeout = .microseconds(microseconds) }
            }
        }

        var offset = jsonEnd
        let inputsField = try root.field("inputs")
        let inputs = try inputsField.array()
        guard !inputs.isEmpty else { throw inputsField.error("must list at least one input") }
        for input in inputs {
            let name = try input.field("name").string()
            guard self.inputs[name] == nil else { throw input.error("input '\(name)' is given twice") }
            let shapeField = try input.field("shape")
            let shape = try shapeField.array().map { dim -> Int in
                let size = try dim.integer()
                guard size >= 0, size <= Int32.max else { throw dim.error("must be a dim size ≥ 0") }
                return Int(size)
            }
            guard let count = Self.count(shape) else { throw shapeField.error("\(shape) holds too many elements") }
            let datatypeField = try input.field("datatype")
            let datatype = try datatypeField.string()
            guard let type = TensorDataType(v2Name: datatype) else {
                throw datatypeField.error("unknown datatype '\(datatype)'; the datatypes are BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BYTES")
            }
            var binarySize: Int?
            if let parameters = try input.optionalField("parameters"), let size = try parameters.optionalField("binary_data_size") {
                let value = try size.integer()
                guard value >= 0 else { throw size.error("must be ≥ 0") }
                binarySize = Int(value)
            }
            let storage: Tensor.Storage
            if let binarySize {
                guard binarySize <= body.count - offset else {
                    throw input.error("binary_data_size is \(binarySize), but only \(body.count - offset) bytes of binary data are left in the body")
                }
                do {
                    storage = try TensorBytes.decode(body[(body.startIndex + offset)..<(body.startIndex + offset + binarySize)], type: type, count: count)
                } catch let error as WardenError {
                    throw input.error(error.message)
                }
                offset += binarySize
            } else {
                guard let data = try input.optionalField("data") else {
                    throw input.error("needs 'data', or parameters.binary_data_size with the bytes after the JSON header")
                }
                storage = try Self.decode(data, type: type, count: count)
            }
            self.inputs[name] = Tensor(shape: shape, storage: storage)
            datatypes[name] = type
        }
        guard offset == body.count else {
            throw WardenError(.invalidArgument, "the binary inputs' binary_data_size add up to \(offset - jsonEnd) bytes, but \(body.count - jsonEnd) bytes follow the JSON header")
        }

        if let outputs = try root.optionalField("outputs") {
            self.outputs = try outputs.array().map { output in
                let name = try output.field("name").string()
                var binary: Bool?
                if let parameters = try output.optionalField("parameters"), let flag = try parameters.optionalField("binary_data") {
                    binary = try flag.bool()
                }
                return Output(name: name, binary: binary)
            }
        }
    }

    static func count(_ shape: [Int]) -> Int? {
        var total = 1
        for dim in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= 1 << 31 else { return nil }
            total = product
        }
        return total
    }

    /// `data` as JSON: flat or nested arrays, checked against the shape's element count.
    static func decode(_ field: InferenceField, type: TensorDataType, count: Int) throws -> Tensor.Storage {
        // Not reserved from `count`: the shape is the client's claim, and a claim of 2^31
        // elements must cost nothing until the data is there to back it.
        var flat: [InferenceJSON] = []
        func flatten(_ value: InferenceJSON) {
            if case .array(let values) = value {
                for element in values { flatten(element) }
            } else {
                flat.append(value)
            }
        }
        flatten(field.value)
        guard flat.count == count else {
            throw field.error("holds \(flat.count) elements, but the shape needs \(count)")
        }
        func numbers<T>(_ convert: (Double) -> T?) throws -> [T] {
            var values: [T] = []
            values.reserveCapacity(count)
            for (index, value) in flat.enumerated() {
                guard case .number(let number) = value, let converted = convert(number) else {
                    throw field.error("element \(index) is not a \(type.v2Name) value")
                }
                values.append(converted)
            }
            return values
        }
        func integer<T: FixedWidthInteger>(_: T.Type) -> (Double) -> T? {
            { $0.rounded() == $0 ? T(exactly: $0) : nil }
        }
        switch type {
        case .float32: return .float(try numbers { Float($0) })
        case .float64: return .double(try numbers { $0 })
        case .int64: return .int64(try numbers(integer(Int64.self)))
        case .int32: return .int32(try numbers(integer(Int32.self)))
        case .int8: return .int8(try numbers(integer(Int8.self)))
        case .uint8: return .uint8(try numbers(integer(UInt8.self)))
        // Types the executor computes wider (see Tensor.storageType(for:)).
        case .float16: return .float(try numbers { Float($0) })
        case .int16: return .int32(try numbers(integer(Int16.self)).map(Int32.init))
        case .uint16: return .int32(try numbers(integer(UInt16.self)).map(Int32.init))
        case .uint32: return .int64(try numbers(integer(UInt32.self)).map(Int64.init))
        case .uint64: return .int64(try numbers { $0 >= 0 ? Int64(exactly: $0) : nil })
        case .bool:
            return .bool(try flat.enumerated().map { index, value in
                guard case .bool(let flag) = value else { throw field.error("element \(index) is not true or false") }
                return flag
            })
        case .string:
            return .string(try flat.enumerated().map { index, value in
                guard case .string(let text) = value else { throw field.error("element \(index) is not a string") }
                return text
            })
        default:
            throw field.error("\(type.v2Name) tensors are not supported by Warden's executor; send the datatype the model's input has")
        }
    }
}

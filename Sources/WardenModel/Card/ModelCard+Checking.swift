import WardenCore

extension ModelCard {
    /// Checks that the card's declared inputs and outputs agree with `signature`,
    /// the one read from the model itself.
    ///
    /// A card may leave `inputs` or `outputs` out; when it lists them it must list
    /// every tensor, with the graph's dtype, rank and dims. A dynamic dim may be
    /// written as `-1` or any name, whatever the graph calls it.
    /// - Throws: `.cardContradictsModel` naming the field and both values.
    public func check(against signature: IOSignature) throws {
        if let inputs { try Self.check(inputs, against: signature.inputs, field: "inputs") }
        if let outputs { try Self.check(outputs, against: signature.outputs, field: "outputs") }
    }

    private static func check(_ declared: [TensorSpec], against actual: [TensorSpec], field: String) throws {
        let side = field == "inputs" ? "input" : "output"
        let byName = Dictionary(actual.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for (index, spec) in declared.enumerated() {
            let path = "\(ModelCard.fileName): \(field)[\(index)]"
            guard let real = byName[spec.name] else {
                throw WardenError(
                    .cardContradictsModel,
                    "\(path).name: the card declares \(side) '\(spec.name)' but the model has no such \(side); its \(field) are \(actual.map { "'\($0.name)'" }.joined(separator: ", "))"
                )
            }
            guard real.dataType == spec.dataType else {
                throw WardenError(.cardContradictsModel, "\(path).dtype: the card says \(spec.dataType) but the model's \(side) '\(spec.name)' is \(real.dataType)")
            }
            guard let declaredShape = spec.shape else { continue }
            guard let realShape = real.shape else {
                throw WardenError(.cardContradictsModel, "\(path).shape: the card says \(spec.shapeDescription) but the model does not declare the rank of \(side) '\(spec.name)'; remove the shape from the card")
            }
            guard declaredShape.count == realShape.count else {
                throw WardenError(.cardContradictsModel, "\(path).shape: the card says \(spec.shapeDescription) (rank \(declaredShape.count)) but the model's \(side) '\(spec.name)' is \(real.shapeDescription) (rank \(realShape.count))")
            }
            for (axis, (card, graph)) in zip(declaredShape, realShape).enumerated() where card.isDynamic != graph.isDynamic || (!card.isDynamic && card != graph) {
                throw WardenError(.cardContradictsModel, "\(path).shape[\(axis)]: the card says \(card) but the model's \(side) '\(spec.name)' has \(graph.isDynamic ? "a dynamic dim ('\(graph)')" : "\(graph)") there; the model's shape is \(real.shapeDescription)")
            }
        }
        let declaredNames = Set(declared.map(\.name))
        if let missing = actual.first(where: { !declaredNames.contains($0.name) }) {
            throw WardenError(.cardContradictsModel, "\(ModelCard.fileName): \(field): the card leaves out \(side) '\(missing.name)' (\(missing.dataType) \(missing.shapeDescription)); list every \(side), or remove '\(field)' to take them from the model")
        }
    }
}

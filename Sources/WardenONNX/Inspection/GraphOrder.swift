import WardenCore

/// Checks that a graph is well formed and gives its nodes a canonical order.
///
/// Every node input must be a graph input, an initializer, an earlier node's
/// output or (in a subgraph) a name from an enclosing scope; the nodes must
/// not form a cycle. Nodes already in topological order (as the ONNX spec
/// asks) keep the file's order; nodes out of order but acyclic are accepted
/// and ordered by Kahn's algorithm, which is deterministic for a given file.
package enum GraphOrder {
    /// Node indices in execution order.
    /// - Parameter outerScope: names visible from enclosing graphs.
    /// - Throws: `.invalidGraph` naming the undefined tensor or the nodes on a cycle.
    package static func order(_ graph: Onnx_GraphProto, outerScope: Set<String> = []) throws -> [Int] {
        var defined = Set<String>()
        for name in graph.initializer.map(\.name) + graph.sparseInitializer.map(\.values.name) where !name.isEmpty {
            guard defined.insert(name).inserted else {
                throw WardenError(.invalidGraph, "initializer '\(name)' is defined twice; each tensor name must be defined once")
            }
        }
        var available = outerScope
        available.formUnion(graph.input.map(\.name))
        available.formUnion(graph.initializer.map(\.name))
        available.formUnion(graph.sparseInitializer.map(\.values.name))

        var producer: [String: Int] = [:]
        for (index, node) in graph.node.enumerated() {
            for output in node.output where !output.isEmpty {
                if let other = producer[output] {
                    throw WardenError(
                        .invalidGraph,
                        "tensor '\(output)' is produced by two nodes (\(describe(graph.node[other], other)) and \(describe(node, index))); each tensor must have one producer"
                    )
                }
                producer[output] = index
            }
        }

        // Dependencies between nodes, and inputs nobody defines.
        var dependents = Array(repeating: [Int](), count: graph.node.count)
        var pending = Array(repeating: 0, count: graph.node.count)
        for (index, node) in graph.node.enumerated() {
            var needs = Set<Int>()
            for input in node.input where !input.isEmpty {
                if let source = producer[input] {
                    needs.insert(source)
                } else if !available.contains(input) {
                    throw WardenError(
                        .invalidGraph,
                        "\(describe(node, index)) uses tensor '\(input)', which no graph input, initializer or node defines"
                    )
                }
            }
            // Subgraphs may read any name of this graph.
            for attribute in node.attribute where attribute.hasG || !attribute.graphs.isEmpty {
                let scope = available.union(producer.keys)
                for subgraph in (attribute.hasG ? [attribute.g] : []) + attribute.graphs {
                    _ = try order(subgraph, outerScope: scope)
                }
            }
            for source in needs {
                dependents[source].append(index)
            }
            pending[index] = needs.count
        }

        // Kahn's algorithm over a FIFO seeded in file order; a sorted graph comes out unchanged.
        var queue = pending.indices.filter { pending[$0] == 0 }
        var head = 0
        var order: [Int] = []
        order.reserveCapacity(graph.node.count)
        while head < queue.count {
            let next = queue[head]
            head += 1
            order.append(next)
            for dependent in dependents[next] {
                pending[dependent] -= 1
                if pending[dependent] == 0 { queue.append(dependent) }
            }
        }
        if order.count == graph.node.count, producerPrecedesEveryUse(graph, producer) {
            order = Array(graph.node.indices)
        }
        guard order.count == graph.node.count else {
            // Drop nodes that only sit downstream of the cycle: what remains is on it.
            var stuck = Set(pending.indices.filter { pending[$0] > 0 })
            var pruned = true
            while pruned {
                pruned = false
                for node in stuck where !dependents[node].contains(where: stuck.contains) {
                    stuck.remove(node)
                    pruned = true
                }
            }
            let onCycle = stuck.sorted().prefix(5).map { describe(graph.node[$0], $0) }
            throw WardenError(.invalidGraph, "the graph has a cycle through \(onCycle.joined(separator: ", ")); ONNX graphs must be acyclic")
        }

        for output in graph.output where !output.name.isEmpty {
            guard producer[output.name] != nil || available.contains(output.name) else {
                throw WardenError(.invalidGraph, "graph output '\(output.name)' is never produced by any node")
            }
        }
        return order
    }

    /// Whether every node comes after the producers of its inputs.
    private static func producerPrecedesEveryUse(_ graph: Onnx_GraphProto, _ producer: [String: Int]) -> Bool {
        graph.node.enumerated().allSatisfy { index, node in
            node.input.allSatisfy { input in (producer[input] ?? -1) < index }
        }
    }

    package static func describe(_ node: Onnx_NodeProto, _ index: Int) -> String {
        node.name.isEmpty ? "node #\(index) (\(node.opType))" : "node '\(node.name)' (\(node.opType))"
    }
}

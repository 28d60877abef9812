import WardenCore
import WardenONNX
import WardenTensor

/// Which buffer each intermediate value is written into, planned once at load time.
///
/// Values whose lifetimes do not overlap share a slot, like registers: a value
/// is live from the step that computes it to the last step that reads it (or
/// that reads a view of it: Reshape, Flatten, Squeeze, Unsqueeze, Identity and
/// Dropout hand on their input's buffer, so a value and its views form one
/// group). Slots are picked by a linear scan in execution order, each new group
/// taking the free slot whose planned size fits it best; the sizes come from the
/// inferred shapes, with symbolic dims (the batch) counted as 1.
///
/// At run time an `Arena` holds one buffer per slot. A kernel writes its output
/// into its slot's buffer, and the buffer goes back to the slot after the
/// group's last read, for the next value planned there, and for the next call.
/// Graph outputs, and any group a graph output belongs to, are not planned: their
/// buffers leave with the result.
struct MemoryPlan: Sendable {
    /// Per step, the slot of each output, or -1 when the output is not planned.
    let outputSlots: [[Int]]
    /// Per step, the values whose buffer goes back to its slot once the step is done.
    let returns: [[(name: String, slot: Int)]]
    /// Per step, the values (planned or not) that no later step reads: dropped once the step is done.
    /// Graph outputs and constants are never dropped.
    let releases: [[String]]
    let slotCount: Int
    /// Planned values, and the elements they need with symbolic dims at 1 (unknown dims count 0):
    /// the sum over all values, and the sum over slots of the largest value in each.
    let values: Int
    let valueElements: Int
    let slotElements: Int

    /// Ops whose output is a view of input 0, sharing its buffer.
    static let views: Set<String> = ["Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"]

    /// - Parameters:
    ///   - steps: each step's node, in execution order.
    ///   - constants: initializer names, which are never planned.
    ///   - outputs: the graph's outputs.
    ///   - shapes: the inferred shape of each value, where known.
    init(_ nodes: [Onnx_NodeProto], constants: Set<String>, outputs: Set<String>, shapes: [String: [TensorDimension]]) {
        // Groups: a value and the views of it, by the name of the value that owns the buffer.
        var owner: [String: String] = [:]
        var unplanned = Set<String>()
        var produced: [String: Int] = [:]
        var lastRead: [String: Int] = [:]
        for (position, node) in nodes.enumerated() {
            for name in node.input where !name.isEmpty { lastRead[name] = position }
            for name in node.output where !name.isEmpty && !constants.contains(name) {
                produced[name] = position
                let isView = (node.domain.isEmpty || node.domain == "ai.onnx") && Self.views.contains(node.opType) && node.output.first == name
                if isView, let source = node.input.first, let root = owner[source] {
                    owner[name] = root
                } else {
                    owner[name] = name
                    // A view of a graph input or an initializer holds the caller's or the model's buffer.
                    if isView { unplanned.insert(name) }
                }
            }
        }
        var releases = Array(repeating: [String](), count: nodes.count)
        for (name, position) in lastRead where !outputs.contains(name) && !constants.contains(name) {
            releases[position].append(name)
        }
        var end: [String: Int] = [:]
        var last: [String: String] = [:]
        var escapes = unplanned
        for (name, root) in owner {
            let until = lastRead[name] ?? produced[name] ?? 0
            if until >= end[root] ?? -1 {
                end[root] = until
                last[root] = name
            }
            if outputs.contains(name) { escapes.insert(root) }
        }
        func elements(_ name: String) -> Int {
            guard let shape = shapes[name] else { return 0 }
            var count = 1
            for dim in shape {
                switch dim {
                case .fixed(let size):
                    let (product, overflow) = count.multipliedReportingOverflow(by: Int(clamping: max(0, size)))
                    count = overflow ? Int.max / 2 : product
                case .symbolic: continue
                case .unknown: return 0
                }
            }
            return count
        }

        var outputSlots = nodes.map { Array(repeating: -1, count: $0.output.count) }
        var returns = Array(repeating: [(name: String, slot: Int)](), count: nodes.count)
        var slotSizes: [Int] = []
        var free: [Int] = []
        var slotOf: [String: Int] = [:]
        var (values, valueElements) = (0, 0)
        for (position, node) in nodes.enumerated() {
            for (index, name) in node.output.enumerated() where owner[name] == name && !escapes.contains(name) {
                let size = elements(name)
                // The free slot that fits best: the smallest at least as large, else the largest (it grows).
                let fitting = free.indices.filter { slotSizes[free[$0]] >= size }.min { slotSizes[free[$0]] < slotSizes[free[$1]] }
                let slot: Int
                if let choice = fitting ?? free.indices.max(by: { slotSizes[free[$0]] < slotSizes[free[$1]] }) {
                    slot = free.remove(at: choice)
                    slotSizes[slot] = max(slotSizes[slot], size)
                } else {
                    slot = slotSizes.count
                    slotSizes.append(size)
                }
                slotOf[name] = slot
                outputSlots[position][index] = slot
                values += 1
                valueElements += size
            }
            // Groups read for the last time here give their slot back, after this step's outputs took theirs.
            var seen = Set<String>()
            for name in node.input + node.output where seen.insert(name).inserted {
                guard let root = owner[name], let slot = slotOf[root], end[root] == position, last[root] == name else { continue }
                returns[position].append((name, slot))
                free.append(slot)
            }
        }
        self.outputSlots = outputSlots
        self.returns = returns
        self.releases = releases
        slotCount = slotSizes.count
        self.values = values
        self.valueElements = valueElements
        slotElements = slotSizes.reduce(0, +)
    }
}

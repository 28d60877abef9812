import Foundation
import WardenIntegrity

/// A progress bar on stderr for long hashes: drawn only when stderr is a
/// terminal and the model is larger than `threshold` bytes.
final class ProgressBar: @unchecked Sendable {
    // Mutable state is touched only on `queue`.
    static let threshold: Int64 = 256 << 20

    let progress: HashProgress
    private let label: String
    private let queue = DispatchQueue(label: "warden.progress")
    private var timer: (any DispatchSourceTimer)?
    private var drawn = false
    private let started = Date()

    init(label: String, progress: HashProgress = HashProgress()) {
        self.label = label
        self.progress = progress
    }

    /// Starts redrawing every 100 ms when stderr is a terminal.
    func start() {
        guard standardErrorIsTerminal() else { return }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .milliseconds(200), repeating: .milliseconds(100))
        timer.setEventHandler { [weak self] in self?.draw() }
        self.timer = timer
        timer.resume()
    }

    func stop() {
        queue.sync {
            timer?.cancel()
            timer = nil
            if drawn {
                draw()
                FileHandle.standardError.write(Data("\n".utf8))
            }
        }
    }

    private func draw() {
        guard let total = progress.totalBytes, total > Self.threshold else { return }
        let done = progress.completedBytes
        let fraction = min(1, Double(done) / Double(max(total, 1)))
        let width = 30
        let filled = Int(fraction * Double(width))
        let seconds = max(Date().timeIntervalSince(started), 0.001)
        let rate = Double(done) / seconds / 1e9
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        let line = String(format: "\r%@ [%@] %3d%% %.1f/%.1f GB %.2f GB/s", label, bar, Int(fraction * 100), Double(done) / 1e9, Double(total) / 1e9, rate)
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }
}

/// Runs `body` with a progress bar attached to its hashing.
func withProgress<T>(_ label: String, _ body: (HashProgress) throws -> T) rethrows -> T {
    let bar = ProgressBar(label: label)
    bar.start()
    defer { bar.stop() }
    return try body(bar.progress)
}

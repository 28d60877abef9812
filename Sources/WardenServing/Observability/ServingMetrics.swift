import CoreMetrics
import Foundation
import Metrics

/// The serving side's metrics, made through swift-metrics with an explicit
/// factory (the server passes a Prometheus one and exports it at `/metrics`).
///
/// Names: `warden_inference_requests_total{model,version,outcome}`,
/// `warden_inference_{queue,compute,request}_duration_seconds{model,version}`,
/// `warden_inference_batch_size{model,version}`, `warden_inference_queue_depth{model,version}`,
/// `warden_model_loads_total{model,outcome}` with outcome `loaded`, `failed` or `refused`.
public struct ServingMetrics: Sendable {
    public let factory: any MetricsFactory

    public init(factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.factory = factory
    }

    /// Handles for one served version, made once when it loads.
    struct VersionHandles: Sendable {
        let success: Counter
        let failure: Counter
        let rejected: Counter
        let queue: Metrics.Timer
        let compute: Metrics.Timer
        let total: Metrics.Timer
        let batchSize: Recorder
        let queueDepth: Gauge
        let violations: Counter
    }

    func handles(model: String, version: String) -> VersionHandles {
        let labels = [("model", model), ("version", version)]
        func outcome(_ name: String) -> Counter {
            Counter(label: "warden_inference_requests_total", dimensions: labels + [("outcome", name)], factory: factory)
        }
        return VersionHandles(
            success: outcome("success"),
            failure: outcome("failure"),
            rejected: outcome("rejected"),
            queue: Metrics.Timer(label: "warden_inference_queue_duration_seconds", dimensions: labels, preferredDisplayUnit: .seconds, factory: factory),
            compute: Metrics.Timer(label: "warden_inference_compute_duration_seconds", dimensions: labels, preferredDisplayUnit: .seconds, factory: factory),
            total: Metrics.Timer(label: "warden_inference_request_duration_seconds", dimensions: labels, preferredDisplayUnit: .seconds, factory: factory),
            batchSize: Recorder(label: "warden_inference_batch_size", dimensions: labels, aggregate: true, factory: factory),
            queueDepth: Gauge(label: "warden_inference_queue_depth", dimensions: labels, factory: factory),
            violations: Counter(label: "warden_output_contract_violations_total", dimensions: labels, factory: factory)
        )
    }

    /// A load attempt's outcome: `loaded`, `failed` (parse, warm-up) or `refused` (verification).
    func recordLoad(model: String, outcome: String) {
        Counter(label: "warden_model_loads_total", dimensions: [("model", model), ("outcome", outcome)], factory: factory).increment()
    }

    /// Resident memory, read from /proc at scrape time.
    public func recordResidentMemory() {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return }
        Gauge(label: "warden_resident_memory_bytes", factory: factory).record(pages * Int(sysconf(Int32(_SC_PAGESIZE))))
    }
}

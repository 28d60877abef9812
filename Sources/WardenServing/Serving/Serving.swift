import WardenCore

/// The serving side as the HTTP layer sees it: the served models, where they
/// come from, and their metrics.
public struct Serving: Sendable {
    public let server: ModelServer
    public let source: any ModelSource
    public let metrics: ServingMetrics

    public init(server: ModelServer, source: any ModelSource, metrics: ServingMetrics) {
        self.server = server
        self.source = source
        self.metrics = metrics
    }

    /// Queue depths as gauges, read when metrics are scraped.
    public func recordGauges() {
        metrics.recordResidentMemory()
        for served in server.readyVersions { served.handles.queueDepth.record(served.queueDepth) }
    }
}

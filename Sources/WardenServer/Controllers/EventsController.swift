import WardenAPI
import Hummingbird
import WardenCore
import WardenRegistry

/// `GET /api/v1/events?since=SEQ[&limit=N][&wait=SECONDS]`: new versions,
/// yanks and alias moves in commit order. With `wait`, a long poll: the
/// request returns as soon as there is an event after `since`, or after
/// `wait` seconds with none.
struct EventsController {
    let registry: Registry

    func addRoutes(to group: RouterGroup<WardenRequestContext>) {
        group.on(.listEvents, use: events)
    }

    @Sendable func events(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.reader)
        let since = Int64(try request.integer("since", default: 0, range: 0...Int.max))
        let limit = try request.integer("limit", default: 100, range: 1...1000)
        let wait = try request.integer("wait", default: 0, range: 0...60)
        var events = try await registry.events(after: since, limit: limit)
        let deadline = ContinuousClock.now + .seconds(wait)
        while events.isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            events = try await registry.events(after: since, limit: limit)
        }
        let next = events.last?.sequence ?? since
        return JSONBody.response(EventList(events: events.map(EventResource.init), next: next))
    }
}

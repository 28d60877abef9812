import Foundation
import PostgresNIO
import WardenCore

extension PostgresMetadataStore {
    public func startRollout(_ record: RolloutRecord, actor: String) async throws -> RolloutRecord {
        let now = Self.now()
        return try await write { session in
            guard let modelID = try await Self.modelID(session, record.model) else { throw Self.unknownModel(record.model) }
            for version in [record.stable, record.candidate] {
                let exists = try await session.first(
                    "SELECT 1 AS found FROM versions WHERE model_id = \(modelID) AND precedence = \(Self.precedence(version))"
                ) != nil
                guard exists else { throw Self.rolloutVersionMissing(record.model, version) }
            }
            if let phase = try await session.first("SELECT phase FROM rollouts WHERE model = \(record.model)")?.text("phase"),
               phase == "progressing" || phase == "paused" {
                throw Self.rolloutActive(record.model, phase: phase)
            }
            try await session.execute("""
                INSERT INTO rollouts (model, stable, candidate, plan, state, phase, weight, started_at, started_by, updated_at)
                VALUES (\(record.model), \(record.stable.description), \(record.candidate.description), \(record.plan), \(record.state),
                        \(record.phase), \(record.weight), \(Self.millis(now)), \(actor), \(Self.millis(now)))
                ON CONFLICT (model) DO UPDATE SET stable = excluded.stable, candidate = excluded.candidate, plan = excluded.plan,
                state = excluded.state, phase = excluded.phase, weight = excluded.weight, started_at = excluded.started_at,
                started_by = excluded.started_by, updated_at = excluded.updated_at
                """)
            try await self.appendEvent(
                session, .rolloutStarted, model: record.model, version: record.candidate, actor: actor, at: now,
                detail: Self.rolloutStartedDetail(record)
            )
            return Self.started(record, at: now, by: actor)
        }
    }

    public func updateRollout(model: String, phase: String, weight: Int, state: String, event: RegistryEvent.Kind, detail: [String: String], actor: String) async throws -> RolloutRecord {
        let now = Self.now()
        return try await write { session in
            guard let record = try await session.first("SELECT * FROM rollouts WHERE model = \(model)").map(Self.rolloutRecord) else {
                throw Self.noRollout(model)
            }
            try await session.execute("""
                UPDATE rollouts SET phase = \(phase), weight = \(weight), state = \(state), updated_at = \(Self.millis(now))
                WHERE model = \(model)
                """)
            let eventDetail = Self.rolloutStepDetail(detail, phase: phase, weight: weight, from: record.phase)
            try await self.appendEvent(session, event, model: model, version: record.candidate, actor: actor, at: now, detail: eventDetail)
            return Self.stepped(record, phase: phase, weight: weight, state: state, at: now)
        }
    }

    public func rollout(model: String) async throws -> RolloutRecord? {
        try await read { session in try await session.first("SELECT * FROM rollouts WHERE model = \(model)").map(Self.rolloutRecord) }
    }

    public func activeRollouts() async throws -> [RolloutRecord] {
        try await read { session in
            try await session.rows("SELECT * FROM rollouts WHERE phase IN ('progressing', 'paused') ORDER BY model").map(Self.rolloutRecord)
        }
    }
}

import Foundation
import GRDB
import WardenCore

extension SQLiteMetadataStore {
    public func startRollout(_ record: RolloutRecord, actor: String) async throws -> RolloutRecord {
        let now = Self.now()
        return try await write { db in
            guard let modelID = try Self.modelID(db, record.model) else { throw Self.unknownModel(record.model) }
            for version in [record.stable, record.candidate] {
                let exists = try Bool.fetchOne(db, sql: "SELECT 1 FROM versions WHERE model_id = ? AND precedence = ?", arguments: [modelID, Self.precedence(version)]) ?? false
                guard exists else { throw Self.rolloutVersionMissing(record.model, version) }
            }
            if let phase = try String.fetchOne(db, sql: "SELECT phase FROM rollouts WHERE model = ?", arguments: [record.model]), phase == "progressing" || phase == "paused" {
                throw Self.rolloutActive(record.model, phase: phase)
            }
            try db.execute(
                sql: """
                    INSERT INTO rollouts (model, stable, candidate, plan, state, phase, weight, started_at, started_by, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (model) DO UPDATE SET stable = excluded.stable, candidate = excluded.candidate, plan = excluded.plan,
                    state = excluded.state, phase = excluded.phase, weight = excluded.weight, started_at = excluded.started_at,
                    started_by = excluded.started_by, updated_at = excluded.updated_at
                    """,
                arguments: [record.model, record.stable.description, record.candidate.description, record.plan, record.state, record.phase,
                            record.weight, Self.millis(now), actor, Self.millis(now)]
            )
            try self.appendEvent(
                db, .rolloutStarted, model: record.model, version: record.candidate, actor: actor, at: now,
                detail: Self.rolloutStartedDetail(record)
            )
            return Self.started(record, at: now, by: actor)
        }
    }

    public func updateRollout(model: String, phase: String, weight: Int, state: String, event: RegistryEvent.Kind, detail: [String: String], actor: String) async throws -> RolloutRecord {
        let now = Self.now()
        return try await write { db in
            guard let record = try Row.fetchOne(db, sql: "SELECT * FROM rollouts WHERE model = ?", arguments: [model]).map(Self.rolloutRecord) else {
                throw Self.noRollout(model)
            }
            try db.execute(
                sql: "UPDATE rollouts SET phase = ?, weight = ?, state = ?, updated_at = ? WHERE model = ?",
                arguments: [phase, weight, state, Self.millis(now), model]
            )
            let eventDetail = Self.rolloutStepDetail(detail, phase: phase, weight: weight, from: record.phase)
            try self.appendEvent(db, event, model: model, version: record.candidate, actor: actor, at: now, detail: eventDetail)
            return Self.stepped(record, phase: phase, weight: weight, state: state, at: now)
        }
    }

    public func rollout(model: String) async throws -> RolloutRecord? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM rollouts WHERE model = ?", arguments: [model]).map(Self.rolloutRecord) }
    }

    public func activeRollouts() async throws -> [RolloutRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM rollouts WHERE phase IN ('progressing', 'paused') ORDER BY model").map(Self.rolloutRecord)
        }
    }
}

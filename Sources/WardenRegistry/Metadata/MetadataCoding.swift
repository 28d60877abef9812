import Foundation
import WardenCore

/// How every metadata store writes values and reads them back, whatever its SQL:
/// times as integer milliseconds, JSON with sorted keys, versions and digests as text,
/// and the messages a user sees for what is missing or already there.
///
/// `SQLiteMetadataStore` and `PostgresMetadataStore` both adopt it, so the two cannot
/// drift apart in what they store or in what they say.
protocol MetadataCoding {}

extension MetadataCoding {
    // MARK: Values

    /// Now, to the millisecond: what the database keeps, so a returned record equals the stored one.
    static func now() -> Date {
        Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }

    static func millis(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    static func date(_ millis: Int64) -> Date {
        Date(timeIntervalSince1970: Double(millis) / 1000)
    }

    /// What SemVer precedence compares: the version without build metadata.
    static func precedence(_ version: SemanticVersion) -> String {
        SemanticVersion(major: version.major, minor: version.minor, patch: version.patch, prerelease: version.prerelease).description
    }

    /// A JSON object with sorted keys; nil values become `null`.
    static func json(_ object: [String: Any?]) -> String {
        let value = object.mapValues { $0 ?? NSNull() }
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func jsonArray(_ strings: [String]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: strings, options: [.withoutEscapingSlashes]) else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }

    static func decodeArray(_ text: String, column: String) throws -> [String] {
        guard let strings = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String] else {
            throw corrupt(column, text)
        }
        return strings
    }

    static func decodeDigest(_ text: String, column: String) throws -> Digest {
        do { return try Digest(parsing: text) } catch { throw corrupt(column, text) }
    }

    static func decodeVersion(_ text: String, column: String) throws -> SemanticVersion {
        guard let version = SemanticVersion(text) else { throw corrupt(column, text) }
        return version
    }

    static func corrupt(_ column: String, _ value: String) -> WardenError {
        WardenError(.ioFailure, "the metadata database holds an invalid value in \(column): '\(value)'; run warden fsck")
    }

    /// Tags as given, without blanks and repeats.
    static func normalizedTags(_ tags: [String]) -> [String] {
        var seen = Set<String>()
        return tags.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    /// The least string above every string that starts with `prefix`, in byte order
    /// (which UTF-8 makes the order of Unicode scalars); nil when there is none.
    static func upperBound(ofPrefix prefix: String) -> String? {
        var scalars = Array(prefix.unicodeScalars)
        while let last = scalars.popLast() {
            var next = last.value + 1
            if next == 0xD800 { next = 0xE000 }  // skip the surrogates, which are not scalars
            if let scalar = Unicode.Scalar(next) {
                scalars.append(scalar)
                var text = String.UnicodeScalarView()
                text.append(contentsOf: scalars)
                return String(text)
            }
        }
        return nil
    }

    /// The canonical text of an event, which the audit leaf hash covers: a JSON object with sorted keys.
    static func auditEntry(sequence: Int64, kind: String, model: String?, version: String?, alias: String?, actor: String, at: Int64, detail: String) -> String {
        let detailObject = (try? JSONSerialization.jsonObject(with: Data(detail.utf8))) ?? [String: Any]()
        return json([
            "sequence": sequence, "action": kind, "model": model, "version": version, "alias": alias,
            "actor": actor, "at": at, "detail": detailObject,
        ])
    }

    // MARK: Models

    /// Applies an update's new description and tags (nil: unchanged) to `model` and returns the
    /// event detail of what changed: empty when nothing did, and the update records nothing.
    static func apply(description: String?, tags: [String]?, to model: inout ModelRecord) -> [String: Any?] {
        var detail: [String: Any?] = [:]
        if let description, description != model.description {
            model.description = description
            detail["description"] = description
        }
        if let tags, tags != model.tags {
            model.tags = tags
            detail["tags"] = tags
        }
        return detail
    }

    // MARK: Rollouts

    /// A rollout as `startRollout` stored it.
    static func started(_ record: RolloutRecord, at now: Date, by actor: String) -> RolloutRecord {
        var stored = record
        stored.startedAt = now
        stored.startedBy = actor
        stored.updatedAt = now
        return stored
    }

    /// A rollout as `updateRollout` stored it.
    static func stepped(_ record: RolloutRecord, phase: String, weight: Int, state: String, at now: Date) -> RolloutRecord {
        var stored = record
        stored.phase = phase
        stored.weight = weight
        stored.state = state
        stored.updatedAt = now
        return stored
    }

    // MARK: Listing models

    /// The conditions of a page of models, each a clause with one `?` for its value, in order:
    /// a name range for `prefix` (not LIKE: it uses the name index and is case-sensitive),
    /// names after `cursor`, and models carrying `tag`.
    static func modelFilter(prefix: String?, tag: String?, cursor: String?) -> [(clause: String, value: String)] {
        var conditions: [(clause: String, value: String)] = []
        if let prefix, !prefix.isEmpty {
            conditions.append(("name >= ?", prefix))
            if let upper = upperBound(ofPrefix: prefix) { conditions.append(("name < ?", upper)) }
        }
        if let cursor { conditions.append(("name > ?", cursor)) }
        if let tag { conditions.append(("id IN (SELECT model_id FROM model_tags WHERE tag = ?)", tag)) }
        return conditions
    }

    /// `limit` models of the `limit + 1` read, and the cursor for the next page when there is one.
    static func page(of rows: [ModelRecord], limit: Int) -> Page<ModelRecord> {
        guard rows.count > limit else { return Page(items: rows, nextCursor: nil) }
        let items = Array(rows.prefix(limit))
        return Page(items: items, nextCursor: items.last?.name)
    }

    // MARK: Event details

    /// The detail of `version.created`.
    static func versionCreatedDetail(_ new: NewVersion) -> [String: Any?] {
        [
            "manifest": new.manifestDigest.description, "files": new.files.count,
            "size": new.files.reduce(Int64(0)) { $0 + $1.size }, "signed": new.bundle != nil,
        ]
    }

    /// The detail of `rollout.started`.
    static func rolloutStartedDetail(_ record: RolloutRecord) -> [String: Any?] {
        [
            "stable": record.stable.description, "candidate": record.candidate.description, "weight": record.weight,
            // The plan as an object, not a JSON string inside the JSON.
            "plan": (try? JSONSerialization.jsonObject(with: Data(record.plan.utf8))) ?? record.plan,
        ]
    }

    /// The detail of a rollout step: what the controller said, the new phase and weight, and the phase before.
    static func rolloutStepDetail(_ detail: [String: String], phase: String, weight: Int, from previous: String) -> [String: Any?] {
        var eventDetail: [String: Any?] = detail.mapValues { $0 }
        eventDetail["phase"] = phase
        eventDetail["weight"] = weight
        eventDetail["from_phase"] = previous
        return eventDetail
    }
}

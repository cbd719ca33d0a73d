import SessionActors
import Storage

/// The session directory's figures as Prometheus families.
enum SessionMetricsText {
    static func render(_ directory: SessionDirectory) async -> MetricsText {
        let (sessions, participants) = await directory.census()
        let m = directory.metrics
        var out = MetricsText()
        out.single("tmi_collab_sessions", .gauge, help: "Live collaboration sessions.", Double(sessions))
        out.single(
            "tmi_collab_participants", .gauge, help: "Participant connections in live sessions.",
            Double(participants))
        out.single(
            "tmi_collab_operations_applied_total", .counter,
            help: "Diagram operations accepted and broadcast.",
            Double(m.operationsApplied))
        out.single(
            "tmi_collab_operations_rejected_total", .counter,
            help: "Diagram operations refused (invalid, conflicting, no change, base too old).",
            Double(m.operationsRejected))
        out.single(
            "tmi_collab_operations_duplicate_total", .counter,
            help: "Diagram operations resent with an operation_id already applied.",
            Double(m.operationsDuplicate))
        out.single(
            "tmi_collab_state_syncs_total", .counter,
            help: "Rejections that sent the client a full diagram_state_sync.", Double(m.stateSyncs))
        out.family(
            "tmi_collab_operation_apply_duration_seconds", .histogram,
            help: "From receiving an operation to its broadcast being durable.")
        out.histogram("tmi_collab_operation_apply_duration_seconds", [], m.applyLatencySnapshot)
        return out
    }
}

/// The storage layer's figures as Prometheus families.
enum StorageMetricsText {
    static func render() -> MetricsText {
        var out = MetricsText()
        out.family(
            "tmi_journal_fsync_duration_seconds", .histogram,
            help: "Duration of each journal group-commit fdatasync.")
        out.histogram("tmi_journal_fsync_duration_seconds", [], StorageMetrics.journalFsyncLatency.snapshot)
        return out
    }
}

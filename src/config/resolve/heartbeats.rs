//! Resolving MM2's heartbeat herders (MM2's `MirrorMaker` herders and `MirrorHeartbeatConnector`; docs/configuration.md, "Heartbeats"): which `S->T` pairs emit
//! `Heartbeat(S, T, now)` into T's `heartbeats` topic, how often, and with which target clients.
//!
//! MM2 runs a herder for every ordered pair of clusters whose `S->T.enabled` is true OR whose
//! heartbeats are on (`S->T.emit.heartbeats.enabled`, else top-level, else `true`), and every herder
//! runs `MirrorHeartbeatConnector`, which ignores `enabled`. So by default every pair emits
//! heartbeats, including pairs whose replication flow is off.

use super::*;

/// One herder's heartbeat emitter: `Heartbeat(source, target, now)` every `interval` to partition 0
/// of `heartbeats` on the target. Built only for pairs that emit (a herder exists and
/// `emit.heartbeats.enabled` is true), whether or not the pair's replication flow is enabled.
#[derive(Debug, Clone)]
pub struct HeartbeatConfig {
    /// Source cluster alias (S), written into the heartbeat key.
    pub source: String,
    /// Target cluster alias (T): where the heartbeats are written, also in the key.
    pub target: String,
    /// `emit.heartbeats.interval.seconds` (default 1 s).
    pub interval: Duration,
    /// `heartbeats.topic.replication.factor` for creating `heartbeats` (default 3; -1 = broker
    /// default). MM2 3.9 sets nothing else on that topic but `cleanup.policy=compact`.
    pub(crate) replication_factor: i16,
    /// The target admin (`S->T|MirrorHeartbeatConnector|heartbeats-target-admin`) that creates the
    /// topic.
    pub(crate) target_admin: ConnectionSpec,
    /// The Connect worker producer on T that MM2 writes heartbeats with (`T.producer.*`,
    /// `S->T.producer.override.*`).
    pub target_producer: ConnectionSpec,
    /// `request.timeout.ms` and friends of that producer.
    pub(crate) produce: ProduceSettings,
}

impl HeartbeatConfig {
    /// `S->T`, as MM2 names herders.
    pub fn label(&self) -> String {
        format!("{}->{}", self.source, self.target)
    }
}

impl Ctx<'_> {
    /// Whether MM2 creates a herder for `S->T` (`MirrorMakerConfig.clusterPairs`):
    /// `S->T.enabled` is true, or heartbeats are on for the pair. Both read with Java's lenient
    /// `Boolean.parseBoolean`.
    pub(super) fn herder_exists(&self, s: &str, t: &str) -> bool {
        let pair_enabled = self
            .raw
            .get(&format!("{s}->{t}.enabled"))
            .is_some_and(|v| parse_boolean_lenient(&v.value));
        let heartbeats = self
            .raw
            .get(&format!("{s}->{t}.emit.heartbeats.enabled"))
            .or_else(|| self.raw.get("emit.heartbeats.enabled"))
            .is_none_or(|v| parse_boolean_lenient(&v.value));
        pair_enabled || heartbeats
    }

    /// Every pair's heartbeat emitter, in `clusters` order of S then T.
    pub(super) fn all_heartbeats(
        &self,
        clusters: &[String],
    ) -> Result<Vec<HeartbeatConfig>, ConfigError> {
        let mut out = Vec::new();
        for s in clusters {
            for t in clusters {
                if s != t {
                    out.extend(self.resolve_heartbeats(s, t, &self.connector_map(s, t))?);
                }
            }
        }
        Ok(out)
    }

    /// The heartbeat emitter of herder `S->T`, or None when MM2 would not emit for that pair (no
    /// herder, or `emit.heartbeats.enabled = false`, or a negative interval, which MM2 treats as
    /// "do not schedule"). `conn` is the pair's connector map (top-level connector keys <
    /// `S->T.<key>`).
    ///
    /// Differences from MM2, on purpose: invalid values are start-up errors naming the line (MM2
    /// fails the connector later), and an interval of 0 is refused (MM2 would emit in a busy loop).
    pub(super) fn resolve_heartbeats(
        &self,
        s: &str,
        t: &str,
        conn: &Props,
    ) -> Result<Option<HeartbeatConfig>, ConfigError> {
        if !self.herder_exists(s, t) {
            return Ok(None);
        }
        if !self.boolean(conn, &keys::EMIT_HEARTBEATS_ENABLED)? {
            return Ok(None);
        }
        let secs = self.int(conn, &keys::EMIT_HEARTBEATS_INTERVAL_SECONDS)?;
        if secs < 0 {
            return Ok(None);
        }
        if secs == 0 {
            let message = "a number of seconds > 0 (0 would emit heartbeats in a busy loop), or `emit.heartbeats.enabled = false`";
            return Err(match conn.get("emit.heartbeats.interval.seconds") {
                Some(setting) => self.invalid(setting, "emit.heartbeats.interval.seconds", message),
                None => self.in_file("emit.heartbeats.interval.seconds is 0".to_string()),
            });
        }
        let replication_factor = self.int(conn, &keys::HEARTBEATS_TOPIC_REPLICATION_FACTOR)? as i16;

        let herder = format!("{s}->{t}");
        let mut admin = self.mm2_client(
            conn,
            &herder,
            t,
            "target",
            ClientKind::Admin,
            "heartbeats-target-admin",
        );
        // mm2_client labels clients with the source connector's name; this one belongs to the
        // heartbeat connector.
        if let Some(id) = admin.props.get_mut("client.id") {
            id.value = id.value.replace(
                &format!("|{SOURCE_CONNECTOR}|"),
                &format!("|{HEARTBEAT_CONNECTOR}|"),
            );
        }
        let mut producer = self.worker_producer(conn, s, t);
        if let Some(id) = producer.props.get_mut("client.id") {
            if id.origin.is_none() {
                id.value = format!("connector-producer-{HEARTBEAT_CONNECTOR}");
            }
        }
        // A missing bootstrap is reported at `S->T.enabled`, or for a heartbeat-only herder at the
        // `clusters` line that declared the pair's clusters.
        let declared_by = self
            .raw
            .get(&format!("{s}->{t}.enabled"))
            .or_else(|| self.raw.get("clusters"))
            .and_then(|v| v.origin.clone())
            .unwrap_or_else(|| Origin {
                file: self.path.to_path_buf(),
                line: 0,
                key: "clusters".into(),
            });
        if !admin.props.contains_key("bootstrap.servers") {
            return Err(self.at(
                &declared_by,
                format!(
                    "MM2 runs a heartbeat herder `{herder}` (every pair of clusters has one unless heartbeats are off), which writes to cluster `{t}`, but `{t}` has no bootstrap.servers: set `{t}.bootstrap.servers = host:port[,host:port...]`, or `{herder}.emit.heartbeats.enabled = false`"
                ),
            ));
        }
        let role = |r: &str| format!("{r} of the heartbeat emitter");
        let label = format!("{herder} (heartbeats)");
        let target_admin = self.connection(&admin, &label, &role("target admin"), &declared_by)?;
        let target_producer =
            self.connection(&producer, &label, &role("target producer"), &declared_by)?;
        let produce = self.produce(&producer)?;
        Ok(Some(HeartbeatConfig {
            source: s.to_string(),
            target: t.to_string(),
            interval: Duration::from_secs(secs as u64),
            replication_factor,
            target_admin,
            target_producer,
            produce,
        }))
    }
}

/// The heartbeat emitters this node runs: those whose target is in `targets` (MM2's `--clusters`
/// starts only the herders targeting those aliases), or all when `targets` is empty. Unknown
/// aliases in `targets` are reported by [`flows_for`].
pub(in crate::config) fn heartbeats_for(c: &Mm2Config, targets: &[String]) -> Vec<HeartbeatConfig> {
    c.heartbeats
        .iter()
        .filter(|h| targets.is_empty() || targets.contains(&h.target))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Mm2Config, ConfigError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("mm2.properties");
        std::fs::write(&path, text).expect("write");
        Mm2Config::load(&path)
    }

    fn ok(text: &str) -> Mm2Config {
        load(text).unwrap_or_else(|e| panic!("unexpected error: {e}"))
    }

    fn labels(h: &[HeartbeatConfig]) -> Vec<String> {
        h.iter().map(HeartbeatConfig::label).collect()
    }

    const ABC: &str = "clusters = a, b, c\na.bootstrap.servers = a:1\nb.bootstrap.servers = b:1\nc.bootstrap.servers = c:1\na->b.enabled = true\n";

    /// With defaults every ordered pair has a herder and emits, enabled flow or not.
    #[test]
    fn every_pair_emits_by_default() {
        let c = ok(ABC);
        assert_eq!(
            labels(&c.heartbeats),
            ["a->b", "a->c", "b->a", "b->c", "c->a", "c->b"]
        );
        let h = &c.heartbeats[0];
        assert_eq!(h.interval, Duration::from_secs(1));
        assert_eq!(h.replication_factor, 3);
        assert_eq!(h.target_admin.cluster, "b");
        assert_eq!(h.target_admin.bootstrap, ["b:1"]);
        assert_eq!(
            h.target_admin.client_id,
            "a->b|MirrorHeartbeatConnector|heartbeats-target-admin"
        );
        assert_eq!(h.target_producer.bootstrap, ["b:1"]);
        assert_eq!(
            h.target_producer.client_id,
            "connector-producer-MirrorHeartbeatConnector"
        );
        assert_eq!(h.produce.acks, -1);
    }

    /// `--clusters` starts only the herders targeting the named clusters, as MM2.
    #[test]
    fn clusters_selection_by_target() {
        let c = ok(ABC);
        assert_eq!(labels(&c.heartbeats_for(&["a".into()])), ["b->a", "c->a"]);
        assert_eq!(labels(&c.heartbeats_for(&[])).len(), 6);
    }

    /// Precedence: top-level < `S->T.`; per-cluster keys (`a.emit...`) do not reach the connector.
    #[test]
    fn key_precedence() {
        let text = format!(
            "{ABC}emit.heartbeats.interval.seconds = 5\nheartbeats.topic.replication.factor = 1\n\
             b->a.emit.heartbeats.interval.seconds = 7\nb->a.heartbeats.topic.replication.factor = -1\n\
             a.emit.heartbeats.interval.seconds = 9\n"
        );
        let c = ok(&text);
        let find = |l: &str| {
            c.heartbeats
                .iter()
                .find(|h| h.label() == l)
                .unwrap()
                .clone()
        };
        assert_eq!(find("a->b").interval, Duration::from_secs(5));
        assert_eq!(find("a->b").replication_factor, 1);
        assert_eq!(find("b->a").interval, Duration::from_secs(7));
        assert_eq!(find("b->a").replication_factor, -1);
    }

    /// `emit.heartbeats.enabled = false` removes the emitter; top-level false with `S->T.enabled`
    /// true keeps the herder (flow) but not its heartbeats; `S->T.emit.heartbeats.enabled = true`
    /// beats a top-level false; a negative interval disables as in MM2.
    #[test]
    fn enabling_rules() {
        let c = ok(&format!("{ABC}emit.heartbeats.enabled = false\n"));
        assert!(c.heartbeats.is_empty());
        assert_eq!(c.flows.len(), 1);
        let c = ok(&format!(
            "{ABC}emit.heartbeats.enabled = FALSE\nc->a.emit.heartbeats.enabled = true\n"
        ));
        assert_eq!(labels(&c.heartbeats), ["c->a"]);
        let c = ok(&format!("{ABC}b->a.emit.heartbeats.enabled = false\n"));
        assert!(!labels(&c.heartbeats).contains(&"b->a".to_string()));
        assert_eq!(c.heartbeats.len(), 5);
        let c = ok(&format!(
            "{ABC}a->c.emit.heartbeats.interval.seconds = -1\n"
        ));
        assert!(!labels(&c.heartbeats).contains(&"a->c".to_string()));
        // Lenient herder check: "yes" means no herder for a pair without `enabled = true` ...
        let c = ok(&format!("{ABC}c->b.emit.heartbeats.enabled = yes\n"));
        assert!(!labels(&c.heartbeats).contains(&"c->b".to_string()));
    }

    #[test]
    fn invalid_values_are_errors_at_their_line() {
        // ... but a pair whose herder exists validates strictly.
        let e = load(&format!("{ABC}a->b.emit.heartbeats.enabled = yes\n")).unwrap_err();
        assert!(matches!(&e, ConfigError::AtLine { line: 6, .. }), "{e}");
        let e = load(&format!("{ABC}emit.heartbeats.interval.seconds = 0\n")).unwrap_err();
        assert!(e.to_string().contains("busy loop"), "{e}");
        let e = load(&format!("{ABC}heartbeats.topic.replication.factor = 0\n")).unwrap_err();
        assert!(e.to_string().contains("replication.factor"), "{e}");
        let e = load(&format!("{ABC}emit.heartbeats.interval.seconds = x\n")).unwrap_err();
        assert!(matches!(&e, ConfigError::AtLine { line: 6, .. }), "{e}");
    }

    /// A flow replicates heartbeat topics whatever its `topics` filter says, but never
    /// internal ones or cycles back to its target.
    #[test]
    fn flows_replicate_heartbeat_topics_despite_the_filter() {
        let c = ok(&format!(
            "{ABC}topics = orders\ntopics.exclude = .*heartbeats\n"
        ));
        let flow = &c.flows[0];
        assert_eq!(flow.label(), "a->b");
        for t in ["heartbeats", "x.heartbeats", "c.x.heartbeats", "orders"] {
            assert!(flow.should_replicate_topic(t), "{t}");
        }
        for t in [
            "b.heartbeats",
            "c.b.heartbeats",
            "payments",
            "heartbeats.internal",
        ] {
            assert!(!flow.should_replicate_topic(t), "{t}");
        }
        assert_eq!(flow.remote_topic("heartbeats"), "a.heartbeats");
        assert_eq!(flow.remote_topic("x.heartbeats"), "a.x.heartbeats");
    }

    /// An unused cluster without bootstrap.servers still gets heartbeats from every other cluster,
    /// so it needs an address, or heartbeats off for those pairs.
    #[test]
    fn heartbeat_target_without_bootstrap() {
        let text = "clusters = a, b, c\na.bootstrap.servers = a:1\nb.bootstrap.servers = b:1\na->b.enabled = true\n";
        let e = load(text).unwrap_err().to_string();
        assert!(e.contains("mm2.properties:1: `clusters`"), "{e}");
        assert!(e.contains("`a->c.emit.heartbeats.enabled = false`"), "{e}");
        let ok_text = format!(
            "{text}a->c.emit.heartbeats.enabled = false\nb->c.emit.heartbeats.enabled = false\n"
        );
        // `c->a` and `c->b` write into a and b and never connect to c, as in MM2.
        assert_eq!(
            labels(&ok(&ok_text).heartbeats),
            ["a->b", "b->a", "c->a", "c->b"]
        );
    }

    /// A heartbeat emitter to a TLS cluster gets that cluster's security settings.
    #[test]
    fn emitters_use_the_target_clusters_security() {
        let c = ok(&format!("{ABC}c.security.protocol = SSL\n"));
        let to_c: Vec<_> = c.heartbeats_for(&["c".into()]);
        assert!(!to_c.is_empty());
        for h in &to_c {
            assert_eq!(
                h.target_producer.security.protocol,
                crate::security::SecurityProtocol::Ssl
            );
        }
    }
}

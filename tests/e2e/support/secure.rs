//! The secured cluster of the security tests (TLS, mTLS, SASL).

use super::*;

// ------------------------------------------------------------------------------------------------
// The secured cluster of the security tests

/// Session lifetime the secured broker grants SASL clients (`connections.max.reauth.ms` of its
/// SASL_SSL listener): short, so that every SASL test lives through several expiries.
pub const REAUTH_MS: u64 = 8000;

/// One single-node cluster started with `kafka-cluster.sh --secure` (see there): PLAINTEXT for the
/// harness and Kafka's tools (super user ANONYMOUS), SSL with required client certificates (mTLS) and
/// SASL_SSL (PLAIN user `strait-plain`, SCRAM user `strait-scram`). Security tests use its SASL_SSL
/// listener as the source and its SSL listener as the target of one flow.
pub struct SecureCluster {
    /// The cluster, reached through its PLAINTEXT listener.
    pub cluster: Cluster,
    /// TLS material and passwords from `scripts/gen-test-certs.sh`.
    pub certs: PathBuf,
    /// `127.0.0.1:port` of the mTLS listener.
    pub ssl: String,
    /// `127.0.0.1:port` of the SASL_SSL listener.
    pub sasl_ssl: String,
}

impl SecureCluster {
    /// A file of the cert dir, as a path string for configs.
    pub fn file(&self, name: &str) -> String {
        self.certs.join(name).display().to_string()
    }

    /// The content of a password file of the cert dir.
    pub fn secret(&self, name: &str) -> String {
        fs::read_to_string(self.certs.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .trim()
            .to_string()
    }

    /// Every password of the test set-up (stores, keys, SASL users): none may appear in a log.
    pub fn all_secrets(&self) -> Vec<String> {
        [
            "store-password",
            "key-password",
            "sasl-plain-password",
            "sasl-scram-password",
        ]
        .iter()
        .map(|f| self.secret(f))
        .collect()
    }

    /// The port of the SASL_SSL listener.
    pub fn sasl_ssl_port(&self) -> u16 {
        self.sasl_ssl.rsplit(':').next().unwrap().parse().unwrap()
    }
}

/// The secured cluster, started on first use.
pub fn secure() -> &'static SecureCluster {
    static SECURE: OnceLock<SecureCluster> = OnceLock::new();
    SECURE.get_or_init(|| {
        let t0 = Instant::now();
        let certs = run_dir().join("certs");
        let reauth = format!("listener.name.sasl_ssl.connections.max.reauth.ms={REAUTH_MS}");
        let certs_arg = certs.display().to_string();
        let (cluster, base) =
            Cluster::start_with("secure", 1, 4, &["--secure", &certs_arg, "--prop", &reauth]);
        eprintln!(
            "e2e: secured cluster {} ready after {:.1} s",
            cluster.bootstrap(),
            t0.elapsed().as_secs_f64()
        );
        SecureCluster {
            cluster,
            certs,
            ssl: format!("127.0.0.1:{}", base + 2),
            sasl_ssl: format!("127.0.0.1:{}", base + 3),
        }
    })
}

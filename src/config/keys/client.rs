//! Client keys: `MirrorClientConfig`'s `CLIENT_CONFIG_DEF` (bootstrap, `security.protocol`, Kafka's
//! `ssl.*` and `sasl.*` client keys). MM2 copies them from top level and `A.<key>` into every
//! consumer, producer and admin client of cluster A; a client prefix overrides them per client.

use super::why;
use super::Effect::{Acts, Ignored};
use super::KeyDefault::{Required, Unset, Value};
use super::Scope::Cluster;
use super::ValueType::{Any, Choice, Class, Fraction, HostPorts, List, Millis, Password, Text};
use super::{rows, Range};

/// Kafka's four security protocols.
pub(crate) const SECURITY_PROTOCOLS: &[&str] = &["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];
/// The store types strait reads.
pub(crate) const STORE_TYPES: &[&str] = &["JKS", "PKCS12", "PEM"];

rows! { ROWS;
    BOOTSTRAP_SERVERS = "bootstrap.servers", Cluster, HostPorts, Required, Acts,
        "where a cluster's clients start; required for the clusters of enabled flows and the target of every heartbeat emitter";
    SECURITY_PROTOCOL = "security.protocol", Cluster, Choice(SECURITY_PROTOCOLS), Value("PLAINTEXT"), Acts,
        "TLS and SASL on or off for the client (docs/configuration.md#security-tls-sasl-secrets)";
    // SslConfigs.addClientSslSupport
    SSL_PROTOCOL = "ssl.protocol", Cluster, Any, Unset, Ignored(why::SSL_PROTOCOL), "";
    SSL_PROVIDER = "ssl.provider", Cluster, Any, Unset, Ignored(why::JAVA_SECURITY), "";
    SSL_CIPHER_SUITES = "ssl.cipher.suites", Cluster, Any, Unset, Ignored(why::SSL_CIPHERS), "";
    SSL_ENABLED_PROTOCOLS = "ssl.enabled.protocols", Cluster, List, Value("TLSv1.2,TLSv1.3"), Acts,
        "the TLS versions strait may negotiate (TLSv1.2, TLSv1.3; others are listed and skipped)";
    SSL_KEYSTORE_TYPE = "ssl.keystore.type", Cluster, Choice(STORE_TYPES), Value("JKS"), Acts,
        "format of the client's key store (mTLS)";
    SSL_KEYSTORE_LOCATION = "ssl.keystore.location", Cluster, Text, Unset, Acts,
        "file of the client's key store (mTLS)";
    SSL_KEYSTORE_PASSWORD = "ssl.keystore.password", Cluster, Password, Unset, Acts,
        "password of the key store (JKS, PKCS12)";
    SSL_KEY_PASSWORD = "ssl.key.password", Cluster, Password, Unset, Acts,
        "password of the private key (defaults to the store's; decrypts an encrypted PEM key)";
    SSL_KEYSTORE_KEY = "ssl.keystore.key", Cluster, Password, Unset, Acts,
        "the private key as PEM text (with `ssl.keystore.type = PEM`)";
    SSL_KEYSTORE_CERTIFICATE_CHAIN = "ssl.keystore.certificate.chain", Cluster, Password, Unset, Acts,
        "the certificate chain as PEM text (with `ssl.keystore.type = PEM`)";
    SSL_TRUSTSTORE_CERTIFICATES = "ssl.truststore.certificates", Cluster, Password, Unset, Acts,
        "trusted CA certificates as PEM text (with `ssl.truststore.type = PEM`)";
    SSL_TRUSTSTORE_TYPE = "ssl.truststore.type", Cluster, Choice(STORE_TYPES), Value("JKS"), Acts,
        "format of the trust store";
    SSL_TRUSTSTORE_LOCATION = "ssl.truststore.location", Cluster, Text, Unset, Acts,
        "file of the trust store; without one the platform's roots are trusted";
    SSL_TRUSTSTORE_PASSWORD = "ssl.truststore.password", Cluster, Password, Unset, Acts,
        "password of the trust store (JKS, PKCS12; checks its integrity)";
    SSL_KEYMANAGER_ALGORITHM = "ssl.keymanager.algorithm", Cluster, Any, Unset, Ignored(why::JAVA_SECURITY), "";
    SSL_TRUSTMANAGER_ALGORITHM = "ssl.trustmanager.algorithm", Cluster, Any, Unset, Ignored(why::JAVA_SECURITY), "";
    SSL_ENDPOINT_IDENTIFICATION_ALGORITHM = "ssl.endpoint.identification.algorithm", Cluster, Choice(&["https", ""]), Value("https"), Acts,
        "`https` checks broker host names against their certificates; empty turns that off (with a warning)";
    SSL_SECURE_RANDOM_IMPLEMENTATION = "ssl.secure.random.implementation", Cluster, Any, Unset, Ignored(why::JAVA_SECURITY), "";
    SSL_ENGINE_FACTORY_CLASS = "ssl.engine.factory.class", Cluster, Any, Unset, Ignored(why::JAVA_SECURITY), "";
    // SaslConfigs.addClientSaslSupport
    SASL_KERBEROS_SERVICE_NAME = "sasl.kerberos.service.name", Cluster, Any, Unset, Ignored(why::KERBEROS), "";
    SASL_KERBEROS_KINIT_CMD = "sasl.kerberos.kinit.cmd", Cluster, Any, Unset, Ignored(why::KERBEROS), "";
    SASL_KERBEROS_TICKET_RENEW_WINDOW_FACTOR = "sasl.kerberos.ticket.renew.window.factor", Cluster, Any, Unset, Ignored(why::KERBEROS), "";
    SASL_KERBEROS_TICKET_RENEW_JITTER = "sasl.kerberos.ticket.renew.jitter", Cluster, Any, Unset, Ignored(why::KERBEROS), "";
    SASL_KERBEROS_MIN_TIME_BEFORE_RELOGIN = "sasl.kerberos.min.time.before.relogin", Cluster, Any, Unset, Ignored(why::KERBEROS), "";
    SASL_LOGIN_REFRESH_WINDOW_FACTOR = "sasl.login.refresh.window.factor", Cluster, Fraction { min: 0.5, max: 1.0 }, Value("0.8"), Acts,
        "an OAUTHBEARER token is replaced at this share of its lifetime";
    SASL_LOGIN_REFRESH_WINDOW_JITTER = "sasl.login.refresh.window.jitter", Cluster, Any, Unset, Ignored(why::SASL_LOGIN), "";
    SASL_LOGIN_REFRESH_MIN_PERIOD_SECONDS = "sasl.login.refresh.min.period.seconds", Cluster, Any, Unset, Ignored(why::SASL_LOGIN), "";
    SASL_LOGIN_REFRESH_BUFFER_SECONDS = "sasl.login.refresh.buffer.seconds", Cluster, Any, Unset, Ignored(why::SASL_LOGIN), "";
    SASL_MECHANISM = "sasl.mechanism", Cluster, Choice(&["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "GSSAPI"]), Value("GSSAPI"), Acts,
        "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER; GSSAPI (Kafka's default) is refused";
    SASL_JAAS_CONFIG = "sasl.jaas.config", Cluster, Password, Unset, Acts,
        "the login module line with the credentials, read as Kafka's `JaasConfig` reads it";
    SASL_CLIENT_CALLBACK_HANDLER_CLASS = "sasl.client.callback.handler.class", Cluster, Any, Unset, Ignored(why::JAVA_SECURITY), "";
    SASL_LOGIN_CALLBACK_HANDLER_CLASS = "sasl.login.callback.handler.class", Cluster, Class, Unset, Acts,
        "OAUTHBEARER: Kafka's `OAuthBearerLoginCallbackHandler` (client-credentials grant) is the one strait follows";
    SASL_LOGIN_CLASS = "sasl.login.class", Cluster, Any, Unset, Ignored(why::SASL_LOGIN), "";
    SASL_LOGIN_CONNECT_TIMEOUT_MS = "sasl.login.connect.timeout.ms", Cluster, Millis(Range::Long), Value("10000"), Acts,
        "OAUTHBEARER: connect timeout of the token request";
    SASL_LOGIN_READ_TIMEOUT_MS = "sasl.login.read.timeout.ms", Cluster, Millis(Range::Long), Value("30000"), Acts,
        "OAUTHBEARER: read timeout of the token request";
    SASL_LOGIN_RETRY_BACKOFF_MAX_MS = "sasl.login.retry.backoff.max.ms", Cluster, Any, Unset, Ignored(why::SASL_LOGIN), "";
    SASL_LOGIN_RETRY_BACKOFF_MS = "sasl.login.retry.backoff.ms", Cluster, Any, Unset, Ignored(why::SASL_LOGIN), "";
    SASL_OAUTHBEARER_SCOPE_CLAIM_NAME = "sasl.oauthbearer.scope.claim.name", Cluster, Any, Unset, Ignored(why::OAUTHBEARER), "";
    SASL_OAUTHBEARER_SUB_CLAIM_NAME = "sasl.oauthbearer.sub.claim.name", Cluster, Text, Value("sub"), Acts,
        "OAUTHBEARER: the token claim that names the principal";
    SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL = "sasl.oauthbearer.token.endpoint.url", Cluster, Text, Unset, Acts,
        "OAUTHBEARER: the token endpoint (`https://`, `http://`) or a `file:` URL of a token";
    SASL_OAUTHBEARER_JWKS_ENDPOINT_URL = "sasl.oauthbearer.jwks.endpoint.url", Cluster, Any, Unset, Ignored(why::OAUTHBEARER), "";
    SASL_OAUTHBEARER_JWKS_ENDPOINT_REFRESH_MS = "sasl.oauthbearer.jwks.endpoint.refresh.ms", Cluster, Any, Unset, Ignored(why::OAUTHBEARER), "";
    SASL_OAUTHBEARER_JWKS_ENDPOINT_RETRY_BACKOFF_MAX_MS = "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms", Cluster, Any, Unset, Ignored(why::OAUTHBEARER), "";
    SASL_OAUTHBEARER_JWKS_ENDPOINT_RETRY_BACKOFF_MS = "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms", Cluster, Any, Unset, Ignored(why::OAUTHBEARER), "";
    SASL_OAUTHBEARER_CLOCK_SKEW_SECONDS = "sasl.oauthbearer.clock.skew.seconds", Cluster, Any, Unset, Ignored(why::OAUTHBEARER), "";
    SASL_OAUTHBEARER_EXPECTED_AUDIENCE = "sasl.oauthbearer.expected.audience", Cluster, Any, Unset, Ignored(why::OAUTHBEARER), "";
    SASL_OAUTHBEARER_EXPECTED_ISSUER = "sasl.oauthbearer.expected.issuer", Cluster, Any, Unset, Ignored(why::OAUTHBEARER), "";
}

//! Reading security settings: what each key means, and errors at the right line.

use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::protocol::SaslMechanism;
use crate::security::oauth::TokenEndpoint;
use crate::security::CredentialsSpec;

fn client(pairs: &[(&str, &str)]) -> ClientConfig {
    let props: BTreeMap<String, Setting> = pairs
        .iter()
        .enumerate()
        .map(|(i, (k, v))| {
            (
                k.to_string(),
                Setting {
                    value: v.to_string(),
                    origin: Some(Origin {
                        file: "mm2.properties".into(),
                        line: i + 1,
                        key: format!("primary.{k}"),
                    }),
                },
            )
        })
        .collect();
    ClientConfig {
        cluster: "primary".into(),
        props,
    }
}

#[test]
fn sasl_plain_credentials_from_jaas() {
    let c = client(&[
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanism", "PLAIN"),
        (
            "sasl.jaas.config",
            r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="mm2-user" password="mm2-password";"#,
        ),
    ]);
    let s = from_client(&c, "source consumer").unwrap();
    let sasl = s.sasl.unwrap();
    assert_eq!(sasl.mechanism, SaslMechanism::Plain);
    assert_eq!(
        sasl.credentials,
        CredentialsSpec::Password {
            username: "mm2-user".into(),
            password: Secret::new("mm2-password".into())
        }
    );
    assert!(s.tls.is_none());
    assert!(!format!("{:?}", sasl).contains("mm2-password"));
}

#[test]
fn unsupported_mechanisms_fail_with_the_line() {
    let gssapi = from_client(
        &client(&[("security.protocol", "SASL_SSL")]),
        "source admin",
    );
    let e = gssapi.unwrap_err();
    assert!(
        e.message.contains("GSSAPI") && e.message.contains("default"),
        "{e:?}"
    );
    let oauth = from_client(
        &client(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "OAUTHBEARER"),
        ]),
        "source admin",
    )
    .unwrap_err();
    assert_eq!(oauth.origin.unwrap().line, 2);
    assert!(oauth
        .message
        .contains("SASL (OAUTHBEARER) needs credentials"));
    let unknown = from_client(
        &client(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "DIGEST-MD5"),
        ]),
        "x",
    )
    .unwrap_err();
    assert!(unknown
        .message
        .contains("unknown SASL mechanism `DIGEST-MD5`"));
    let no_jaas = from_client(
        &client(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
        ]),
        "x",
    )
    .unwrap_err();
    assert!(no_jaas.message.contains("sasl.jaas.config"), "{no_jaas:?}");
    let bad_jaas = from_client(
        &client(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "PLAIN"),
            (
                "sasl.jaas.config",
                r#"x.PlainLoginModule required password="hunter2""#,
            ),
        ]),
        "x",
    )
    .unwrap_err();
    assert!(bad_jaas.message.contains("semi-colon") && !bad_jaas.message.contains("hunter2"));
}

#[test]
fn tls_checks_follow_kafka() {
    let inline_not_pem = from_client(
        &client(&[
            ("security.protocol", "SSL"),
            ("ssl.truststore.certificates", "-----BEGIN CERTIFICATE-----"),
        ]),
        "x",
    )
    .unwrap_err();
    assert!(inline_not_pem.message.contains("ssl.truststore.type = PEM"));
    let algo = from_client(
        &client(&[
            ("security.protocol", "SSL"),
            ("ssl.endpoint.identification.algorithm", "ldaps"),
        ]),
        "x",
    )
    .unwrap_err();
    assert!(algo.message.contains("`ldaps`"));
    let versions = from_client(
        &client(&[
            ("security.protocol", "SSL"),
            ("ssl.enabled.protocols", "TLSv1.1"),
        ]),
        "x",
    )
    .unwrap_err();
    assert!(versions.message.contains("TLSv1.2 and TLSv1.3"));
    // No truststore: the public roots, like Java's cacerts.
    let ok = from_client(&client(&[("security.protocol", "ssl")]), "x").unwrap();
    assert!(ok.tls.unwrap().verify_hostname);
    let missing = from_client(
        &client(&[
            ("security.protocol", "SSL"),
            ("ssl.truststore.location", "/nonexistent/truststore.jks"),
            ("ssl.truststore.password", "hunter2"),
        ]),
        "x",
    )
    .unwrap_err();
    assert!(missing
        .message
        .contains("cannot read truststore /nonexistent/truststore.jks"));
    assert!(!missing.message.contains("hunter2"));
}

const OAUTH_JAAS: &str = r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="strait" clientSecret="hunter2" scope="kafka" extension_logicalCluster="lkc-1";"#;
const OAUTH_HANDLER: &str =
    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler";

#[test]
fn oauthbearer_takes_the_client_credentials_settings_kafka_has() {
    let s = from_client(
        &client(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "OAUTHBEARER"),
            ("sasl.jaas.config", OAUTH_JAAS),
            ("sasl.login.callback.handler.class", OAUTH_HANDLER),
            (
                "sasl.oauthbearer.token.endpoint.url",
                "https://idp.example/oauth2/token",
            ),
            ("sasl.oauthbearer.sub.claim.name", "client_id"),
            ("sasl.login.read.timeout.ms", "5000"),
        ]),
        "source consumer",
    )
    .unwrap();
    let sasl = s.sasl.unwrap();
    assert_eq!(sasl.mechanism, SaslMechanism::OAuthBearer);
    let CredentialsSpec::OAuthBearer(o) = &sasl.credentials else {
        panic!("{sasl:?}")
    };
    assert_eq!(o.client_id, "strait");
    assert_eq!(
        o.endpoint,
        TokenEndpoint::Http("https://idp.example/oauth2/token".into())
    );
    assert_eq!(o.client_secret.expose(), "hunter2");
    assert_eq!(o.scope.as_deref(), Some("kafka"));
    assert_eq!(
        o.extensions,
        [("logicalCluster".to_string(), "lkc-1".to_string())]
    );
    assert_eq!(o.sub_claim, "client_id");
    assert_eq!(o.read_timeout, Duration::from_secs(5));
    assert_eq!(o.connect_timeout, Duration::from_secs(10));
    assert_eq!(o.refresh_factor, 0.8);
    // The secret stays out of Debug output.
    assert!(!format!("{sasl:?}").contains("hunter2"));
}

#[test]
fn oauthbearer_refuses_what_it_cannot_do_by_name() {
    let err = |extra: &[(&str, &str)]| {
        let mut pairs = vec![
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "OAUTHBEARER"),
        ];
        pairs.extend_from_slice(extra);
        let e = from_client(&client(&pairs), "x").unwrap_err();
        assert!(!e.message.contains("hunter2"), "{}", e.message);
        e.message
    };
    // Kafka's default handler: unsecured development tokens.
    assert!(err(&[("sasl.jaas.config", OAUTH_JAAS)]).contains("unsecured"));
    assert!(err(&[
        ("sasl.jaas.config", OAUTH_JAAS),
        ("sasl.login.callback.handler.class", "com.example.MyHandler"),
    ])
    .contains("Java class"));
    assert!(err(&[
        ("sasl.jaas.config", OAUTH_JAAS),
        ("sasl.login.callback.handler.class", OAUTH_HANDLER),
    ])
    .contains("needs `sasl.oauthbearer.token.endpoint.url`"));
    assert!(err(&[
        ("sasl.jaas.config", r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="strait";"#),
        ("sasl.login.callback.handler.class", OAUTH_HANDLER),
        ("sasl.oauthbearer.token.endpoint.url", "http://idp/token"),
    ])
    .contains("`clientId` and `clientSecret`"));
    assert!(err(&[
        ("sasl.jaas.config", r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="hunter2";"#),
    ])
    .contains("does not go with sasl.mechanism OAUTHBEARER"));
    assert!(err(&[
        ("sasl.jaas.config", OAUTH_JAAS),
        ("sasl.login.callback.handler.class", OAUTH_HANDLER),
        ("sasl.oauthbearer.token.endpoint.url", "ldap://idp"),
    ])
    .contains("not an http://, https:// or file: URL"));
}

//! A bad `mm2.properties` stops strait at start, before it connects anywhere, with an error that
//! names the file, the line, the key and what was expected, exit code 3 (MM2's start-up failure), and
//! never echoes a secret.

use crate::support::*;

const BASE: &str = "clusters = primary, secondary\n\
                    primary.bootstrap.servers = 127.0.0.1:1\n\
                    secondary.bootstrap.servers = 127.0.0.1:2\n\
                    primary->secondary.enabled = true\n";

/// Runs strait on BASE plus `extra` (which starts on line 5) and returns its output, asserting
/// exit code 3 and that the error points at line 5 of the config file.
fn rejected(extra: &str, key: &str, expected: &[&str]) -> String {
    let (status, output) = Strait::check(&format!("{BASE}{extra}\n"));
    assert_eq!(status.code(), Some(3), "exit status; output:\n{output}");
    let line = output
        .lines()
        .find(|l| l.contains("invalid configuration"))
        .unwrap_or_else(|| panic!("no configuration error in:\n{output}"));
    assert!(line.contains("mm2.properties:5: "), "file and line: {line}");
    assert!(line.contains(&format!("`{key}`")), "key: {line}");
    for e in expected {
        assert!(line.contains(e), "`{e}` in: {line}");
    }
    output
}

#[test]
fn malformed_line_is_rejected_with_its_line() {
    rejected(
        "garbage",
        "garbage",
        &["malformed line", "expected `key = value`"],
    );
}

#[test]
fn unknown_cluster_alias_is_rejected() {
    rejected(
        "tertiary.bootstrap.servers = x:1",
        "tertiary.bootstrap.servers",
        &[
            "unknown cluster alias `tertiary`",
            "clusters = primary, secondary",
        ],
    );
}

#[test]
fn flow_naming_an_undefined_cluster_is_rejected() {
    rejected(
        "primary->tertiary.enabled = true",
        "primary->tertiary.enabled",
        &["undefined cluster `tertiary`"],
    );
}

#[test]
fn invalid_regex_is_rejected() {
    rejected(
        "primary->secondary.topics = orders[",
        "primary->secondary.topics",
        &["invalid regex `orders[`"],
    );
    rejected(
        "primary->secondary.topics.blacklist = (?<=x)y",
        "primary->secondary.topics.blacklist",
        &["invalid regex `(?<=x)y`", "look-around"],
    );
}

#[test]
fn invalid_value_is_rejected_with_what_was_expected() {
    rejected(
        "primary.consumer.fetch.min.bytes = lots",
        "primary.consumer.fetch.min.bytes",
        &["invalid value `lots`", "expected an integer"],
    );
}

#[test]
fn secrets_are_not_echoed() {
    // A JAAS line without its closing `;`: the error names file, line and key, not the password.
    let output = rejected(
        "primary.sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"hunter2-secret\"\n\
         primary.security.protocol = SASL_SSL\n\
         primary.sasl.mechanism = PLAIN",
        "primary.sasl.jaas.config",
        &["not terminated by semi-colon"],
    );
    assert!(
        !output.contains("hunter2-secret"),
        "secret in output:\n{output}"
    );
}

/// `strait check` on a good file exits 0 and says, per written key, what strait does with it (the
/// key table's meaning) or why it has no effect, without echoing any value.
#[test]
fn check_lists_what_each_key_does() {
    let (status, output) = Strait::check_command(&format!(
        "{BASE}tasks.max = 2\n\
         primary.producer.batch.size = 65536\n\
         offset.flush.interval.ms = 500\n\
         typo.key = 3\n\
         primary.sasl.jaas.config = hunter2-secret\n"
    ));
    assert_eq!(status.code(), Some(0), "exit status; output:\n{output}");
    let line_of = |key: &str| {
        output
            .lines()
            .find(|l| l.split_whitespace().nth(2) == Some(key))
            .unwrap_or_else(|| panic!("no line for `{key}` in:\n{output}"))
            .to_string()
    };
    for (line, key, says) in [
        (1, "clusters", "acts: the cluster aliases"),
        (
            4,
            "primary->secondary.enabled",
            "acts: `S->T.enabled = true` runs flow",
        ),
        (5, "tasks.max", "acts: tasks per flow"),
        (
            6,
            "primary.producer.batch.size",
            "no effect: strait forwards fetched record batches",
        ),
        (
            7,
            "offset.flush.interval.ms",
            "no effect: MM2 does not apply a top-level",
        ),
        (8, "typo.key", "no effect: unknown key"),
        (9, "primary.sasl.jaas.config", "acts: the login module line"),
    ] {
        let l = line_of(key);
        assert!(l.starts_with(&format!("  line {line:>4}")), "{l}");
        assert!(l.contains(says), "`{says}` in: {l}");
    }
    assert!(
        !output.contains("hunter2"),
        "a secret was echoed:\n{output}"
    );
}

/// `strait keys` prints the key reference that docs/configuration.md carries, exactly.
#[test]
fn strait_keys_prints_the_documented_reference() {
    let mut cmd = std::process::Command::new(strait_bin());
    cmd.arg("keys");
    let ran = run_with_timeout(cmd, "strait keys", std::time::Duration::from_secs(30));
    assert_eq!(ran.status.code(), Some(0), "{}", ran.stderr);
    let printed = ran.stdout_str();
    let page = std::fs::read_to_string(repo_root().join("docs/configuration.md")).unwrap();
    let begin = page.find("<!-- key-reference:begin").expect("begin marker");
    let end_marker = "<!-- key-reference:end -->";
    let end = page.find(end_marker).expect("end marker") + end_marker.len();
    assert_eq!(printed.trim_end(), &page[begin..end]);
    for row in [
        "| `tasks.max` |",
        "| `sasl.kerberos.service.name` |",
        "| `buffer.memory` |",
    ] {
        assert!(printed.contains(row), "{row}");
    }
}

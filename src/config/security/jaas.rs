//! Parsing `sasl.jaas.config` the way Kafka's `JaasConfig` does (a `java.io.StreamTokenizer` over
//! `LoginModule flag key=value ... ;`), so that the credential lines of production files are read
//! exactly as the Java clients read them: `"..."` and `'...'` strings with Java escapes, bare words,
//! `//` and `/* */` comments, exactly one login module terminated by `;`.
//!
//! Error messages never contain option values (they may be passwords).

use std::collections::BTreeMap;

use crate::secret::Secret;

/// One login module entry of a `sasl.jaas.config` value.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct JaasEntry {
    /// The login module class as written (e.g. `org.apache.kafka.common.security.plain.PlainLoginModule`).
    pub(crate) module: String,
    /// `required`, `requisite`, `sufficient` or `optional` (lower case).
    pub(crate) flag: String,
    /// The options; values are kept as [`Secret`] because most of them are credentials.
    pub(crate) options: BTreeMap<String, Secret>,
}

impl std::fmt::Debug for JaasEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JaasEntry")
            .field("module", &self.module)
            .field("flag", &self.flag)
            .field("options", &self.options.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl JaasEntry {
    /// The simple class name of the login module (`PlainLoginModule`).
    pub(super) fn module_name(&self) -> &str {
        self.module.rsplit('.').next().unwrap_or(&self.module)
    }
}

/// A lexical token of Java's `StreamTokenizer` as configured by Kafka.
#[derive(Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    /// A token Java parses as a number (an unquoted value starting with a digit, `.` or `-`): Java
    /// then has no string value for it and rejects it.
    Number,
    Char(char),
}

/// Word characters: StreamTokenizer's defaults (letters, chars >= 128, digits and `.` inside a word)
/// plus Kafka's additions `-`, `_` and `$`.
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '$') || (c as u32) >= 128
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        if c <= ' ' {
            i += 1;
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' && chars[i] != '\r' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
        } else if c == '"' || c == '\'' {
            let (s, next) = quoted(&chars, i + 1, c);
            out.push(Token::Quoted(s));
            i = next;
        } else if c.is_ascii_digit() || c == '.' || c == '-' {
            while i < chars.len() && is_word_char(chars[i]) {
                i += 1;
            }
            out.push(Token::Number);
        } else if is_word_char(c) {
            let start = i;
            while i < chars.len() && is_word_char(chars[i]) {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            out.push(Token::Char(c));
            i += 1;
        }
    }
    Ok(out)
}

/// A quoted string from `start` (after the opening quote) with StreamTokenizer's escapes; it ends at
/// the closing quote, a line end or the end of the text.
fn quoted(chars: &[char], mut i: usize, quote: char) -> (String, usize) {
    let mut s = String::new();
    while i < chars.len() {
        let c = chars[i];
        if c == quote {
            return (s, i + 1);
        }
        if c == '\n' || c == '\r' {
            return (s, i);
        }
        if c == '\\' && i + 1 < chars.len() {
            i += 1;
            let e = chars[i];
            match e {
                'a' => s.push('\u{7}'),
                'b' => s.push('\u{8}'),
                'f' => s.push('\u{c}'),
                'n' => s.push('\n'),
                'r' => s.push('\r'),
                't' => s.push('\t'),
                'v' => s.push('\u{b}'),
                '0'..='7' => {
                    // Up to three octal digits (at most \377), as StreamTokenizer.
                    let first = e;
                    let mut v = first.to_digit(8).unwrap_or(0);
                    let max = if first <= '3' { 2 } else { 1 };
                    for _ in 0..max {
                        match chars.get(i + 1).and_then(|d| d.to_digit(8)) {
                            Some(d) => {
                                v = v * 8 + d;
                                i += 1;
                            }
                            None => break,
                        }
                    }
                    s.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                }
                other => s.push(other),
            }
            i += 1;
            continue;
        }
        s.push(c);
        i += 1;
    }
    (s, i)
}

/// Parses a client `sasl.jaas.config` value: exactly one login module.
pub(super) fn parse(text: &str) -> Result<JaasEntry, String> {
    let tokens = tokenize(text)?;
    let mut it = tokens.into_iter().peekable();
    let mut entries = Vec::new();
    while let Some(tok) = it.next() {
        let Token::Word(module) = tok else {
            return Err("expected a login module class name (e.g. `org.apache.kafka.common.security.plain.PlainLoginModule required username=\"...\" password=\"...\";`)".into());
        };
        let flag = match it.next() {
            Some(Token::Word(f)) => f.to_ascii_lowercase(),
            _ => {
                return Err(format!(
                    "login module `{module}` has no control flag (expected `required`)"
                ))
            }
        };
        if !matches!(
            flag.as_str(),
            "required" | "requisite" | "sufficient" | "optional"
        ) {
            return Err(format!(
                "login module `{module}`: control flag `{flag}` is not one of required, requisite, sufficient, optional"
            ));
        }
        let mut options = BTreeMap::new();
        let mut terminated = false;
        while let Some(tok) = it.next() {
            let key = match tok {
                Token::Char(';') => {
                    terminated = true;
                    break;
                }
                Token::Word(k) | Token::Quoted(k) => k,
                _ => return Err(format!("login module `{module}`: expected an option name")),
            };
            if it.next() != Some(Token::Char('=')) {
                return Err(format!(
                    "value not specified for key '{key}' in JAAS config"
                ));
            }
            let value = match it.next() {
                Some(Token::Word(v)) | Some(Token::Quoted(v)) => v,
                Some(Token::Number) => {
                    return Err(format!(
                        "value of key '{key}' in JAAS config must be quoted (Java reads an unquoted value starting with a digit, `.` or `-` as a number)"
                    ))
                }
                _ => return Err(format!("value not specified for key '{key}' in JAAS config")),
            };
            options.insert(key, Secret::new(value));
        }
        if !terminated {
            return Err("JAAS config entry not terminated by semi-colon".into());
        }
        entries.push(JaasEntry {
            module,
            flag,
            options,
        });
    }
    match entries.len() {
        1 => Ok(entries.remove(0)),
        n => Err(format!(
            "JAAS config property contains {n} login modules, should be 1 module"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt<'a>(e: &'a JaasEntry, k: &str) -> &'a str {
        e.options[k].expose()
    }

    #[test]
    fn plain_login_module_line_from_the_issue() {
        let e = parse(r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="mm2-user" password="mm2-password";"#).unwrap();
        assert_eq!(e.module_name(), "PlainLoginModule");
        assert_eq!(e.flag, "required");
        assert_eq!(opt(&e, "username"), "mm2-user");
        assert_eq!(opt(&e, "password"), "mm2-password");
    }

    #[test]
    fn java_quoting_escapes_and_comments() {
        let e = parse(
            "/* c */ org.apache.kafka.common.security.scram.ScramLoginModule REQUIRED // x\n username=bare_user$1 password='a\\'b\\\\c\\n\\101\"d' tokenauth=\"true\" ;",
        )
        .unwrap();
        assert_eq!(e.flag, "required");
        assert_eq!(opt(&e, "username"), "bare_user$1");
        assert_eq!(opt(&e, "password"), "a'b\\c\nA\"d");
        assert_eq!(opt(&e, "tokenauth"), "true");
    }

    #[test]
    fn errors_are_specific_and_hide_values() {
        let no_semi =
            parse(r#"x.PlainLoginModule required username="u" password="hunter2""#).unwrap_err();
        assert!(no_semi.contains("semi-colon"), "{no_semi}");
        let two = parse(r#"a.A required; b.B required;"#).unwrap_err();
        assert!(two.contains("2 login modules"), "{two}");
        let number = parse(r#"a.A required password=12345;"#).unwrap_err();
        assert!(
            number.contains("must be quoted") && !number.contains("12345"),
            "{number}"
        );
        let no_value = parse(r#"a.A required password=;"#).unwrap_err();
        assert!(no_value.contains("value not specified for key 'password'"));
        let flag = parse(r#"a.A mandatory;"#).unwrap_err();
        assert!(flag.contains("control flag"), "{flag}");
        let dbg = format!(
            "{:?}",
            parse(r#"a.A required password="hunter2";"#).unwrap()
        );
        assert!(!dbg.contains("hunter2"), "{dbg}");
    }

    /// Fuzz target (see src/fuzz.rs for how targets run): any text is parsed or refused with an
    /// error, never a panic.
    #[test]
    fn fuzz_jaas() {
        bolero::check!().for_each(|input: &[u8]| {
            if let Ok(text) = std::str::from_utf8(input) {
                let _ = parse(text);
            }
        });
    }
}

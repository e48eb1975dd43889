//! Reading a Java `.properties` file the way MM2 does (`Utils.loadProps` -> `Properties.load(InputStream)`),
//! but keeping the line each entry starts on so that every later error can point at it.
//!
//! Java semantics reproduced here:
//! - bytes are ISO-8859-1 (each byte is one character); non-ASCII text belongs in `\uXXXX` escapes;
//! - natural lines end with `\n`, `\r\n` or `\r`; leading blanks (space, tab, form feed) are skipped;
//! - a line whose first non-blank character is `#` or `!` is a comment (and never continues);
//! - an odd number of trailing backslashes continues the logical line; the next line's leading blanks
//!   are dropped;
//! - the key ends at the first unescaped `=`, `:` or blank; blanks, then at most one `=`/`:`, then
//!   blanks, separate it from the value; trailing blanks of the value are kept;
//! - escapes: `\t` `\n` `\r` `\f`, `\uXXXX` (exactly four hex digits), any other `\c` is `c`;
//! - a key given twice: the last value wins (handled by the caller, entries are returned in order).
//!
//! Stricter than Java, on purpose: a line that is only a bare word (`garbage`), or has an empty key, is
//! refused as malformed instead of silently becoming a key with an empty value.

use std::path::Path;

use super::ConfigError;

/// One `key = value` entry of a properties file, after unescaping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The key after unescaping.
    pub(crate) key: String,
    /// The value after unescaping (trailing blanks kept, as Java does).
    pub(crate) value: String,
    /// 1-based number of the line the entry starts on (the first line of a continued line).
    pub(crate) line: usize,
}

/// Why a properties text could not be read; turned into a [`ConfigError`] naming the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError {
    /// 1-based line of the logical line that failed.
    pub(crate) line: usize,
    /// The key if one was read, else the line text (shortened).
    pub(crate) key: String,
    /// What was wrong and what was expected.
    pub(crate) message: String,
}

/// Reads and parses `path`. I/O problems and malformed lines become [`ConfigError`]s naming the file.
pub(crate) fn read(path: &Path) -> Result<Vec<Entry>, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&decode_latin1(&bytes)).map_err(|e| ConfigError::AtLine {
        path: path.to_path_buf(),
        line: e.line,
        key: e.key,
        message: e.message,
    })
}

/// Decodes bytes as ISO-8859-1, as `Properties.load(InputStream)` does. A leading UTF-8 byte-order
/// mark is dropped (Java would make it part of the first key, which only ever produces a confusing
/// "missing key" error).
pub(crate) fn decode_latin1(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Parses properties text into entries in file order. Fails on the first malformed line or invalid
/// `\u` escape.
pub(crate) fn parse(text: &str) -> Result<Vec<Entry>, ParseError> {
    let mut entries = Vec::new();
    for (line, logical) in logical_lines(text) {
        entries.push(parse_logical_line(line, &logical)?);
    }
    Ok(entries)
}

/// Java's "white space" inside a properties line.
fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\u{0c}'
}

/// Splits text into natural lines (`\n`, `\r\n`, `\r`), numbered from 1.
fn natural_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut number = 1;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                out.push((number, &text[start..i]));
                number += 1;
                i += 1;
                start = i;
            }
            b'\r' => {
                out.push((number, &text[start..i]));
                number += 1;
                i += 1;
                if bytes.get(i) == Some(&b'\n') {
                    i += 1;
                }
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < text.len() {
        out.push((number, &text[start..]));
    }
    out
}

/// Joins natural lines into logical lines (comments and blank lines dropped, continuations joined),
/// each with the number of its first natural line.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    // (first line number, buffer) of a logical line that is being continued.
    let mut pending: Option<(usize, String)> = None;
    for (number, natural) in natural_lines(text) {
        let stripped = natural.trim_start_matches(is_blank);
        let (first_line, mut buf) = match pending.take() {
            Some((first, buf)) => (first, buf),
            None => (number, String::new()),
        };
        if buf.is_empty() {
            // Java checks for comments whenever nothing has been collected yet, which includes
            // a continuation of a line that was only a backslash.
            if stripped.is_empty() {
                continue;
            }
            if stripped.starts_with('#') || stripped.starts_with('!') {
                continue;
            }
        }
        let trailing = stripped.chars().rev().take_while(|&c| c == '\\').count();
        if trailing % 2 == 1 {
            buf.push_str(&stripped[..stripped.len() - 1]);
            pending = Some((first_line, buf));
        } else {
            buf.push_str(stripped);
            out.push((first_line, buf));
        }
    }
    if let Some((first, buf)) = pending {
        if !buf.is_empty() {
            out.push((first, buf));
        }
    }
    out
}

/// Splits one logical line into key and value as `Properties.load0` does, then unescapes both.
fn parse_logical_line(line: usize, text: &str) -> Result<Entry, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let limit = chars.len();
    let mut key_len = 0;
    let mut value_start = limit;
    let mut has_sep = false;
    let mut preceding_backslash = false;
    while key_len < limit {
        let c = chars[key_len];
        if (c == '=' || c == ':') && !preceding_backslash {
            value_start = key_len + 1;
            has_sep = true;
            break;
        } else if is_blank(c) && !preceding_backslash {
            value_start = key_len + 1;
            break;
        }
        preceding_backslash = c == '\\' && !preceding_backslash;
        key_len += 1;
    }
    while value_start < limit {
        let c = chars[value_start];
        if !is_blank(c) {
            if !has_sep && (c == '=' || c == ':') {
                has_sep = true;
            } else {
                break;
            }
        }
        value_start += 1;
    }
    let shown = shorten(text);
    if key_len == 0 {
        return Err(ParseError {
            line,
            key: shown,
            message: "malformed line: the key is empty; expected `key = value`".to_string(),
        });
    }
    if !has_sep && value_start >= limit {
        return Err(ParseError {
            line,
            key: shown,
            message: "malformed line: a bare word without `=` or `:`; expected `key = value`"
                .to_string(),
        });
    }
    let key = unescape(&chars[..key_len]).map_err(|detail| ParseError {
        line,
        key: shorten(&chars[..key_len].iter().collect::<String>()),
        message: format!("invalid escape in the key: {detail}"),
    })?;
    let value = unescape(&chars[value_start.min(limit)..]).map_err(|detail| ParseError {
        line,
        key: key.clone(),
        message: format!("invalid escape in the value: {detail}"),
    })?;
    Ok(Entry { key, value, line })
}

/// Shortens a raw line for an error message.
fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(MAX).collect();
        s.push_str("...");
        s
    }
}

/// Java `loadConvert`: resolves backslash escapes. `\uXXXX` needs exactly four hex digits; UTF-16
/// surrogate pairs written as two escapes are combined, a lone surrogate is refused.
fn unescape(chars: &[char]) -> Result<String, String> {
    if !chars.contains(&'\\') {
        return Ok(chars.iter().collect());
    }
    let mut units: Vec<u16> = Vec::with_capacity(chars.len());
    let mut buf = [0u16; 2];
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '\\' {
            units.extend_from_slice(c.encode_utf16(&mut buf));
            continue;
        }
        let Some(&e) = chars.get(i) else {
            // Cannot happen after line joining (an odd trailing backslash continues the line).
            break;
        };
        i += 1;
        let unescaped = match e {
            'u' => {
                let digits: String = chars.iter().skip(i).take(4).collect();
                if digits.chars().count() != 4 || !digits.chars().all(|d| d.is_ascii_hexdigit()) {
                    return Err(format!(
                        "malformed `\\u{digits}` escape: expected `\\u` followed by exactly four hex digits"
                    ));
                }
                i += 4;
                let unit = u16::from_str_radix(&digits, 16)
                    .map_err(|_| format!("malformed `\\u{digits}` escape"))?;
                units.push(unit);
                continue;
            }
            't' => '\t',
            'r' => '\r',
            'n' => '\n',
            'f' => '\u{0c}',
            other => other,
        };
        units.extend_from_slice(unescaped.encode_utf16(&mut buf));
    }
    String::from_utf16(&units).map_err(|_| {
        "a `\\uXXXX` escape is an unpaired UTF-16 surrogate (write both halves of the pair)"
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(text: &str) -> Vec<(String, String, usize)> {
        parse(text)
            .unwrap()
            .into_iter()
            .map(|e| (e.key, e.value, e.line))
            .collect()
    }

    fn one(k: &str, v: &str, line: usize) -> (String, String, usize) {
        (k.to_string(), v.to_string(), line)
    }

    #[test]
    fn separators_and_comments() {
        let text =
            "# comment\n! also comment\n\n  a = 1\nb:2\nc 3\nd\t=\t4  \ne=\nf:\n   g = x = y\n";
        assert_eq!(
            kv(text),
            vec![
                one("a", "1", 4),
                one("b", "2", 5),
                one("c", "3", 6),
                one("d", "4  ", 7),
                one("e", "", 8),
                one("f", "", 9),
                one("g", "x = y", 10),
            ]
        );
    }

    #[test]
    fn whitespace_then_separator() {
        // Java: blanks, then one `=`/`:`, then blanks.
        assert_eq!(kv("a   :   b"), vec![one("a", "b", 1)]);
        assert_eq!(kv("a = = b"), vec![one("a", "= b", 1)]);
        assert_eq!(kv("a b c"), vec![one("a", "b c", 1)]);
    }

    #[test]
    fn continuation_lines_keep_first_line_number() {
        let text = "x = 1\ntopics = a, \\\n    b, \\\n\tc\ny = 2\n";
        assert_eq!(
            kv(text),
            vec![
                one("x", "1", 1),
                one("topics", "a, b, c", 2),
                one("y", "2", 5)
            ]
        );
    }

    #[test]
    fn continuation_edge_cases() {
        // Even number of backslashes: no continuation, one escaped backslash in the value.
        assert_eq!(
            kv("a = x\\\\\nb = y"),
            vec![one("a", "x\\", 1), one("b", "y", 2)]
        );
        // A comment line never continues.
        assert_eq!(kv("# c \\\nb = y"), vec![one("b", "y", 2)]);
        // A continued line starting with # is content, not a comment.
        assert_eq!(kv("a = x\\\n#y"), vec![one("a", "x#y", 1)]);
        // Continuation at end of file.
        assert_eq!(kv("a = x\\"), vec![one("a", "x", 1)]);
        // Continuation into an empty line ends the logical line.
        assert_eq!(
            kv("a = x\\\n\nb = 1"),
            vec![one("a", "x", 1), one("b", "1", 3)]
        );
        // CR and CRLF line ends.
        assert_eq!(
            kv("a=1\r\nb=2\rc=3"),
            vec![one("a", "1", 1), one("b", "2", 2), one("c", "3", 3)]
        );
        assert_eq!(kv("a=1\\\r\n  2"), vec![one("a", "12", 1)]);
    }

    #[test]
    fn escapes() {
        assert_eq!(
            kv(r"a\=b\:c\ d = v\tw\nx\\y\qz\u0041\u00e9"),
            vec![one("a=b:c d", "v\tw\nx\\yqzA\u{e9}", 1)]
        );
        // Surrogate pair written as two escapes.
        assert_eq!(kv(r"k = \uD83D\uDE00"), vec![one("k", "\u{1F600}", 1)]);
    }

    #[test]
    fn invalid_unicode_escapes_fail_with_line() {
        let e = parse("a = 1\nb = \\u12G4\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(e.key, "b");
        assert!(e.message.contains("four hex digits"), "{}", e.message);
        let e = parse("b = \\u12").unwrap_err();
        assert!(e.message.contains("four hex digits"), "{}", e.message);
        let e = parse("b = \\uD83D").unwrap_err();
        assert!(e.message.contains("surrogate"), "{}", e.message);
    }

    #[test]
    fn bare_word_is_malformed() {
        let e = parse("clusters = a\ngarbage\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(e.key, "garbage");
        assert!(
            e.message.contains("expected `key = value`"),
            "{}",
            e.message
        );
        let e = parse("garbage   ").unwrap_err();
        assert_eq!(e.line, 1);
        let e = parse(" = v").unwrap_err();
        assert!(e.message.contains("empty"), "{}", e.message);
    }

    #[test]
    fn latin1_and_bom() {
        assert_eq!(decode_latin1(b"a=\xe9"), "a=\u{e9}");
        assert_eq!(decode_latin1(b"\xEF\xBB\xBFa=1"), "a=1");
    }

    #[test]
    fn read_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mm2.properties");
        std::fs::write(&path, "a = 1\noops\n").unwrap();
        let msg = read(&path).unwrap_err().to_string();
        assert!(msg.contains("mm2.properties:2"), "{msg}");
        assert!(msg.contains("oops"), "{msg}");
        let missing = dir.path().join("nope.properties");
        assert!(matches!(read(&missing), Err(ConfigError::Io { .. })));
    }
}

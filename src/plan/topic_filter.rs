//! MM2's include/exclude regex lists (`topics`, `topics.exclude`, `groups`, ...): Connect LIST
//! parsing, then a full-match of the `|`-joined patterns (`MirrorUtils.compilePatternList`,
//! `DefaultTopicFilter`). As Kafka's `DefaultTopicFilter` and `DefaultGroupFilter` do.
//!
//! Patterns are compiled with the `regex` crate, not Java's engine. Java-only syntax is refused with
//! an error naming the item: what `regex` rejects (look-around, back-references, `\Q...\E`, atomic
//! groups) and possessive quantifiers (`a*+`), which `regex` would silently read as a nested repetition
//! with a different meaning.

use regex::Regex;

/// Splits a Connect `LIST` value the way `ConfigDef.parseType` does: trim (Java `String.trim`), an
/// empty string is the empty list, otherwise split on `\s*,\s*` keeping empty items (limit -1), so
/// `a,` is `["a", ""]`. A regex containing a comma (`a{1,3}`) is split too, as in MM2.
pub(crate) fn parse_list(value: &str) -> Vec<String> {
    let trimmed = value.trim_matches(|c: char| c <= ' ');
    if trimmed.is_empty() {
        return Vec::new();
    }
    trimmed
        .split(',')
        .map(|item| item.trim_matches(is_java_space).to_string())
        .collect()
}

/// Java regex `\s`: `[ \t\n\x0B\f\r]`.
fn is_java_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r')
}

/// Why a pattern list could not be compiled; the config layer adds file, line and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PatternError {
    /// The list item at fault when it can be singled out (else the whole joined pattern failed).
    pub(crate) item: Option<String>,
    /// What is wrong, from the regex parser, plus what is supported.
    pub(crate) message: String,
}

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.item {
            Some(item) => write!(f, "invalid regex `{item}`: {}", self.message),
            None => write!(f, "invalid regex list: {}", self.message),
        }
    }
}

impl std::error::Error for PatternError {}

/// One compiled LIST of regexes. Empty list = "no pattern", which matches nothing (so an empty include
/// replicates nothing and an empty exclude excludes nothing).
#[derive(Debug, Clone)]
pub(crate) struct PatternList {
    /// The items as written (tests compare them).
    #[cfg(test)]
    items: Vec<String>,
    regex: Option<Regex>,
}

impl PatternList {
    /// Parses a Connect LIST value and compiles it.
    pub(crate) fn parse(list: &str) -> Result<PatternList, PatternError> {
        PatternList::from_items(parse_list(list))
    }

    /// Compiles already-split items as `^(?:item1|item2|...)$`, i.e. Java's `matches()` of the
    /// `|`-joined list. As in Java, only the joined pattern has to be valid; when it is not, the first
    /// item that is invalid on its own is named.
    pub(crate) fn from_items(items: Vec<String>) -> Result<PatternList, PatternError> {
        if items.is_empty() {
            return Ok(PatternList {
                #[cfg(test)]
                items,
                regex: None,
            });
        }
        for item in &items {
            if let Some(pos) = possessive_quantifier(item) {
                return Err(PatternError {
                    item: Some(item.clone()),
                    message: format!(
                        "possessive quantifier at byte {pos} is Java-only syntax; {SUPPORTED}"
                    ),
                });
            }
        }
        let joined = format!("^(?:{})$", items.join("|"));
        match Regex::new(&joined) {
            Ok(regex) => Ok(PatternList {
                #[cfg(test)]
                items,
                regex: Some(regex),
            }),
            Err(joined_err) => {
                for item in &items {
                    if let Err(e) = Regex::new(&format!("^(?:{item})$")) {
                        let hint = if item.contains('{') && !item.contains('}') {
                            "; note that LIST values are split on commas, so `a{1,3}` becomes `a{1` and `3}`"
                        } else {
                            ""
                        };
                        return Err(PatternError {
                            item: Some(item.clone()),
                            message: format!("{}{hint}; {SUPPORTED}", regex_error_text(&e)),
                        });
                    }
                }
                Err(PatternError {
                    item: None,
                    message: format!(
                        "the items joined with `|` do not form a valid regex ({}); note that items are split on commas, so `a{{1,3}}` becomes `a{{1` and `3}}`",
                        regex_error_text(&joined_err)
                    ),
                })
            }
        }
    }

    /// True when `name` fully matches one of the items (false for an empty list).
    pub(crate) fn is_match(&self, name: &str) -> bool {
        self.regex.as_ref().is_some_and(|r| r.is_match(name))
    }

    /// The items as written (after LIST splitting).
    #[cfg(test)]
    pub(crate) fn items(&self) -> &[String] {
        &self.items
    }
}

/// What the error messages say is supported.
const SUPPORTED: &str = "strait compiles patterns with Rust's `regex` crate, which has no look-around, back-references, possessive quantifiers, atomic groups or `\\Q...\\E`";

/// Pulls the one-line reason out of the `regex` crate's multi-line error.
fn regex_error_text(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("error: ").map(str::to_string))
        .unwrap_or_else(|| text.lines().map(str::trim).collect::<Vec<_>>().join(" "))
}

/// Byte offset of a Java possessive quantifier (`*+`, `++`, `?+`, `{n,m}+`) outside character classes,
/// if any.
fn possessive_quantifier(pattern: &str) -> Option<usize> {
    let chars: Vec<(usize, char)> = pattern.char_indices().collect();
    let mut class_depth = 0usize;
    let mut in_counted = false;
    let mut prev: Option<char> = None;
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if c == '\\' {
            // Skip the escaped character (it is never a quantifier).
            i += 2;
            prev = Some('a');
            continue;
        }
        if class_depth > 0 {
            match c {
                '[' => class_depth += 1,
                ']' => class_depth -= 1,
                _ => {}
            }
            prev = Some(c);
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).map(|&(_, n)| n);
        match c {
            '[' => class_depth += 1,
            '{' => in_counted = true,
            '}' if in_counted => {
                in_counted = false;
                if next == Some('+') {
                    return Some(pos);
                }
            }
            '*' | '+' if next == Some('+') => return Some(pos),
            '?' if prev != Some('(') && next == Some('+') => return Some(pos),
            _ => {}
        }
        prev = Some(c);
        i += 1;
    }
    None
}

/// MM2's `DefaultTopicFilter` (and, with the same rules, `DefaultGroupFilter`): a name passes when it
/// matches `include` and does not match `exclude`. Also used for `config.properties.exclude` with an
/// include-everything list (see [`TopicFilter::exclude_only`]).
#[derive(Debug, Clone)]
pub(crate) struct TopicFilter {
    /// `topics` (default `.*`).
    pub(crate) include: PatternList,
    /// `topics.exclude` / `topics.blacklist` (default `.*[\-\.]internal, .*\.replica, __.*`).
    pub(crate) exclude: PatternList,
}

/// MM2's default `topics`.
pub(crate) const DEFAULT_TOPICS: &str = ".*";
/// MM2's default `topics.exclude`.
pub(crate) const DEFAULT_TOPICS_EXCLUDE: &str = r".*[\-\.]internal, .*\.replica, __.*";
/// MM2's default `groups`.
pub(crate) const DEFAULT_GROUPS: &str = ".*";
/// MM2's default `groups.exclude`.
pub(crate) const DEFAULT_GROUPS_EXCLUDE: &str = "console-consumer-.*, connect-.*, __.*";
/// MM2's default `config.properties.exclude`: topic configs never copied to remote topics.
pub(crate) const DEFAULT_CONFIG_PROPERTIES_EXCLUDE: &str = r"follower\.replication\.throttled\.replicas, leader\.replication\.throttled\.replicas, message\.timestamp\.difference\.max\.ms, message\.timestamp\.type, unclean\.leader\.election\.enable, min\.insync\.replicas";

impl TopicFilter {
    /// Builds a filter from two Connect LIST strings (e.g. the values of `topics` and
    /// `topics.exclude`). The error says which of the two failed.
    #[cfg(test)]
    pub(crate) fn parse(include: &str, exclude: &str) -> Result<TopicFilter, PatternError> {
        let include = PatternList::parse(include).map_err(|e| PatternError {
            message: format!("{} (in the include list)", e.message),
            ..e
        })?;
        let exclude = PatternList::parse(exclude).map_err(|e| PatternError {
            message: format!("{} (in the exclude list)", e.message),
            ..e
        })?;
        Ok(TopicFilter { include, exclude })
    }

    /// MM2's default topic filter (`topics = .*`, default `topics.exclude`).
    #[cfg(test)]
    pub(crate) fn mm2_default_topics() -> TopicFilter {
        TopicFilter::parse(DEFAULT_TOPICS, DEFAULT_TOPICS_EXCLUDE)
            .unwrap_or_else(|_| TopicFilter::exclude_only(empty_list()))
    }

    /// A filter that passes every name not matched by `exclude` (the shape of MM2's
    /// `DefaultConfigPropertyFilter`).
    pub(crate) fn exclude_only(exclude: PatternList) -> TopicFilter {
        let include = PatternList::parse(".*").unwrap_or_else(|_| empty_list());
        TopicFilter { include, exclude }
    }

    /// True when `name` should be replicated (matches include, not exclude).
    pub(crate) fn matches(&self, name: &str) -> bool {
        self.include.is_match(name) && !self.exclude.is_match(name)
    }
}

fn empty_list() -> PatternList {
    PatternList {
        #[cfg(test)]
        items: Vec::new(),
        regex: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_parsing_like_connect() {
        assert_eq!(parse_list(""), Vec::<String>::new());
        assert_eq!(parse_list("   "), Vec::<String>::new());
        assert_eq!(parse_list(" a , b,c "), vec!["a", "b", "c"]);
        assert_eq!(parse_list("a,"), vec!["a", ""]);
        assert_eq!(parse_list("a{1,3}"), vec!["a{1", "3}"]);
        assert_eq!(parse_list("x y, z"), vec!["x y", "z"]);
    }

    #[test]
    fn full_match_of_joined_items() {
        let p = PatternList::parse("foo, ba.").unwrap();
        assert!(p.is_match("foo"));
        assert!(p.is_match("bar"));
        assert!(!p.is_match("foox"));
        assert!(!p.is_match("xfoo"));
        assert!(!p.is_match("barr"));
        // Alternation inside an item stays inside the group.
        let p = PatternList::parse("a|b").unwrap();
        assert!(p.is_match("a") && p.is_match("b") && !p.is_match("ab"));
    }

    #[test]
    fn empty_lists() {
        let f = TopicFilter::parse("", "").unwrap();
        assert!(!f.matches("anything"), "empty include matches nothing");
        let f = TopicFilter::parse(".*", "").unwrap();
        assert!(f.matches("anything"), "empty exclude excludes nothing");
    }

    /// MM2's default filters (the heartbeats bypass is tested with the replication policy).
    #[test]
    fn vector_9_default_excludes() {
        let f = TopicFilter::mm2_default_topics();
        for t in [
            "x.internal",
            "x-internal",
            "x.replica",
            "__x",
            "__consumer_offsets",
        ] {
            assert!(!f.matches(t), "{t} must be excluded");
        }
        for t in ["orders", "x.internalish", "heartbeats", "replica"] {
            assert!(f.matches(t), "{t} must be included");
        }
        let groups = TopicFilter::parse(DEFAULT_GROUPS, DEFAULT_GROUPS_EXCLUDE).unwrap();
        for g in ["console-consumer-1", "connect-x", "__x"] {
            assert!(!groups.matches(g), "{g} must be excluded");
        }
        assert!(groups.matches("my-group"));
        let nothing = TopicFilter::parse("", DEFAULT_TOPICS_EXCLUDE).unwrap();
        assert!(
            !nothing.matches("orders"),
            "empty topics= replicates nothing"
        );
        let foo = TopicFilter::parse("foo", DEFAULT_TOPICS_EXCLUDE).unwrap();
        assert!(foo.matches("foo") && !foo.matches("heartbeats"));
    }

    #[test]
    fn config_property_exclude_default() {
        let f = TopicFilter::exclude_only(
            PatternList::parse(DEFAULT_CONFIG_PROPERTIES_EXCLUDE).unwrap(),
        );
        assert!(f.matches("retention.ms"));
        assert!(!f.matches("unclean.leader.election.enable"));
        assert!(!f.matches("min.insync.replicas"));
        assert!(f.matches("min_insync_replicas"));
    }

    #[test]
    fn java_only_syntax_is_refused_naming_the_item() {
        let e = PatternList::parse("ok.*, (?<=a)b").unwrap_err();
        assert_eq!(e.item.as_deref(), Some("(?<=a)b"));
        assert!(e.message.contains("look-around"), "{e}");
        let e = PatternList::parse(r"a\1").unwrap_err();
        assert!(e.message.contains("backreferences"), "{e}");
        let e = PatternList::parse("a*+").unwrap_err();
        assert_eq!(e.item.as_deref(), Some("a*+"));
        assert!(e.message.contains("possessive"), "{e}");
        assert!(PatternList::parse("a{1}+").is_err());
        assert!(PatternList::parse("a?+").is_err());
        // Not possessive: escaped plus, plus inside a class, lazy quantifier, group flag.
        assert!(PatternList::parse(r"a\++").is_ok());
        assert!(PatternList::parse("[*+]").is_ok());
        assert!(PatternList::parse("a+?").is_ok());
        assert!(PatternList::parse("(?i)abc").is_ok());
        let e = PatternList::parse("a(").unwrap_err();
        assert_eq!(e.item.as_deref(), Some("a("));
        assert!(e.to_string().contains("invalid regex `a(`"), "{e}");
    }

    #[test]
    fn joined_pattern_decides_like_java() {
        // Each item alone is invalid, the `|`-joined pattern is valid: Java accepts it, so do we.
        let p = PatternList::parse("(a, b)").unwrap();
        assert!(p.is_match("a,b") || p.is_match("a") || p.is_match("b"));
        // Split counted repetition is refused with a hint about comma splitting.
        let e = PatternList::parse("a{1,3}").unwrap_err();
        assert_eq!(e.item.as_deref(), Some("a{1"));
        assert!(e.message.contains("split on commas"), "{e}");
    }
}

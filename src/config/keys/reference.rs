//! The key reference of docs/configuration.md, rendered from the key table so that the page and
//! the code cannot drift (a test compares them; `STRAIT_UPDATE_DOCS=1 cargo test key_reference`
//! rewrites the page's section).

use super::{table, ClientKind, Effect, Key, KeyDefault, Scope, ALL_CLIENTS};

/// Marks the start of the generated section in docs/configuration.md.
pub(crate) const BEGIN: &str =
    "<!-- key-reference:begin (generated from src/config/keys; do not edit) -->";
/// Marks its end.
pub(crate) const END: &str = "<!-- key-reference:end -->";

/// Where a key may appear, as the reference says it.
pub(crate) fn place(scope: Scope) -> String {
    match scope {
        Scope::TopLevel => "top level".into(),
        Scope::Connector => "top level, `S->T.`".into(),
        Scope::Cluster => "top level, `A.`, client prefixes".into(),
        Scope::Client(kinds) if kinds == ALL_CLIENTS => "client prefixes".into(),
        Scope::Client(kinds) => {
            let places: Vec<&str> = kinds
                .iter()
                .map(|k| match k {
                    ClientKind::Consumer => "`S.consumer.`, `S->T.source.consumer.`",
                    ClientKind::Producer => "`T.producer.`, `S->T.producer.override.`",
                    ClientKind::Admin => "`A.admin.`, `S->T.source.admin.`, `S->T.target.admin.`",
                })
                .collect();
            places.join(", ")
        }
        Scope::Worker => "top level, `T.` (top level wins)".into(),
        Scope::TargetWorker => "`T.`".into(),
    }
}

/// A row's default, as the reference shows it.
fn default_text(row: &Key) -> String {
    match row.default {
        KeyDefault::Unset => "none".into(),
        KeyDefault::Required => "required".into(),
        KeyDefault::Value("") => "empty".into(),
        KeyDefault::Value(v) => format!("`{v}`"),
        KeyDefault::Derived(d) => d.into(),
    }
}

/// A table cell: pipes escaped so that they do not end the cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The generated section: keys strait acts on, then keys accepted without effect.
pub(crate) fn markdown() -> String {
    let mut out = String::new();
    out.push_str(BEGIN);
    out.push_str("\n\n### Keys strait acts on\n\n");
    out.push_str("| key | where | type | default | in strait |\n|---|---|---|---|---|\n");
    for row in table() {
        if row.effect == Effect::Acts {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                row.name,
                place(row.scope),
                cell(&row.ty.describe()),
                cell(&default_text(row)),
                cell(row.meaning)
            ));
        }
    }
    out.push_str("\n### Keys accepted without effect\n\n");
    out.push_str(
        "strait lists each of these once at start-up, with its line and the reason. \
         A key that is not in either table is unknown: MM2 drops it silently, strait lists it too.\n\n",
    );
    out.push_str("| key | where | why |\n|---|---|---|\n");
    for row in table() {
        if let Effect::Ignored(why) = row.effect {
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                row.name,
                place(row.scope),
                cell(why)
            ));
        }
    }
    out.push('\n');
    out.push_str(END);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/configuration.md carries exactly the reference the table renders.
    #[test]
    fn key_reference_in_docs_matches_the_table() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/configuration.md");
        let page = std::fs::read_to_string(&path).unwrap();
        let (Some(start), Some(end)) = (page.find(BEGIN), page.find(END)) else {
            panic!("{} has no `{BEGIN}` ... `{END}` section", path.display());
        };
        let current = &page[start..end + END.len()];
        let wanted = markdown();
        if current == wanted {
            return;
        }
        if std::env::var_os("STRAIT_UPDATE_DOCS").is_some() {
            let updated = format!("{}{wanted}{}", &page[..start], &page[end + END.len()..]);
            std::fs::write(&path, updated).unwrap();
            return;
        }
        panic!(
            "{}'s key reference differs from the key table (src/config/keys): run \
             `STRAIT_UPDATE_DOCS=1 cargo test key_reference` and commit the page",
            path.display()
        );
    }
}

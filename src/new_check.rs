//! `verify new NAME`: a crate of the user's own, outside this workspace, holding a check (a
//! limit formula and its Monte Carlo trial) on the engine of this clone. The files are the
//! templates in `templates/new-check/`, with the crate's name and the engine's location filled in.

use crate::error::CliError;
use engine::Outcome;
use std::path::{Path, PathBuf};

const CARGO_TOML: &str = include_str!("../templates/new-check/Cargo.toml.in");
const MAIN_RS: &str = include_str!("../templates/new-check/main.rs");
const CHECK_RS: &str = include_str!("../templates/new-check/check.rs");
const GITIGNORE: &str = include_str!("../templates/new-check/gitignore");

/// This clone: the engine crate lives in its `engine/` folder, its Cargo.lock pins the versions
/// the engine is built and tested with.
const CLONE: &str = env!("CARGO_MANIFEST_DIR");

/// What the git dependency line says when the clone has no `origin` remote.
const GIT_PLACEHOLDER: &str = "URL-OF-THE-VERIFY-REPOSITORY";

/// Names cargo refuses for a package or its binary, and the engine's own packages (a crate of
/// the same name as a dependency cannot be told apart from it in Cargo.lock).
const RESERVED: &[&str] = &[
    "test",
    "std",
    "core",
    "alloc",
    "proc_macro",
    "deps",
    "examples",
    "build",
    "incremental",
    "engine",
    "reports",
];

/// Rust's keywords (strict and reserved, 2021 edition and later): not a crate name.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Parse NAME: a valid crate name (ASCII letters, digits, `-` and `_`, starting with a letter,
/// at most 64 characters, not a keyword or a name cargo reserves).
pub fn crate_name(s: &str) -> Result<String, String> {
    let rules = "a crate name is ASCII letters, digits, - and _, starts with a letter and has at most 64 characters";
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_ok || s.len() > 64 || !chars.all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)) {
        return Err(format!("{s:?} is not a crate name: {rules}"));
    }
    let ident = s.replace('-', "_");
    if KEYWORDS.contains(&ident.as_str()) || RESERVED.contains(&ident.as_str()) {
        return Err(format!(
            "{s:?} is a Rust keyword or a name cargo or the engine reserves; choose another"
        ));
    }
    Ok(s.to_string())
}

/// `s` as a TOML basic string, quotes included.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The URL of this clone's `origin` remote, if git knows one.
fn origin_url() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["-C", CLONE, "remote", "get-url", "origin"])
        .output()
        .ok()?;
    let url = String::from_utf8(out.stdout).ok()?.trim_ascii().to_string();
    (out.status.success() && !url.is_empty()).then_some(url)
}

/// The crate's files: (path inside the crate, contents).
fn files(name: &str, engine: &Path, git: &str) -> Vec<(&'static str, String)> {
    let fill = |t: &str| t.replace("{{name}}", name);
    let manifest = fill(CARGO_TOML)
        .replace(
            "\"{{engine_path}}\"",
            &toml_string(&engine.to_string_lossy()),
        )
        .replace("\"{{engine_git}}\"", &toml_string(git));
    let mut out = vec![
        ("Cargo.toml", manifest),
        ("src/main.rs", fill(MAIN_RS)),
        ("tests/check.rs", fill(CHECK_RS)),
        (".gitignore", GITIGNORE.to_string()),
    ];
    // Start from the versions the engine is built with here: no registry look-up is needed, the
    // compiled dependencies of this clone's target folder fit, and nothing moves under you.
    let lock = Path::new(CLONE).join("Cargo.lock");
    if let Ok(lock) = engine::read::regular_text(&lock, engine::read::MAX_RECORD_FILE, "Cargo.lock")
    {
        out.push(("Cargo.lock", lock));
    }
    out
}

/// Refuse a target that exists and is not an empty folder, naming the argument it comes from.
fn refuse_occupied(dir: &Path, flag: &str) -> Result<(), CliError> {
    let empty = match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_none(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(_) => false,
    };
    if empty {
        return Ok(());
    }
    Err(CliError::Usage(format!(
        "invalid value for {flag}: {} exists and is not an empty folder; choose another NAME or --path (nothing was written)",
        dir.display()
    )))
}

/// Write the crate `name` into `path/name` (or `./name`) and say how to run it.
pub fn run(name: &str, path: Option<&Path>) -> Result<Outcome, CliError> {
    let dir = match path {
        Some(parent) => parent.join(name),
        None => PathBuf::from(name),
    };
    refuse_occupied(&dir, if path.is_some() { "--path" } else { "NAME" })?;
    let engine = Path::new(CLONE).join("engine");
    if !engine.join("Cargo.toml").is_file() {
        eprintln!(
            "warning: the engine is no longer at {} (the clone this verify was built from); edit the engine line of {}",
            engine.display(),
            dir.join("Cargo.toml").display()
        );
    }
    let git = origin_url().unwrap_or_else(|| GIT_PLACEHOLDER.into());
    for (file, text) in files(name, &engine, &git) {
        reports::write_atomic(&dir.join(file), text.as_bytes())?;
    }
    outln!(
        "Created {0}/: a check of the Marchenko–Pastur resolvent trace to turn into yours (the\n\
         model is src/main.rs; tests/check.rs runs it at a fixed seed). Next:\n\n  \
         cd {0}\n  \
         cargo run --release              # the check: verdict AGREE, exit 0\n  \
         cargo test --release             # its tests\n  \
         cargo run --release -- --help    # the engine's flags",
        dir.display()
    );
    Ok(Outcome::Agree)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_names() {
        for ok in ["my-check", "mp_resolvent", "a1", "Check"] {
            assert_eq!(crate_name(ok).as_deref(), Ok(ok));
        }
        for bad in [
            "", "1abc", "-a", "a b", "a/b", "ü", "fn", "test", "engine", "self", "async",
        ] {
            assert!(crate_name(bad).is_err(), "{bad:?} accepted");
        }
        assert!(crate_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn the_manifest_names_the_crate_and_the_engine() {
        let f = files("my-check", Path::new("/x/y \"z\"/engine"), GIT_PLACEHOLDER);
        let manifest: toml::Table = toml::from_str(&f[0].1).unwrap();
        assert_eq!(manifest["package"]["name"].as_str(), Some("my-check"));
        let engine = &manifest["dependencies"]["engine"];
        assert_eq!(engine["path"].as_str(), Some("/x/y \"z\"/engine"));
        assert!(manifest.contains_key("workspace"));
        assert!(f[1].1.contains("\"my-check\"") && !f[1].1.contains("{{"));
    }
}

//! `verify catalog` as a user meets it: the listing names every entry with its source, an entry's
//! wrong formula is called wrong (exit 1), and bad names are refused (exit 2). The entries' own
//! verdicts and formulas are tested in the catalog crate (catalog/tests).

mod common;
use common::*;

#[test]
fn the_listing_names_every_entry_with_its_source_and_measurement() {
    let o = verify(&["catalog", "--list"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for e in catalog::entries() {
        assert!(text.contains(&format!("{}\n  formula:", e.name)), "{text}");
        assert!(text.contains(e.source), "{text}");
        assert!(text.contains(e.measures), "{text}");
    }
}

#[test]
fn a_wrong_formula_is_called_wrong_and_the_summary_says_so() {
    let base = scratch("catalog-wrong");
    let out = base.join("c");
    let o = verify(&[
        "catalog",
        "wigner",
        "--wrong",
        "--trials",
        "40",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("wrong variants"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("wigner") && l.contains("DISAGREE")),
        "{text}"
    );
    assert!(out.join("wigner").is_dir());
    std::fs::remove_dir_all(&base).ok();
}

#[test]
fn unknown_or_repeated_entries_are_refused_naming_the_allowed_ones() {
    let base = scratch("catalog-bad");
    let out = base.join("c");
    let out = out.to_str().unwrap();
    for (args, needle) in [
        (vec!["catalog", "marchenko"], "allowed: marchenko-pastur"),
        (vec!["catalog", "ridge", "ridge"], "named twice"),
        (vec!["catalog", "--shard", "0/2"], "give one ENTRY"),
        (vec!["catalog", "wigner", "--trials", "1"], "--trials"),
    ] {
        let mut a = args.clone();
        a.extend(["--out", out]);
        let o = verify(&a);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
    assert!(!base.join("c").exists(), "a refused run wrote results");
    std::fs::remove_dir_all(&base).ok();
}

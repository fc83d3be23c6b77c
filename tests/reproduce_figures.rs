//! Every figure `verify reproduce` writes, checked from its SVG (docs/figures.md): no text off
//! the canvas, no marker outside the plot, no curve leaving it, no series drawn over another;
//! and a learning rate at which a method diverged is drawn as the legend's arrow, not at 1.
//! Small sizes (d = 40, 4 trials): about two minutes on 2 cores.

mod common;
use common::*;

#[test]
fn every_reproduced_figure_is_clean() {
    let out = scratch("reproduce-figures");
    let o = verify(&[
        "reproduce",
        "--d",
        "40",
        "--trials",
        "4",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1 | 4)), "{}", stderr(&o));
    let n = assert_clean_figures(&out);
    assert!(n >= 20, "only {n} figures");
    // Section C.4's figure is among them.
    assert!(out.join("readout/readout_kappa.svg").exists());
    // Figure 5: runs that diverged exist in the CSV exactly when the figure says so.
    let csv = std::fs::read_to_string(out.join("figure5/linear_rep.csv")).unwrap();
    let diverged = csv.lines().any(|l| l.split(',').nth(7) == Some("true"));
    let svg =
        std::fs::read_to_string(out.join("figure5/linear_rep_uniform-high_lr_sweep.svg")).unwrap();
    assert_eq!(svg.contains("diverged (not finite)"), diverged);
    std::fs::remove_dir_all(out).ok();
}

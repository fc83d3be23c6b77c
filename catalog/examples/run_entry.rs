//! Run one catalog entry at its defaults: `run_entry NAME correct|wrong [engine flags…]`
//! (e.g. `--seed 1 --out out/x`); prints the verdict and the wall time.

use catalog::{entry, Variant};
use engine::prelude::*;

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.len() < 3 {
        eprintln!("usage: run_entry NAME correct|wrong [engine flags…]");
        std::process::exit(2);
    }
    let e = entry(&argv[1]).unwrap_or_else(|| panic!("no entry named {}", argv[1]));
    let variant = if argv[2] == "wrong" {
        Variant::Wrong
    } else {
        Variant::Correct
    };
    let mut flags = vec!["run_entry".to_string()];
    flags.extend(argv[3..].iter().cloned());
    let args = CommonArgs::parse_from(flags);
    faer::set_global_parallelism(Par::Seq);
    let start = std::time::Instant::now();
    let v = (e.run)(variant, &args);
    println!(
        "{} {:?}: {:?} in {:.1} s",
        e.name,
        variant,
        v,
        start.elapsed().as_secs_f64()
    );
}

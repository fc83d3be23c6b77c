#[path = "checks/finite_size.rs"]
mod checks;
use engine::prelude::*;
fn main() {
    faer::set_global_parallelism(Par::Seq);
    let args = CommonArgs::parse_from(std::env::args());
    let d: f64 = std::env::var("D")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100.0);
    std::process::exit(main_exit_code(
        &checks::MpResolventTrace { shift: 0.0 },
        &checks::mp_grid(d),
        &args,
    ));
}

//! Check figures the way the test suite does: `cargo run --release --example check_figure --
//! FILE.svg...` prints each figure's problems (text off the canvas, markers outside the plot,
//! curves leaving it, one series drawn over another) and exits 1 if any has one.

fn main() {
    let mut bad = 0;
    for path in std::env::args().skip(1) {
        let svg = match std::fs::read_to_string(&path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{path}: {e}");
                std::process::exit(2);
            }
        };
        let problems = reports::inspect::check_svg(&svg);
        if problems.is_empty() {
            println!("{path}: clean");
        } else {
            bad += 1;
            for p in problems {
                println!("{path}: {p}");
            }
        }
    }
    std::process::exit(i32::from(bad > 0));
}

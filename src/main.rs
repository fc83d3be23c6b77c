//! `verify`: the command line (the library's [`verify::run_argv`]), its exit code and Ctrl-C.

use verify::Finished;

/// On Ctrl-C: when a checkpoint exists, say that `--resume` continues; exit 130 (128 + SIGINT),
/// as shells expect.
fn on_interrupt() {
    eprintln!("\n{}", verify::interrupted_message());
    std::process::exit(130);
}

fn main() {
    // Trials run in parallel on rayon; each trial's faer calls run sequentially. This is the one
    // global setting, made once here on purpose (see shared notes: nested parallelism gains nothing).
    faer::set_global_parallelism(faer::Par::Seq);
    // If no handler can be installed, Ctrl-C simply ends the process (a resume still works).
    let _ = ctrlc::set_handler(on_interrupt);
    match verify::run_argv(std::env::args_os()) {
        Finished::Done(code) => std::process::exit(code),
        Finished::Arguments(e) => e.exit(),
        Finished::Failed { code, message } => {
            eprintln!("error: {message}");
            std::process::exit(code);
        }
    }
}

//! The `mixtape` binary: parse arguments, run, map the outcome to an exit code.

fn main() -> std::process::ExitCode {
    mixtape_cli::run()
}

#[path = "cli/mod.rs"]
mod mixtape_cli;

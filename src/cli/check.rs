//! `mixtape check`: Integrity check (arguments and printing; the work is in the library).

use super::{Context, Outcome};

/// Arguments of `mixtape check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {}

/// Run `mixtape check`.
pub fn run(_args: CheckArgs, _ctx: &Context) -> anyhow::Result<Outcome> {
    anyhow::bail!("'check' is not implemented yet")
}

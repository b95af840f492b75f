//! `mixtape dupes`: Find duplicate tracks (arguments and printing; the work is in the library).

use super::{Context, Outcome};

/// Arguments of `mixtape dupes`.
#[derive(Debug, clap::Args)]
pub struct DupesArgs {}

/// Run `mixtape dupes`.
pub fn run(_args: DupesArgs, _ctx: &Context) -> anyhow::Result<Outcome> {
    anyhow::bail!("'dupes' is not implemented yet")
}

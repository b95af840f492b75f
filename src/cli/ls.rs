//! `mixtape ls`: List tracks (arguments and printing; the work is in the library).

use super::{Context, Outcome};

/// Arguments of `mixtape ls`.
#[derive(Debug, clap::Args)]
pub struct LsArgs {}

/// Run `mixtape ls`.
pub fn run(_args: LsArgs, _ctx: &Context) -> anyhow::Result<Outcome> {
    anyhow::bail!("'ls' is not implemented yet")
}

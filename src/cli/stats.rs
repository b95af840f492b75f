//! `mixtape stats`: Library statistics (arguments and printing; the work is in the library).

use super::{Context, Outcome};

/// Arguments of `mixtape stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {}

/// Run `mixtape stats`.
pub fn run(_args: StatsArgs, _ctx: &Context) -> anyhow::Result<Outcome> {
    anyhow::bail!("'stats' is not implemented yet")
}

//! `mixtape organize`: Organise (arguments and printing; the work is in the library).

use super::{Context, Outcome};

/// Arguments of `mixtape organize`.
#[derive(Debug, clap::Args)]
pub struct OrganizeArgs {}

/// Run `mixtape organize`.
pub fn run(_args: OrganizeArgs, _ctx: &Context) -> anyhow::Result<Outcome> {
    anyhow::bail!("'organize' is not implemented yet")
}

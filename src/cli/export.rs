//! `mixtape export`: Export (arguments and printing; the work is in the library).

use super::{Context, Outcome};

/// Arguments of `mixtape export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {}

/// Run `mixtape export`.
pub fn run(_args: ExportArgs, _ctx: &Context) -> anyhow::Result<Outcome> {
    anyhow::bail!("'export' is not implemented yet")
}

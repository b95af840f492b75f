//! `mixtape scan`: Scan (arguments and printing; the work is in the library).

use super::{Context, Outcome};

/// Arguments of `mixtape scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {}

/// Run `mixtape scan`.
pub fn run(_args: ScanArgs, _ctx: &Context) -> anyhow::Result<Outcome> {
    anyhow::bail!("'scan' is not implemented yet")
}

//! `mixtape undo`: Undo file operations (arguments and printing; the work is in the library).

use super::{Context, Outcome};

/// Arguments of `mixtape undo`.
#[derive(Debug, clap::Args)]
pub struct UndoArgs {}

/// Run `mixtape undo`.
pub fn run(_args: UndoArgs, _ctx: &Context) -> anyhow::Result<Outcome> {
    anyhow::bail!("'undo' is not implemented yet")
}

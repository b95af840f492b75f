//! `mixtape playlist`: Playlists (arguments and printing; the work is in the library).

use super::{Context, Outcome};

/// Arguments of `mixtape playlist`.
#[derive(Debug, clap::Args)]
pub struct PlaylistArgs {}

/// Run `mixtape playlist`.
pub fn run(_args: PlaylistArgs, _ctx: &Context) -> anyhow::Result<Outcome> {
    anyhow::bail!("'playlist' is not implemented yet")
}

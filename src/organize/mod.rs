//! Organise files into a template-driven folder layout (`mixtape organize`).
//!
//! Organising goes in two steps, so that a dry run shows exactly what a real
//! run does: [`plan::plan`] turns the selected tracks into source ->
//! destination pairs (template, safe names, collisions), then
//! [`moves::execute`] carries them out through the undo journal
//! ([`crate::journal`]) with [`crate::fsops`], which never overwrites.
//! Tracks are selected from the library once, before anything moves, so a
//! destination inside a scanned folder is never walked again: files already
//! in their place are planned onto themselves and left alone.

pub mod moves;
pub mod plan;
pub mod sidecars;
pub mod template;

use std::path::{Path, PathBuf};

use crate::error::{Error, InvalidKind, Result};
use crate::fsops::Mode;
pub use template::Template;

/// The default layout: `$albumartist/$album/$track $title`, with fallbacks
/// for missing tags, compilations (`comp`, or mixed artists) under
/// `Compilations/`, `%aunique{}` telling same-named albums apart, and a
/// disc prefix on every track of a multi-disc album.
pub const DEFAULT_TEMPLATE: &str = "%if{$compilation,Compilations,${albumartist:-${artist:-Unknown Artist}}}/${album:-Unknown Album}%aunique{}/%if{$multidisc,$disc-}$track ${title:-$stem}";

/// Where tracks without an album go: `Non-Album/$artist/$title`.
pub const DEFAULT_SINGLETONS: &str = "Non-Album/${artist:-Unknown Artist}/${title:-$stem}";

/// Everything `organize` needs to know, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The destination folder, absolute and with symlinks resolved as far as
    /// it exists (see [`resolve_into`]).
    pub into: PathBuf,
    /// Move or copy.
    pub mode: Mode,
    /// The layout for tracks with an album.
    pub template: Template,
    /// The layout for tracks without an album.
    pub singletons: Template,
    /// Transliterate every name to ASCII.
    pub ascii: bool,
}

impl Settings {
    /// Settings with the default templates.
    pub fn new(into: &Path, mode: Mode) -> Result<Settings> {
        Ok(Settings {
            into: resolve_into(into)?,
            mode,
            template: Template::parse(DEFAULT_TEMPLATE)?,
            singletons: Template::parse(DEFAULT_SINGLETONS)?,
            ascii: false,
        })
    }
}

/// Make the destination absolute and canonical: the longest existing prefix
/// is canonicalised (symlinks resolved, as the library stores paths), the
/// rest is appended with `.` and `..` resolved lexically (the same rules as
/// the quarantine folder of `dupes --move-to`).
pub fn resolve_into(into: &Path) -> Result<PathBuf> {
    if into.as_os_str().is_empty() {
        return Err(Error::invalid(
            InvalidKind::Malformed,
            "--into",
            "the destination is empty",
        ));
    }
    if into.exists() && !into.is_dir() {
        return Err(Error::io(
            into,
            std::io::Error::other("--into is not a folder"),
        ));
    }
    crate::dupes::quarantine::absolute_dir(into)
}

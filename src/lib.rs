//! mixtape: an offline music library organiser.
//!
//! The data flows walk -> read -> store -> query -> act:
//! [`scan`] walks folders and decides what changed, [`media`] reads one file
//! (tags, properties, hashes, fingerprint), [`library`] stores tracks in
//! SQLite, [`query`] selects them, and [`dupes`], [`playlist`], [`export`] and
//! [`organize`] act on them; [`check`] decodes tracks in full and records
//! what is damaged, [`loudness`] what they measure (EBU R128). Only `src/cli/` (in the binary) prints.

pub mod album;
pub mod check;
pub mod config;
pub mod confine;
pub mod cue;
pub mod dupes;
pub mod error;
pub mod export;
pub mod fsops;
pub mod guard;
pub mod journal;
pub mod library;
pub mod loudness;
pub mod media;
pub mod names;
pub mod organize;
pub mod playlist;
pub mod progress;
pub mod query;
pub mod retag;
pub mod scan;
pub mod stale;

pub use error::{Error, Result};
pub use library::{Library, Track};

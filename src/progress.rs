//! Progress is data: long-running library operations report [`Progress`]
//! events through a [`ProgressSink`]; only `src/cli/` turns them into bars.
//! The library itself never prints.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// One progress report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Which stage the operation is in.
    pub stage: Stage,
    /// Items finished so far.
    pub done: u64,
    /// Items in total (0 when not yet known).
    pub total: u64,
    /// Bytes processed so far.
    pub bytes: u64,
    /// Bytes in total (0 when not known).
    pub total_bytes: u64,
}

/// The stages operations go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Walking folders.
    Walk,
    /// Reading files (tags, hashes, fingerprints).
    Read,
    /// Decoding audio in full (integrity check).
    Check,
    /// Matching duplicates.
    Match,
    /// Copying or moving files.
    Transfer,
    /// Transcoding / exporting.
    Export,
}

impl Stage {
    /// A short label for progress bars.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Walk => "walking",
            Stage::Read => "reading",
            Stage::Check => "checking",
            Stage::Match => "matching",
            Stage::Transfer => "transferring",
            Stage::Export => "exporting",
        }
    }
}

/// Receives progress events. Must be cheap; it may be called from many threads.
pub trait ProgressSink: Send + Sync {
    /// Called whenever progress changes.
    fn report(&self, progress: Progress);
}

/// A sink that ignores everything (tests, `--quiet`).
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn report(&self, _progress: Progress) {}
}

/// A cancellation flag shared between the Ctrl-C handler and workers.
/// Workers check it per item, so an interrupted run stops between files and
/// leaves the database consistent.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A fresh flag, not cancelled.
    pub fn new() -> Self {
        Self::default()
    }
    /// Ask every worker to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst)
    }
    /// Has cancellation been requested?
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

//! Progress is data: long-running library operations report [`Progress`]
//! events through a [`ProgressSink`]; only `src/cli/` turns them into bars.
//! The library itself never prints.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    /// Measuring loudness (a full decode).
    Measure,
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
            Stage::Measure => "measuring",
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

/// Items and bytes finished so far in one stage, counted from many threads,
/// each step reported to a sink: the shared shape of every stage that works
/// through a known list (reading, checking, exporting).
pub struct Tally<'a> {
    sink: &'a dyn ProgressSink,
    stage: Stage,
    total: u64,
    total_bytes: u64,
    done: AtomicU64,
    bytes: AtomicU64,
}

impl<'a> Tally<'a> {
    /// Start a stage of `total` items (`total_bytes` in all, 0 when not
    /// known): reports nothing done yet.
    pub fn start(sink: &'a dyn ProgressSink, stage: Stage, total: u64, total_bytes: u64) -> Self {
        let t = Tally {
            sink,
            stage,
            total,
            total_bytes,
            done: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        };
        t.report(0, 0);
        t
    }

    /// One more item finished, of `bytes` bytes: reported.
    pub fn add(&self, bytes: u64) {
        let d = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let b = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.report(d, b);
    }

    /// Items finished so far.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    fn report(&self, done: u64, bytes: u64) {
        self.sink.report(Progress {
            stage: self.stage,
            done,
            total: self.total,
            bytes,
            total_bytes: self.total_bytes,
        });
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Record(Mutex<Vec<Progress>>);
    impl ProgressSink for Record {
        fn report(&self, p: Progress) {
            self.0.lock().unwrap().push(p);
        }
    }

    #[test]
    fn a_tally_reports_the_start_and_each_item_with_running_totals() {
        let rec = Record(Mutex::new(Vec::new()));
        let t = Tally::start(&rec, Stage::Export, 2, 30);
        t.add(10);
        t.add(20);
        assert_eq!(t.done(), 2);
        let seen: Vec<(u64, u64)> = rec
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|p| (p.done, p.bytes))
            .collect();
        assert_eq!(seen, vec![(0, 0), (1, 10), (2, 30)]);
        assert!(rec
            .0
            .lock()
            .unwrap()
            .iter()
            .all(|p| p.total == 2 && p.total_bytes == 30));
    }
}

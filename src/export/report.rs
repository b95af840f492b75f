//! What an export did: the tracks converted, copied, kept and failed, the
//! files removed and the extras written, as the CLI prints them.

use std::path::PathBuf;

use crate::export::plan::ExportPlan;

/// One exported track in the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    /// Library id of the source track.
    pub track_id: i64,
    /// The source file.
    pub source: PathBuf,
    /// The output, relative to the destination.
    pub output: String,
    /// The output's size in bytes.
    pub bytes: u64,
    /// Notes from the converter (clipping avoided, art dropped, ...).
    pub warnings: Vec<String>,
    /// Loudness measured while converting (LUFS, dBTP), for the library.
    pub loudness: Option<(f64, f64)>,
}

/// A track that could not be exported.
#[derive(Debug, Clone, PartialEq)]
pub struct Failed {
    /// Library id of the source track, when known.
    pub track_id: Option<i64>,
    /// The source file, when known.
    pub source: Option<PathBuf>,
    /// The planned output, when one was planned.
    pub output: Option<String>,
    /// Why, as `path: reason`.
    pub error: String,
}

/// What an export did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportReport {
    /// Tracks encoded anew.
    pub converted: Vec<Done>,
    /// Tracks copied byte for byte.
    pub copied: Vec<Done>,
    /// Tracks already up to date (or only renamed/moved).
    pub skipped: Vec<Done>,
    /// Tracks that failed (source missing, undecodable, ...).
    pub failed: Vec<Failed>,
    /// Files mixtape had written that are no longer wanted, now removed.
    pub removed: Vec<String>,
    /// M3U8 / CUE / TOC files written or rewritten.
    pub extras_written: Vec<String>,
    /// Per disc (cd): folder, track count, length in seconds.
    pub discs: Vec<(String, usize, f64)>,
    /// Problems that did not stop the export.
    pub warnings: Vec<String>,
    /// Stopped by Ctrl-C: finished outputs wait in staging for the next run.
    pub interrupted: bool,
}

impl ExportReport {
    /// A report for `plan` before anything is done: its warnings, and its
    /// tracks that cannot be exported at all (source missing, ...).
    pub fn for_plan(plan: &ExportPlan) -> ExportReport {
        let mut report = ExportReport {
            warnings: plan.warnings(),
            ..ExportReport::default()
        };
        for u in &plan.unavailable {
            report.failed.push(Failed {
                track_id: u.track.as_ref().map(|t| t.id),
                source: u.track.as_ref().map(|t| t.path.clone()),
                output: None,
                error: u.reason.clone(),
            });
        }
        report
    }
}

/// Bytes as B/KB/MB/GB (decimal units, like disk sizes).
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_in_decimal_units() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500), "1.5 KB");
        assert_eq!(human_bytes(700_000_000), "700.0 MB");
    }
}

//! The single database writer used by the scan.

//! Duplicate detection as narrowing stages (hashes, then fingerprints), keeper ranking and quarantine.
pub mod fingerprint;

//! The sync manifest, `.mixtape-export.json` at the destination's top.
//!
//! It records every file mixtape wrote there: the output's relative path,
//! the source track's identity and hashes, the content key (source + tags +
//! settings) and the output's size and BLAKE3. A rerun compares plans with it
//! (never with mtimes, which FAT keeps to 2 s and shifts with time zones), so
//! it writes only what changed, and removes only files listed here: a file
//! the user put in the destination is never touched.
//!
//! Invariants: the manifest is written atomically (temporary file + rename);
//! a corrupt manifest, or one from a newer mixtape, is refused and left as is.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fsops;

/// The manifest's file name, at the destination's top.
pub const MANIFEST_NAME: &str = ".mixtape-export.json";
/// The manifest format this build writes (and the newest it reads).
pub const MANIFEST_VERSION: u32 = 1;

/// One file mixtape wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Path relative to the destination, `/`-separated.
    pub path: String,
    /// The source track's id in the library (0 for files not made from a track).
    pub track_id: i64,
    /// The source's audio hash (hex), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_hash: Option<String>,
    /// The source's file hash (hex), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_hash: Option<String>,
    /// What the output was made from: source, tags and settings (hex).
    pub key: String,
    /// Output size in bytes.
    pub size: u64,
    /// BLAKE3 of the output (hex).
    pub hash: String,
}

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version ([`MANIFEST_VERSION`]).
    pub version: u32,
    /// The profile name (`usb`, `car`, `cd`, `format-mp3`, ...).
    pub profile: String,
    /// [`crate::export::profile::ExportSettings::fingerprint`] of the last run.
    pub settings: String,
    /// What was exported (playlist name or query).
    pub source: String,
    /// Track files, in the order they were written (play order per folder).
    pub entries: Vec<Entry>,
    /// Other files mixtape wrote (M3U8, CUE, TOC), relative paths.
    #[serde(default)]
    pub extras: Vec<String>,
}

impl Manifest {
    /// An empty manifest.
    pub fn new(profile: &str, settings: &str, source: &str) -> Manifest {
        Manifest {
            version: MANIFEST_VERSION,
            profile: profile.to_string(),
            settings: settings.to_string(),
            source: source.to_string(),
            entries: Vec::new(),
            extras: Vec::new(),
        }
    }

    /// The manifest path for a destination.
    pub fn path_in(dest: &Path) -> PathBuf {
        dest.join(MANIFEST_NAME)
    }

    /// Read the manifest at `dest`, if there is one. A corrupt manifest or
    /// one from a newer mixtape is an error (and is left untouched).
    pub fn load(dest: &Path) -> Result<Option<Manifest>> {
        let path = Self::path_in(dest);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, e)),
        };
        Self::parse(&path, &bytes).map(Some)
    }

    /// Parse manifest bytes read from `path`.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Manifest> {
        let refuse = |why: String| {
            Error::at(
                path,
                format!("{why}; the manifest was left untouched (move it away to export afresh)"),
            )
        };
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| refuse(format!("corrupt export manifest ({e})")))?;
        let version = value
            .get("version")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| refuse("corrupt export manifest (no version)".into()))?;
        if version > MANIFEST_VERSION as u64 {
            return Err(refuse(format!(
                "export manifest version {version} is newer than this mixtape supports ({MANIFEST_VERSION}); upgrade mixtape"
            )));
        }
        let m: Manifest = serde_json::from_value(value)
            .map_err(|e| refuse(format!("corrupt export manifest ({e})")))?;
        for e in &m.entries {
            if !is_safe_relative(&e.path) {
                return Err(refuse(format!(
                    "corrupt export manifest (unsafe path {:?})",
                    e.path
                )));
            }
        }
        if let Some(x) = m.extras.iter().find(|x| !is_safe_relative(x)) {
            return Err(refuse(format!(
                "corrupt export manifest (unsafe path {x:?})"
            )));
        }
        Ok(m)
    }

    /// The manifest as bytes (pretty JSON, stable order).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }

    /// Write the manifest atomically at `dest`, unless it already holds
    /// exactly these bytes. Returns whether it wrote.
    pub fn save(&self, dest: &Path) -> Result<bool> {
        let path = Self::path_in(dest);
        let bytes = self.to_bytes();
        if std::fs::read(&path).ok().as_deref() == Some(bytes.as_slice()) {
            return Ok(false);
        }
        fsops::write_atomic(&path, &bytes, true)?;
        Ok(true)
    }

    /// The entry for a relative path, if any.
    pub fn entry(&self, rel: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.path == rel)
    }

    /// Does mixtape own this relative path (a track or an extra)?
    pub fn owns(&self, rel: &str) -> bool {
        self.entries.iter().any(|e| e.path == rel) || self.extras.iter().any(|x| x == rel)
    }
}

/// A relative path that stays inside the destination (no `..`, not absolute).
pub fn is_safe_relative(rel: &str) -> bool {
    !rel.is_empty()
        && !rel.starts_with('/')
        && !rel.contains('\\')
        && rel
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

/// Hex of a hash.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        let mut m = Manifest::new("car", "profile=car", "Road trip");
        m.entries.push(Entry {
            path: "01/001 A - B.mp3".into(),
            track_id: 7,
            audio_hash: Some("ab".into()),
            file_hash: None,
            key: "k".into(),
            size: 10,
            hash: "h".into(),
        });
        m.extras.push("Road trip.m3u8".into());
        m
    }

    #[test]
    fn round_trips_and_skips_identical_writes() {
        let d = tempfile::tempdir().unwrap();
        let m = sample();
        assert!(m.save(d.path()).unwrap());
        assert!(!m.save(d.path()).unwrap(), "identical manifest rewritten");
        assert_eq!(Manifest::load(d.path()).unwrap(), Some(m));
        assert!(Manifest::load(&d.path().join("none")).unwrap().is_none());
    }

    #[test]
    fn refuses_corrupt_and_newer_manifests_untouched() {
        let d = tempfile::tempdir().unwrap();
        let p = Manifest::path_in(d.path());
        std::fs::write(&p, b"{not json").unwrap();
        let e = Manifest::load(d.path()).unwrap_err().to_string();
        assert!(e.contains("corrupt export manifest"), "{e}");
        assert_eq!(std::fs::read(&p).unwrap(), b"{not json");
        let mut v = serde_json::to_value(sample()).unwrap();
        v["version"] = 99.into();
        std::fs::write(&p, v.to_string()).unwrap();
        let e = Manifest::load(d.path()).unwrap_err().to_string();
        assert!(e.contains("newer"), "{e}");
        let mut v = serde_json::to_value(sample()).unwrap();
        v["entries"][0]["path"] = "../../etc/passwd".into();
        std::fs::write(&p, v.to_string()).unwrap();
        let e = Manifest::load(d.path()).unwrap_err().to_string();
        assert!(e.contains("unsafe path"), "{e}");
    }
}

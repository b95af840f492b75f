//! The sync manifest, `.mixtape-export.json` at the destination's top.
//!
//! It records every file mixtape wrote there: the output's relative path,
//! the source track's identity and hashes, the content key (source + tags +
//! settings) and the output's size and BLAKE3. A rerun compares plans with it
//! (never with mtimes, which FAT keeps to 2 s and shifts with time zones), so
//! it writes only what changed, and removes only files listed here: a file
//! the user put in the destination is never touched.
//!
//! Every file is recorded with its size and hash, so that a rerun removes or
//! rewrites a file only while it still holds the bytes mixtape wrote: a file
//! the user replaced is left alone.
//!
//! Invariants: the manifest is written atomically (temporary file + rename);
//! a corrupt manifest, or one from a newer mixtape, is refused and left as is.
//! Version 1 listed the other files (M3U8, CUE, TOC) by path only; it is
//! still read, and such files are treated as unverifiable.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fsops;

/// The manifest's file name, at the destination's top.
pub const MANIFEST_NAME: &str = ".mixtape-export.json";
/// The manifest format this build writes (and the newest it reads).
/// Version 2 records the size and hash of the other files; version 3 the
/// device's playlists, the options they were exported with, and which
/// playlists hold each file.
pub const MANIFEST_VERSION: u32 = 3;

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
    /// The device's playlists that hold this file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub playlists: Vec<String>,
}

/// One other file mixtape wrote (M3U8, CUE, TOC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ExtraRepr")]
pub struct Extra {
    /// Path relative to the destination, `/`-separated.
    pub path: String,
    /// Size in bytes (unknown for files listed by a version 1 manifest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// BLAKE3 of the content (hex; unknown for version 1 manifests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

impl Extra {
    /// The record of `bytes` written at `path`.
    pub fn of(path: &str, bytes: &[u8]) -> Extra {
        Extra {
            path: path.to_string(),
            size: Some(bytes.len() as u64),
            hash: Some(hex(blake3::hash(bytes).as_bytes())),
        }
    }
}

/// How an extra is stored: a bare path (version 1) or a full record.
#[derive(Deserialize)]
#[serde(untagged)]
enum ExtraRepr {
    Path(String),
    Full {
        path: String,
        #[serde(default)]
        size: Option<u64>,
        #[serde(default)]
        hash: Option<String>,
    },
}

impl From<ExtraRepr> for Extra {
    fn from(r: ExtraRepr) -> Extra {
        match r {
            ExtraRepr::Path(path) => Extra {
                path,
                size: None,
                hash: None,
            },
            ExtraRepr::Full { path, size, hash } => Extra { path, size, hash },
        }
    }
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
    /// What was exported (the playlists' names or queries, joined by ` + `).
    pub source: String,
    /// The device's playlists (names, or query texts), in order. Empty in
    /// manifests before version 3, whose one playlist is `source`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub playlists: Vec<String>,
    /// The export options as typed, which a re-sync with none repeats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Track files, in the order they were written (play order per folder).
    pub entries: Vec<Entry>,
    /// Other files mixtape wrote (M3U8, CUE, TOC).
    #[serde(default)]
    pub extras: Vec<Extra>,
}

impl Manifest {
    /// An empty manifest.
    pub fn new(profile: &str, settings: &str, source: &str) -> Manifest {
        Manifest {
            version: MANIFEST_VERSION,
            profile: profile.to_string(),
            settings: settings.to_string(),
            source: source.to_string(),
            playlists: Vec::new(),
            options: Vec::new(),
            entries: Vec::new(),
            extras: Vec::new(),
        }
    }

    /// The playlists this device holds (for an older manifest, the one it
    /// names as its source).
    pub fn held(&self) -> Vec<String> {
        if self.playlists.is_empty() && !self.source.is_empty() {
            vec![self.source.clone()]
        } else {
            self.playlists.clone()
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
        if let Some(x) = m.extras.iter().find(|x| !is_safe_relative(&x.path)) {
            return Err(refuse(format!(
                "corrupt export manifest (unsafe path {:?})",
                x.path
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
        self.entries.iter().any(|e| e.path == rel) || self.extra(rel).is_some()
    }

    /// The record of another file (M3U8, CUE, TOC), if mixtape wrote it.
    pub fn extra(&self, rel: &str) -> Option<&Extra> {
        self.extras.iter().find(|x| x.path == rel)
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

/// Does the file at `path` still hold what mixtape recorded: a regular
/// file (not a link) of `size` bytes whose BLAKE3 is `hash`?
pub fn unchanged(path: &Path, size: u64, hash: &str) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    meta.file_type().is_file()
        && meta.len() == size
        && fsops::hash_file(path).is_ok_and(|h| hex(&h) == hash)
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
            playlists: vec!["Road trip".into()],
        });
        m.extras.push(Extra::of("Road trip.m3u8", b"#EXTM3U\n"));
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

    #[test]
    fn version_1_extras_are_read_as_unverified() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            Manifest::path_in(d.path()),
            br#"{"version": 1, "profile": "usb", "settings": "", "source": "", "entries": [], "extras": ["P.m3u8"]}"#,
        )
        .unwrap();
        let m = Manifest::load(d.path()).unwrap().unwrap();
        assert_eq!(
            m.extras,
            vec![Extra {
                path: "P.m3u8".into(),
                size: None,
                hash: None
            }]
        );
        assert!(m.owns("P.m3u8"));
    }

    #[test]
    fn unchanged_compares_size_and_hash_and_refuses_links() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.mp3");
        std::fs::write(&p, b"mine").unwrap();
        let x = Extra::of("a.mp3", b"mine");
        let (size, hash) = (x.size.unwrap(), x.hash.unwrap());
        assert!(unchanged(&p, size, &hash));
        std::fs::write(&p, b"yours").unwrap();
        assert!(!unchanged(&p, size, &hash));
        std::fs::write(&p, b"MINE").unwrap();
        assert!(!unchanged(&p, size, &hash), "same size, other bytes");
        #[cfg(unix)]
        {
            let q = d.path().join("b.mp3");
            std::fs::write(&q, b"mine").unwrap();
            std::fs::remove_file(&p).unwrap();
            std::os::unix::fs::symlink(&q, &p).unwrap();
            assert!(
                !unchanged(&p, size, &hash),
                "a link is not what mixtape wrote"
            );
        }
    }
}

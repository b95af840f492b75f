//! Planning an export: which tracks, in which order, under which names and
//! folders, copied or converted, on which disc, and how big it will be.
//!
//! The plan is pure data, computed before anything is written: `--dry-run`
//! prints it, and [`crate::export::pipeline`] carries it out. Names come from the
//! shared [`super::naming`] module; names already used by files mixtape did not
//! write (per the manifest) are reserved, so a foreign file is never
//! overwritten. Each item carries a content key (source identity, tags and
//! the settings that change the output bytes), which is what the sync
//! manifest compares on a rerun.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::{Error, InvalidKind, Result};
use crate::export::cd;
use crate::export::device::Layout;
use crate::export::gapless::{plan_carries, Carry};
use crate::export::manifest::{hex, Manifest, MANIFEST_NAME};
use crate::export::naming::Namer;
use crate::export::profile::ExportSettings;
use crate::fsops;
use crate::library::Library;
use crate::library::Track;
use crate::playlist::store;

/// The hidden folder at the destination where outputs are made before they
/// get their final names (so a final name never holds a partial file, and
/// folders can be filled in play order).
pub const STAGING_DIR: &str = ".mixtape-staging";

/// What was asked for, resolved to tracks.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// A label for messages and the M3U8/CUE title (playlist name or query).
    pub label: String,
    /// Whether the words named a playlist.
    pub playlist: bool,
    /// Tracks in play order.
    pub tracks: Vec<Track>,
    /// Playlist entries whose track is no longer in the library, or is
    /// quarantined.
    pub missing: Vec<String>,
}

/// Resolve `words` to tracks: a playlist with that name (a static one's
/// entries in order, a smart one's query results), else a query. Tracks
/// moved away by `dupes --move-to` are not exported: the query leaves them
/// out, and a static entry still pointing at one is listed as unavailable.
pub fn resolve_selection(lib: &Library, words: &[String]) -> Result<Selection> {
    let text = store::join_query(words);
    if text.trim().is_empty() {
        return Err(Error::invalid_input(
            InvalidKind::Malformed,
            "name a playlist or give a query to export",
        ));
    }
    let Some(p) = store::get(lib, &text)? else {
        return Ok(Selection {
            label: text.clone(),
            playlist: false,
            tracks: store::query_tracks(lib, &text)?,
            missing: Vec::new(),
        });
    };
    let mut sel = Selection {
        label: p.name.clone(),
        playlist: true,
        ..Selection::default()
    };
    for e in store::entries(lib, &p)? {
        match e.track {
            Some(t) if t.quarantined => sel.missing.push(format!(
                "entry {} ({}): quarantined by `dupes --move-to`",
                e.position,
                t.path.display()
            )),
            Some(t) => sel.tracks.push(t),
            None => sel.missing.push(format!(
                "entry {} ({}): not in the library",
                e.position,
                e.source.unwrap_or_else(|| "unknown".into())
            )),
        }
    }
    Ok(sel)
}

/// How an item's output is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The source file is copied byte for byte.
    Copy,
    /// The source is decoded and encoded to the profile's target.
    Convert,
}

impl Action {
    /// "copy" or "convert".
    pub fn label(self) -> &'static str {
        match self {
            Action::Copy => "copy",
            Action::Convert => "convert",
        }
    }
}

/// One track of the plan.
#[derive(Debug, Clone)]
pub struct PlanItem {
    /// Play-order position (0-based) among exported tracks.
    pub index: usize,
    /// The source track.
    pub track: Track,
    /// The output's folder relative to the destination ("" = top), `/`-separated.
    pub folder: String,
    /// The output's path relative to the destination, `/`-separated.
    pub rel: String,
    /// Copy or convert.
    pub action: Action,
    /// Content key (hex): source identity + tags + output settings.
    pub key: String,
    /// Estimated output size.
    pub est_bytes: u64,
    /// Duration in seconds (from the library).
    pub seconds: f64,
    /// Disc number (cd profile), 1-based.
    pub disc: Option<usize>,
    /// Frames carried across sector boundaries to and from the neighbours
    /// (cd profile, gapless; see [`crate::export::gapless`]).
    pub carry: Carry,
}

/// A track that cannot be exported, with the reason.
#[derive(Debug, Clone)]
pub struct Unavailable {
    /// The track, if it is in the library.
    pub track: Option<Track>,
    /// What is wrong, e.g. "source missing".
    pub reason: String,
}

/// The whole plan.
#[derive(Debug, Clone)]
pub struct ExportPlan {
    /// The validated settings.
    pub settings: ExportSettings,
    /// The destination folder.
    pub dest: PathBuf,
    /// The playlist name or query.
    pub label: String,
    /// Tracks to export, in play order.
    pub items: Vec<PlanItem>,
    /// Tracks that cannot be exported.
    pub unavailable: Vec<Unavailable>,
    /// Disc folders (cd): per disc, indexes into `items`.
    pub discs: Vec<Vec<usize>>,
    /// The M3U8 written beside the files (usb and explicit formats).
    pub playlist_file: Option<String>,
    /// The manifest found at the destination.
    pub manifest: Option<Manifest>,
}

impl ExportPlan {
    /// Estimated bytes of every output.
    pub fn total_bytes(&self) -> u64 {
        self.items.iter().map(|i| i.est_bytes).sum()
    }
    /// Total duration in seconds.
    pub fn total_seconds(&self) -> f64 {
        self.items.iter().map(|i| i.seconds).sum()
    }
    /// Limits the plan exceeds without being wrong (e.g. more files than
    /// some head units read).
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if let Some(max) = self.settings.profile.limits().total_files {
            if self.items.len() > max {
                w.push(format!(
                    "{} files: some head units read at most {max} files in total",
                    self.items.len()
                ));
            }
        }
        if let Some(max) = self.settings.profile.folders_per_device {
            let n = self.folders().iter().filter(|f| !f.is_empty()).count();
            if n > max {
                w.push(format!(
                    "{n} folders: the {} profile's device reads at most {max}",
                    self.settings.profile.name
                ));
            }
        }
        w
    }

    /// The distinct folders, in order of first use.
    pub fn folders(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        self.items
            .iter()
            .filter(|i| seen.insert(i.folder.clone()))
            .map(|i| i.folder.clone())
            .collect()
    }
}

/// The content key of a track's output under `settings`.
pub fn content_key(track: &Track, action: Action, settings: &ExportSettings) -> String {
    let mut h = blake3::Hasher::new();
    // A plain copy is the source's bytes: only the source matters. A copy
    // the profile retags (car), so tags and settings count as for a conversion.
    let plain_copy = action == Action::Copy && !settings.retags_copies();
    if plain_copy {
        h.update(b"copy\0");
    } else {
        h.update(format!("{action:?}\0").as_bytes());
        h.update(settings.fingerprint().as_bytes());
        h.update(format!("{:?}", track.tags).as_bytes());
        h.update(&track.art_hash.unwrap_or_default());
    }
    h.update(&track.id.to_le_bytes());
    if let Some(c) = track.cue {
        // A track cut from an image: its place in the image is its source.
        h.update(format!("cue {} {}\0", c.start, c.end).as_bytes());
        h.update(&track.pcm_hash.unwrap_or_default());
    }
    match (track.file_hash, track.audio_hash) {
        (Some(f), _) => h.update(&f),
        (None, Some(a)) => h.update(&a),
        (None, None) => h.update(format!("{}:{}", track.size, track.mtime).as_bytes()),
    };
    hex(&h.finalize().as_bytes()[..16])
}

/// "Artist - Title", falling back to the file's stem.
fn base_name(track: &Track) -> String {
    let stem = || {
        track
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("track {}", track.id))
    };
    match (&track.tags.artist, &track.tags.title) {
        (Some(a), Some(t)) if !a.trim().is_empty() && !t.trim().is_empty() => format!("{a} - {t}"),
        (_, Some(t)) if !t.trim().is_empty() => t.clone(),
        _ => stem(),
    }
}

/// The lower-case extension of the source file.
fn source_extension(track: &Track) -> String {
    track
        .path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .or_else(|| track.props.format.clone())
        .unwrap_or_else(|| "bin".into())
}

/// Names in `dest/folder` that mixtape did not write: reserved for the user.
fn foreign_names(dest: &Path, folder: &str, manifest: Option<&Manifest>) -> Vec<String> {
    let dir = if folder.is_empty() {
        dest.to_path_buf()
    } else {
        dest.join(folder)
    };
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| {
            let rel = if folder.is_empty() {
                name.clone()
            } else {
                format!("{folder}/{name}")
            };
            name != MANIFEST_NAME
                && name != STAGING_DIR
                && !fsops::is_temp_name(Path::new(name))
                && !manifest.is_some_and(|m| m.owns(&rel))
        })
        .collect()
}

/// Plan exporting `selection` to `dest` under `settings`.
pub fn plan_export(
    selection: &Selection,
    settings: &ExportSettings,
    dest: &Path,
) -> Result<ExportPlan> {
    settings.validate()?;
    let manifest = if dest.is_dir() {
        Manifest::load(dest)?
    } else {
        None
    };
    let mut unavailable: Vec<Unavailable> = selection
        .missing
        .iter()
        .map(|m| Unavailable {
            track: None,
            reason: m.clone(),
        })
        .collect();
    let mut tracks: Vec<Track> = Vec::new();
    for t in &selection.tracks {
        if t.missing || !t.path.is_file() {
            unavailable.push(Unavailable {
                track: Some(t.clone()),
                reason: format!("{}: source missing", t.path.display()),
            });
        } else {
            tracks.push(t.clone());
        }
    }

    // Discs first (cd): they decide the folders and the numbering.
    let mut discs: Vec<Vec<usize>> = Vec::new();
    if settings.is_cd() {
        loop {
            let secs: Vec<f64> = tracks
                .iter()
                .map(|t| t.props.length.unwrap_or(0.0))
                .collect();
            match cd::split_discs(&secs, settings.disc_minutes) {
                Ok(d) => {
                    discs = d;
                    break;
                }
                Err(i) => {
                    let t = tracks.remove(i);
                    unavailable.push(Unavailable {
                        reason: format!(
                            "{}: {} is longer than a disc ({} min)",
                            t.path.display(),
                            cd::msf(cd::track_sectors(t.props.length.unwrap_or(0.0))),
                            settings.disc_minutes
                        ),
                        track: Some(t),
                    });
                }
            }
        }
    }
    let mut disc_of = vec![(0usize, 0usize); tracks.len()];
    for (d, members) in discs.iter().enumerate() {
        for (n, &i) in members.iter().enumerate() {
            disc_of[i] = (d + 1, n + 1);
        }
    }

    // Gapless carries (cd), disc by disc; per-track loudness gains would
    // make steps at the joins, so `--normalize` turns them off.
    let mut carries = vec![Carry::default(); tracks.len()];
    let gapless = settings.options.normalize.is_none();
    for members in &discs {
        let on_disc: Vec<&Track> = members.iter().map(|&i| &tracks[i]).collect();
        for (c, &i) in plan_carries(&on_disc, gapless).into_iter().zip(members) {
            carries[i] = c;
        }
    }

    let mut namer = Namer::for_profile(settings.name_charset(), settings.profile.max_name_chars());
    let mut reserved_folders: HashSet<String> = HashSet::new();
    let width = tracks.len().to_string().len().max(3);
    let per_folder = settings.profile.limits().files_per_folder;
    let mut items = Vec::with_capacity(tracks.len());
    let mut keys_used: HashSet<String> = HashSet::new();
    for (index, (track, carry)) in tracks.into_iter().zip(carries).enumerate() {
        let action = if settings.copies(&track) {
            Action::Copy
        } else {
            Action::Convert
        };
        let ext = match action {
            Action::Copy => source_extension(&track),
            Action::Convert => settings
                .target_for(&track)
                .map_or("bin", |t| t.format.extension())
                .to_string(),
        };
        let base = base_name(&track);
        let (folder, stem) = match settings.profile.layout {
            Layout::Playlist => {
                let folder = format!("{:02}", index / per_folder.unwrap_or(usize::MAX) + 1);
                (folder, format!("{:0width$} {base}", index + 1))
            }
            Layout::Disc => {
                let (d, n) = disc_of[index];
                (format!("disc{d:02}"), format!("{n:02} {base}"))
            }
            Layout::Album => {
                let t = &track.tags;
                let artist = [&t.albumartist, &t.artist]
                    .into_iter()
                    .flatten()
                    .find(|a| !a.trim().is_empty())
                    .map_or("Unknown Artist", |a| a.as_str());
                let album = t.album.as_deref().filter(|a| !a.trim().is_empty());
                let folder = format!(
                    "{}/{}",
                    namer.folder(artist),
                    namer.folder(album.unwrap_or("Unknown Album"))
                );
                let title = t.title.clone().filter(|t| !t.trim().is_empty());
                let title = title.unwrap_or(base);
                match t.track.filter(|&n| n > 0) {
                    Some(n) => (folder, format!("{n:02} {title}")),
                    None => (folder, title),
                }
            }
            Layout::Flat => (String::new(), base),
        };
        if reserved_folders.insert(folder.clone()) {
            for name in foreign_names(dest, &folder, manifest.as_ref()) {
                namer.reserve(&folder, &name);
            }
            namer.reserve(&folder, MANIFEST_NAME);
            namer.reserve(&folder, STAGING_DIR);
        }
        let name = namer.unique(&folder, &stem, &ext);
        let rel = if folder.is_empty() {
            name
        } else {
            format!("{folder}/{name}")
        };
        // The same track twice in a playlist still gets two distinct keys.
        let mut key = content_key(&track, action, settings);
        if carry.is_some() {
            let text = format!("{key}\0{}", carry.key_text());
            key = hex(&blake3::hash(text.as_bytes()).as_bytes()[..16]);
        }
        let mut n = 1;
        while !keys_used.insert(key.clone()) {
            n += 1;
            key = hex(&blake3::hash(format!("{key}#{n}").as_bytes()).as_bytes()[..16]);
        }
        items.push(PlanItem {
            index,
            key,
            est_bytes: settings.estimate_bytes(&track),
            seconds: track.props.length.unwrap_or(0.0),
            disc: disc_of.get(index).map(|d| d.0).filter(|&d| d > 0),
            folder,
            rel,
            action,
            track,
            carry,
        });
    }
    let playlist_file = match settings.profile.layout {
        Layout::Flat | Layout::Album if !items.is_empty() => {
            let label = if selection.playlist {
                selection.label.clone()
            } else {
                "mixtape export".to_string()
            };
            // The M3U8 is one of ours if the manifest says so; else it must
            // not collide with a foreign file.
            let mut n =
                Namer::for_profile(settings.name_charset(), settings.profile.max_name_chars());
            for name in foreign_names(dest, "", manifest.as_ref()) {
                n.reserve("", &name);
            }
            for i in &items {
                n.reserve("", &i.rel);
            }
            Some(n.unique("", &label, "m3u8"))
        }
        _ => None,
    };
    Ok(ExportPlan {
        settings: settings.clone(),
        dest: dest.to_path_buf(),
        label: selection.label.clone(),
        items,
        unavailable,
        discs,
        playlist_file,
        manifest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::profile::Profile;

    fn track(dir: &Path, id: i64, artist: &str, title: &str, secs: f64) -> Track {
        let path = dir.join(format!("src{id}.flac"));
        std::fs::write(&path, b"x").unwrap();
        let mut t = Track {
            id,
            path,
            size: 1,
            ..Track::default()
        };
        t.tags.artist = Some(artist.into());
        t.tags.title = Some(title.into());
        t.props.format = Some("flac".into());
        t.props.length = Some(secs);
        t.props.samplerate = Some(48000);
        t.props.channels = Some(2);
        t
    }

    fn selection(tracks: Vec<Track>) -> Selection {
        Selection {
            label: "Trip".into(),
            playlist: true,
            tracks,
            missing: vec![],
        }
    }

    #[test]
    fn car_names_are_numbered_in_folders_of_255() {
        let src = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        let tracks: Vec<Track> = (1..=300)
            .map(|i| track(src.path(), i, "A/C", &format!("T{i}?"), 60.0))
            .collect();
        let plan = plan_export(
            &selection(tracks),
            &ExportSettings::new(Profile::Car),
            dest.path(),
        )
        .unwrap();
        assert_eq!(plan.items.len(), 300);
        assert_eq!(plan.items[0].rel, "01/001 A_C - T1_.mp3");
        assert_eq!(plan.items[254].folder, "01");
        assert_eq!(plan.items[255].rel, "02/256 A_C - T256_.mp3");
        assert!(plan.items.iter().all(|i| i.action == Action::Convert));
        assert_eq!(plan.folders(), vec!["01", "02"]);
        assert!(plan.playlist_file.is_none());
    }

    #[test]
    fn collisions_and_foreign_files_get_unique_names() {
        let src = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        std::fs::write(dest.path().join("A - B.flac"), b"mine").unwrap();
        let tracks = vec![
            track(src.path(), 1, "A", "B", 10.0),
            track(src.path(), 2, "A", "B?", 10.0),
            track(src.path(), 3, "A", "B*", 10.0),
        ];
        let plan = plan_export(
            &selection(tracks),
            &ExportSettings::new(Profile::Usb),
            dest.path(),
        )
        .unwrap();
        let names: Vec<&str> = plan.items.iter().map(|i| i.rel.as_str()).collect();
        assert_eq!(
            names,
            vec!["A - B (2).flac", "A - B_.flac", "A - B_ (2).flac"]
        );
        assert_eq!(plan.playlist_file.as_deref(), Some("Trip.m3u8"));
        assert!(plan.items.iter().all(|i| i.action == Action::Copy));
    }

    #[test]
    fn cd_discs_split_and_missing_sources_are_unavailable() {
        let src = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        let mut tracks: Vec<Track> = (1..=5)
            .map(|i| track(src.path(), i, "A", &format!("T{i}"), 25.0))
            .collect();
        let mut gone = track(src.path(), 9, "A", "Gone", 5.0);
        std::fs::remove_file(&gone.path).unwrap();
        gone.missing = true;
        tracks.insert(2, gone);
        tracks.push(track(src.path(), 10, "A", "Long", 200.0));
        let mut s = ExportSettings::new(Profile::Cd);
        s.disc_minutes = 1.0;
        let plan = plan_export(&selection(tracks), &s, dest.path()).unwrap();
        assert_eq!(plan.discs, vec![vec![0, 1], vec![2, 3], vec![4]]);
        assert_eq!(plan.items[2].rel, "disc02/01 A - T3.wav");
        assert_eq!(plan.items[4].disc, Some(3));
        assert_eq!(plan.unavailable.len(), 2);
        assert!(plan.unavailable[0].reason.contains("source missing"));
        assert!(plan.unavailable[1].reason.contains("longer than a disc"));
    }

    #[test]
    fn keys_follow_source_tags_and_settings() {
        let src = tempfile::tempdir().unwrap();
        let t = track(src.path(), 1, "A", "B", 10.0);
        let car = ExportSettings::new(Profile::Car);
        let k = content_key(&t, Action::Convert, &car);
        let mut t2 = t.clone();
        t2.tags.title = Some("C".into());
        assert_ne!(k, content_key(&t2, Action::Convert, &car));
        let mut v0 = car.clone();
        v0.options.vbr_quality = Some(0);
        assert_ne!(k, content_key(&t, Action::Convert, &v0));
        // Plain copies do not depend on settings; car copies are retagged.
        let usb = ExportSettings::new(Profile::Usb);
        let mut flac =
            ExportSettings::new(Profile::Format(crate::export::target::OutputFormat::Flac));
        flac.options.no_art = true;
        assert_eq!(
            content_key(&t, Action::Copy, &usb),
            content_key(&t, Action::Copy, &flac)
        );
        assert_ne!(
            content_key(&t, Action::Copy, &car),
            content_key(&t, Action::Copy, &v0)
        );
    }
}

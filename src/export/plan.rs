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

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::error::{Error, InvalidKind, Result};
use crate::export::cd;
use crate::export::device::Layout;
use crate::export::gapless::{plan_carries, Carry};
use crate::export::manifest::{hex, Manifest, MANIFEST_NAME};
use crate::export::naming::Namer;
use crate::export::profile::ExportSettings;
pub use crate::export::selection::{resolve_selection, split_selections, Selection};
use crate::export::set::{fit, Capacity};
use crate::fsops;
use crate::library::Track;

/// The hidden folder at the destination where outputs are made before they
/// get their final names (so a final name never holds a partial file, and
/// folders can be filled in play order).
pub const STAGING_DIR: &str = ".mixtape-staging";

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
    /// The playlists of the device that hold this file.
    pub playlists: Vec<String>,
}

/// A track left off because the device has no room for it.
#[derive(Debug, Clone)]
pub struct LeftOff {
    /// The track.
    pub track: Track,
    /// The playlists that wanted it.
    pub playlists: Vec<String>,
    /// The room it would take.
    pub est_bytes: u64,
}

/// One playlist of the device.
#[derive(Debug, Clone)]
pub struct PlannedPlaylist {
    /// The playlist's name, or the query's text.
    pub name: String,
    /// Whether it is a query rather than a stored playlist.
    pub query: bool,
    /// Its tracks in play order, as indexes into the plan's items.
    pub members: Vec<usize>,
    /// Its playlist files at the destination's top (M3U8, and M3U in
    /// Latin-1 where the profile wants one).
    pub files: Vec<String>,
}

/// The room the plan needs, and what it may take.
#[derive(Debug, Clone, Copy)]
pub struct Space {
    /// Bytes of every output (real sizes for files already there).
    pub needs: u64,
    /// The limit it was planned against.
    pub capacity: Capacity,
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
    /// The device's playlists, in order.
    pub playlists: Vec<PlannedPlaylist>,
    /// Tracks left off for lack of room, in the order they were met.
    pub left_off: Vec<LeftOff>,
    /// The room needed and allowed.
    pub space: Space,
    /// The manifest found at the destination.
    pub manifest: Option<Manifest>,
    /// The export options as typed (`--profile car --bitrate 192k`), kept
    /// in the manifest so that a re-sync with no options repeats them.
    pub device_args: Vec<String>,
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

/// Plan exporting `selection` to `dest` under `settings`, with no limit on
/// the room it takes.
pub fn plan_export(
    selection: &Selection,
    settings: &ExportSettings,
    dest: &Path,
) -> Result<ExportPlan> {
    plan_device(
        std::slice::from_ref(selection),
        settings,
        dest,
        Capacity::Unlimited,
    )
}

/// One output of a device plan before names are given: a track as the
/// first playlist that holds it placed it.
struct Slot {
    track: Track,
    carry: Carry,
    /// The playlist that placed it (its folder, in the playlist layout).
    home: usize,
    /// The playlists that hold it.
    playlists: Vec<usize>,
    action: Action,
    key: String,
    est_bytes: u64,
}

/// Plan exporting several selections (the playlists of one device) to
/// `dest`: a track in several playlists is written once, what does not fit
/// in `capacity` is left off by the rule of [`super::set`], and each
/// playlist gets its own playlist files.
pub fn plan_device(
    selections: &[Selection],
    settings: &ExportSettings,
    dest: &Path,
    capacity: Capacity,
) -> Result<ExportPlan> {
    settings.validate()?;
    if settings.is_cd() && selections.len() > 1 {
        return Err(Error::invalid_input(
            InvalidKind::Conflict,
            "the cd profile burns one playlist at a time; export each to its own folder",
        ));
    }
    let manifest = if dest.is_dir() {
        Manifest::load(dest)?
    } else {
        None
    };
    let mut unavailable: Vec<Unavailable> = Vec::new();
    let mut lists: Vec<Vec<Track>> = Vec::new();
    for sel in selections {
        unavailable.extend(sel.missing.iter().map(|m| Unavailable {
            track: None,
            reason: m.clone(),
        }));
        let mut tracks = Vec::new();
        for t in &sel.tracks {
            if t.missing || !t.path.is_file() {
                unavailable.push(Unavailable {
                    track: Some(t.clone()),
                    reason: format!("{}: source missing", t.path.display()),
                });
            } else {
                tracks.push(t.clone());
            }
        }
        lists.push(tracks);
    }

    // Discs first (cd): they decide the folders and the numbering.
    let mut discs: Vec<Vec<usize>> = Vec::new();
    if settings.is_cd() {
        let tracks = &mut lists[0];
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

    // Gapless carries (cd), disc by disc; per-track loudness gains would
    // make steps at the joins, so `--normalize` turns them off.
    let mut carries = vec![Carry::default(); lists.first().map_or(0, |l| l.len())];
    let gapless = settings.options.normalize.is_none();
    for members in &discs {
        let on_disc: Vec<&Track> = members.iter().map(|&i| &lists[0][i]).collect();
        for (c, &i) in plan_carries(&on_disc, gapless).into_iter().zip(members) {
            carries[i] = c;
        }
    }

    // One slot per distinct output: the n-th copy of a track in a playlist
    // is the n-th copy in any other.
    let mut slots: Vec<Slot> = Vec::new();
    let mut by_copy: HashMap<(i64, usize), usize> = HashMap::new();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); lists.len()];
    let mut keys_used: HashSet<String> = HashSet::new();
    for (p, tracks) in lists.into_iter().enumerate() {
        let mut copies: HashMap<i64, usize> = HashMap::new();
        for (pos, track) in tracks.into_iter().enumerate() {
            let n = copies.entry(track.id).or_default();
            *n += 1;
            if let Some(&s) = by_copy.get(&(track.id, *n)) {
                if !slots[s].playlists.contains(&p) {
                    slots[s].playlists.push(p);
                }
                members[p].push(s);
                continue;
            }
            let carry = if p == 0 {
                carries.get(pos).cloned().unwrap_or_default()
            } else {
                Carry::default()
            };
            let action = if settings.copies(&track) {
                Action::Copy
            } else {
                Action::Convert
            };
            // The same track twice in a playlist still gets two distinct keys.
            let mut key = content_key(&track, action, settings);
            if carry.is_some() {
                let text = format!("{key}\0{}", carry.key_text());
                key = hex(&blake3::hash(text.as_bytes()).as_bytes()[..16]);
            }
            let mut k = 1;
            while !keys_used.insert(key.clone()) {
                k += 1;
                key = hex(&blake3::hash(format!("{key}#{k}").as_bytes()).as_bytes()[..16]);
            }
            by_copy.insert((track.id, *n), slots.len());
            members[p].push(slots.len());
            slots.push(Slot {
                est_bytes: settings.estimate_bytes(&track),
                home: p,
                playlists: vec![p],
                track,
                carry,
                action,
                key,
            });
        }
    }

    // Capacity: a file mixtape already wrote costs its real size.
    let on_device: HashMap<&str, u64> = manifest
        .iter()
        .flat_map(|m| m.entries.iter())
        .map(|e| (e.key.as_str(), e.size))
        .collect();
    let costs: Vec<u64> = slots
        .iter()
        .map(|s| {
            on_device
                .get(s.key.as_str())
                .copied()
                .unwrap_or(s.est_bytes)
        })
        .collect();
    // A CD's discs are already cut to length; its room is checked when
    // the files are made.
    let capacity = if settings.is_cd() {
        Capacity::Unlimited
    } else {
        capacity
    };
    let (taken, needs) = fit(&costs, capacity);
    let mut left_off = Vec::new();
    let mut kept: Vec<Option<usize>> = vec![None; slots.len()];
    let mut placed: Vec<Slot> = Vec::new();
    for (((s, slot), take), cost) in slots.into_iter().enumerate().zip(taken).zip(costs) {
        if take {
            kept[s] = Some(placed.len());
            placed.push(slot);
        } else {
            left_off.push(LeftOff {
                playlists: slot
                    .playlists
                    .iter()
                    .map(|&p| selections[p].label.clone())
                    .collect(),
                est_bytes: cost,
                track: slot.track,
            });
        }
    }
    let mut disc_of = vec![(0usize, 0usize); kept.len()];
    for (d, on_disc) in discs.iter().enumerate() {
        for (n, &i) in on_disc.iter().enumerate() {
            disc_of[i] = (d + 1, n + 1);
        }
    }

    let mut namer = Namer::for_profile(settings.name_charset(), settings.profile.max_name_chars());
    let mut reserved_folders: HashSet<String> = HashSet::new();
    let layout = settings.layout();
    let per_folder = settings
        .profile
        .limits()
        .files_per_folder
        .unwrap_or(usize::MAX);
    let several = selections.len() > 1;
    // Per playlist: how many files it places, and where its folders start.
    let mut homes = vec![0usize; selections.len()];
    for slot in &placed {
        homes[slot.home] += 1;
    }
    let mut first_folder = vec![0usize; selections.len()];
    let mut next = 0;
    for (p, &n) in homes.iter().enumerate() {
        first_folder[p] = next;
        next += n.div_ceil(per_folder).max(usize::from(n > 0));
    }
    let mut position = vec![0usize; selections.len()];
    let mut items = Vec::with_capacity(placed.len());
    for (index, slot) in placed.into_iter().enumerate() {
        let ext = match slot.action {
            Action::Copy => source_extension(&slot.track),
            Action::Convert => settings
                .target_for(&slot.track)
                .map_or("bin", |t| t.format.extension())
                .to_string(),
        };
        let base = base_name(&slot.track);
        let p = slot.home;
        let pos = position[p];
        position[p] += 1;
        let (folder, stem) = if settings.is_cd() {
            // A CD takes every track, so items are the playlist's tracks.
            let (d, n) = disc_of[index];
            (format!("disc{d:02}"), format!("{n:02} {base}"))
        } else {
            match layout {
                Layout::Playlist => {
                    let width = homes[p].to_string().len().max(3);
                    let number = first_folder[p] + pos / per_folder + 1;
                    let folder = if several {
                        let name = format!("{number:02} {}", selections[p].label);
                        namer.folder(&name)
                    } else {
                        format!("{number:02}")
                    };
                    (folder, format!("{:0width$} {base}", pos + 1))
                }
                Layout::Album => album_place(&namer, &slot.track, &base),
                Layout::Flat | Layout::Disc => (String::new(), base),
            }
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
        items.push(PlanItem {
            index,
            key: slot.key,
            est_bytes: slot.est_bytes,
            seconds: slot.track.props.length.unwrap_or(0.0),
            disc: Some(disc_of.get(index).map_or(0, |d| d.0)).filter(|&d| d > 0),
            playlists: slot
                .playlists
                .iter()
                .map(|&p| selections[p].label.clone())
                .collect(),
            folder,
            rel,
            action: slot.action,
            track: slot.track,
            carry: slot.carry,
        });
    }

    // Each playlist's own files, at the top, named after it.
    let mut top = Namer::for_profile(settings.name_charset(), settings.profile.max_name_chars());
    for name in foreign_names(dest, "", manifest.as_ref()) {
        top.reserve("", &name);
    }
    for i in &items {
        top.reserve("", &i.rel);
    }
    let playlists = selections
        .iter()
        .enumerate()
        .map(|(p, sel)| {
            let label = if sel.playlist || several {
                sel.label.clone()
            } else {
                "mixtape export".to_string()
            };
            let in_list: Vec<usize> = members[p].iter().filter_map(|&s| kept[s]).collect();
            let files = if in_list.is_empty() {
                Vec::new()
            } else {
                settings
                    .playlist_formats()
                    .iter()
                    .map(|f| top.unique("", &label, f.extension()))
                    .collect()
            };
            PlannedPlaylist {
                name: sel.label.clone(),
                query: !sel.playlist,
                members: in_list,
                files,
            }
        })
        .collect();
    Ok(ExportPlan {
        settings: settings.clone(),
        dest: dest.to_path_buf(),
        label: selections
            .iter()
            .map(|s| s.label.as_str())
            .collect::<Vec<_>>()
            .join(" + "),
        items,
        unavailable,
        discs,
        playlists,
        left_off,
        space: Space { needs, capacity },
        manifest,
        device_args: Vec::new(),
    })
}

/// `Album artist/Album/NN Title` for the album layout.
fn album_place(namer: &Namer, track: &Track, base: &str) -> (String, String) {
    let t = &track.tags;
    let pick = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let artist = pick(&t.albumartist)
        .or_else(|| pick(&t.artist))
        .unwrap_or_else(|| "Unknown artist".into());
    let album = pick(&t.album).unwrap_or_else(|| "Unknown album".into());
    let folder = format!("{}/{}", namer.folder(&artist), namer.folder(&album));
    let title = pick(&t.title).unwrap_or_else(|| base.to_string());
    let stem = match (t.disc, t.track) {
        (Some(d), Some(n)) if t.disctotal.is_some_and(|x| x > 1) => format!("{d}-{n:02} {title}"),
        (_, Some(n)) => format!("{n:02} {title}"),
        _ => title,
    };
    (folder, stem)
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
        assert_eq!(plan.playlists[0].files, vec!["Trip.m3u8", "Trip.m3u"]);
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
        assert_eq!(plan.playlists[0].files, vec!["Trip.m3u8"]);
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

    fn named(label: &str, tracks: Vec<Track>) -> Selection {
        Selection {
            label: label.into(),
            playlist: true,
            tracks,
            missing: vec![],
        }
    }

    #[test]
    fn a_track_in_several_playlists_is_one_file_in_the_first_ones_folder() {
        let src = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        let t: Vec<Track> = (1..=4)
            .map(|i| track(src.path(), i, "A", &format!("T{i}"), 60.0))
            .collect();
        let sels = vec![
            named("Road trip", vec![t[0].clone(), t[1].clone()]),
            named("Gym", vec![t[1].clone(), t[2].clone(), t[1].clone()]),
            named("Jazz?", vec![t[3].clone(), t[0].clone()]),
        ];
        let car = ExportSettings::new(Profile::Car);
        let plan = plan_device(&sels, &car, dest.path(), Capacity::Unlimited).unwrap();
        let rels: Vec<&str> = plan.items.iter().map(|i| i.rel.as_str()).collect();
        assert_eq!(
            rels,
            vec![
                "01 Road trip/001 A - T1.mp3",
                "01 Road trip/002 A - T2.mp3",
                "02 Gym/001 A - T3.mp3",
                "02 Gym/002 A - T2.mp3",
                "03 Jazz_/001 A - T4.mp3",
            ]
        );
        assert_eq!(plan.items[1].playlists, vec!["Road trip", "Gym"]);
        assert_eq!(plan.playlists[1].members, vec![1, 2, 3]);
        assert_eq!(plan.playlists[2].members, vec![4, 0]);
        assert_eq!(plan.playlists[2].files, vec!["Jazz_.m3u8", "Jazz_.m3u"]);
        assert_eq!(plan.label, "Road trip + Gym + Jazz?");
        // By album: shared folders, numbered by the track tags.
        let mut s = car.clone();
        s.layout = Some(Layout::Album);
        let mut t2 = t.clone();
        for (n, x) in t2.iter_mut().enumerate() {
            x.tags.album = Some("LP".into());
            x.tags.track = Some(n as i64 + 1);
        }
        let sels = vec![named("A", t2[..2].to_vec()), named("B", t2[1..].to_vec())];
        let plan = plan_device(&sels, &s, dest.path(), Capacity::Unlimited).unwrap();
        let rels: Vec<&str> = plan.items.iter().map(|i| i.rel.as_str()).collect();
        assert_eq!(
            rels,
            vec![
                "A/LP/01 T1.mp3",
                "A/LP/02 T2.mp3",
                "A/LP/03 T3.mp3",
                "A/LP/04 T4.mp3"
            ]
        );
    }

    #[test]
    fn what_does_not_fit_is_left_off_in_playlist_then_track_order() {
        let src = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        let mut t: Vec<Track> = (1..=5)
            .map(|i| track(src.path(), i, "A", &format!("T{i}"), 60.0))
            .collect();
        let sizes = [4_000_000u64, 3_000_000, 5_000_000, 2_000_000, 1_000_000];
        for (x, sz) in t.iter_mut().zip(sizes) {
            x.size = sz;
        }
        let usb = ExportSettings::new(Profile::Usb);
        let sels = vec![
            named("One", vec![t[0].clone(), t[1].clone(), t[2].clone()]),
            named("Two", vec![t[1].clone(), t[3].clone(), t[4].clone()]),
        ];
        // 9 MB: T1 (4) + T2 (3) fit, T3 (5) does not, T2 again is free,
        // T4 (2) fits, T5 (1) does not.
        let room = Capacity::Max(9_000_000 + crate::export::set::RESERVE_BYTES);
        let plan = plan_device(&sels, &usb, dest.path(), room).unwrap();
        let rels: Vec<&str> = plan.items.iter().map(|i| i.rel.as_str()).collect();
        assert_eq!(rels, vec!["A - T1.flac", "A - T2.flac", "A - T4.flac"]);
        let off: Vec<(i64, Vec<String>)> = plan
            .left_off
            .iter()
            .map(|l| (l.track.id, l.playlists.clone()))
            .collect();
        assert_eq!(
            off,
            vec![(3, vec!["One".to_string()]), (5, vec!["Two".to_string()])]
        );
        assert_eq!(plan.space.needs, 9_000_000);
        assert_eq!(plan.playlists[1].members, vec![1, 2]);
    }
}

//! Planning an organise run: each selected track gets its destination from
//! the template, made safe component by component, then collisions are
//! settled without ever overwriting anything:
//! - a destination that already holds the same audio (same file hash, or
//!   the library knows it with the same audio hash) counts as done: the
//!   source is left where it is, even for `--move`;
//! - a destination holding different audio, already claimed by another
//!   track of this run (compared case-insensitively, for FAT and macOS),
//!   or held in the library by another track (one whose file is missing,
//!   say), gets ` (2)`, ` (3)`, ... before the extension;
//! - a track already at its destination is "in place" and left alone (this
//!   is what makes organising into a folder inside a scanned one safe to
//!   repeat).
//!
//! Every destination is checked to lie inside `--into`, also when a folder
//! inside `--into` is a symlink: one that leads out of it is refused
//! ([`Confined`]), so nothing is written through it.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use super::sidecars::{self, SidecarPlan};
use super::Settings;
use crate::album::{self, AlbumIndex};
use crate::confine::Confined;
use crate::error::{Error, InvalidKind, Result};
use crate::fsops;
use crate::library::{Library, Track};
use crate::names::{self, NameRules};
use crate::query::Query;

/// How many ` (n)` suffixes are tried before giving up on a track.
const MAX_SUFFIX: u32 = 9999;

/// What a planned item will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Move or copy the source to `dst`.
    Transfer,
    /// `dst` already holds the same audio; nothing to do, source untouched.
    AlreadyThere,
    /// The source already is at its destination.
    InPlace,
    /// Not organised, with the reason.
    Skip(String),
}

/// One track's plan.
#[derive(Debug, Clone)]
pub struct PlanItem {
    /// The track, as the library knows it.
    pub track: Track,
    /// Where it goes (or the existing file it matches).
    pub dst: PathBuf,
    /// What will happen.
    pub verdict: Verdict,
}

/// A track without an album (laid out by the singletons template).
pub fn is_singleton(track: &Track) -> bool {
    track
        .tags
        .album
        .as_deref()
        .map(|a| a.trim().is_empty())
        .unwrap_or(true)
}

/// The destination of `track` under `into` without collision handling:
/// the folders and the file name (without suffix) as separate parts.
pub fn layout(
    track: &Track,
    s: &Settings,
    albums: Option<&AlbumIndex>,
) -> (Vec<String>, String, String) {
    let tpl = if is_singleton(track) {
        &s.singletons
    } else {
        &s.template
    };
    let rendered = tpl.render_track(track, albums);
    let rendered = rendered.trim_start_matches('/');
    let mut parts: Vec<&str> = rendered.split('/').collect();
    let stem = parts.pop().unwrap_or("").to_string();
    let folders = parts
        .into_iter()
        .map(|p| names::folder_name(p, &NameRules::organize(s.ascii)))
        .collect();
    let ext = track
        .path
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    (folders, stem, ext)
}

/// The full destination path for a track with collision suffix `suffix`;
/// an error if (against every rule above) it would not lie inside `into`.
pub fn destination(
    track: &Track,
    s: &Settings,
    albums: Option<&AlbumIndex>,
    suffix: Option<u32>,
) -> Result<PathBuf> {
    let (folders, stem, ext) = layout(track, s, albums);
    let mut dst = s.into.clone();
    for f in &folders {
        dst.push(f);
    }
    dst.push(names::name(
        &stem,
        &ext,
        suffix,
        &NameRules::organize(s.ascii),
    ));
    let escaped = !dst.starts_with(&s.into)
        || dst
            .strip_prefix(&s.into)
            .map(|rel| rel.components().any(|c| !matches!(c, Component::Normal(_))))
            .unwrap_or(true);
    if escaped {
        return Err(Error::invalid(
            InvalidKind::Unsupported,
            track.path.display().to_string(),
            format!("refusing destination {} outside --into", dst.display()),
        ));
    }
    Ok(dst)
}

/// Does `path` (an existing file) hold the same audio as `track`?
fn same_audio(lib: &Library, track: &Track, path: &Path) -> Result<bool> {
    if let Some(other) = lib.track_by_path(path)? {
        if other.audio_hash.is_some() && other.audio_hash == track.audio_hash {
            return Ok(true);
        }
        if other.file_hash.is_some() && other.file_hash == track.file_hash {
            // Trust the library only if the file did not change since.
            let size = std::fs::metadata(path).map(|m| m.len()).ok();
            if size == Some(other.size) {
                return Ok(true);
            }
        }
    }
    let Some(want) = track.file_hash else {
        return Ok(false);
    };
    let size = std::fs::metadata(path).map(|m| m.len()).ok();
    if size != Some(track.size) {
        return Ok(false);
    }
    Ok(fsops::hash_file(path).map(|h| h == want).unwrap_or(false))
}

/// A key for "the same place" on case-insensitive filesystems.
fn claim_key(p: &Path) -> String {
    p.to_string_lossy().to_lowercase()
}

/// A whole organise plan: the tracks, then their folders' sidecars.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub items: Vec<PlanItem>,
    pub sidecars: SidecarPlan,
}

/// Plan every track (in the given order; earlier tracks win a name), then
/// the sidecars of the folders they leave ([`super::sidecars`]).
pub fn plan(lib: &Library, tracks: Vec<Track>, s: &Settings) -> Result<Plan> {
    let mut claimed: HashSet<String> = HashSet::new();
    let mut items = Vec::with_capacity(tracks.len());
    let confine = Confined::new(&s.into);
    // Albums (for the template) and folders (for sidecars) are the whole
    // library's, whatever the query selected.
    let all = Query::default().tracks(lib)?;
    let mut tracks_in: HashMap<PathBuf, usize> = HashMap::new();
    for t in all.iter().filter(|t| !t.missing) {
        if let Some(f) = t.path.parent() {
            *tracks_in.entry(f.to_path_buf()).or_default() += 1;
        }
    }
    let mut image_tracks: HashMap<i64, usize> = HashMap::new();
    for c in all.iter().filter_map(|t| t.cue) {
        *image_tracks.entry(c.image_id).or_default() += 1;
    }
    let albums = AlbumIndex::new(album::group(all));
    // Tracks of one CUE image move as one file, the image, into the
    // folder of its first selected track (the image keeps its name, so its
    // sheet, which moves with it as a sidecar, still names it).
    let mut seen_images: HashSet<i64> = HashSet::new();
    let mut planned: Vec<(Track, Option<Track>)> = Vec::with_capacity(tracks.len());
    for t in tracks {
        match t.cue {
            None => planned.push((t, None)),
            Some(c) if seen_images.insert(c.image_id) => match lib.track(c.image_id)? {
                Some(image) => planned.push((image, Some(t))),
                None => planned.push((t, None)),
            },
            Some(_) => {}
        }
    }
    // Sources' places count as taken: a place frees up only once its file
    // has moved, which is too late for a plan.
    for (t, _) in &planned {
        claimed.insert(claim_key(&t.path));
    }
    let mut album_of: HashMap<i64, bool> = HashMap::new();
    for (track, first) in planned {
        let item = match &first {
            None => plan_one(lib, track, s, &albums, &mut claimed)?,
            Some(child) => {
                album_of.insert(track.id, !is_singleton(child));
                plan_image(lib, track, child, s, &albums, &mut claimed)?
            }
        };
        let item = confined(item, &confine);
        items.push(item);
    }
    let moving: Vec<sidecars::Moving<'_>> = items
        .iter()
        .filter(|i| i.verdict == Verdict::Transfer)
        .flat_map(|i| {
            let m = sidecars::Moving {
                src: &i.track.path,
                dst: &i.dst,
                album: album_of
                    .get(&i.track.id)
                    .copied()
                    .unwrap_or_else(|| !is_singleton(&i.track)),
            };
            // An image stands for each of its tracks in its folder's count.
            let n = image_tracks.get(&i.track.id).copied().unwrap_or(1);
            std::iter::repeat_n(m, n)
        })
        .collect();
    let sidecars = sidecars::plan(&moving, &tracks_in, s, &mut claimed);
    Ok(Plan { items, sidecars })
}

/// A transfer whose destination leads out of `--into` through a symlink
/// becomes a skip with the reason.
fn confined(mut item: PlanItem, confine: &Confined) -> PlanItem {
    if item.verdict == Verdict::Transfer {
        if let Err(e) = confine.check(&item.dst) {
            item.verdict = Verdict::Skip(e.to_string());
        }
    }
    item
}

/// Plan the move of a CUE image (`image`, its file's row) into the folder
/// its track `child` would go to. It is named after the album when its
/// sheet names it exactly (the sheet, a sidecar, then takes the same name
/// and its FILE line is rewritten to match) or when the sheet is a tag in
/// the file; otherwise (a sheet naming `Album.wav` for `Album.flac`) it
/// keeps its name, so the sheet still finds it.
fn plan_image(
    lib: &Library,
    image: Track,
    child: &Track,
    s: &Settings,
    albums: &AlbumIndex,
    claimed: &mut HashSet<String>,
) -> Result<PlanItem> {
    let skip = |image: Track, why: String| PlanItem {
        dst: PathBuf::new(),
        verdict: Verdict::Skip(why),
        track: image,
    };
    let folder = match destination(child, s, Some(albums), None) {
        Ok(d) => d.parent().map(Path::to_path_buf).unwrap_or_default(),
        Err(e) => return Ok(skip(image, e.to_string())),
    };
    let Some(name) = image.path.file_name() else {
        return Ok(skip(image, "the image has no file name".into()));
    };
    let renamable = match lib.image_sheet(image.id)? {
        None => true,
        Some(cue) => std::fs::read(&cue)
            .ok()
            .and_then(|b| crate::cue::sheet::read_sheet(&cue, &b).ok())
            .is_some_and(|sh| {
                sh.files
                    .iter()
                    .any(|f| Path::new(f).file_name() == Some(name))
            }),
    };
    let album = child
        .tags
        .album
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    let ext = image
        .path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let dst = match album.filter(|_| renamable) {
        Some(a) => folder.join(names::name(a, &ext, None, &NameRules::organize(s.ascii))),
        None => folder.join(name),
    };
    if dst == image.path {
        return Ok(PlanItem {
            dst,
            verdict: Verdict::InPlace,
            track: image,
        });
    }
    if image.path.symlink_metadata().is_err() {
        return Ok(skip(image, "no longer there (rescan the library)".into()));
    }
    let key = claim_key(&dst);
    if dst.symlink_metadata().is_ok() || claimed.contains(&key) || lib.path_in_library(&dst)? {
        let why = format!("{} is taken", dst.display());
        return Ok(skip(image, why));
    }
    claimed.insert(key);
    Ok(PlanItem {
        dst,
        verdict: Verdict::Transfer,
        track: image,
    })
}

fn plan_one(
    lib: &Library,
    track: Track,
    s: &Settings,
    albums: &AlbumIndex,
    claimed: &mut HashSet<String>,
) -> Result<PlanItem> {
    let first = match destination(&track, s, Some(albums), None) {
        Ok(d) => d,
        Err(e) => {
            return Ok(PlanItem {
                dst: PathBuf::new(),
                verdict: Verdict::Skip(e.to_string()),
                track,
            })
        }
    };
    if track.path.symlink_metadata().is_err() {
        return Ok(PlanItem {
            dst: first,
            verdict: Verdict::Skip("no longer there (rescan the library)".into()),
            track,
        });
    }
    for n in std::iter::once(None).chain((2..=MAX_SUFFIX).map(Some)) {
        let dst = if n.is_none() {
            first.clone()
        } else {
            destination(&track, s, Some(albums), n)?
        };
        if dst == track.path {
            return Ok(PlanItem {
                dst,
                verdict: Verdict::InPlace,
                track,
            });
        }
        let key = claim_key(&dst);
        let on_disk = dst.symlink_metadata().is_ok();
        if on_disk && same_audio(lib, &track, &dst)? {
            return Ok(PlanItem {
                dst,
                verdict: Verdict::AlreadyThere,
                track,
            });
        }
        // A place the library gives to another track (missing, say) is
        // taken too: moving there would break UNIQUE(path) half-way.
        if on_disk || claimed.contains(&key) || lib.path_in_library(&dst)? {
            continue;
        }
        claimed.insert(key);
        return Ok(PlanItem {
            dst,
            verdict: Verdict::Transfer,
            track,
        });
    }
    Ok(PlanItem {
        dst: first,
        verdict: Verdict::Skip(format!("more than {MAX_SUFFIX} files collide here")),
        track,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsops::Mode;

    fn track(path: &Path, fields: &[(&str, &str)]) -> Track {
        let mut t = Track {
            path: path.to_path_buf(),
            ..Default::default()
        };
        for (k, v) in fields {
            let v = v.to_string();
            match *k {
                "title" => t.tags.title = Some(v),
                "artist" => t.tags.artist = Some(v),
                "album" => t.tags.album = Some(v),
                "albumartist" => t.tags.albumartist = Some(v),
                "track" => t.tags.track = v.parse().ok(),
                "tracktotal" => t.tags.tracktotal = v.parse().ok(),
                "disc" => t.tags.disc = v.parse().ok(),
                "disctotal" => t.tags.disctotal = v.parse().ok(),
                _ => panic!("{k}"),
            }
        }
        t
    }

    fn settings(into: &Path) -> Settings {
        Settings::new(into, Mode::Copy).unwrap()
    }

    #[test]
    fn default_layout_with_fallbacks_and_singletons() {
        let d = tempfile::tempdir().unwrap();
        let s = settings(&d.path().join("out"));
        let into = s.into.clone();
        let t = track(
            Path::new("/m/x.flac"),
            &[
                ("artist", "A"),
                ("album", "B"),
                ("title", "C"),
                ("track", "3"),
            ],
        );
        assert_eq!(
            destination(&t, &s, None, None).unwrap(),
            into.join("A/B/03 C.flac")
        );
        let t = track(
            Path::new("/m/x.mp3"),
            &[
                ("artist", "A"),
                ("albumartist", "VA"),
                ("album", "B"),
                ("title", "C"),
                ("track", "3"),
                ("disc", "2"),
                ("disctotal", "2"),
            ],
        );
        assert_eq!(
            destination(&t, &s, None, Some(2)).unwrap(),
            into.join("VA/B/02-03 C (2).mp3")
        );
        let t = track(Path::new("/m/x.ogg"), &[("artist", "A"), ("title", "C")]);
        assert_eq!(
            destination(&t, &s, None, None).unwrap(),
            into.join("Non-Album/A/C.ogg")
        );
        let t = track(Path::new("/m/raw take.wav"), &[("album", "B")]);
        assert_eq!(
            destination(&t, &s, None, None).unwrap(),
            into.join("Unknown Artist/B/raw take.wav")
        );
    }

    #[test]
    fn hostile_values_stay_inside() {
        let d = tempfile::tempdir().unwrap();
        let s = settings(&d.path().join("out"));
        let long = "x".repeat(500);
        for v in [
            "../../..",
            "/etc/passwd",
            "..",
            " ",
            "",
            "\0\x01\n",
            &long,
            "C:\\Windows",
            "CON",
        ] {
            let t = track(
                Path::new("/m/a.flac"),
                &[
                    ("artist", v),
                    ("albumartist", v),
                    ("album", v),
                    ("title", v),
                ],
            );
            let dst = destination(&t, &s, None, None).unwrap();
            assert!(dst.starts_with(&s.into), "{v:?} -> {}", dst.display());
            let rel = dst.strip_prefix(&s.into).unwrap();
            for c in rel.components() {
                let Component::Normal(c) = c else {
                    panic!("{v:?}: {c:?}")
                };
                assert!(c.len() <= 255);
                let c = c.to_string_lossy();
                assert!(
                    !c.starts_with('.') && !c.ends_with(' ') && !c.is_empty(),
                    "{c:?}"
                );
            }
        }
    }

    #[test]
    fn collisions_get_suffixes_and_same_audio_counts_as_done() {
        let d = tempfile::tempdir().unwrap();
        let lib = Library::open(&d.path().join("lib.db")).unwrap();
        let s = settings(&d.path().join("out"));
        let src = |name: &str, data: &[u8]| {
            let p = d.path().join("in").join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, data).unwrap();
            let mut t = track(
                &p,
                &[
                    ("artist", "A"),
                    ("album", "B"),
                    ("title", "Song"),
                    ("track", "1"),
                ],
            );
            t.file_hash = Some(fsops::hash_file(&p).unwrap());
            t.size = data.len() as u64;
            t
        };
        // Existing different file at the destination, and the same audio already there.
        std::fs::create_dir_all(s.into.join("A/B")).unwrap();
        std::fs::write(s.into.join("A/B/01 Song.flac"), b"other").unwrap();
        std::fs::write(s.into.join("A/B/01 Song (2).flac"), b"one").unwrap();
        let tracks = vec![
            src("1.flac", b"one"),
            src("2.flac", b"two"),
            src("3.flac", b"three"),
        ];
        let p = plan(&lib, tracks, &s).unwrap().items;
        assert_eq!(p[0].verdict, Verdict::AlreadyThere);
        assert_eq!(p[0].dst, s.into.join("A/B/01 Song (2).flac"));
        assert_eq!(p[1].verdict, Verdict::Transfer);
        assert_eq!(p[1].dst, s.into.join("A/B/01 Song (3).flac"));
        assert_eq!(p[2].dst, s.into.join("A/B/01 Song (4).flac"));
        // A track already in place stays.
        let mut t = src("x.flac", b"x");
        let placed = s.into.join("A/B/01 Song (5).flac");
        std::fs::rename(&t.path, &placed).unwrap();
        t.path = placed.clone();
        std::fs::write(s.into.join("A/B/01 Song (3).flac"), b"3").unwrap();
        std::fs::write(s.into.join("A/B/01 Song (4).flac"), b"4").unwrap();
        let p = plan(&lib, vec![t], &s).unwrap().items;
        assert_eq!(p[0].verdict, Verdict::InPlace);
        assert_eq!(p[0].dst, placed);
    }
}

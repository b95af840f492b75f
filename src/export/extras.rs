//! The other files an export writes beside the tracks (the M3U8 of usb and
//! explicit formats, the CUE and TOC of each CD), and the staging folder's
//! cleanup.
//!
//! Invariants:
//! - an extra is rewritten or removed only while it still holds the bytes
//!   mixtape recorded in the manifest (size and BLAKE3); one the user
//!   changed is reported once as `PATH: changed since mixtape wrote it; left
//!   alone` and is the user's from then on;
//! - a new extra never replaces a file (no-overwrite publish);
//! - nothing is written or removed through a symlink that leads outside the
//!   destination;
//! - the staging folder loses only files mixtape names there (content keys
//!   and temporary names), never a file the user put in it.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use crate::confine::Confined;
use crate::error::{Error, Result};
use crate::export::burn::{self, Disc, DiscTrack};
use crate::export::cd;
use crate::export::gapless::wav_sectors;
use crate::export::manifest::{unchanged, Extra, Manifest};
use crate::export::plan::ExportPlan;
use crate::export::report::ExportReport;
use crate::fsops;
use crate::playlist::plain_text;

/// `dest/rel` for a `/`-separated relative path.
pub(crate) fn abs(dest: &Path, rel: &str) -> PathBuf {
    rel.split('/').fold(dest.to_path_buf(), |p, c| p.join(c))
}

/// The message for a file the user replaced or edited.
pub(crate) fn changed(path: &Path) -> String {
    format!(
        "{}: changed since mixtape wrote it; left alone",
        path.display()
    )
}

/// The message for an extra listed by a version 1 manifest, which kept no
/// record of its content.
fn unrecorded(path: &Path) -> String {
    format!(
        "{}: written by an older mixtape that kept no record of its content; left alone (remove it to have it rewritten)",
        path.display()
    )
}

/// The message for a file mixtape did not write where it wanted to write.
pub(crate) fn foreign(path: &Path) -> String {
    format!(
        "{}: exists and was not written by mixtape; left alone",
        path.display()
    )
}

/// Is this error a refusal to overwrite an existing file?
pub(crate) fn is_collision(e: &Error) -> bool {
    matches!(e, Error::Io { source, .. } if source.kind() == io::ErrorKind::AlreadyExists)
}

/// The playlist / CUE / TOC files this plan wants, as (relative path,
/// bytes), listing only tracks `published` says are at the destination.
/// Also fills `report.discs`, and warns once per M3U that cannot name a
/// file in Latin-1.
pub(crate) fn wanted(
    plan: &ExportPlan,
    published: &dyn Fn(&str) -> bool,
    report: &mut ExportReport,
) -> Vec<(String, Vec<u8>)> {
    let mut extras: Vec<(String, Vec<u8>)> = Vec::new();
    for pl in &plan.playlists {
        let tracks: Vec<_> = pl
            .members
            .iter()
            .map(|&i| &plan.items[i])
            .filter(|it| published(&it.rel))
            .collect();
        for file in &pl.files {
            let latin1 = file.ends_with(".m3u");
            let mut text = String::from("#EXTM3U\n");
            let mut unnamed = 0;
            for it in &tracks {
                // The file itself must be found by its Latin-1 name.
                if latin1 && !is_latin1(&it.rel) {
                    unnamed += 1;
                    continue;
                }
                text.push_str(&format!(
                    "#EXTINF:{},{}\n{}\n",
                    it.seconds.round() as i64,
                    plain_text(&it.track.display_name()),
                    plain_text(&it.rel)
                ));
            }
            if unnamed > 0 {
                report.warnings.push(format!(
                    "{file}: {unnamed} file name(s) outside Latin-1 are listed only in the .m3u8"
                ));
            }
            let bytes = if latin1 {
                to_latin1(&text)
            } else {
                text.into_bytes()
            };
            extras.push((file.clone(), bytes));
        }
    }
    for (d, members) in plan.discs.iter().enumerate() {
        let folder = format!("disc{:02}", d + 1);
        let on_disc: Vec<_> = members
            .iter()
            .map(|&i| &plan.items[i])
            .filter(|it| published(&it.rel))
            .collect();
        let tracks: Vec<DiscTrack> = on_disc
            .iter()
            .map(|it| {
                let t = &it.track.tags;
                DiscTrack {
                    file: it.rel.rsplit('/').next().unwrap_or(&it.rel).to_string(),
                    sectors: wav_sectors(it.seconds, &it.carry),
                    title: t.title.clone().unwrap_or_else(|| it.track.display_name()),
                    performer: t.artist.clone().unwrap_or_default(),
                    songwriter: t.composer.clone().filter(|c| !c.trim().is_empty()),
                    isrc: t.isrc.clone(),
                    // A CUE image's INDEX 00: its pregap is the end of
                    // the previous track's audio, as in the source.
                    pregap: it.track.cue.map(|c| c.pregap).filter(|&p| p > 0),
                }
            })
            .collect();
        let sectors: u64 = tracks.iter().map(|t| t.sectors).sum();
        let secs = sectors as f64 / cd::SECTORS_PER_SECOND as f64;
        report.discs.push((folder.clone(), tracks.len(), secs));
        if tracks.is_empty() {
            continue;
        }
        let fallback = if plan.discs.len() > 1 {
            format!("{} (disc {}/{})", plan.label, d + 1, plan.discs.len())
        } else {
            plan.label.clone()
        };
        let sources: Vec<_> = on_disc.iter().map(|it| &it.track).collect();
        let (title, performer, catalog) = burn::disc_text(&sources, &fallback);
        let disc = Disc {
            title,
            performer,
            catalog,
            tracks,
        };
        extras.push((
            format!("{folder}/{folder}.cue"),
            burn::cue_sheet(&disc).into_bytes(),
        ));
        extras.push((
            format!("{folder}/{folder}.toc"),
            burn::toc_file(&disc).into_bytes(),
        ));
    }
    extras
}

/// Can `s` be written in Latin-1 (ISO-8859-1)?
fn is_latin1(s: &str) -> bool {
    s.chars().all(|c| (c as u32) < 0x100)
}

/// `s` in Latin-1, `?` for what it cannot hold.
fn to_latin1(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| u8::try_from(c as u32).unwrap_or(b'?'))
        .collect()
}

/// Remove the old extras no longer wanted and write the wanted ones, as the
/// module invariants say; `manifest.extras` becomes what mixtape owns now.
pub(crate) fn publish(
    confine: &Confined,
    old: &Manifest,
    manifest: &mut Manifest,
    wanted: &[(String, Vec<u8>)],
    report: &mut ExportReport,
) -> Result<()> {
    let dest = confine.root();
    let names: HashSet<&str> = wanted.iter().map(|(p, _)| p.as_str()).collect();
    for x in old
        .extras
        .iter()
        .filter(|x| !names.contains(x.path.as_str()))
    {
        let p = abs(dest, &x.path);
        if p.symlink_metadata().is_err() {
            continue;
        }
        if let Err(e) = confine.check(&p) {
            report.warnings.push(e.to_string());
        } else if recorded_unchanged(x, &p) {
            match std::fs::remove_file(&p) {
                Ok(()) => report.removed.push(x.path.clone()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&p, e)),
            }
        } else if x.hash.is_none() {
            report.warnings.push(unrecorded(&p));
        } else {
            report.warnings.push(changed(&p));
        }
    }
    manifest.extras.clear();
    for (rel, text) in wanted {
        let p = abs(dest, rel);
        if let Err(e) = confine.check(&p) {
            report.warnings.push(e.to_string());
            continue;
        }
        let exists = p.symlink_metadata().is_ok();
        let overwrite = match old.extra(rel) {
            None if exists => {
                report.warnings.push(foreign(&p));
                continue;
            }
            None => false,
            Some(_) if !exists => false,
            Some(x) => {
                let same = std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_file())
                    && std::fs::read(&p).ok().as_deref() == Some(text.as_slice());
                if same {
                    manifest.extras.push(Extra::of(rel, text));
                    continue;
                }
                if x.hash.is_none() {
                    // Listed by an older mixtape without its content: it may
                    // have been edited since; keep it listed and untouched.
                    report.warnings.push(unrecorded(&p));
                    manifest.extras.push(x.clone());
                    continue;
                }
                if !recorded_unchanged(x, &p) {
                    report.warnings.push(changed(&p));
                    continue;
                }
                true
            }
        };
        match fsops::write_atomic(&p, text, overwrite) {
            Ok(()) => {}
            Err(e) if is_collision(&e) => {
                report.warnings.push(foreign(&p));
                continue;
            }
            Err(e) => return Err(e),
        }
        report.extras_written.push(rel.clone());
        manifest.extras.push(Extra::of(rel, text));
    }
    Ok(())
}

/// Does `p` still hold what the manifest recorded for extra `x`? (Never for
/// version 1 records, which hold no hash.)
fn recorded_unchanged(x: &Extra, p: &Path) -> bool {
    match (x.size, &x.hash) {
        (Some(size), Some(hash)) => unchanged(p, size, hash),
        _ => false,
    }
}

/// Is `name` one mixtape gives a finished output in staging: the content key
/// (32 lower-case hex digits), a dot and an extension?
pub(crate) fn is_staged_name(name: &str) -> bool {
    let Some((key, ext)) = name.split_once('.') else {
        return false;
    };
    key.len() == 32
        && key
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && !ext.is_empty()
        && ext.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Remove what mixtape left in the staging folder (files under its own
/// names only), then the folder if that emptied it.
pub(crate) fn clean_staging(staging: &Path) {
    let Ok(rd) = std::fs::read_dir(staging) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let ours = e.file_name().to_str().is_some_and(is_staged_name) || fsops::is_temp_name(&p);
        if ours && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(&p);
        }
    }
    let _ = std::fs::remove_dir(staging);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_names_are_content_keys_only() {
        assert!(is_staged_name("0123456789abcdef0123456789abcdef.mp3"));
        assert!(!is_staged_name("0123456789ABCDEF0123456789abcdef.mp3"));
        assert!(!is_staged_name("0123456789abcdef0123456789abcdef"));
        assert!(!is_staged_name("my song.mp3"));
        assert!(!is_staged_name("0123456789abcdef0123456789abcdef.mp3.bak"));
    }

    #[test]
    fn staging_cleanup_keeps_what_the_user_put_there() {
        let d = tempfile::tempdir().unwrap();
        let s = d.path().join(".mixtape-staging");
        std::fs::create_dir(&s).unwrap();
        std::fs::write(s.join("0123456789abcdef0123456789abcdef.wav"), b"x").unwrap();
        std::fs::write(fsops::temp_name(&s.join("a.wav")), b"x").unwrap();
        std::fs::write(s.join("keep me.txt"), b"mine").unwrap();
        clean_staging(&s);
        let left: Vec<_> = std::fs::read_dir(&s)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(left, vec!["keep me.txt"]);
        std::fs::remove_file(s.join("keep me.txt")).unwrap();
        clean_staging(&s);
        assert!(!s.exists());
    }
}

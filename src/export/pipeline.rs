//! Carrying out an export plan: incremental, parallel, resumable, safe.
//!
//! [`run_export`] goes through five steps, each in its own place:
//! 1. **Plan**: open the destination ([`super::destination`]) and compare
//!    the plan with the manifest ([`super::compare`]).
//! 2. **Produce** what is missing into staging ([`super::produce`]).
//! 3. **Publish** (here): files mixtape wrote that are no longer wanted are
//!    removed (or moved back to staging when still needed elsewhere), the
//!    manifest is written with the new entries, then staged files get their
//!    final names in play order (into freshly created folders when
//!    ordered), never replacing a file.
//! 4. **Extras**: the M3U8 / CUE / TOC files ([`super::extras`]).
//! 5. **Clean up** staging and the folders emptied.
//!
//! A file that is not in the manifest is never touched, and neither is one
//! that no longer holds the bytes the manifest records (the user replaced
//! it): it is reported as changed and left alone. Nothing is written or
//! removed through a symlink inside the destination that leads out of it
//! ([`crate::confine::Confined`]). One track's failure (a name the
//! filesystem refuses, a publish that fails) is that track's; the others
//! are exported.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;

use crate::error::{Error, Result};
use crate::export::compare::{compare, verify_moves, Comparison};
use crate::export::destination::{folder_of, staged_path, Site};
use crate::export::extras::{self, abs, changed, foreign, is_collision};
use crate::export::manifest::{unchanged, Entry, Manifest};
use crate::export::plan::{Action, ExportPlan, PlanItem};
use crate::export::produce::{done, entry_for, produce_all, Converter, Notes, Output};
use crate::export::report::{ExportReport, Failed};
use crate::fsops;
use crate::progress::{Cancel, ProgressSink};

/// Outputs made in this run (or found in staging), by plan item.
type Produced = HashMap<usize, (Output, Notes)>;

/// Carry out `plan`. Per-track failures are in the report; a fatal problem
/// (destination unusable, disk full, bad manifest) is an `Err`.
pub fn run_export(
    plan: &ExportPlan,
    conv: &dyn Converter,
    progress: &dyn ProgressSink,
    cancel: &Cancel,
) -> Result<ExportReport> {
    // 1. Plan: outputs to move must still be what mixtape wrote, else
    // they are left alone and made anew.
    let site = Site::open(plan)?;
    let mut report = ExportReport::for_plan(plan);
    let old = plan.manifest.clone().unwrap_or_else(|| new_manifest(plan));
    let mut cmp = compare(plan, &old);
    let left_alone = verify_moves(&site.confine, &old, &mut cmp, &mut report);
    // 2. Produce.
    let Some(mut produced) = produce_all(plan, &cmp, &site, conv, progress, cancel, &mut report)?
    else {
        report.interrupted = true;
        return Ok(report);
    };
    // 3. Publish.
    retire_old(
        plan,
        &old,
        &cmp,
        &left_alone,
        &site,
        &mut produced,
        &mut report,
    )?;
    let mut manifest = publish(plan, &old, &cmp, &site, produced, &mut report)?;
    // 4. Extras: each playlist's M3U8 / M3U, CUE + TOC (cd).
    let wanted = extras::wanted(plan, &|rel| manifest.entry(rel).is_some(), &mut report);
    extras::publish(&site.confine, &old, &mut manifest, &wanted, &mut report)?;
    manifest.save(&site.dest)?;
    // 5. Clean up.
    site.clean_up(&old);
    Ok(report)
}

/// An empty manifest for `plan`'s profile and settings.
fn new_manifest(plan: &ExportPlan) -> Manifest {
    let settings = &plan.settings;
    let mut m = Manifest::new(
        &settings.profile.name(),
        &settings.fingerprint(),
        &plan.label,
    );
    m.playlists = plan.playlists.iter().map(|p| p.name.clone()).collect();
    m.options = plan.device_args.clone();
    m
}

/// Old outputs that are not kept where they are: parked in staging when an
/// item still wants them (another name or order), else removed, unless
/// they changed since mixtape wrote them. Folders so emptied go away, so
/// that they are created fresh (in play order).
fn retire_old(
    plan: &ExportPlan,
    old: &Manifest,
    cmp: &Comparison,
    left_alone: &HashSet<usize>,
    site: &Site,
    produced: &mut Produced,
    report: &mut ExportReport,
) -> Result<()> {
    let (dest, staging, confine) = (&site.dest, &site.staging, &site.confine);
    let kept_paths: HashSet<&str> = plan
        .items
        .iter()
        .filter(|i| cmp.in_place.contains(&i.index))
        .map(|i| i.rel.as_str())
        .collect();
    let wanted_from_old: HashMap<usize, &PlanItem> = cmp
        .moved_from_old
        .iter()
        .map(|(&idx, &oi)| (oi, &plan.items[idx]))
        .collect();
    let mut touched_folders: HashSet<String> = HashSet::new();
    for (oi, e) in old.entries.iter().enumerate() {
        if kept_paths.contains(e.path.as_str()) || left_alone.contains(&oi) {
            continue;
        }
        let p = abs(dest, &e.path);
        if let Err(err) = confine.check(&p) {
            if p.symlink_metadata().is_ok() {
                report.warnings.push(err.to_string());
            }
            continue;
        }
        touched_folders.insert(folder_of(&e.path));
        if let Some(it) = wanted_from_old.get(&oi) {
            fs::create_dir_all(staging).map_err(|e| Error::io(staging, e))?;
            let sp = staged_path(staging, it);
            fs::rename(&p, &sp).map_err(|err| Error::io(&p, err))?;
            let out = Output {
                size: e.size,
                hash: e.hash.clone(),
            };
            produced.insert(it.index, (out, Notes::default()));
        } else if p.symlink_metadata().is_ok() {
            if !unchanged(&p, e.size, &e.hash) {
                report.warnings.push(changed(&p));
                continue;
            }
            match fs::remove_file(&p) {
                Ok(()) => report.removed.push(e.path.clone()),
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => return Err(Error::io(&p, err)),
            }
        }
    }
    let mut folders: Vec<String> = touched_folders
        .into_iter()
        .filter(|f| !f.is_empty())
        .collect();
    folders.sort_by_key(|f| std::cmp::Reverse(f.matches('/').count()));
    let ordered = plan.settings.profile.limits().ordered_folders;
    for f in &folders {
        let p = abs(dest, f);
        if confine.check(&p).is_err() {
            continue;
        }
        if fs::remove_dir(&p).is_err() && p.is_dir() && ordered {
            let wanted = plan
                .items
                .iter()
                .any(|i| &i.folder == f && !cmp.in_place.contains(&i.index));
            if wanted {
                report.warnings.push(format!(
                    "{}: holds files mixtape did not write; the play order in this folder may not follow the playlist",
                    p.display()
                ));
            }
        }
    }
    Ok(())
}

/// Write the manifest listing every output as it will be (if the run stops
/// while renaming, the next run finds missing outputs in staging), then
/// give the staged outputs their names in play order. A name that cannot
/// be published fails that track only. Returns the manifest as published.
fn publish(
    plan: &ExportPlan,
    old: &Manifest,
    cmp: &Comparison,
    site: &Site,
    mut produced: Produced,
    report: &mut ExportReport,
) -> Result<Manifest> {
    let mut manifest = new_manifest(plan);
    let old_by_path: HashMap<&str, &Entry> =
        old.entries.iter().map(|e| (e.path.as_str(), e)).collect();
    for it in &plan.items {
        if cmp.in_place.contains(&it.index) {
            if let Some(e) = old_by_path.get(it.rel.as_str()) {
                let mut e = (*e).clone();
                e.playlists = it.playlists.clone();
                manifest.entries.push(e);
            }
        } else if let Some((out, _)) = produced.get(&it.index) {
            manifest.entries.push(entry_for(it, out));
        }
    }
    manifest.extras = old.extras.clone();
    manifest.save(&site.dest)?;
    for it in &plan.items {
        if cmp.in_place.contains(&it.index) {
            let size = old_by_path.get(it.rel.as_str()).map_or(0, |e| e.size);
            report.skipped.push(done(it, size, Notes::default()));
            continue;
        }
        let Some((out, notes)) = produced.remove(&it.index) else {
            continue;
        };
        let from = staged_path(&site.staging, it);
        let to = abs(&site.dest, &it.rel);
        // No check-then-rename: the publish itself refuses to replace a file.
        let published = site
            .confine
            .check(&to)
            .and_then(|()| fsops::transfer(&from, &to, fsops::Mode::Move));
        if let Err(err) = published {
            report.failed.push(Failed {
                track_id: Some(it.track.id),
                source: Some(it.track.path.clone()),
                output: Some(it.rel.clone()),
                error: if is_collision(&err) {
                    foreign(&to)
                } else {
                    err.to_string()
                },
            });
            manifest.entries.retain(|e| e.path != it.rel);
            continue;
        }
        let d = done(it, out.size, notes);
        if cmp.moved_from_old.contains_key(&it.index) {
            report.skipped.push(d);
        } else if it.action == Action::Copy {
            report.copied.push(d);
        } else {
            report.converted.push(d);
        }
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::cd;
    use crate::export::gapless::Carry;
    use crate::export::plan::STAGING_DIR;
    use crate::export::plan::{plan_export, Selection};
    use crate::export::profile::{ExportSettings, Profile};
    use crate::export::report::Done;
    use crate::export::target::AudioTarget;
    use crate::export::transcode::TranscodeReport;
    use crate::library::Track;
    use crate::progress::NoProgress;
    use std::path::Path;
    use std::sync::atomic::AtomicUsize;
    use std::sync::atomic::Ordering;
    use std::sync::Mutex;

    /// A converter double: writes a small file naming the track, counts
    /// calls, can fail one track and can cancel after N conversions.
    #[derive(Default)]
    struct Double {
        calls: AtomicUsize,
        fail_id: Option<i64>,
        cancel_after: Option<(usize, Cancel)>,
        seen: Mutex<Vec<i64>>,
    }

    impl Converter for Double {
        fn convert(
            &self,
            track: &Track,
            _c: &Carry,
            _t: &AudioTarget,
            dst: &Path,
        ) -> Result<TranscodeReport> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            if let Some((after, c)) = &self.cancel_after {
                if n >= *after {
                    c.cancel();
                }
            }
            if self.fail_id == Some(track.id) {
                return Err(Error::at(&track.path, "undecodable"));
            }
            self.seen.lock().unwrap().push(track.id);
            fsops::write_atomic(dst, format!("audio of {}", track.id).as_bytes(), true)?;
            Ok(TranscodeReport {
                samplerate: 44100,
                channels: 2,
                bitdepth: None,
                seconds: 20.0,
                frames: 882_000,
                gain_db: None,
                loudness: None,
                bytes: 10,
                warnings: Vec::new(),
            })
        }
    }

    fn tracks(dir: &Path, n: i64) -> Vec<Track> {
        (1..=n)
            .map(|id| {
                let path = dir.join(format!("{id}.flac"));
                std::fs::write(&path, format!("flac {id}")).unwrap();
                let mut t = Track {
                    id,
                    path,
                    size: 6,
                    ..Track::default()
                };
                t.tags.artist = Some("A".into());
                t.tags.title = Some(format!("T{id}"));
                t.props.format = Some("flac".into());
                t.props.length = Some(20.0);
                t
            })
            .collect()
    }

    fn export(
        tracks: &[Track],
        s: &ExportSettings,
        dest: &Path,
        conv: &Double,
        cancel: &Cancel,
    ) -> ExportReport {
        let sel = Selection {
            label: "Trip".into(),
            playlist: true,
            tracks: tracks.to_vec(),
            missing: vec![],
        };
        let plan = plan_export(&sel, s, dest).unwrap();
        run_export(&plan, conv, &NoProgress, cancel).unwrap()
    }

    fn outs(v: &[Done]) -> Vec<&str> {
        v.iter().map(|d| d.output.as_str()).collect()
    }

    fn manifest_paths(dest: &Path) -> Vec<String> {
        Manifest::load(dest)
            .unwrap()
            .unwrap()
            .entries
            .into_iter()
            .map(|e| e.path)
            .collect()
    }

    #[cfg(unix)]
    fn ino(p: &Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(p).unwrap().ino()
    }

    #[test]
    fn car_reorders_by_renaming_appends_in_place_and_skips_unchanged() {
        let src = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        let d = dest.path();
        let car = ExportSettings::new(Profile::Car);
        let all = tracks(src.path(), 4);
        let c = Cancel::new();
        let conv = Double::default();
        let r = export(&all[..3], &car, d, &conv, &c);
        assert_eq!(
            outs(&r.converted),
            vec![
                "01/001 A - T1.mp3",
                "01/002 A - T2.mp3",
                "01/003 A - T3.mp3"
            ]
        );
        assert_eq!(manifest_paths(d), outs(&r.converted));
        // Again: nothing converted.
        let r = export(&all[..3], &car, d, &conv, &c);
        assert_eq!(conv.calls.load(Ordering::SeqCst), 3);
        assert_eq!(r.skipped.len(), 3);
        assert!(r.converted.is_empty() && r.removed.is_empty());
        // Append: the old files stay where they are, the new one is added.
        #[cfg(unix)]
        let before = ino(&d.join("01/001 A - T1.mp3"));
        let r = export(&all, &car, d, &conv, &c);
        assert_eq!(outs(&r.converted), vec!["01/004 A - T4.mp3"]);
        assert_eq!(conv.calls.load(Ordering::SeqCst), 4);
        #[cfg(unix)]
        assert_eq!(before, ino(&d.join("01/001 A - T1.mp3")));
        // Reorder: the folder is rebuilt from the existing outputs, no encoding.
        let re = vec![
            all[3].clone(),
            all[0].clone(),
            all[1].clone(),
            all[2].clone(),
        ];
        let r = export(&re, &car, d, &conv, &c);
        assert_eq!(conv.calls.load(Ordering::SeqCst), 4, "reorder re-encoded");
        assert!(r.converted.is_empty());
        assert_eq!(r.skipped.len(), 4);
        assert_eq!(
            manifest_paths(d),
            vec![
                "01/001 A - T4.mp3",
                "01/002 A - T1.mp3",
                "01/003 A - T2.mp3",
                "01/004 A - T3.mp3"
            ]
        );
        assert_eq!(
            std::fs::read_to_string(d.join("01/001 A - T4.mp3")).unwrap(),
            "audio of 4"
        );
        let mut names: Vec<String> = std::fs::read_dir(d.join("01"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), 4, "{names:?}");
        assert!(!d.join(STAGING_DIR).exists());
    }

    /// Issue 12: a reorder moved (and a shrink deleted) files the user had
    /// replaced with other bytes of the same size.
    #[test]
    fn a_reorder_leaves_a_replaced_file_alone_and_makes_its_track_anew() {
        let src = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        let d = dest.path();
        let car = ExportSettings::new(Profile::Car);
        let all = tracks(src.path(), 3);
        let conv = Double::default();
        export(&all, &car, d, &conv, &Cancel::new());
        let first = d.join("01/001 A - T1.mp3");
        std::fs::write(&first, "AUDIO OF 1").unwrap();
        let re = vec![all[2].clone(), all[0].clone(), all[1].clone()];
        let r = export(&re, &car, d, &conv, &Cancel::new());
        assert_eq!(
            r.warnings[0],
            format!(
                "{}: changed since mixtape wrote it; left alone",
                first.display()
            )
        );
        assert_eq!(std::fs::read_to_string(&first).unwrap(), "AUDIO OF 1");
        assert_eq!(outs(&r.converted), vec!["01/002 A - T1.mp3"]);
        assert_eq!(
            outs(&r.skipped),
            vec!["01/001 A - T3.mp3", "01/003 A - T2.mp3"]
        );
        assert!(r.failed.is_empty(), "{:?}", r.failed);
        assert_eq!(
            manifest_paths(d),
            vec![
                "01/001 A - T3.mp3",
                "01/002 A - T1.mp3",
                "01/003 A - T2.mp3"
            ]
        );
        // Fewer tracks: the replaced file is not the manifest's any more.
        let r = export(&all[..1], &car, d, &conv, &Cancel::new());
        assert_eq!(std::fs::read_to_string(&first).unwrap(), "AUDIO OF 1");
        assert!(
            !r.removed.iter().any(|p| p.contains("001 A - T1")),
            "{:?}",
            r.removed
        );
    }

    #[test]
    fn an_interrupted_run_resumes_from_staging() {
        let src = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        let d = dest.path();
        let car = ExportSettings::new(Profile::Car);
        let all = tracks(src.path(), 6);
        let c = Cancel::new();
        let first = Double {
            cancel_after: Some((2, c.clone())),
            ..Double::default()
        };
        let r = export(&all, &car, d, &first, &c);
        assert!(r.interrupted);
        assert!(!d.join("01").exists(), "published after an interruption");
        let done_first = first.seen.lock().unwrap().len();
        assert!(done_first >= 2);
        let second = Double::default();
        let r = export(&all, &car, d, &second, &Cancel::new());
        assert!(!r.interrupted);
        assert_eq!(
            second.calls.load(Ordering::SeqCst),
            6 - done_first,
            "staged outputs were redone"
        );
        assert_eq!(r.converted.len(), 6);
        assert_eq!(manifest_paths(d).len(), 6);
        assert!(!d.join(STAGING_DIR).exists());
    }

    #[test]
    fn a_failed_track_is_reported_and_the_rest_published() {
        let src = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        let conv = Double {
            fail_id: Some(2),
            ..Double::default()
        };
        let r = export(
            &tracks(src.path(), 3),
            &ExportSettings::new(Profile::Car),
            dest.path(),
            &conv,
            &Cancel::new(),
        );
        assert_eq!(r.failed.len(), 1);
        assert!(r.failed[0].error.contains("undecodable"));
        assert_eq!(
            outs(&r.converted),
            vec!["01/001 A - T1.mp3", "01/003 A - T3.mp3"]
        );
    }

    #[test]
    fn cd_writes_cue_and_toc_per_disc_once() {
        let src = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        let d = dest.path();
        let mut cd = ExportSettings::new(Profile::Cd);
        cd.disc_minutes = 1.0;
        let conv = Double::default();
        let r = export(&tracks(src.path(), 5), &cd, d, &conv, &Cancel::new());
        assert_eq!(r.discs.iter().map(|x| x.1).collect::<Vec<_>>(), vec![3, 2]);
        assert_eq!(
            r.extras_written,
            vec![
                "disc01/disc01.cue",
                "disc01/disc01.toc",
                "disc02/disc02.cue",
                "disc02/disc02.toc"
            ]
        );
        let cue = std::fs::read_to_string(d.join("disc02/disc02.cue")).unwrap();
        let parsed = cd::parse_cue(Path::new("disc02.cue"), &cue).unwrap();
        assert_eq!(parsed.files[parsed.tracks[0].file], "01 A - T4.wav");
        assert_eq!(parsed.title.as_deref(), Some("Trip (disc 2/2)"));
        let r = export(&tracks(src.path(), 5), &cd, d, &conv, &Cancel::new());
        assert!(r.extras_written.is_empty() && r.converted.is_empty());
        // Fewer tracks: the second disc and its burn files go away.
        let r = export(&tracks(src.path(), 3), &cd, d, &conv, &Cancel::new());
        assert!(
            r.removed.contains(&"disc02/disc02.cue".to_string()),
            "{:?}",
            r.removed
        );
        assert!(!d.join("disc02").exists());
    }
}

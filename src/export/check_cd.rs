//! `export --check` for an audio-CD folder: every folder with WAVs has a
//! CUE sheet and a TOC that parse and agree with the WAVs, which are
//! 44.1 kHz/16-bit stereo and padded to 2352-byte sectors, each disc within
//! the length limit and the track limit.

use std::fs;
use std::path::Path;

use crate::error::Error;
use crate::export::cd;
use crate::export::check_file::{join, Violation};

/// CD rules: every folder with WAVs has a CUE sheet and a TOC that parse and
/// agree with the WAVs, which are 44.1/16/2 and sector-padded, within the
/// disc limit.
pub(super) fn check_cd(
    dir: &Path,
    listing: &[(String, Vec<String>)],
    disc_minutes: f64,
    max_tracks: usize,
    v: &mut Vec<Violation>,
) {
    let limit = (disc_minutes * 60.0 * cd::SECTORS_PER_SECOND as f64).floor() as u64;
    for (folder, names) in listing {
        let fdir = join(dir, folder);
        let lower = |n: &String, ext: &str| n.to_ascii_lowercase().ends_with(ext);
        let wavs: Vec<&String> = names.iter().filter(|n| lower(n, ".wav")).collect();
        let cues: Vec<&String> = names.iter().filter(|n| lower(n, ".cue")).collect();
        let tocs: Vec<&String> = names.iter().filter(|n| lower(n, ".toc")).collect();
        if wavs.is_empty() && cues.is_empty() && tocs.is_empty() {
            continue;
        }
        for n in names {
            if !(lower(n, ".wav") || lower(n, ".cue") || lower(n, ".toc")) {
                v.push(Violation {
                    path: fdir.join(n),
                    rule: "format",
                    message: "not a WAV, CUE or TOC file (a CD folder holds only these)".into(),
                });
            }
        }
        if cues.is_empty() {
            v.push(Violation {
                path: fdir.clone(),
                rule: "cue",
                message: "no CUE sheet for these WAVs".into(),
            });
        }
        if tocs.is_empty() {
            v.push(Violation {
                path: fdir.clone(),
                rule: "toc",
                message: "no cdrdao TOC file for these WAVs".into(),
            });
        }
        let mut referenced: Vec<String> = Vec::new();
        for c in &cues {
            let p = fdir.join(c);
            let text = match fs::read(&p) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(e) => {
                    v.push(Violation {
                        path: p,
                        rule: "cue",
                        message: format!("cannot read: {e}"),
                    });
                    continue;
                }
            };
            let cue = match cd::parse_cue(&p, &text) {
                Ok(c) => c,
                Err(e) => {
                    v.push(Violation {
                        path: p,
                        rule: "cue",
                        message: format!("does not parse: {e}"),
                    });
                    continue;
                }
            };
            if cue.tracks.len() > max_tracks {
                v.push(Violation {
                    path: p.clone(),
                    rule: "disc",
                    message: format!(
                        "{} tracks (a CD holds at most {max_tracks})",
                        cue.tracks.len()
                    ),
                });
            }
            let mut sectors = 0u64;
            let mut seen_files = Vec::new();
            for t in &cue.tracks {
                let file = &cue.files[t.file];
                if seen_files.contains(file) {
                    continue;
                }
                seen_files.push(file.clone());
                referenced.push(file.clone());
                let wav = fdir.join(file);
                if !wav.is_file() {
                    v.push(Violation {
                        path: p.clone(),
                        rule: "cue",
                        message: format!("TRACK {:02}: file {:?} does not exist", t.number, file),
                    });
                    continue;
                }
                sectors += check_wav(&wav, v);
            }
            if sectors > limit {
                v.push(Violation {
                    path: p.clone(),
                    rule: "disc",
                    message: format!(
                        "disc is {} long (the limit is {})",
                        cd::msf(sectors),
                        cd::msf(limit)
                    ),
                });
            }
        }
        for t in &tocs {
            let p = fdir.join(t);
            let text = fs::read(&p).map(|b| String::from_utf8_lossy(&b).into_owned());
            match text
                .map_err(|e| Error::io(&p, e))
                .and_then(|s| cd::parse_toc(&p, &s))
            {
                Ok(toc) => {
                    if !toc.cd_da {
                        v.push(Violation {
                            path: p.clone(),
                            rule: "toc",
                            message: "missing CD_DA".into(),
                        });
                    }
                    for f in &toc.files {
                        if !fdir.join(f).is_file() {
                            v.push(Violation {
                                path: p.clone(),
                                rule: "toc",
                                message: format!("file {f:?} does not exist"),
                            });
                        }
                    }
                }
                Err(e) => v.push(Violation {
                    path: p,
                    rule: "toc",
                    message: format!("does not parse: {e}"),
                }),
            }
        }
        if !cues.is_empty() {
            for w in &wavs {
                if !referenced.iter().any(|r| r == *w) {
                    v.push(Violation {
                        path: fdir.join(w),
                        rule: "cue",
                        message: "WAV not listed in the CUE sheet".into(),
                    });
                }
            }
        }
    }
}

/// Check one CD WAV; returns its length in sectors.
fn check_wav(wav: &Path, v: &mut Vec<Violation>) -> u64 {
    match cd::wav_info(wav) {
        Ok(w) => {
            if (w.samplerate, w.bits, w.channels) != (44100, 16, 2) {
                v.push(Violation {
                    path: wav.to_path_buf(),
                    rule: "wav",
                    message: format!(
                        "{} Hz / {}-bit / {} channels (a CD needs 44100 Hz / 16-bit / 2)",
                        w.samplerate, w.bits, w.channels
                    ),
                });
            }
            if w.data_bytes % cd::SECTOR_BYTES != 0 {
                v.push(Violation {
                    path: wav.to_path_buf(),
                    rule: "wav",
                    message: format!(
                        "{} bytes of audio, not a multiple of the 2352-byte sector",
                        w.data_bytes
                    ),
                });
            }
            let sectors = w.data_bytes.div_ceil(cd::SECTOR_BYTES);
            if sectors < cd::track_sectors(0.0) {
                v.push(Violation {
                    path: wav.to_path_buf(),
                    rule: "wav",
                    message: "shorter than 4 seconds (the CD minimum)".into(),
                });
            }
            sectors
        }
        Err(e) => {
            v.push(Violation {
                path: wav.to_path_buf(),
                rule: "wav",
                message: format!("{e}"),
            });
            0
        }
    }
}

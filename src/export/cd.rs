//! Audio CDs: splitting a playlist into discs, sector arithmetic, and
//! reading back what a CD export wrote (the burn files themselves are
//! written by [`super::burn`]).
//!
//! A disc holds at most [`MAX_CD_TRACKS`] tracks and `--disc-minutes` of
//! audio (79:48 by default); every track's WAV is whole 2352-byte sectors
//! and at least 4 seconds (padded, or gapless: see [`super::gapless`]), so
//! lengths here are counted in sectors (75 per second). The TOC parser
//! ([`parse_toc`]) and the CUE reader ([`crate::cue`]) serve `export
//! --check` and the tests.

use std::path::Path;

pub use crate::cue::parse_cue;
use crate::cue::quoted;
use crate::error::{Error, Result};
use crate::export::profile::MAX_CD_TRACKS;

/// Bytes in one CD audio sector (1/75 s of 44.1 kHz 16-bit stereo).
pub const SECTOR_BYTES: u64 = 2352;
/// Sectors per second.
pub const SECTORS_PER_SECOND: u64 = crate::cue::FRAMES_PER_SECOND;
/// The shortest track a CD allows, in seconds.
pub const MIN_TRACK_SECONDS: f64 = 4.0;

/// Sectors a track of `seconds` occupies once padded (at least 4 s).
pub fn track_sectors(seconds: f64) -> u64 {
    let s = if seconds.is_finite() { seconds } else { 0.0 };
    (s.max(MIN_TRACK_SECONDS) * SECTORS_PER_SECOND as f64).ceil() as u64
}

/// `mm:ss:ff` (frames are 1/75 s) for a sector count.
pub fn msf(sectors: u64) -> String {
    let f = sectors % SECTORS_PER_SECOND;
    let s = sectors / SECTORS_PER_SECOND;
    format!("{:02}:{:02}:{:02}", s / 60, s % 60, f)
}

/// Split tracks (their lengths in seconds, in play order) into discs.
/// Returns, for each disc, the indexes of its tracks; `Err(i)` names a track
/// too long for any disc.
pub fn split_discs(
    seconds: &[f64],
    disc_minutes: f64,
) -> std::result::Result<Vec<Vec<usize>>, usize> {
    let limit = (disc_minutes * 60.0 * SECTORS_PER_SECOND as f64).floor() as u64;
    let mut discs: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut used = 0u64;
    for (i, &s) in seconds.iter().enumerate() {
        let n = track_sectors(s);
        if n > limit {
            return Err(i);
        }
        if !current.is_empty() && (used + n > limit || current.len() >= MAX_CD_TRACKS) {
            discs.push(std::mem::take(&mut current));
            used = 0;
        }
        current.push(i);
        used += n;
    }
    if !current.is_empty() {
        discs.push(current);
    }
    Ok(discs)
}

/// A parsed cdrdao TOC (the subset mixtape writes and checks).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Toc {
    /// Starts with `CD_DA`.
    pub cd_da: bool,
    /// Has CD-TEXT blocks.
    pub cd_text: bool,
    /// The file of each `TRACK AUDIO`, in order (its last FILE: the one
    /// before is a pregap taken from the previous track's file).
    pub files: Vec<String>,
}

/// Parse a cdrdao TOC file.
pub fn parse_toc(path: &Path, text: &str) -> Result<Toc> {
    let mut toc = Toc::default();
    let mut tracks = 0usize;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with("//") || line.is_empty() {
            continue;
        }
        if line == "CD_DA" {
            toc.cd_da = true;
        } else if line.starts_with("CD_TEXT") {
            toc.cd_text = true;
        } else if line.starts_with("TRACK") {
            if !line.contains("AUDIO") {
                return Err(Error::at(
                    path,
                    format!("line {}: track is not AUDIO", n + 1),
                ));
            }
            tracks += 1;
        } else if let Some(rest) = line
            .strip_prefix("FILE ")
            .or_else(|| line.strip_prefix("AUDIOFILE "))
        {
            if tracks == 0 || toc.files.len() + 1 < tracks {
                return Err(Error::at(
                    path,
                    format!("line {}: FILE outside a TRACK", n + 1),
                ));
            }
            let name = quoted(rest)
                .ok_or_else(|| Error::at(path, format!("line {}: FILE without a name", n + 1)))?;
            if toc.files.len() == tracks {
                toc.files.pop();
            }
            toc.files.push(name);
        }
    }
    if tracks == 0 {
        return Err(Error::at(path, "no tracks in TOC file"));
    }
    if toc.files.len() != tracks {
        return Err(Error::at(path, "a TRACK has no FILE"));
    }
    Ok(toc)
}

/// The format of a WAV file and the size of its audio data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavInfo {
    /// Sample rate in Hz.
    pub samplerate: u32,
    /// Bits per sample.
    pub bits: u16,
    /// Channels.
    pub channels: u16,
    /// Bytes of audio data.
    pub data_bytes: u64,
}

/// Read a WAV's header.
pub fn wav_info(path: &Path) -> Result<WavInfo> {
    let r = hound::WavReader::open(path).map_err(|e| Error::at(path, format!("not a WAV: {e}")))?;
    let spec = r.spec();
    Ok(WavInfo {
        samplerate: spec.sample_rate,
        bits: spec.bits_per_sample,
        channels: spec.channels,
        data_bytes: r.len() as u64 * (spec.bits_per_sample as u64 / 8),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_length_and_track_limits() {
        // 1-minute discs: 20 s tracks fit three to a disc.
        assert_eq!(
            split_discs(&[20.0; 7], 1.0).unwrap(),
            vec![vec![0, 1, 2], vec![3, 4, 5], vec![6]]
        );
        // Short tracks count as 4 s.
        assert_eq!(split_discs(&[1.0; 16], 1.0).unwrap().len(), 2);
        // 99 tracks at most.
        let d = split_discs(&[4.0; 150], 79.8).unwrap();
        assert_eq!(d.iter().map(Vec::len).collect::<Vec<_>>(), vec![99, 51]);
        assert_eq!(split_discs(&[10.0, 90.0], 1.0), Err(1));
    }

    #[test]
    fn toc_parser_takes_each_track_s_own_file() {
        let text = "CD_DA\nTRACK AUDIO\nFILE \"a.wav\" 0 00:04:00\nTRACK AUDIO\nFILE \"a.wav\" 00:04:00 00:01:00\nSTART\nFILE \"b.wav\" 0\n";
        let toc = parse_toc(Path::new("d.toc"), text).unwrap();
        assert_eq!(toc.files, vec!["a.wav", "b.wav"]);
        assert!(parse_toc(Path::new("d.toc"), "CD_DA\nFILE \"a.wav\" 0\n").is_err());
        assert!(parse_toc(
            Path::new("d.toc"),
            "CD_DA\nTRACK AUDIO\nTRACK AUDIO\nFILE \"a.wav\" 0\n"
        )
        .is_err());
    }

    #[test]
    fn msf_and_sectors() {
        assert_eq!(msf(75 * 61 + 3), "01:01:03");
        assert_eq!(track_sectors(1.0), 300);
        assert_eq!(track_sectors(10.0), 750);
    }
}

//! Gapless CDs: which track boundaries of a disc are contiguous in the
//! source, and how the audio is cut into whole sectors across them.
//!
//! A CD track is a whole number of 2352-byte sectors (588 frames). Padding
//! each track's WAV with zeros would insert up to 13.3 ms of silence at
//! every boundary, so, as cdrdao's `mp32dao` does, the frames of a track's
//! last partial sector are *carried* into the start of the next track's
//! WAV when the two are [`contiguous`]. The WAVs of a run of contiguous
//! tracks, concatenated, are then sample for sample the sources
//! concatenated; only the last track of the run is zero-padded.
//!
//! Each track's WAV stays independent to make (rayon, the manifest): the
//! track that receives a carry decodes the tail of the previous source
//! itself ([`decode_spliced`]), and the carry is part of its content key.
//! The plan ([`plan_carries`]) counts frames from the library's lengths;
//! should a decode disagree, the WAV is padded to a whole sector (a tiny
//! gap, no audio lost) and a warning says so.
//!
//! The CD's 4-second minimum still holds: a boundary is carried only when
//! the WAV before it keeps at least 4 s once its tail has moved on, so a
//! track shorter than that is padded and ends the gapless run there.

use crate::error::{MediaErrorKind, Problem, Result};
use crate::library::Track;
use crate::media::Decoded;

use super::cd::MIN_TRACK_SECONDS;
use super::transcode::SECTOR_FRAMES;

/// The CD's sample rate: only sources at this rate are carried (their
/// frames are the CD's frames, so the cut points are exact).
const CD_RATE: u32 = 44_100;

/// Do `prev` and `next` follow each other without a gap in the source?
///
/// For now: consecutive tracks of one release, in that order — the same
/// album title and album artist (and MusicBrainz release when both have
/// one), the same disc, `next`'s track number one more than `prev`'s —
/// with the same source format (channels and bit depth) at 44.1 kHz, so
/// that the CD conversion neither resamples nor changes the frame count.
///
/// Tracks cut from one CUE image are contiguous when `prev` ends at the
/// sample where `next` starts (an image at 44.1 kHz), whatever their tags.
pub fn contiguous(prev: &Track, next: &Track) -> bool {
    if let (Some(x), Some(y)) = (prev.cue, next.cue) {
        if x.image_id == y.image_id {
            return x.end == y.start && prev.props.samplerate == Some(CD_RATE);
        }
    }
    let (a, b) = (&prev.tags, &next.tags);
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase)
    };
    let album_artist = |t: &Track| text(&t.tags.albumartist).or_else(|| text(&t.tags.artist));
    let same_release = text(&a.album).is_some()
        && text(&a.album) == text(&b.album)
        && album_artist(prev) == album_artist(next)
        && match (text(&a.mb_albumid), text(&b.mb_albumid)) {
            (Some(x), Some(y)) => x == y,
            _ => true,
        };
    let consecutive = a.disc.unwrap_or(1) == b.disc.unwrap_or(1)
        && matches!((a.track, b.track), (Some(x), Some(y)) if y == x + 1);
    let (p, q) = (&prev.props, &next.props);
    let same_format = p.samplerate == Some(CD_RATE)
        && q.samplerate == Some(CD_RATE)
        && p.channels.is_some()
        && p.channels == q.channels
        && p.bitdepth == q.bitdepth;
    same_release && consecutive && same_format
}

/// How one track's WAV is cut, in frames of the source (44.1 kHz).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Carry {
    /// Frames taken from the end of the previous track (`from`), played first.
    pub carry_in: u32,
    /// Frames at this track's end left to the next track's WAV.
    pub carry_out: u32,
    /// The previous track, when `carry_in > 0`.
    pub from: Option<Box<Track>>,
}

impl Carry {
    /// Does the WAV differ from a plain, padded conversion of the track?
    pub fn is_some(&self) -> bool {
        self.carry_in > 0 || self.carry_out > 0
    }

    /// What of the carry changes the output bytes, for the content key.
    pub fn key_text(&self) -> String {
        let from = self.from.as_ref().map(|t| {
            let h = t.file_hash.or(t.audio_hash).unwrap_or_default();
            format!("{}:{}", t.id, super::manifest::hex(&h))
        });
        format!(
            "carry in={} out={} from={}",
            self.carry_in,
            self.carry_out,
            from.unwrap_or_default()
        )
    }
}

/// The sectors of a track's WAV as planned: its frames (`seconds` at
/// 44.1 kHz) with the carry in and out, at least 4 s, in whole sectors.
pub fn wav_sectors(seconds: f64, carry: &Carry) -> u64 {
    let secs = if seconds.is_finite() {
        seconds.max(0.0)
    } else {
        0.0
    };
    let own = (secs * CD_RATE as f64).round() as u64;
    let frames = (own + carry.carry_in as u64).saturating_sub(carry.carry_out as u64);
    let min_frames = (MIN_TRACK_SECONDS * CD_RATE as f64) as u64;
    frames.max(min_frames).div_ceil(SECTOR_FRAMES as u64)
}

/// A track's length in CD frames, from the library (when known at 44.1 kHz).
fn frames(t: &Track) -> Option<u64> {
    let secs = t.props.length.filter(|s| s.is_finite() && *s > 0.0)?;
    (t.props.samplerate == Some(CD_RATE)).then(|| (secs * CD_RATE as f64).round() as u64)
}

/// The carries of one disc's tracks, in play order. `gapless` off (e.g.
/// loudness normalisation, which gains each track on its own) carries
/// nothing.
pub fn plan_carries(disc: &[&Track], gapless: bool) -> Vec<Carry> {
    let sector = SECTOR_FRAMES as u64;
    let min_frames = (MIN_TRACK_SECONDS * CD_RATE as f64) as u64;
    let mut out: Vec<Carry> = disc.iter().map(|_| Carry::default()).collect();
    for i in 1..disc.len() {
        let (prev, next) = (disc[i - 1], disc[i]);
        let (Some(n), true) = (frames(prev), gapless && contiguous(prev, next)) else {
            continue;
        };
        // The previous WAV: what it received plus its own frames, cut down
        // to whole sectors; it must keep the 4-second minimum.
        let held = out[i - 1].carry_in as u64 + n;
        if held / sector * sector < min_frames {
            continue;
        }
        let tail = (held % sector) as u32;
        out[i - 1].carry_out = tail;
        if tail > 0 {
            out[i].carry_in = tail;
            out[i].from = Some(Box::new(prev.clone()));
        }
    }
    out
}

/// Decode `track` as a [`Carry`] says: the last `carry_in` frames of the
/// previous source, then this source without its last `carry_out` frames.
/// `decode` decodes one track (the real decoder, or a test's).
pub fn decode_spliced(
    track: &Track,
    carry: &Carry,
    decode: &dyn Fn(&Track) -> Result<Decoded>,
) -> Result<Decoded> {
    let mut own = decode(track)?;
    let ch = own.channels.max(1) as usize;
    let own_frames = own.samples.len() / ch;
    let cut = (carry.carry_out as usize).min(own_frames);
    own.samples.truncate((own_frames - cut) * ch);
    let Some(prev) = carry.from.as_deref().filter(|_| carry.carry_in > 0) else {
        return Ok(own);
    };
    let before = decode(prev)?;
    if before.channels != own.channels || before.samplerate != own.samplerate {
        own.errors.push(Problem::new(
            MediaErrorKind::Stream,
            format!(
                "{}: not the same format as this track; its last {} frames are not carried",
                prev.path.display(),
                carry.carry_in
            ),
        ));
        return Ok(own);
    }
    let prev_frames = before.samples.len() / ch;
    let take = (carry.carry_in as usize).min(prev_frames);
    let planned = frames(prev).map(|f| f as usize);
    if planned != Some(prev_frames) {
        own.errors.push(Problem::new(
            MediaErrorKind::Stream,
            format!(
                "{}: decodes to {prev_frames} frames, not the {} the library holds (rescan it); the carry may be off by a few samples",
                prev.path.display(),
                planned.unwrap_or(0)
            ),
        ));
    }
    let mut samples = Vec::with_capacity(take * ch + own.samples.len());
    samples.extend_from_slice(&before.samples[(prev_frames - take) * ch..prev_frames * ch]);
    samples.extend_from_slice(&own.samples);
    own.samples = samples;
    Ok(own)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::track::{AudioProps, Tags};
    use std::path::PathBuf;

    fn track(id: i64, album: &str, n: i64, frames: u64) -> Track {
        Track {
            id,
            path: PathBuf::from(format!("/src/{id}.flac")),
            tags: Tags {
                album: Some(album.into()),
                albumartist: Some("AA".into()),
                track: Some(n),
                ..Tags::default()
            },
            props: AudioProps {
                samplerate: Some(44_100),
                channels: Some(2),
                bitdepth: Some(16),
                length: Some(frames as f64 / 44_100.0),
                ..AudioProps::default()
            },
            ..Track::default()
        }
    }

    #[test]
    fn contiguous_means_the_next_track_of_the_same_release() {
        let a = track(1, "X", 1, 200_000);
        let b = track(2, "X", 2, 200_000);
        assert!(contiguous(&a, &b));
        assert!(!contiguous(&b, &a), "reversed order");
        assert!(!contiguous(&a, &track(3, "X", 3, 1)), "a track skipped");
        assert!(!contiguous(&a, &track(3, "Y", 2, 1)), "another album");
        let mut other_disc = b.clone();
        other_disc.tags.disc = Some(2);
        assert!(!contiguous(&a, &other_disc));
        let mut hi_res = b.clone();
        hi_res.props.samplerate = Some(48_000);
        assert!(!contiguous(&a, &hi_res));
        let mut mono = b.clone();
        mono.props.channels = Some(1);
        assert!(!contiguous(&a, &mono));
        let mut other_release = b.clone();
        other_release.tags.mb_albumid = Some("r2".into());
        let mut a_release = a.clone();
        a_release.tags.mb_albumid = Some("r1".into());
        assert!(!contiguous(&a_release, &other_release));
    }

    #[test]
    fn carries_the_partial_sector_and_stops_at_short_tracks() {
        let sector = SECTOR_FRAMES as u64;
        let t1 = track(1, "X", 1, 300 * sector + 100);
        let t2 = track(2, "X", 2, 300 * sector + 500);
        let t3 = track(3, "X", 3, 1000); // shorter than 4 s
        let t4 = track(4, "X", 4, 300 * sector);
        let c = plan_carries(&[&t1, &t2, &t3, &t4], true);
        assert_eq!((c[0].carry_in, c[0].carry_out), (0, 100));
        // 100 carried in + 500 of its own: one sector (12 frames over).
        assert_eq!((c[1].carry_in, c[1].carry_out), (100, 12));
        assert_eq!(c[1].from.as_ref().map(|t| t.id), Some(1));
        // t3 gets its 12 frames but, too short, is padded: nothing leaves it.
        assert_eq!((c[2].carry_in, c[2].carry_out), (12, 0));
        assert_eq!((c[3].carry_in, c[3].carry_out), (0, 0));
        let secs = |t: &Track| t.props.length.unwrap_or(0.0);
        assert_eq!(wav_sectors(secs(&t1), &c[0]), 300);
        assert_eq!(wav_sectors(secs(&t2), &c[1]), 301);
        assert_eq!(wav_sectors(secs(&t3), &c[2]), 300);
        assert!(plan_carries(&[&t1, &t2], false)
            .iter()
            .all(|c| !c.is_some()));
        let other = track(9, "Y", 2, 300 * sector);
        assert!(plan_carries(&[&t1, &other], true)
            .iter()
            .all(|c| !c.is_some()));
    }

    #[test]
    fn tracks_of_one_image_are_contiguous_when_one_ends_where_the_next_starts() {
        use crate::library::track::CuePlace;
        let cut = |id: i64, start: u64, end: u64| {
            let mut t = track(id, "", 0, end - start);
            t.tags = Tags::default();
            t.cue = Some(CuePlace {
                image_id: 9,
                number: id as u32,
                start,
                end,
                pregap: 0,
            });
            t
        };
        assert!(contiguous(&cut(1, 0, 1000), &cut(2, 1000, 5000)));
        assert!(!contiguous(&cut(1, 0, 1000), &cut(3, 5000, 9000)));
    }

    #[test]
    fn splices_the_previous_tail_before_this_track() {
        let prev = track(1, "X", 1, 5);
        let carry = Carry {
            carry_in: 2,
            carry_out: 1,
            from: Some(Box::new(prev)),
        };
        let decode = |t: &Track| -> Result<Decoded> {
            let base = if t.path.ends_with("1.flac") {
                10.0
            } else {
                20.0
            };
            Ok(Decoded {
                samplerate: 44_100,
                channels: 2,
                bits_per_sample: Some(16),
                samples: (0..if base == 10.0 { 10 } else { 8 })
                    .map(|i| base + i as f32)
                    .collect(),
                errors: Vec::new(),
            })
        };
        let d = decode_spliced(&track(2, "X", 2, 4), &carry, &decode).unwrap();
        // prev frames 3,4 (samples 16..19), then own frames 0..2 (samples 20..25).
        assert_eq!(
            d.samples,
            vec![16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0]
        );
        assert!(d.errors.is_empty(), "{:?}", d.errors);
    }
}

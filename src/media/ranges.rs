//! Tracks cut from one file: the tracks of a CUE image. One decode of the
//! image hands each track's samples, and only those, to its own
//! fingerprint and `pcm_hash`, so an image track gets exactly what the same
//! track ripped to its own file would get (the `pcm_hash` of a sample-exact
//! split is equal; the fingerprint covers the track's first 120 s).

use std::path::Path;

use rayon::prelude::*;

use super::decode::open_decodable;
use super::fingerprint::Collect;
use super::read::judge_quality;
use super::stream::{Frames, Sink, WalkOptions};
use super::{catch, AudioProps, Decoded, Quality};
use crate::error::{Error, MediaErrorKind, Problem, Result};

/// What one range of the file gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RangeAudio {
    pub fingerprint: Option<Vec<u32>>,
    pub fingerprint_error: Option<String>,
    /// BLAKE3 of the range's samples (lossless audio, decoded in full).
    pub pcm_hash: Option<[u8; 32]>,
    /// Frames of the range that decoded.
    pub frames: u64,
    /// The audio ended before the range did (a truncated image).
    pub cut_short: bool,
    /// What the range's audio really is (bandwidth, level), measured on
    /// its fingerprint window as a file's is.
    pub quality: Option<Quality>,
}

/// What [`read_ranges`] found.
#[derive(Debug, Clone, Default)]
pub struct RangesRead {
    pub samplerate: u32,
    pub channels: u16,
    /// The stream's length in frames, as the container declares it.
    pub total_frames: u64,
    /// The ranges asked for (`start..end` in frames), as planned.
    pub planned: Vec<(u64, u64)>,
    /// One entry per planned range.
    pub ranges: Vec<RangeAudio>,
    /// Problems met while decoding (bad frames, truncation).
    pub errors: Vec<Problem>,
}

/// One range's consumer.
struct Part {
    start: u64,
    end: u64,
    collect: Option<Collect>,
    fed: u64,
    wants: bool,
}

/// Splits a decode into the parts' ranges.
struct Split {
    /// The frame the walk's first sample is (after a seek; else 0).
    offset: u64,
    parts: Vec<Part>,
    channels: usize,
    buf: Vec<f32>,
}

impl Sink for Split {
    fn start(&mut self, samplerate: u32, channels: usize) {
        self.channels = channels.max(1);
        for p in &mut self.parts {
            if let Some(c) = p.collect.as_mut() {
                c.start(samplerate, channels);
            }
        }
    }

    fn samples(&mut self, frames: &Frames<'_>, n: usize, before: u64) -> bool {
        let before = before + self.offset;
        let after = before + n as u64;
        let ch = self.channels;
        let mut converted = false;
        for p in &mut self.parts {
            if !p.wants || p.end <= before || p.start >= after {
                continue;
            }
            if !converted {
                frames.to_f32(&mut self.buf);
                converted = true;
            }
            let a = (p.start.max(before) - before) as usize;
            let b = (p.end.min(after) - before) as usize;
            let slice = &self.buf[(a * ch).min(self.buf.len())..(b * ch).min(self.buf.len())];
            let got = slice.len() / ch;
            p.wants = match p.collect.as_mut() {
                Some(c) => c.samples(&Frames::F32(slice), got, p.fed),
                None => true,
            };
            p.fed += got as u64;
            if p.start + p.fed >= p.end {
                p.wants = false;
            }
        }
        self.parts.iter().any(|p| p.wants)
    }
}

/// Decode `path` once and give each range its fingerprint and quality
/// analysis (when `fingerprint`) and `pcm_hash` (when `pcm`, for lossless
/// audio); `props` are the file's, which the quality verdict weighs.
/// `plan` gets the decoded rate and the declared length in frames and
/// returns the ranges (`start..end` in frames). `Err` means the file could
/// not be decoded at all.
pub fn read_ranges(
    path: &Path,
    plan: &dyn Fn(u32, u64) -> Vec<(u64, u64)>,
    fingerprint: bool,
    pcm: bool,
    props: &AudioProps,
) -> Result<RangesRead> {
    let (st, _) = open_decodable(path)?;
    let si = st.info.clone();
    let (rate, total) = declared(path, &st.info)?;
    let planned = plan(rate, total);
    let pcm = pcm && si.lossless;
    if !(fingerprint || pcm) {
        return Ok(RangesRead {
            samplerate: rate,
            channels: si.channels.unwrap_or(0) as u16,
            total_frames: total,
            ranges: planned
                .iter()
                .map(|&(s, e)| RangeAudio {
                    frames: e - s,
                    ..RangeAudio::default()
                })
                .collect(),
            planned,
            errors: Vec::new(),
        });
    }
    let make = || Collect::new(fingerprint, pcm, false, None).with_analysis();
    // A lossless image is cut in as many runs of tracks as there are
    // threads, each decoded from near its first track (a seek), in
    // parallel; other streams are walked once from the start.
    let threads = if si.lossless {
        rayon::current_num_threads()
    } else {
        1
    };
    let runs = runs_of(&planned, threads);
    drop(st);
    let finish = |p: Part| {
        let complete = p.start + p.fed >= p.end;
        let c = p.collect.map(|c| c.finish(complete)).unwrap_or_default();
        RangeAudio {
            fingerprint: c.fingerprint,
            fingerprint_error: c.fingerprint_error,
            pcm_hash: c.pcm_hash,
            frames: p.fed,
            cut_short: p.wants,
            quality: c.measured.map(|m| judge_quality(m, props)),
        }
    };
    let walked: Vec<Result<(Vec<RangeAudio>, Vec<Problem>)>> = runs
        .par_iter()
        .enumerate()
        .map(|(i, run)| {
            let mut st = open_decodable(path)?.0;
            let spans = &planned[run.clone()];
            let offset = if i == 0 {
                0
            } else {
                st.seek_near(spans[0].0).unwrap_or(0)
            };
            let (_, parts, errors) = split_walk(path, &mut st, offset, spans, &make)?;
            Ok((parts.into_iter().map(finish).collect(), errors))
        })
        .collect();
    let mut ranges = Vec::with_capacity(planned.len());
    let mut errors = Vec::new();
    for w in walked {
        let (r, e) = w?;
        ranges.extend(r);
        errors.extend(e);
    }
    Ok(RangesRead {
        samplerate: rate,
        channels: si.channels.unwrap_or(0) as u16,
        total_frames: total,
        planned,
        ranges,
        errors,
    })
}

/// `planned` cut into at most `n` runs of consecutive ranges of about the
/// same length in frames (none when there is nothing to cut).
fn runs_of(planned: &[(u64, u64)], n: usize) -> Vec<std::ops::Range<usize>> {
    let total: u64 = planned.iter().map(|(s, e)| e - s).sum();
    let n = n.clamp(1, planned.len().max(1)) as u64;
    let mut out = Vec::new();
    let (mut from, mut acc) = (0usize, 0u64);
    for (i, (s, e)) in planned.iter().enumerate() {
        // Cut before a range whose middle lies past this run's share.
        let share = total * (out.len() as u64 + 1) / n;
        if i > from && acc + (e - s) / 2 > share && (out.len() as u64) < n - 1 {
            out.push(from..i);
            from = i;
        }
        acc += e - s;
    }
    if from < planned.len() {
        out.push(from..planned.len());
    }
    out
}

/// Decode frames `start..end` of `path` only (a track of a CUE image, for
/// export): the samples of that range, as [`super::decode`] gives a file's.
pub fn decode_range(path: &Path, start: u64, end: u64) -> Result<Decoded> {
    let (mut st, _) = open_decodable(path)?;
    let si = st.info.clone();
    let make = || Collect::new(false, false, true, None);
    // Decode from near the range, not from the start of the image.
    let offset = st.seek_near(start).unwrap_or(0);
    let (w, parts, errors) = split_walk(path, &mut st, offset, &[(start, end)], &make)?;
    let samples = parts
        .into_iter()
        .next()
        .and_then(|p| p.collect)
        .map(|c| c.finish(false).samples)
        .unwrap_or_default();
    Ok(Decoded {
        samplerate: w.samplerate.or(si.samplerate).unwrap_or(0),
        channels: w.channels.or(si.channels.map(|c| c as usize)).unwrap_or(0) as u16,
        bits_per_sample: si.bits,
        samples,
        errors,
    })
}

/// The rate and declared length of a stream: what places CUE tracks.
fn declared(path: &Path, si: &super::stream::StreamInfo) -> Result<(u32, u64)> {
    match (si.samplerate, si.frames) {
        (Some(rate), Some(total)) => Ok((rate, total)),
        _ => Err(Error::media(
            path,
            MediaErrorKind::Stream,
            "the audio's length is not declared, so its CUE tracks cannot be placed",
        )),
    }
}

/// Walk the stream once (its first sample being frame `offset`), handing
/// each planned range to a part made by `make`. Returns the walk, the parts, and the problems met (a part still
/// wanting samples when the walk ended was cut short: truncation).
fn split_walk(
    path: &Path,
    st: &mut super::stream::Stream,
    offset: u64,
    planned: &[(u64, u64)],
    make: &dyn Fn() -> Collect,
) -> Result<(super::stream::Walked, Vec<Part>, Vec<Problem>)> {
    let codec = st.info.codec;
    let parts = planned
        .iter()
        .map(|&(start, end)| Part {
            start,
            end,
            collect: Some(make()),
            fed: 0,
            wants: true,
        })
        .collect();
    let mut sink = Split {
        offset,
        parts,
        channels: 1,
        buf: Vec::new(),
    };
    let opts = WalkOptions {
        hash_packets: false,
        decode: true,
        verify: false,
    };
    let w = catch("decoder", || st.walk(opts, &mut sink))
        .map_err(|e| Error::media(path, MediaErrorKind::Panicked, e))?;
    if let Some(e) = &w.no_decoder {
        return Err(Error::media(
            path,
            MediaErrorKind::Unsupported,
            format!("cannot decode {codec}: {e}"),
        ));
    }
    let mut errors = w.errors.clone();
    // A part still wanting samples when the walk ended did not get them all.
    if let Some((i, p)) = sink.parts.iter().enumerate().find(|(_, p)| p.wants) {
        errors.push(Problem::new(
            MediaErrorKind::Truncated,
            format!(
                "truncated: CUE track {} of the image decoded {} of {} samples",
                i + 1,
                p.fed,
                p.end - p.start
            ),
        ));
    }
    Ok((w, sink.parts, errors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::encode::{encode_flac, encode_wav};
    use crate::media::test_audio::{pcm, pcm16, write};

    #[test]
    fn runs_are_consecutive_and_about_even() {
        let p = [(0, 10), (10, 20), (20, 30), (30, 100)];
        assert_eq!(runs_of(&p, 2), [0..3, 3..4]);
        assert_eq!(runs_of(&p, 1)[0], 0..4);
        assert_eq!(runs_of(&[(0, 5), (5, 10)], 8), [0..1, 1..2]);
        assert!(runs_of(&[], 2).is_empty());
    }

    /// A range decoded on its own (after a seek into the FLAC, from the
    /// start of the WAV) is exactly that slice of the samples; a range read
    /// with the others hashes the same as the slice on its own.
    #[test]
    fn a_range_is_exactly_its_samples_with_or_without_a_seek() {
        let dir = tempfile::tempdir().unwrap();
        let s = pcm16(3, 20.0);
        let (start, end) = (441_000u64 + 17, 661_500u64);
        let want: Vec<f32> = s[start as usize * 2..end as usize * 2]
            .iter()
            .map(|&v| v as f32 / 32_768.0)
            .collect();
        for (name, bytes) in [
            ("a.flac", encode_flac(pcm(&s)).unwrap()),
            ("a.wav", encode_wav(pcm(&s)).unwrap()),
        ] {
            let p = write(dir.path(), name, &bytes);
            let d = decode_range(&p, start, end).unwrap();
            assert!(d.errors.is_empty(), "{name}: {:?}", d.errors);
            assert_eq!(d.samples.len(), want.len(), "{name}");
            let first_off = d.samples.iter().zip(&want).position(|(a, b)| a != b);
            assert_eq!(first_off, None, "{name}: not the slice");
            let one = read_ranges(
                &p,
                &|_, _| vec![(start, end)],
                false,
                true,
                &AudioProps::default(),
            )
            .unwrap();
            let all = read_ranges(
                &p,
                &|_, total| vec![(0, start), (start, end), (end, total)],
                false,
                true,
                &AudioProps::default(),
            )
            .unwrap();
            assert_eq!(all.ranges[1].pcm_hash, one.ranges[0].pcm_hash, "{name}");
            assert!(one.ranges[0].pcm_hash.is_some(), "{name}");
            assert_eq!(all.total_frames, 882_000);
        }
    }
}

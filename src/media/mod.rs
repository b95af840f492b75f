//! Reading one media file: what it is (sniffed from its content), its tags
//! (lofty), audio properties, hashes (BLAKE3 of the file, of the demuxed audio
//! packets, of decoded PCM for lossless files), embedded art and the acoustic
//! fingerprint (rusty-chromaprint), plus full decoding for check and export.
//!
//! Media files are untrusted input: every entry point here catches panics from
//! the parsing libraries and turns them into that file's error.

mod asf;
mod downsample;
mod fingerprint;
mod hash;
mod integrity;
pub mod mpeg;
mod opus;
mod region;
mod sniff;
mod spectrum;
mod stream;
pub mod synth;
mod tags;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use crate::error::{Error, MediaErrorKind, Problem, Result};
pub use crate::library::track::{AudioProps, Quality, Tags};
#[doc(hidden)]
pub use fingerprint::bit_error_rate;
pub use fingerprint::{FINGERPRINT_SECONDS, MIN_FINGERPRINT_SECONDS};

/// The version of the decode analysis (fingerprint, bandwidth, level)
/// that this build stores in `tracks.analysed`. Raise it when the analysis
/// changes: a fingerprinting scan then reads older rows again, so no
/// verdict is stale.
pub const ANALYSIS_VERSION: u32 = 2;
pub use sniff::{sniff, Container, OggCodec, Sniffed};
pub use spectrum::expected_bandwidth;
pub use tags::MAX_FIELD_BYTES;

use stream::WalkOptions;

/// What reading a file produced. A file that could be read only in part
/// still yields a `MediaInfo`, with `error` saying what went wrong.
#[derive(Debug, Clone, Default)]
pub struct MediaInfo {
    pub tags: Tags,
    pub props: AudioProps,
    /// Has embedded art.
    pub art: bool,
    /// BLAKE3 of the front cover's bytes.
    pub art_hash: Option<[u8; 32]>,
    /// BLAKE3 of every byte of the file.
    pub file_hash: [u8; 32],
    /// BLAKE3 of the audio stream alone (tags excluded).
    pub audio_hash: Option<[u8; 32]>,
    /// BLAKE3 of the decoded samples (lossless files only, when fingerprinting).
    pub pcm_hash: Option<[u8; 32]>,
    /// Chromaprint raw fingerprint (fpcalc default algorithm, first 120 s).
    pub fingerprint: Option<Vec<u32>>,
    /// Why there is no fingerprint, e.g. "unavailable (no decoder for APE)".
    pub fingerprint_error: Option<String>,
    /// What the decode analysis found the audio to be (when fingerprinting).
    pub quality: Quality,
    /// Whether the decode analysis ran (fingerprint, quality): a read
    /// without it (`scan --no-fingerprint`) is completed by a later scan.
    pub analysed: bool,
    /// Why the file could be read only in part, each with its kind.
    pub problems: Vec<Problem>,
}

impl MediaInfo {
    /// What reading gave for a track already in the library (for a byte copy
    /// of its file); `None` when the row has no file hash (it was never read).
    pub fn from_track(t: &crate::library::Track) -> Option<MediaInfo> {
        Some(MediaInfo {
            tags: t.tags.clone(),
            props: t.props.clone(),
            art: t.art,
            art_hash: t.art_hash,
            file_hash: t.file_hash?,
            audio_hash: t.audio_hash,
            pcm_hash: t.pcm_hash,
            fingerprint: t.fingerprint.clone(),
            fingerprint_error: t.fingerprint_error.clone(),
            quality: t.quality.clone(),
            analysed: t.analysed == Some(ANALYSIS_VERSION),
            problems: match (&t.error, t.error_kind) {
                (Some(e), kind) => vec![Problem::new(kind.unwrap_or(MediaErrorKind::Io), e)],
                (None, _) => Vec::new(),
            },
        })
    }

    /// The problems as stored: the most severe kind and every message.
    pub fn error(&self) -> Option<(MediaErrorKind, String)> {
        crate::error::summarise(&self.problems)
    }

    /// Every problem's message, joined with `; ` (what `error` stores).
    pub fn error_text(&self) -> Option<String> {
        self.error().map(|(_, text)| text)
    }
}

/// What to do while reading.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// Decode and fingerprint (and pcm_hash lossless files).
    pub fingerprint: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { fingerprint: true }
    }
}

/// Read everything mixtape stores about one file. `Err` means the file could
/// not be read at all (I/O error, empty, not audio); partial failures are in
/// `MediaInfo::error`.
///
/// The file is read at most three times: once for `file_hash`, once by lofty
/// (tags only, small seeks), and once by symphonia, which hashes the demuxed
/// packets and, when fingerprinting, decodes them in the same pass (first
/// 120 s for the fingerprint; the whole file for a lossless `pcm_hash`).
/// FLAC and WAV skip the packet walk when not decoding: their audio is one
/// byte run that the headers locate (`region.rs`), hashed in the same read as
/// `file_hash`.
///
/// `audio_hash` is the BLAKE3 of the demuxed packets for every container
/// symphonia demuxes (MP3, AAC, MP4/M4A, FLAC, Ogg, WAV, AIFF, CAF, MKV; for
/// FLAC and WAV computed as the BLAKE3 of the byte run, the same value). For
/// the others (APE, WavPack, Musepack, WMA, DSF, ...) it is the BLAKE3 of the
/// file minus its tag regions (leading ID3v2; trailing APEv2, Lyrics3v2 and
/// ID3v1; DSF's ID3v2 chunk; ASF's header object). Either way a change to
/// tags alone keeps it.
pub fn read_media(path: &Path, opts: &ReadOptions) -> Result<MediaInfo> {
    read_media_with(path, opts, &|_| None)
}

/// [`read_media`], asking `same_bytes` once the file is hashed whether a file
/// with the same bytes (its `file_hash`) has a result already (read earlier
/// in this scan, or stored in the library): its answer is returned as this
/// file's result, without parsing or decoding again (every field of a
/// `MediaInfo` follows from the bytes, given the same options).
pub fn read_media_with(
    path: &Path,
    opts: &ReadOptions,
    same_bytes: &dyn Fn(&[u8; 32]) -> Option<MediaInfo>,
) -> Result<MediaInfo> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::media(path, MediaErrorKind::Io, "is a directory"));
    }
    if meta.len() == 0 {
        return Err(Error::media(path, MediaErrorKind::Empty, "empty file"));
    }
    let sniffed = sniff(path)?;
    let container = match sniffed {
        Sniffed::Audio(c) => Some(c),
        Sniffed::Unknown if has_audio_extension(path) => None,
        other => {
            let reason = other
                .not_audio_reason()
                .unwrap_or_else(|| "not an audio file".to_string());
            return Err(Error::media(path, MediaErrorKind::NotAudio, reason));
        }
    };
    // One read hashes the whole file and, where the audio is one byte run
    // the headers locate (FLAC, WAV, and the formats symphonia cannot
    // demux), the audio too.
    let (file_hash, region) = hash_once(path, container).map_err(|e| Error::io(path, e))?;
    if let Some(info) = same_bytes(&file_hash) {
        return Ok(info);
    }
    let mut info = MediaInfo {
        file_hash,
        ..Default::default()
    };
    let mut problems: Vec<Problem> = Vec::new();
    let tags_problem = |m: String| Problem::new(MediaErrorKind::Tags, m);
    let panicked = |m: String| Problem::new(MediaErrorKind::Panicked, m);

    // Tags (lofty knows neither ASF/WMA nor DSF/DFF, nor CAF/Matroska/TTA/...).
    let lofty_reads = container.is_none_or(|c| {
        !matches!(
            c,
            Container::Asf
                | Container::Dff
                | Container::Caf
                | Container::Matroska
                | Container::Tta
                | Container::OptimFrog
                | Container::Tak
                | Container::Ac3
        )
    });
    let lofty = if container == Some(Container::Asf) {
        match catch("ASF parser", || asf::read(path)) {
            Ok(Some(a)) => Some(tags::LoftyRead {
                tags: a.tags,
                art: a.art,
                art_hash: a.art_hash,
                props: a.props,
            }),
            Ok(None) => {
                problems.push(tags_problem(
                    "tags unreadable: malformed ASF header".to_string(),
                ));
                None
            }
            Err(e) => {
                problems.push(panicked(e));
                None
            }
        }
    } else if lofty_reads {
        match catch("tag parser", || match container {
            Some(Container::Dsf) => tags::read_dsf(path),
            _ => tags::read(path, container == Some(Container::Mp4)),
        }) {
            Ok(Ok(l)) => Some(l),
            Ok(Err(e)) => {
                problems.push(tags_problem(format!("tags unreadable: {e}")));
                None
            }
            Err(e) => {
                problems.push(panicked(e));
                None
            }
        }
    } else {
        None
    };

    // The audio stream.
    let demuxable = container.is_none_or(|c| c.symphonia_demuxes());
    let mut opened = None;
    // symphonia knows the container but could not open this file, for a
    // reason other than an unsupported codec inside it.
    let mut unreadable = false;
    if demuxable {
        let opening = catch("demuxer", || stream::open(path, container));
        match opening.unwrap_or_else(|e| Err(panicked(e))) {
            Ok(s) => opened = Some(s),
            Err(e) => {
                if container.is_none() && lofty.is_none() {
                    return Err(Error::media(
                        path,
                        MediaErrorKind::NotAudio,
                        "not an audio file (unrecognised content)",
                    ));
                }
                unreadable = e.kind != MediaErrorKind::Unsupported;
                let kind = match e.kind {
                    MediaErrorKind::Io => MediaErrorKind::Stream,
                    k => k,
                };
                problems.push(Problem::new(
                    kind,
                    format!("audio stream unreadable: {}", e.message),
                ));
            }
        }
    }

    let mut stream_info = None;
    let mut packet_bytes = 0u64;
    // Where the packets end, in frames: the length of a stream whose
    // header does not say (a FLAC declaring 0 total samples).
    let mut walked_frames: Option<u64> = None;
    // The spectrum analysis of the fingerprint's window, judged once the
    // properties (bitrate) are known.
    let mut measured: Option<spectrum::Measured> = None;
    // The region of a demuxable container (FLAC, WAV) stands for its
    // packets, when its headers also said how far the stream reaches (a
    // FLAC whose tail holds no confirmed frame takes the packet walk).
    let fast = region.filter(|r| r.demuxed && r.end_frames.is_some());
    if let (Some(st), Some(r), false) = (
        opened.as_ref(),
        fast,
        opts.fingerprint && opened.as_ref().is_some_and(|s| s.info.decodable),
    ) {
        // Nothing to decode: the headers and the region say it all.
        let si = st.info.clone();
        problems.extend(si.problems.iter().cloned());
        info.audio_hash = (r.bytes > 0).then_some(r.hash);
        packet_bytes = r.bytes;
        if r.bytes == 0 {
            problems.push(no_audio_data());
        }
        walked_frames = r.end_frames;
        if let Some(end) = r.end_frames {
            let w = stream::Walked {
                packet_end_ts: end,
                ..Default::default()
            };
            problems.extend(truncation(&si, &w, false));
        }
        if opts.fingerprint {
            info.fingerprint_error = Some(undecodable_reason(&si));
        }
        stream_info = Some(si);
    } else if let Some(mut st) = opened {
        let si = st.info.clone();
        problems.extend(si.problems.iter().cloned());
        let decode = opts.fingerprint && si.decodable;
        let mut sink =
            fingerprint::Collect::new(decode, decode && si.lossless, false, None).with_analysis();
        let walk_opts = WalkOptions {
            hash_packets: fast.is_none(),
            decode,
            verify: false,
        };
        match catch("decoder", || {
            let w = st.walk(walk_opts, &mut sink);
            (w, sink)
        }) {
            Ok((w, sink)) => {
                info.audio_hash = match fast {
                    Some(r) => (r.bytes > 0 && w.packet_bytes > 0).then_some(r.hash),
                    None => w.packet_hash.filter(|_| w.packet_bytes > 0),
                };
                packet_bytes = w.packet_bytes;
                let complete = decode
                    && !w.stopped_early
                    && !w.demux_failed
                    && !w.decode_aborted
                    && w.no_decoder.is_none();
                if let Some(trunc) = truncation(&si, &w, decode) {
                    problems.push(trunc);
                }
                problems.extend(w.errors.iter().cloned());
                if w.packet_bytes == 0 {
                    problems.push(no_audio_data());
                }
                walked_frames = Some(w.packet_end_ts);
                if opts.fingerprint {
                    if w.decode_aborted {
                        info.fingerprint_error =
                            Some("unavailable (the decoder failed on this file)".to_string());
                    } else if let Some(e) = &w.no_decoder {
                        info.fingerprint_error =
                            Some(format!("unavailable (cannot decode {}: {e})", si.codec));
                    } else if !si.decodable {
                        info.fingerprint_error = Some(undecodable_reason(&si));
                    } else {
                        let c = sink.finish(complete);
                        info.fingerprint = c.fingerprint;
                        info.fingerprint_error = c.fingerprint_error;
                        info.pcm_hash = c.pcm_hash;
                        measured = c.measured;
                    }
                }
            }
            Err(e) => {
                problems.push(panicked(e));
                if opts.fingerprint {
                    info.fingerprint_error = Some("unavailable (decoder failed)".to_string());
                }
            }
        }
        stream_info = Some(si);
    } else {
        // No demuxer (or symphonia could not open the stream): the file
        // minus its tags (read again here only for a stream that failed).
        info.audio_hash = match region {
            Some(r) if !r.demuxed => Some(r.hash),
            _ => hash::audio_region(path, container)
                .and_then(|(start, end)| hash::file_and_region_hash(path, start, end))
                .ok()
                .map(|(_, audio)| audio),
        };
        if opts.fingerprint {
            info.fingerprint_error = Some(if unreadable {
                "unavailable (audio stream unreadable)".to_string()
            } else {
                let name = container.map(|c| c.display_name()).unwrap_or("this format");
                format!("unavailable (no decoder for {name})")
            });
        }
    }

    // Properties: symphonia's codec facts win; lofty fills the rest.
    let lofty_props = lofty.as_ref().map(|l| l.props.clone()).unwrap_or_default();
    let extra = if stream_info.is_none() && container == Some(Container::Dsf) {
        container.and_then(|c| props_from_header(path, c))
    } else {
        None
    };
    let mut props = AudioProps::default();
    if let Some(si) = &stream_info {
        props.format = Some(si.codec.to_string());
        props.lossless = Some(si.lossless);
        props.samplerate = si.samplerate;
        props.channels = si.channels;
        props.bitdepth = si.bits;
        props.length = si.length.or_else(|| {
            let rate = si.samplerate? as f64;
            walked_frames.filter(|&n| n > 0).map(|n| n as f64 / rate)
        });
    } else if let Some(c) = container {
        props.format = Some(c.default_format().to_string());
        props.lossless = c.lossless();
    }
    let base = extra.unwrap_or(lofty_props);
    props.length = props.length.or(base.length);
    // A rate no audio has is a damaged header, not a fact (lofty reports
    // what the header says).
    props.samplerate = props
        .samplerate
        .or(base.samplerate.filter(|&r| r <= stream::MAX_SAMPLE_RATE));
    props.channels = props.channels.or(base.channels);
    if props.lossless == Some(true) {
        props.bitdepth = props.bitdepth.or(base.bitdepth);
    } else {
        props.bitdepth = None;
    }
    props.bitrate = base.bitrate.or_else(|| {
        let len = props.length?;
        (len > 0.0 && packet_bytes > 0).then(|| (packet_bytes as f64 * 8.0 / len).round() as u32)
    });
    if let Some(m) = measured {
        let v = spectrum::judge(
            &m,
            props.format.as_deref().unwrap_or(""),
            props.lossless.unwrap_or(false),
            props.bitrate,
            props.channels,
        );
        info.quality = Quality {
            bandwidth: m.bandwidth,
            lossy_source: v.lossy_source,
            upscaled: v.upscaled,
            rms_db: m.rms_db,
            peak_db: m.peak_db,
            spectrum: (!m.bands.is_empty()).then_some(m.bands),
        };
    }
    info.props = props;
    if let Some(l) = lofty {
        info.tags = l.tags;
        info.art = l.art;
        info.art_hash = l.art_hash;
    }
    info.problems = problems;
    info.analysed = opts.fingerprint;
    Ok(info)
}

/// Where a file's audio lies, when its headers say so without demuxing.
#[derive(Debug, Clone, Copy)]
struct Region {
    /// BLAKE3 of the audio bytes.
    hash: [u8; 32],
    /// Bytes of audio.
    bytes: u64,
    /// Frames the present bytes reach (FLAC, WAV), for the truncation check.
    end_frames: Option<u64>,
    /// Whether symphonia demuxes this container (the region then stands for
    /// its packets); otherwise it is the "file minus tags" fallback.
    demuxed: bool,
}

/// Hash the file once: its `file_hash`, and the audio region with its hash
/// when the container's audio is a byte run found from its headers.
fn hash_once(
    path: &Path,
    container: Option<Container>,
) -> std::io::Result<([u8; 32], Option<Region>)> {
    let demuxed = container.is_none_or(|c| c.symphonia_demuxes());
    let range = if !demuxed {
        let (start, end) = hash::audio_region(path, container)?;
        Some((start, end, None))
    } else if matches!(container, Some(Container::Flac | Container::Wav)) {
        let mut file = std::fs::File::open(path)?;
        let len = file.metadata()?.len();
        region::audio_region(&mut file, len, container)?.map(|r| (r.start, r.end, r.end_frames))
    } else {
        None
    };
    match range {
        Some((start, end, end_frames)) => {
            let (whole, hash) = hash::file_and_region_hash(path, start, end)?;
            let region = Region {
                hash,
                bytes: end.saturating_sub(start),
                end_frames,
                demuxed,
            };
            Ok((whole, Some(region)))
        }
        None => Ok((hash::file_hash(path)?, None)),
    }
}

/// The problem of a container without audio data.
fn no_audio_data() -> Problem {
    Problem::new(MediaErrorKind::NoAudio, "no audio data")
}

/// The fingerprint error for a stream we do not decode: a header out of
/// range, or a codec without a decoder.
fn undecodable_reason(si: &stream::StreamInfo) -> String {
    match si.problems.first() {
        Some(p) => format!("unavailable ({})", p.message),
        None => no_decoder_reason(si.codec),
    }
}

/// The fingerprint error for a codec we cannot decode.
fn no_decoder_reason(codec: &str) -> String {
    format!("unavailable (no decoder for {})", codec.to_uppercase())
}

/// "truncated (decoded 0.8 of 2.0 s)" when the stream ends well before the
/// length its header declares. Judged from a decode only when it ran to the
/// end: a decode stopped at the fingerprint's window says nothing of the
/// length, and then the packets' timestamps (what the container holds) do.
fn truncation(si: &stream::StreamInfo, w: &stream::Walked, decoded: bool) -> Option<Problem> {
    let declared = si.frames?;
    let rate = si.samplerate? as f64;
    if w.stopped_early {
        return None;
    }
    let decoded_to_end = decoded && !w.sink_satisfied && w.no_decoder.is_none();
    let got = if decoded_to_end && w.decoded_frames > 0 {
        w.decoded_frames
    } else {
        w.packet_end_ts
    };
    // Tolerate encoder padding/priming (a few thousand frames).
    let tolerance = (declared / 100).max(4096);
    (got + tolerance < declared).then(|| {
        Problem::new(
            MediaErrorKind::Truncated,
            format!(
                "truncated (decoded {:.1} of {:.1} s)",
                got as f64 / rate,
                declared as f64 / rate
            ),
        )
    })
}

/// Properties read straight from the header of a format neither lofty nor
/// symphonia reads (DSF; ASF has its own reader in `asf.rs`).
fn props_from_header(path: &Path, c: Container) -> Option<AudioProps> {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(64 * 1024)
        .read_to_end(&mut head)
        .ok()?;
    let u32le = |b: &[u8], o: usize| -> Option<u32> {
        Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?))
    };
    let u64le = |b: &[u8], o: usize| -> Option<u64> {
        Some(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?))
    };
    match c {
        Container::Dsf => {
            // "DSD " chunk (28 bytes), then "fmt " chunk.
            if head.get(28..32)? != b"fmt " {
                return None;
            }
            let f = &head[28..];
            let channels = u32le(f, 24)?;
            let rate = u32le(f, 28)?;
            let bits = u32le(f, 32)?;
            let frames = u64le(f, 36)?;
            let length = (rate > 0).then(|| frames as f64 / rate as f64);
            Some(AudioProps {
                format: Some("dsd".into()),
                lossless: Some(true),
                length,
                samplerate: Some(rate),
                channels: Some(channels),
                bitdepth: Some(bits),
                bitrate: Some(rate.saturating_mul(channels)),
            })
        }
        _ => None,
    }
}

/// Run `f`, turning a panic into `"<what> panicked: <message>"`.
pub(crate) fn catch<T>(what: &str, f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        format!("{what} panicked: {msg}")
    })
}

/// Decoded audio: interleaved f32 samples in [-1, 1].
#[derive(Debug, Clone, Default)]
pub struct Decoded {
    pub samplerate: u32,
    pub channels: u16,
    /// The source's bits per sample, when known (lossless formats).
    pub bits_per_sample: Option<u32>,
    /// Interleaved samples.
    pub samples: Vec<f32>,
    /// Problems met while decoding (bad frames, truncation, ...): the samples
    /// cover what decoded.
    pub errors: Vec<Problem>,
}

/// Decode a file (at most `max_seconds` of it, when given). Problems met
/// on the way (bad frames, truncation, a FLAC MD5 mismatch on a full decode)
/// are in `Decoded::errors`; `Err` means the file could not be opened or
/// has no decodable audio.
pub fn decode(path: &Path, max_seconds: Option<f64>) -> Result<Decoded> {
    let (decoded, _) = decode_into(path, max_seconds, true)?;
    Ok(decoded)
}

/// What a full verification decode found (see [`verify`]).
#[derive(Debug, Clone, Default)]
pub struct Verified {
    /// Seconds decoded.
    pub seconds: f64,
    /// Problems: bad frames, truncation, CRC or MD5 mismatch. Empty when clean.
    pub errors: Vec<Problem>,
}

/// Decode the whole file without keeping the samples (memory stays bounded
/// whatever its length) and report any damage: what `mixtape check` runs.
pub fn verify(path: &Path) -> Result<Verified> {
    let (d, frames) = decode_into(path, None, false)?;
    let seconds = if d.samplerate > 0 {
        frames as f64 / d.samplerate as f64
    } else {
        0.0
    };
    Ok(Verified {
        seconds,
        errors: d.errors,
    })
}

/// Open `path` for decoding: sniffed, demuxed by symphonia, with a decoder.
/// Also returns the sniffed container.
fn open_decodable(path: &Path) -> Result<(stream::Stream, Option<Container>)> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() == 0 {
        return Err(Error::media(path, MediaErrorKind::Empty, "empty file"));
    }
    let container = match sniff(path)? {
        Sniffed::Audio(c) => Some(c),
        Sniffed::Unknown => None,
        other => {
            let reason = other
                .not_audio_reason()
                .unwrap_or_else(|| "not an audio file".to_string());
            return Err(Error::media(path, MediaErrorKind::NotAudio, reason));
        }
    };
    if let Some(c) = container.filter(|c| !c.symphonia_demuxes()) {
        return Err(Error::media(
            path,
            MediaErrorKind::Unsupported,
            format!("unsupported format (no decoder for {})", c.display_name()),
        ));
    }
    let st = catch("demuxer", || stream::open(path, container))
        .unwrap_or_else(|e| Err(Problem::new(MediaErrorKind::Panicked, e)))
        .map_err(|p| Error::problem(path, p))?;
    if let Some(p) = st.info.problems.first() {
        return Err(Error::problem(path, p.clone()));
    }
    if !st.info.decodable {
        return Err(Error::media(
            path,
            MediaErrorKind::Unsupported,
            format!("unsupported format (no decoder for {})", st.info.codec),
        ));
    }
    Ok((st, container))
}

/// The acoustic fingerprint alone: the first 120 s decoded and fingerprinted
/// as `scan` does, without the hashes (for a file outside the library, and
/// for timing the fingerprint against fpcalc). The inner `Err` says why a
/// decodable file has no fingerprint (too short, silent, decoder failure).
pub fn fingerprint_only(path: &Path) -> Result<std::result::Result<Vec<u32>, String>> {
    let (mut st, _) = open_decodable(path)?;
    let sink = fingerprint::Collect::new(true, false, false, None);
    let (w, sink) = decode_walk(path, &mut st, sink, false)?;
    let c = sink.finish(false);
    Ok(match (c.fingerprint, c.fingerprint_error) {
        (Some(fp), _) => Ok(fp),
        (None, Some(e)) => Err(e),
        (None, None) => Err(crate::error::summarise(&w.errors)
            .map(|(_, text)| text)
            .unwrap_or_default()),
    })
}

/// Walk `st` decoding into `sink` (no packet hashing), a decoder panic
/// becoming the file's error; `verify` checks the FLAC MD5 too.
fn decode_walk(
    path: &Path,
    st: &mut stream::Stream,
    mut sink: fingerprint::Collect,
    verify: bool,
) -> Result<(stream::Walked, fingerprint::Collect)> {
    let walk_opts = WalkOptions {
        hash_packets: false,
        decode: true,
        verify,
    };
    catch("decoder", || {
        let w = st.walk(walk_opts, &mut sink);
        (w, sink)
    })
    .map_err(|e| Error::media(path, MediaErrorKind::Panicked, e))
}

/// The shared decode: collect samples (`keep`) or not. Returns the decoded
/// audio and the number of frames decoded.
fn decode_into(path: &Path, max_seconds: Option<f64>, keep: bool) -> Result<(Decoded, u64)> {
    let (mut st, container) = open_decodable(path)?;
    let si = st.info.clone();
    let full = max_seconds.is_none();
    let sink = fingerprint::Collect::new(false, false, keep, max_seconds);
    let (w, sink) = decode_walk(path, &mut st, sink, full)?;
    if let Some(e) = &w.no_decoder {
        return Err(Error::media(
            path,
            MediaErrorKind::Unsupported,
            format!("cannot decode {}: {e}", si.codec),
        ));
    }
    let mut errors = Vec::new();
    if full {
        if let Some(t) = truncation(&si, &w, true) {
            errors.push(t);
        }
    }
    errors.extend(w.errors.iter().cloned());
    if full {
        // The container's own structure, which the demuxer skips over
        // silently: MPEG frame chains, Ogg page CRCs, FLAC frame CRCs. A
        // panic in these checks of ours is not the file's damage.
        let structural = match container {
            Some(Container::Mpeg) => catch("frame check", || mpeg::chain::check_file(path)),
            // Not sniffed (junk before the first frame), but demuxed as MPEG.
            None if matches!(si.codec, "mp3" | "mp2" | "mp1") => {
                catch("frame check", || mpeg::chain::check_file(path))
            }
            Some(Container::Ogg(_)) => catch("Ogg page check", || integrity::ogg_pages(path)),
            Some(Container::Flac) => catch("FLAC frame check", || integrity::flac_frames(path)),
            _ => Ok(Vec::new()),
        };
        for e in structural.unwrap_or_default() {
            let dup = e.kind == MediaErrorKind::Truncated
                && errors.iter().any(|x| x.kind == MediaErrorKind::Truncated);
            if !dup {
                errors.push(e);
            }
        }
    }
    if w.decoded_frames == 0 && errors.is_empty() {
        errors.push(Problem::new(MediaErrorKind::NoAudio, "no audio decoded"));
    }
    let c = sink.finish(false);
    let decoded = Decoded {
        samplerate: w.samplerate.or(si.samplerate).unwrap_or(0),
        channels: w
            .channels
            .map(|c| c as u16)
            .or(si.channels.map(|c| c as u16))
            .unwrap_or(0),
        bits_per_sample: si.bits,
        samples: c.samples,
        errors,
    };
    Ok((decoded, w.decoded_frames))
}

/// Is this file name's extension one that audio files use? Files with no
/// extension, or an unknown one, are sniffed by content by the scanner.
pub fn has_audio_extension(path: &Path) -> bool {
    const EXTS: &[&str] = &[
        "mp3", "mp2", "mp1", "flac", "ogg", "oga", "opus", "m4a", "m4b", "mp4", "aac", "alac",
        "wav", "wave", "aif", "aiff", "aifc", "ape", "wv", "mpc", "wma", "asf", "dsf", "dff",
        "caf", "mka", "webm", "spx", "tta", "ofr", "tak",
    ];
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| EXTS.iter().any(|x| x.eq_ignore_ascii_case(e)))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::encode::{encode_flac, encode_mp3, encode_wav, quantize, Mp3Rate, Pcm};
    use std::path::PathBuf;
    use symphonia::core::formats::probe::Hint;
    use symphonia::core::io::MediaSourceStream;

    const RATE: u32 = 44100;

    fn pcm16(seed: u64, secs: f64) -> Vec<i32> {
        quantize(&synth::music(seed, secs, RATE, 2), 16)
    }

    fn pcm(s: &[i32]) -> Pcm<'_> {
        Pcm::cd(s)
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn set_title(path: &Path, title: &str) {
        use lofty::config::WriteOptions;
        use lofty::file::{AudioFile, TaggedFileExt};
        use lofty::tag::{Accessor, Tag};
        let mut file = lofty::read_from_path(path).unwrap();
        let tt = file.primary_tag_type();
        if file.tag(tt).is_none() {
            file.insert_tag(Tag::new(tt));
        }
        file.tag_mut(tt).unwrap().set_title(title.to_string());
        file.save_to_path(path, WriteOptions::default()).unwrap();
    }

    fn read(p: &Path) -> MediaInfo {
        read_media(p, &ReadOptions { fingerprint: true }).unwrap()
    }

    #[test]
    fn tag_change_keeps_audio_hash_but_changes_file_hash() {
        let dir = tempfile::tempdir().unwrap();
        let s = pcm16(1, 4.0);
        for (name, bytes) in [
            ("a.flac", encode_flac(pcm(&s)).unwrap()),
            ("a.mp3", encode_mp3(pcm(&s), Mp3Rate::Cbr(192)).unwrap()),
        ] {
            let p = write(dir.path(), name, &bytes);
            set_title(&p, "first");
            let before = read(&p);
            set_title(&p, "a much longer second title that moves the audio");
            let after = read(&p);
            assert_eq!(
                after.tags.title.as_deref(),
                Some("a much longer second title that moves the audio")
            );
            assert_ne!(before.file_hash, after.file_hash, "{name}");
            assert!(before.audio_hash.is_some(), "{name}");
            assert_eq!(before.audio_hash, after.audio_hash, "{name}");
            assert_eq!(before.error_text(), None, "{name}");
        }
    }

    /// The BLAKE3 of every packet symphonia demuxes, the definition the
    /// FLAC and WAV byte regions must reproduce.
    fn packet_hash(p: &Path) -> [u8; 32] {
        let container = match sniff(p).unwrap() {
            Sniffed::Audio(c) => Some(c),
            _ => None,
        };
        let mut st = stream::open(p, container).unwrap();
        let mut sink = fingerprint::Collect::new(false, false, false, None);
        let opts = WalkOptions {
            hash_packets: true,
            decode: false,
            verify: false,
        };
        st.walk(opts, &mut sink).packet_hash.unwrap()
    }

    #[test]
    fn region_hash_is_the_packet_hash_and_truncation_is_seen_without_decoding() {
        let dir = tempfile::tempdir().unwrap();
        let s = pcm16(7, 6.0);
        let no_fp = ReadOptions { fingerprint: false };
        for (name, bytes) in [
            ("r.flac", encode_flac(pcm(&s)).unwrap()),
            ("r.wav", encode_wav(pcm(&s)).unwrap()),
        ] {
            let p = write(dir.path(), name, &bytes);
            set_title(&p, "tagged");
            let fast = read_media(&p, &no_fp).unwrap();
            let full = read(&p);
            assert_eq!(fast.audio_hash, Some(packet_hash(&p)), "{name}");
            assert_eq!(fast.audio_hash, full.audio_hash, "{name}");
            assert_eq!(fast.error_text(), None, "{name}");
            assert_eq!(
                fast.file_hash,
                *blake3::hash(&std::fs::read(&p).unwrap()).as_bytes()
            );

            let cut = std::fs::read(&p).unwrap();
            let t = write(dir.path(), &format!("cut-{name}"), &cut[..cut.len() / 2]);
            let fast = read_media(&t, &no_fp).unwrap();
            let err = fast.error_text().unwrap_or_default();
            assert!(err.contains("truncated"), "{name}: {err}");
        }
    }

    #[test]
    fn flac_and_wav_of_the_same_samples_share_pcm_hash() {
        let dir = tempfile::tempdir().unwrap();
        let s = pcm16(2, 5.0);
        let flac = write(dir.path(), "x.flac", &encode_flac(pcm(&s)).unwrap());
        let wav = write(dir.path(), "x.wav", &encode_wav(pcm(&s)).unwrap());
        let other = write(
            dir.path(),
            "y.wav",
            &encode_wav(pcm(&pcm16(3, 5.0))).unwrap(),
        );
        let (f, w, o) = (read(&flac), read(&wav), read(&other));
        assert_eq!(f.props.format.as_deref(), Some("flac"));
        assert_eq!(w.props.format.as_deref(), Some("pcm"));
        assert_eq!(f.props.bitdepth, Some(16));
        assert!(f.pcm_hash.is_some());
        assert_eq!(f.pcm_hash, w.pcm_hash);
        assert_ne!(f.pcm_hash, o.pcm_hash);
        assert_ne!(f.audio_hash, w.audio_hash);
        assert!((f.props.length.unwrap() - 5.0).abs() < 0.01);
        assert_eq!(f.props.samplerate, Some(RATE));
        assert_eq!(f.props.channels, Some(2));
    }

    #[test]
    fn fingerprints_match_across_codecs_and_differ_between_songs() {
        let dir = tempfile::tempdir().unwrap();
        let s = pcm16(4, 10.0);
        let flac = write(dir.path(), "s.flac", &encode_flac(pcm(&s)).unwrap());
        let mp3 = write(
            dir.path(),
            "s.mp3",
            &encode_mp3(pcm(&s), Mp3Rate::Cbr(128)).unwrap(),
        );
        let other = write(
            dir.path(),
            "o.flac",
            &encode_flac(pcm(&pcm16(5, 10.0))).unwrap(),
        );
        let (f, m, o) = (read(&flac), read(&mp3), read(&other));
        let ff = f.fingerprint.expect("flac fingerprint");
        let mf = m.fingerprint.expect("mp3 fingerprint");
        let of = o.fingerprint.expect("other fingerprint");
        // 10 s at 11025 Hz in 1365-sample steps, minus the filters' delay: ~59 items.
        assert!(ff.len() > 50, "{}", ff.len());
        assert_eq!(m.pcm_hash, None, "no pcm_hash for lossy files");
        // MP3 adds an encoder delay; compare at the best small offset.
        let best = (0..4)
            .flat_map(|d| [bit_error_rate(&ff[d..], &mf), bit_error_rate(&ff, &mf[d..])])
            .flatten()
            .fold(1.0f64, f64::min);
        assert!(best < 0.10, "mp3 vs flac BER {best}");
        let diff = bit_error_rate(&ff, &of).unwrap();
        assert!(diff > 0.3, "different songs BER {diff}");
        // The fingerprint alone is the one the scan stores.
        assert_eq!(fingerprint_only(&flac).unwrap(), Ok(ff));
        assert_eq!(fingerprint_only(&mp3).unwrap(), Ok(mf));
        let short = write(
            dir.path(),
            "short.flac",
            &encode_flac(pcm(&pcm16(6, 1.0))).unwrap(),
        );
        assert_eq!(
            fingerprint_only(&short).unwrap(),
            Err("too short to fingerprint".to_string())
        );
        assert!(fingerprint_only(&dir.path().join("missing.flac")).is_err());
    }

    #[test]
    fn short_and_silent_files_are_not_fingerprinted() {
        let dir = tempfile::tempdir().unwrap();
        let short = write(
            dir.path(),
            "short.flac",
            &encode_flac(pcm(&pcm16(6, 2.0))).unwrap(),
        );
        let info = read(&short);
        assert_eq!(info.fingerprint, None);
        assert_eq!(
            info.fingerprint_error.as_deref(),
            Some("too short to fingerprint")
        );
        assert!(info.pcm_hash.is_some());
        let zeros = vec![0i32; RATE as usize * 2 * 5];
        let silent = write(dir.path(), "silent.wav", &encode_wav(pcm(&zeros)).unwrap());
        let info = read(&silent);
        assert_eq!(info.fingerprint_error.as_deref(), Some("silent"));
    }

    /// `flac` with a CUESHEET block (CD-DA flag set, first track at sample 1,
    /// which is not on a CD frame) inserted after STREAMINFO.
    fn with_bad_cuesheet(flac: &[u8]) -> Vec<u8> {
        let mut body = vec![0u8; 128 + 8];
        body.push(0x80); // is CD-DA
        body.extend([0u8; 258]);
        body.push(1); // one track
        body.extend(1u64.to_be_bytes()); // track offset: not a multiple of 588
        body.push(1); // track number
        body.extend([0u8; 12 + 1 + 13]);
        body.push(0); // no index points
        let si_last = flac[4] & 0x80;
        let mut out = flac[..4].to_vec();
        out.push(flac[4] & 0x7F); // STREAMINFO is no longer last
        out.extend(&flac[5..4 + 4 + 34]);
        out.push(si_last | 5);
        out.extend(&(body.len() as u32).to_be_bytes()[1..]);
        out.extend(&body);
        out.extend(&flac[4 + 4 + 34..]);
        out
    }

    #[test]
    fn a_malformed_flac_metadata_block_does_not_hide_the_audio() {
        let dir = tempfile::tempdir().unwrap();
        let good = encode_flac(pcm(&pcm16(9, 4.0))).unwrap();
        let bad = with_bad_cuesheet(&good);
        let (good, bad) = (
            write(dir.path(), "good.flac", &good),
            write(dir.path(), "cuesheet.flac", &bad),
        );
        // symphonia alone refuses the file...
        let e = stream::open(&bad, Some(Container::Flac)).err();
        let plain = symphonia::default::get_probe().probe(
            &Hint::new(),
            MediaSourceStream::new(
                Box::new(std::fs::File::open(&bad).unwrap()),
                Default::default(),
            ),
            Default::default(),
            Default::default(),
        );
        assert!(plain.is_err(), "the fixture no longer trips symphonia");
        assert_eq!(e, None);
        // ... but the audio reads as it does without the block.
        let (g, b) = (read(&good), read(&bad));
        assert_eq!(b.error_text(), None);
        assert!(b.fingerprint.is_some(), "{:?}", b.fingerprint_error);
        assert_eq!(
            (g.pcm_hash, g.fingerprint, g.audio_hash),
            (b.pcm_hash, b.fingerprint, b.audio_hash)
        );
        assert_eq!(b.props.length, g.props.length);
    }

    #[test]
    fn adpcm_wav_is_whole_and_decodes_without_fingerprinting() {
        let dir = tempfile::tempdir().unwrap();
        // 64 blocks of 505 frames at 8 kHz: 4.04 s.
        let p = write(dir.path(), "ima.wav", &synth::ima_adpcm_wav(3, 64, 8000));
        for fingerprint in [false, true] {
            let m = read_media(&p, &ReadOptions { fingerprint }).unwrap();
            assert_eq!(m.error_text(), None, "fingerprint: {fingerprint}");
            assert_eq!(m.props.format.as_deref(), Some("adpcm"));
            let len = m.props.length.unwrap();
            assert!((len - 64.0 * 505.0 / 8000.0).abs() < 0.01, "{len}");
            assert!(m.audio_hash.is_some());
            assert_eq!(
                m.fingerprint.is_some(),
                fingerprint,
                "{:?}",
                m.fingerprint_error
            );
        }
    }

    #[test]
    fn damaged_flac_metadata_never_panics() {
        // Random bytes over the metadata blocks (STREAMINFO and the bad
        // cuesheet), through the retry that reads blocks as padding.
        let dir = tempfile::tempdir().unwrap();
        let bad = with_bad_cuesheet(&encode_flac(pcm(&pcm16(10, 3.5))).unwrap());
        let mut rng = synth::Rng::new(77);
        for i in 0..60 {
            let mut b = bad.clone();
            for _ in 0..1 + rng.below(6) {
                let at = 4 + rng.below(4 + 34 + 4 + 440) as usize;
                b[at] = rng.next_u64() as u8;
            }
            let p = write(dir.path(), &format!("{i}.flac"), &b);
            let r = catch("test", || {
                read_media(&p, &ReadOptions { fingerprint: true })
            });
            assert!(r.is_ok(), "{i}: panicked: {r:?}");
        }
    }

    #[test]
    fn mp3_in_a_wav_decodes_like_the_mp3() {
        let dir = tempfile::tempdir().unwrap();
        let mp3 = encode_mp3(pcm(&pcm16(12, 4.0)), Mp3Rate::Cbr(128)).unwrap();
        // MPEGLAYER3WAVEFORMAT: format tag, channels, rate, byte rate, block
        // align, bits, cbSize 12, then wID, fdwFlags, nBlockSize,
        // nFramesPerBlock, nCodecDelay.
        let fmt = [
            &0x55u16.to_le_bytes()[..],
            &2u16.to_le_bytes(),
            &44100u32.to_le_bytes(),
            &16000u32.to_le_bytes(),
            &1u16.to_le_bytes(),
            &0u16.to_le_bytes(),
            &12u16.to_le_bytes(),
            &1u16.to_le_bytes(),
            &2u32.to_le_bytes(),
            &418u16.to_le_bytes(),
            &1u16.to_le_bytes(),
            &1393u16.to_le_bytes(),
        ]
        .concat();
        let wav = synth::riff_wave(&[(b"fmt ", &fmt), (b"data", &mp3)]);
        let (a, b) = (
            read(&write(dir.path(), "a.mp3", &mp3)),
            read(&write(dir.path(), "mpeg.wav", &wav)),
        );
        assert_eq!(b.error_text(), None);
        assert_eq!(b.props.format.as_deref(), Some("mp3"));
        assert!(b.fingerprint.is_some(), "{:?}", b.fingerprint_error);
        assert_eq!((a.fingerprint, a.audio_hash), (b.fingerprint, b.audio_hash));
    }

    #[test]
    fn absurd_sample_rates_are_refused_not_allocated() {
        let dir = tempfile::tempdir().unwrap();
        let good = encode_wav(pcm(&pcm16(8, 4.0))).unwrap();
        for rate in [4_000_000_000u32, 2_000_000] {
            // The same audio under a header claiming `rate` Hz (fmt chunk at
            // byte 12: sample rate at 24, byte rate at 28).
            let mut bytes = good.clone();
            bytes[24..28].copy_from_slice(&rate.to_le_bytes());
            bytes[28..32].copy_from_slice(&rate.wrapping_mul(4).to_le_bytes());
            let p = write(dir.path(), &format!("{rate}.wav"), &bytes);
            let info = read(&p);
            assert_eq!(info.fingerprint, None, "{rate}");
            let why = info.fingerprint_error.clone().unwrap_or_default();
            assert!(why.contains("out of range"), "{rate}: {why}");
            // The header itself is recorded as corrupt, not stored as a fact.
            let (kind, text) = info.error().expect("an error");
            assert_eq!(kind, MediaErrorKind::CorruptHeader, "{rate}: {text}");
            assert_eq!(
                text,
                format!("corrupt header: sample rate {rate} Hz is out of range")
            );
            assert_eq!(info.props.samplerate, None);
        }
    }

    #[test]
    fn truncated_flac_and_fake_mp3_give_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = encode_flac(pcm(&pcm16(7, 4.0))).unwrap();
        let cut = write(dir.path(), "cut.flac", &bytes[..bytes.len() / 2]);
        let info = read(&cut);
        let err = info.error_text().expect("truncation recorded");
        assert!(err.starts_with("truncated (decoded "), "{err}");
        assert!(err.contains("of 4.0 s"), "{err}");
        let v = verify(&cut).unwrap();
        assert!(
            v.errors.iter().any(|e| e.kind == MediaErrorKind::Truncated),
            "{:?}",
            v.errors
        );

        let jpeg = write(
            dir.path(),
            "song.mp3",
            &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0],
        );
        let e = read_media(&jpeg, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("song.mp3: not an audio file (looks like a JPEG image)"),
            "{e}"
        );
        let text = write(dir.path(), "notes.mp3", b"just some text\n");
        let e = read_media(&text, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("not an audio file (looks like a text file)"),
            "{e}"
        );
        let empty = write(dir.path(), "empty.flac", b"");
        let e = read_media(&empty, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("empty file"), "{e}");
    }

    #[test]
    fn flac_md5_mismatch_is_reported_by_verify() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = encode_flac(pcm(&pcm16(8, 3.0))).unwrap();
        let clean = write(dir.path(), "clean.flac", &bytes);
        assert_eq!(verify(&clean).unwrap().errors, Vec::<Problem>::new());
        // STREAMINFO's MD5 is its last 16 bytes: 8 (fLaC + block header) + 18.
        bytes[8 + 18] ^= 0xFF;
        let bad = write(dir.path(), "bad.flac", &bytes);
        let v = verify(&bad).unwrap();
        assert!(
            v.errors.iter().any(|e| e.kind == MediaErrorKind::Checksum),
            "{:?}",
            v.errors
        );
        assert!((v.seconds - 3.0).abs() < 0.01);
    }

    #[test]
    fn flac_frame_crc_mismatch_is_reported_by_verify() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = encode_flac(pcm(&pcm16(13, 5.0))).unwrap();
        // No MD5 (as some encoders write it): only the frame CRC can tell.
        bytes[8 + 18..8 + 34].fill(0);
        let clean = write(dir.path(), "clean.flac", &bytes);
        assert_eq!(verify(&clean).unwrap().errors, Vec::<Problem>::new());
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x01;
        let bad = write(dir.path(), "bad.flac", &bytes);
        let v = verify(&bad).unwrap();
        assert!(
            v.errors.iter().any(|e| e.kind == MediaErrorKind::Checksum
                && e.message.starts_with("FLAC frame CRC mismatch at 2.")),
            "{:?}",
            v.errors
        );
        // A cut file is reported truncated once, not once per check.
        let cut = write(dir.path(), "cut.flac", &bytes[..mid]);
        let v = verify(&cut).unwrap();
        let truncated = v
            .errors
            .iter()
            .filter(|e| e.kind == MediaErrorKind::Truncated);
        assert_eq!(truncated.count(), 1, "{:?}", v.errors);
    }

    #[test]
    fn flac_without_total_samples_gets_its_length_from_the_stream() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = encode_flac(pcm(&pcm16(14, 7.5))).unwrap();
        // STREAMINFO's body starts at byte 8; its 36-bit total samples are
        // the low 4 bits of body byte 13 and body bytes 14..18.
        assert_ne!(&bytes[8 + 14..8 + 18], &[0; 4]);
        bytes[8 + 13] &= 0xF0;
        bytes[8 + 14..8 + 18].fill(0);
        let p = write(dir.path(), "unknown-length.flac", &bytes);
        for fingerprint in [false, true] {
            let m = read_media(&p, &ReadOptions { fingerprint }).unwrap();
            let len = m.props.length.expect("a length");
            assert!(
                (len - 7.5).abs() < 0.01,
                "fingerprint: {fingerprint}: {len}"
            );
            assert_eq!(m.error_text(), None, "fingerprint: {fingerprint}");
        }
        let v = verify(&p).unwrap();
        assert_eq!(v.errors, Vec::<Problem>::new());
        assert!((v.seconds - 7.5).abs() < 0.01, "{}", v.seconds);
    }

    #[test]
    fn corrupted_mp3_frame_is_reported_by_verify() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = encode_mp3(pcm(&pcm16(11, 4.0)), Mp3Rate::Cbr(128)).unwrap();
        let clean = write(dir.path(), "clean.mp3", &bytes);
        assert_eq!(verify(&clean).unwrap().errors, Vec::<Problem>::new());
        // 1000 bytes of zeros always cover at least one frame header.
        let mid = bytes.len() / 2;
        bytes[mid..mid + 1000].fill(0);
        let bad = write(dir.path(), "bad.mp3", &bytes);
        let v = verify(&bad).unwrap();
        assert!(
            v.errors
                .iter()
                .any(|e| e.message.starts_with("corrupt frame at ")),
            "{:?}",
            v.errors
        );
    }

    #[test]
    fn decode_returns_samples_and_source_bits() {
        let dir = tempfile::tempdir().unwrap();
        let s = pcm16(9, 2.0);
        let p = write(dir.path(), "d.flac", &encode_flac(pcm(&s)).unwrap());
        let d = decode(&p, Some(1.0)).unwrap();
        assert_eq!(
            (d.samplerate, d.channels, d.bits_per_sample),
            (RATE, 2, Some(16))
        );
        assert_eq!(d.samples.len(), RATE as usize * 2);
        assert!((d.samples[1000] - s[1000] as f32 / 32768.0).abs() < 1e-4);
        let full = decode(&p, None).unwrap();
        assert_eq!(full.samples.len(), s.len());
        assert!(full.errors.is_empty(), "{:?}", full.errors);
    }

    #[test]
    fn sniff_finds_audio_without_extension() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "noext",
            &encode_flac(pcm(&pcm16(10, 1.0))).unwrap(),
        );
        assert_eq!(sniff(&p).unwrap(), Sniffed::Audio(Container::Flac));
        assert!(!has_audio_extension(&p));
        let info = read(&p);
        assert_eq!(info.props.format.as_deref(), Some("flac"));
    }
}

/// Tests over the shared real-world corpus (`../shared/corpus`), skipped
/// with a printed reason when it is absent.
#[cfg(test)]
mod corpus_tests {
    use super::*;
    use std::path::PathBuf;

    /// `../shared/corpus` next to the checkout (or next to the folder
    /// holding a git worktree of it).
    fn corpus() -> Option<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dirs = [
            root.join("../shared/corpus"),
            root.join("../../shared/corpus"),
        ];
        let found = dirs.iter().find(|d| d.is_dir()).cloned();
        if found.is_none() {
            println!("skipped: {} is absent", dirs[0].display());
        }
        found
    }

    /// Every `full.*` that lofty reads carries the README's tags.
    #[test]
    fn full_files_show_the_readme_tags() {
        let Some(dir) = corpus() else { return };
        let mut checked = 0;
        let mut entries: Vec<_> = std::fs::read_dir(dir.join("mediafile"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("full."))
            })
            .collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if lofty::read_from_path(&p).is_err() {
                println!("{name}: lofty cannot read it (no tags expected)");
                continue;
            }
            let m = read_media(&p, &ReadOptions { fingerprint: false }).unwrap();
            let t = &m.tags;
            assert_eq!(t.title.as_deref(), Some("full"), "{name}");
            assert_eq!(t.artist.as_deref(), Some("the artist"), "{name}");
            assert_eq!(t.album.as_deref(), Some("the album"), "{name}");
            assert_eq!(t.genre.as_deref(), Some("the genre"), "{name}");
            assert_eq!((t.track, t.tracktotal), (Some(2), Some(3)), "{name}");
            assert!(
                m.props.length.is_some_and(|l| (l - 1.0).abs() < 0.1),
                "{name}"
            );
            assert!(m.audio_hash.is_some(), "{name}");
            if name == "full.wav" {
                // mediafile writes only these fields to WAV (its ID3 chunk
                // holds nothing else).
                checked += 1;
                continue;
            }
            assert_eq!(t.composer.as_deref(), Some("the composer"), "{name}");
            assert_eq!(t.year, Some(2001), "{name}");
            assert_eq!((t.disc, t.disctotal), (Some(4), Some(5)), "{name}");
            assert_eq!(t.bpm, Some(6), "{name}");
            assert_eq!(t.comp, Some(true), "{name}");
            assert_eq!(t.label.as_deref(), Some("the label"), "{name}");
            assert_eq!(t.lyrics.as_deref(), Some("the lyrics"), "{name}");
            assert_eq!(t.comments.as_deref(), Some("the comments"), "{name}");
            assert_eq!(
                t.mb_trackid.as_deref(),
                Some("8b882575-08a5-4452-a7a7-cbb8a1531f9e"),
                "{name}"
            );
            assert_eq!(
                t.mb_albumid.as_deref(),
                Some("9e873859-8aa4-4790-b985-5a953e8ef628"),
                "{name}"
            );
            assert_eq!(
                t.mb_artistid.as_deref(),
                Some("7cf0ea9d-86b9-4dad-ba9e-2355a64899ea"),
                "{name}"
            );
            checked += 1;
        }
        assert!(checked >= 10, "only {checked} full.* files checked");
    }

    /// Nothing in the corpus panics or hangs; every file gets a result.
    #[test]
    fn whole_corpus_reads_without_panic() {
        let Some(dir) = corpus() else { return };
        let files: Vec<PathBuf> = walkdir::WalkDir::new(&dir)
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect();
        assert!(files.len() > 100);
        let mut audio = 0;
        for p in &files {
            match read_media(p, &ReadOptions { fingerprint: true }) {
                Ok(m) => {
                    audio += 1;
                    assert!(m.props.format.is_some(), "{}", p.display());
                    if let Some(e) = &m.error_text() {
                        assert!(!e.is_empty());
                    }
                }
                Err(e) => {
                    let msg = e.to_string();
                    assert!(msg.starts_with(&p.display().to_string()), "{msg}");
                }
            }
            let _ = sniff(p).unwrap();
        }
        assert!(audio > 150, "{audio}");
    }

    /// A flipped bit in a real Opus file's Ogg page is found by verify
    /// (the Ogg reader resynchronises past it silently).
    #[test]
    fn ogg_page_crc_mismatch_is_reported_by_verify() {
        let Some(dir) = corpus() else { return };
        let p = dir.join("beets/whitenoise.opus");
        if !p.is_file() {
            println!("skipped: {} is absent", p.display());
            return;
        }
        assert_eq!(verify(&p).unwrap().errors, Vec::<Problem>::new());
        let mut bytes = std::fs::read(&p).unwrap();
        let at = bytes.len() * 2 / 3;
        bytes[at] ^= 0x20;
        let tmp = tempfile::tempdir().unwrap();
        let bad = tmp.path().join("flip.opus");
        std::fs::write(&bad, &bytes).unwrap();
        let v = verify(&bad).unwrap();
        assert!(
            v.errors.iter().any(|e| e.kind == MediaErrorKind::Checksum
                && e.message.starts_with("Ogg page CRC mismatch at byte ")),
            "{:?}",
            v.errors
        );
    }

    /// The Opus decoder handles the corpus's Opus files.
    #[test]
    fn opus_files_decode() {
        let Some(dir) = corpus() else { return };
        let p = dir.join("beets/whitenoise.opus");
        if !p.is_file() {
            println!("skipped: {} is absent", p.display());
            return;
        }
        let d = decode(&p, None).unwrap();
        assert_eq!(d.samplerate, 48_000);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        let rms = (d.samples.iter().map(|s| s * s).sum::<f32>() / d.samples.len() as f32).sqrt();
        assert!(rms > 0.01, "white noise decoded as near silence: {rms}");
    }
}

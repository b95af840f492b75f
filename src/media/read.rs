//! Reading everything mixtape stores about one file: the checks before any
//! parsing (metadata, sniffed content), the one read that hashes the file
//! (and, where the headers locate it, the audio), the tags (lofty, or our own
//! ASF and DSF readers), the audio stream (symphonia: packet hash, and the
//! decode for fingerprint, `pcm_hash` and quality), and the properties
//! merged from both.
//!
//! Each step records what it could not read as a [`Problem`] of the file and
//! lets the next one go on; only a file that is not audio at all is an `Err`.
//! Problems are kept in the order the steps ran: tags first, then audio.

use std::path::Path;

use super::stream::{self, WalkOptions};
use super::{
    asf, catch, fingerprint, has_audio_extension, hash, region, sniff, spectrum, tags, AudioProps,
    Container, MediaInfo, Quality, ReadOptions, Sniffed,
};
use crate::error::{Error, MediaErrorKind, Problem, Result};

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
    let container = audio_container(path)?;
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
    let lofty = read_tags(path, container, &mut problems);
    let audio = read_audio(
        path,
        container,
        region,
        opts,
        lofty.is_some(),
        &mut info,
        &mut problems,
    )?;
    let lofty_props = lofty.as_ref().map(|l| l.props.clone()).unwrap_or_default();
    let props = merge_props(path, container, lofty_props, &audio);
    if let Some(m) = audio.measured {
        info.quality = judge_quality(m, &props);
    }
    info.props = props;
    if let Some(l) = lofty {
        info.tags = l.tags;
        info.art = l.art;
        info.art_hash = l.art_hash;
        info.replaygain = l.replaygain;
    }
    info.problems = problems;
    info.analysed = opts.fingerprint;
    Ok(info)
}

/// The checks before any parsing: a non-empty file whose content is audio
/// (its container, when sniffing knows it) or, unrecognised, has an audio
/// extension (`None`).
fn audio_container(path: &Path) -> Result<Option<Container>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::media(path, MediaErrorKind::Io, "is a directory"));
    }
    if meta.len() == 0 {
        return Err(Error::media(path, MediaErrorKind::Empty, "empty file"));
    }
    let sniffed = sniff(path)?;
    match sniffed {
        Sniffed::Audio(c) => Ok(Some(c)),
        Sniffed::Unknown if has_audio_extension(path) => Ok(None),
        other => {
            let reason = other
                .not_audio_reason()
                .unwrap_or_else(|| "not an audio file".to_string());
            Err(Error::media(path, MediaErrorKind::NotAudio, reason))
        }
    }
}

/// A tags problem of the file.
fn tags_problem(m: String) -> Problem {
    Problem::new(MediaErrorKind::Tags, m)
}

/// A parsing library's panic, as the file's problem.
fn panicked(m: String) -> Problem {
    Problem::new(MediaErrorKind::Panicked, m)
}

/// The tags, art and lofty's view of the properties (lofty knows neither
/// ASF/WMA nor DSF/DFF, nor CAF/Matroska/TTA/...: ASF has our own reader,
/// the others no tags). What could not be read is pushed to `problems`.
fn read_tags(
    path: &Path,
    container: Option<Container>,
    problems: &mut Vec<Problem>,
) -> Option<tags::LoftyRead> {
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
    if container == Some(Container::Asf) {
        match catch("ASF parser", || asf::read(path)) {
            Ok(Some(a)) => Some(tags::LoftyRead {
                tags: a.tags,
                art: a.art,
                art_hash: a.art_hash,
                replaygain: Default::default(),
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
    }
}

/// What the audio stream gave, for the properties.
struct Audio {
    /// symphonia's facts about the stream, when it opened.
    stream_info: Option<stream::StreamInfo>,
    /// Bytes of audio packets (or of the audio region).
    packet_bytes: u64,
    /// Where the packets end, in frames: the length of a stream whose
    /// header does not say (a FLAC declaring 0 total samples).
    walked_frames: Option<u64>,
    /// The spectrum analysis of the fingerprint's window, judged once the
    /// properties (bitrate) are known.
    measured: Option<spectrum::Measured>,
}

/// The audio stream: demuxed (and, when fingerprinting, decoded) by
/// symphonia, or stood for by the audio region its headers locate, or for a
/// container symphonia cannot demux the file minus its tags. Fills `info`'s
/// `audio_hash`, `fingerprint`, `fingerprint_error` and `pcm_hash`; `Err`
/// only for an unrecognised file that neither lofty (`tags_read`) nor
/// symphonia can read.
fn read_audio(
    path: &Path,
    container: Option<Container>,
    region: Option<Region>,
    opts: &ReadOptions,
    tags_read: bool,
    info: &mut MediaInfo,
    problems: &mut Vec<Problem>,
) -> Result<Audio> {
    let demuxable = container.is_none_or(stream::opens);
    let mut opened = None;
    // symphonia knows the container but could not open this file, for a
    // reason other than an unsupported codec inside it.
    let mut unreadable = false;
    // Why a native decoder declined a file that is not damaged (an APE
    // older than 3.95): the file stays as readable as before, without
    // a fingerprint.
    let mut declined = None;
    if demuxable {
        let opening = catch("demuxer", || stream::open(path, container));
        match opening.unwrap_or_else(|e| Err(panicked(e))) {
            Ok(s) => opened = Some(s),
            Err(e) => {
                if container.is_none() && !tags_read {
                    return Err(Error::media(
                        path,
                        MediaErrorKind::NotAudio,
                        "not an audio file (unrecognised content)",
                    ));
                }
                unreadable = e.kind != MediaErrorKind::Unsupported;
                if !unreadable && container.is_some_and(|c| !c.symphonia_demuxes()) {
                    declined = Some(e.message);
                } else {
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
    }

    let mut stream_info = None;
    let mut packet_bytes = 0u64;
    // Where the packets end, in frames: the length of a stream whose
    // header does not say (a FLAC declaring 0 total samples).
    let mut walked_frames: Option<u64> = None;
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
            fingerprint::Collect::new(decode, decode && si.lossless && opts.pcm_hash, false, None)
                .with_analysis();
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
                    // A native decoder's stream has no packets: the file
                    // minus its tags stands for them, as before it had one.
                    None => w
                        .packet_hash
                        .or(region.filter(|r| !r.demuxed).map(|r| r.hash))
                        .filter(|_| w.packet_bytes > 0),
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
            } else if let Some(reason) = declined {
                format!("unavailable ({reason})")
            } else {
                let name = container.map(|c| c.display_name()).unwrap_or("this format");
                format!("unavailable (no decoder for {name})")
            });
        }
    }
    Ok(Audio {
        stream_info,
        packet_bytes,
        walked_frames,
        measured,
    })
}

/// The properties: symphonia's codec facts win; lofty (or, for DSF, the
/// header) fills the rest.
fn merge_props(
    path: &Path,
    container: Option<Container>,
    lofty_props: AudioProps,
    audio: &Audio,
) -> AudioProps {
    let extra = if audio.stream_info.is_none() && container == Some(Container::Dsf) {
        container.and_then(|c| props_from_header(path, c))
    } else {
        None
    };
    let mut props = AudioProps::default();
    if let Some(si) = &audio.stream_info {
        props.format = Some(si.codec.to_string());
        props.lossless = Some(si.lossless);
        props.samplerate = si.samplerate;
        props.channels = si.channels;
        props.bitdepth = si.bits;
        props.length = si.length.or_else(|| {
            let rate = si.samplerate? as f64;
            audio
                .walked_frames
                .filter(|&n| n > 0)
                .map(|n| n as f64 / rate)
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
        (len > 0.0 && audio.packet_bytes > 0)
            .then(|| (audio.packet_bytes as f64 * 8.0 / len).round() as u32)
    });
    props
}

/// The quality of the audio: the measurement judged against what the
/// properties say the file is.
pub(super) fn judge_quality(m: spectrum::Measured, props: &AudioProps) -> Quality {
    let v = spectrum::judge(
        &m,
        props.format.as_deref().unwrap_or(""),
        props.lossless.unwrap_or(false),
        props.bitrate,
        props.channels,
    );
    Quality {
        bandwidth: m.bandwidth,
        lossy_source: v.lossy_source,
        upscaled: v.upscaled,
        rms_db: m.rms_db,
        peak_db: m.peak_db,
        spectrum: (!m.bands.is_empty()).then_some(m.bands),
    }
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
pub(super) fn truncation(
    si: &stream::StreamInfo,
    w: &stream::Walked,
    decoded: bool,
) -> Option<Problem> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::encode::{encode_flac, encode_mp3, encode_wav, Mp3Rate};
    use crate::media::bit_error_rate;
    use symphonia::core::formats::probe::Hint;
    use symphonia::core::io::MediaSourceStream;

    use crate::media::test_audio::{pcm, pcm16, write, RATE};
    use crate::media::{fingerprint_only, synth, verify};

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
        read_media(p, &ReadOptions::fingerprinting(true)).unwrap()
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
        let no_fp = ReadOptions::fingerprinting(false);
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
            let m = read_media(&p, &ReadOptions::fingerprinting(fingerprint)).unwrap();
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
                read_media(&p, &ReadOptions::fingerprinting(true))
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

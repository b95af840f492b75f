//! The audio stream through symphonia: open (probe), walk the demuxed packets
//! (hashing them for `audio_hash`) and optionally decode them, handing the
//! samples to a [`Sink`] (fingerprint, pcm_hash, collected samples).
//!
//! One walk does everything a file needs, so no file is demuxed or decoded
//! twice. Decoding is streamed packet by packet: memory stays bounded by one
//! packet's samples plus whatever the sink keeps. Opus, which symphonia
//! demuxes but cannot decode, goes through the pure-Rust `opus-rs` crate;
//! APE and WavPack, which it cannot even demux, through `native`'s
//! decoders, walked the same way.
//!
//! Every loop is guarded: a demuxer that keeps returning packets past any
//! plausible amount for the file's size is stopped with an error, and a
//! decoder that fails on every packet gives up after [`MAX_CONSECUTIVE_ERRORS`].

use std::fs::File;
use std::path::Path;

use symphonia::core::codecs::audio::well_known::*;
use symphonia::core::codecs::audio::{AudioCodecId, AudioCodecParameters, VerificationCheck};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;

use super::native::{self, NativeDecoder};
use super::sniff::Container;
use crate::error::{MediaErrorKind, Problem};

mod walk;

pub(crate) use walk::{Frames, Sink, WalkOptions, Walked};

/// Stop decoding after this many packets in a row failed.
const MAX_CONSECUTIVE_ERRORS: usize = 200;
/// Keep at most this many distinct decode error messages per file.
const MAX_ERROR_MESSAGES: usize = 8;

/// What symphonia says about the audio stream.
#[derive(Debug, Clone, Default)]
pub(crate) struct StreamInfo {
    /// Lower-case codec name (mp3, flac, aac, alac, vorbis, opus, pcm, ...).
    pub codec: &'static str,
    pub lossless: bool,
    pub samplerate: Option<u32>,
    pub channels: Option<u32>,
    /// Bits per sample of the source (lossless and PCM codecs).
    pub bits: Option<u32>,
    /// Length in frames, as the container declares it.
    pub frames: Option<u64>,
    /// Length in seconds, as the container declares it.
    pub length: Option<f64>,
    /// Whether we have a decoder for the codec.
    pub decodable: bool,
    /// The FLAC STREAMINFO MD5 of the samples, when set (not all zero).
    pub md5: Option<[u8; 16]>,
    /// Header fields out of range (left out of the facts above).
    pub problems: Vec<Problem>,
}

/// The highest sample rate a header may claim (PCM at 768 kHz exists; DSD
/// is not read through symphonia).
pub(crate) const MAX_SAMPLE_RATE: u32 = 768_000;
/// The most channels a header may claim.
const MAX_CHANNELS: u32 = 64;

/// An opened stream, ready to walk.
pub(crate) struct Stream {
    source: Source,
    pub info: StreamInfo,
}

/// Where a stream's audio comes from.
enum Source {
    /// Packets demuxed by symphonia.
    Demuxed(Demuxed),
    /// A format symphonia cannot read (APE, WavPack), decoded in `native`.
    Native(Box<NativeDecoder>),
}

/// A stream demuxed by symphonia.
struct Demuxed {
    reader: Box<dyn FormatReader>,
    track_id: u32,
    params: AudioCodecParameters,
    /// Frames of encoder delay (Opus pre-skip) symphonia does not trim.
    delay: u32,
    file_len: u64,
}

impl Stream {
    /// Move a lossless symphonia stream to the packet holding `frame`
    /// (FLAC, PCM), so a walk decodes from there: returns the frame the
    /// walk's first decoded sample is (at or before `frame`). `None`: not
    /// moved (another codec, or the seek failed), the walk starts at 0.
    pub(crate) fn seek_near(&mut self, frame: u64) -> Option<u64> {
        use symphonia::core::formats::{SeekMode, SeekTo};
        use symphonia::core::units::Timestamp;
        let Source::Demuxed(d) = &mut self.source else {
            return None;
        };
        if !self.info.lossless || d.delay != 0 {
            return None;
        }
        let to = SeekTo::Timestamp {
            ts: Timestamp::new(i64::try_from(frame).ok()?),
            track_id: d.track_id,
        };
        let got = d.reader.seek(SeekMode::Accurate, to).ok()?;
        u64::try_from(got.actual_ts.get())
            .ok()
            .filter(|&at| at <= frame)
    }
}

/// Whether [`open`] can open files of `container`: symphonia demuxes it,
/// or a native decoder reads it.
pub(crate) fn opens(container: Container) -> bool {
    container.symphonia_demuxes() || native::decodes(container)
}

/// Open `path` with symphonia, or with a native decoder for the formats
/// symphonia cannot read. `Err` says why it cannot be opened.
pub(crate) fn open(path: &Path, container: Option<Container>) -> Result<Stream, Problem> {
    if let Some(c) = container.filter(|&c| native::decodes(c)) {
        return open_native(path, c);
    }
    let io = |e: std::io::Error| Problem::new(MediaErrorKind::Io, e.to_string());
    let file = File::open(path).map_err(io)?;
    let file_len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let reader = match probe(Box::new(file), path, container) {
        Ok(r) => r,
        // symphonia refuses a whole FLAC over one malformed metadata block
        // (a cuesheet, a picture); tags come from lofty anyway, so try again
        // with those blocks read as padding. The first reason stands if that
        // fails too.
        Err(e) if container == Some(Container::Flac) => {
            let mut f = File::open(path).map_err(io)?;
            let patches =
                super::region::flac_metadata_as_padding(&mut f, file_len).unwrap_or_default();
            if patches.is_empty() {
                return Err(e);
            }
            let src = View::new(f, 0, file_len, patches).map_err(|_| e.clone())?;
            probe(Box::new(src), path, container).map_err(|_| e)?
        }
        // MPEG audio in a WAV (format tag 0x50 or 0x55, from old Windows
        // recorders and broadcast tools): the `data` chunk is a plain MPEG
        // stream, which symphonia's WAV reader does not take.
        Err(e) if container == Some(Container::Wav) => {
            let mut f = File::open(path).map_err(io)?;
            let Ok(Some((start, end))) = super::region::wav_mpeg_data(&mut f, file_len) else {
                return Err(e);
            };
            let src = View::new(f, start, end - start, Vec::new()).map_err(|_| e.clone())?;
            probe(Box::new(src), Path::new("data.mp3"), None).map_err(|_| e)?
        }
        Err(e) => return Err(e),
    };
    let track = reader
        .default_track(TrackType::Audio)
        .or_else(|| reader.first_track(TrackType::Audio))
        .ok_or_else(|| Problem::new(MediaErrorKind::NoAudio, "no audio track"))?;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .cloned()
        .ok_or_else(|| Problem::new(MediaErrorKind::NoAudio, "no audio codec parameters"))?;
    let (codec, lossless) = codec_name(params.codec);
    let mut problems = Vec::new();
    let mut samplerate = params.sample_rate.filter(|&r| r > 0);
    if let Some(r) = samplerate.filter(|&r| r > MAX_SAMPLE_RATE) {
        problems.push(Problem::new(
            MediaErrorKind::CorruptHeader,
            format!("corrupt header: sample rate {r} Hz is out of range"),
        ));
        samplerate = None;
    }
    let mut channels = params.channels.as_ref().map(|c| c.count() as u32);
    if let Some(c) = channels.filter(|&c| c > MAX_CHANNELS) {
        problems.push(Problem::new(
            MediaErrorKind::CorruptHeader,
            format!("corrupt header: {c} channels is out of range"),
        ));
        channels = None;
    }
    // For Opus the pre-skip is counted in the frames but not audio.
    let delay = if params.codec == CODEC_ID_OPUS {
        track.delay.unwrap_or(0)
    } else {
        0
    };
    let frames = track
        .num_frames
        .map(|n| n.saturating_sub(delay as u64))
        .filter(|&n| n > 0);
    let length = match (frames, samplerate) {
        (Some(n), Some(r)) => Some(n as f64 / r as f64),
        _ => track.duration.and_then(|d| {
            track
                .time_base
                .and_then(|tb| tb.calc_time(symphonia::core::units::Timestamp::new(d.get() as i64)))
                .map(|t| t.as_secs_f64())
        }),
    };
    let md5 = match params.verification_check {
        Some(VerificationCheck::Md5(m)) if m != [0u8; 16] => Some(m),
        _ => None,
    };
    let decodable = params.codec == CODEC_ID_OPUS
        || symphonia::default::get_codecs()
            .get_audio_decoder(params.codec)
            .is_some();
    let info = StreamInfo {
        codec,
        lossless,
        samplerate,
        channels,
        bits: params.bits_per_sample.filter(|_| lossless),
        frames,
        length: length.filter(|l| l.is_finite() && *l > 0.0),
        decodable: decodable && problems.is_empty(),
        md5,
        problems,
    };
    Ok(Stream {
        source: Source::Demuxed(Demuxed {
            track_id: track.id,
            delay,
            reader,
            params,
            file_len,
        }),
        info,
    })
}

/// Open `path` with the native decoder for `container`.
fn open_native(path: &Path, container: Container) -> Result<Stream, Problem> {
    let decoder = native::open(path, container)?;
    let h = decoder.header().clone();
    let info = StreamInfo {
        codec: h.codec,
        lossless: h.lossless,
        samplerate: Some(h.samplerate),
        channels: Some(h.channels),
        bits: Some(h.bits).filter(|_| h.lossless),
        frames: h.frames,
        length: h.frames.map(|n| n as f64 / h.samplerate as f64),
        decodable: true,
        md5: None,
        problems: Vec::new(),
    };
    Ok(Stream {
        source: Source::Native(Box::new(decoder)),
        info,
    })
}

/// Probe `source` (the file at `path`) with symphonia.
fn probe(
    source: Box<dyn MediaSource>,
    path: &Path,
    container: Option<Container>,
) -> Result<Box<dyn FormatReader>, Problem> {
    let mss = MediaSourceStream::new(source, Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = container
        .and_then(|c| c.hint_extension())
        .or_else(|| path.extension().and_then(|e| e.to_str()))
    {
        hint.with_extension(ext);
    }
    symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| problem_of(&e))
}

/// A symphonia error as a problem of its kind.
pub(crate) fn problem_of(e: &SymError) -> Problem {
    let kind = match e {
        SymError::Unsupported(_) => MediaErrorKind::Unsupported,
        SymError::DecodeError(_) => MediaErrorKind::CorruptHeader,
        _ => MediaErrorKind::Stream,
    };
    Problem::new(kind, describe(e))
}

/// A window onto a file, with a few bytes replaced: what a demuxer sees of
/// a file that needs help (the file itself is never written).
struct View {
    file: File,
    /// The window: `len` bytes from `start`.
    start: u64,
    len: u64,
    /// (offset in the file, byte) pairs.
    patches: Vec<(u64, u8)>,
}

impl View {
    /// The window `len` bytes from `start` of `file`, positioned at its start.
    fn new(mut file: File, start: u64, len: u64, patches: Vec<(u64, u8)>) -> std::io::Result<View> {
        use std::io::Seek;
        file.seek(std::io::SeekFrom::Start(start))?;
        Ok(View {
            file,
            start,
            len,
            patches,
        })
    }
}

impl std::io::Read for View {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::io::Seek;
        let at = self.file.stream_position()?;
        let left = (self.start + self.len).saturating_sub(at);
        let want = buf.len().min(left as usize);
        let n = self.file.read(&mut buf[..want])?;
        for &(off, b) in &self.patches {
            if off >= at && off < at + n as u64 {
                buf[(off - at) as usize] = b;
            }
        }
        Ok(n)
    }
}

impl std::io::Seek for View {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        use std::io::SeekFrom;
        let target = match pos {
            SeekFrom::Start(p) => self.start.checked_add(p),
            SeekFrom::End(d) => (self.start + self.len).checked_add_signed(d),
            SeekFrom::Current(d) => self.file.stream_position()?.checked_add_signed(d),
        }
        .filter(|&t| t >= self.start)
        .ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek outside the window")
        })?;
        Ok(self.file.seek(SeekFrom::Start(target))? - self.start)
    }
}

impl MediaSource for View {
    fn is_seekable(&self) -> bool {
        true
    }
    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}

/// Readable text for a symphonia error.
pub(crate) fn describe(e: &SymError) -> String {
    match e {
        SymError::Unsupported(what) => format!("unsupported format ({what})"),
        SymError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "unexpected end of file".to_string()
        }
        other => other.to_string(),
    }
}

/// Lower-case codec name and whether it is lossless.
pub(crate) fn codec_name(id: AudioCodecId) -> (&'static str, bool) {
    match id {
        CODEC_ID_MP3 => ("mp3", false),
        CODEC_ID_MP2 => ("mp2", false),
        CODEC_ID_MP1 => ("mp1", false),
        CODEC_ID_AAC => ("aac", false),
        CODEC_ID_VORBIS => ("vorbis", false),
        CODEC_ID_OPUS => ("opus", false),
        CODEC_ID_SPEEX => ("speex", false),
        CODEC_ID_FLAC => ("flac", true),
        CODEC_ID_ALAC => ("alac", true),
        CODEC_ID_WAVPACK => ("wavpack", true),
        CODEC_ID_MONKEYS_AUDIO => ("ape", true),
        CODEC_ID_TTA => ("tta", true),
        CODEC_ID_MUSEPACK => ("musepack", false),
        CODEC_ID_WMA => ("wma", false),
        CODEC_ID_AC3 => ("ac3", false),
        CODEC_ID_EAC3 => ("eac3", false),
        CODEC_ID_DCA => ("dts", false),
        CODEC_ID_ADPCM_G722
        | CODEC_ID_ADPCM_G726
        | CODEC_ID_ADPCM_G726LE
        | CODEC_ID_ADPCM_MS
        | CODEC_ID_ADPCM_IMA_WAV
        | CODEC_ID_ADPCM_IMA_QT => ("adpcm", false),
        CODEC_ID_PCM_ALAW | CODEC_ID_PCM_MULAW => ("pcm", false),
        other if is_pcm(other) => ("pcm", true),
        _ => ("unknown", false),
    }
}

fn is_pcm(id: AudioCodecId) -> bool {
    [
        CODEC_ID_PCM_S32LE,
        CODEC_ID_PCM_S32LE_PLANAR,
        CODEC_ID_PCM_S32BE,
        CODEC_ID_PCM_S32BE_PLANAR,
        CODEC_ID_PCM_S24LE,
        CODEC_ID_PCM_S24LE_PLANAR,
        CODEC_ID_PCM_S24BE,
        CODEC_ID_PCM_S24BE_PLANAR,
        CODEC_ID_PCM_S16LE,
        CODEC_ID_PCM_S16LE_PLANAR,
        CODEC_ID_PCM_S16BE,
        CODEC_ID_PCM_S16BE_PLANAR,
        CODEC_ID_PCM_S8,
        CODEC_ID_PCM_S8_PLANAR,
        CODEC_ID_PCM_U32LE,
        CODEC_ID_PCM_U32LE_PLANAR,
        CODEC_ID_PCM_U32BE,
        CODEC_ID_PCM_U32BE_PLANAR,
        CODEC_ID_PCM_U24LE,
        CODEC_ID_PCM_U24LE_PLANAR,
        CODEC_ID_PCM_U24BE,
        CODEC_ID_PCM_U24BE_PLANAR,
        CODEC_ID_PCM_U16LE,
        CODEC_ID_PCM_U16LE_PLANAR,
        CODEC_ID_PCM_U16BE,
        CODEC_ID_PCM_U16BE_PLANAR,
        CODEC_ID_PCM_U8,
        CODEC_ID_PCM_U8_PLANAR,
        CODEC_ID_PCM_F32LE,
        CODEC_ID_PCM_F32LE_PLANAR,
        CODEC_ID_PCM_F32BE,
        CODEC_ID_PCM_F32BE_PLANAR,
        CODEC_ID_PCM_F64LE,
        CODEC_ID_PCM_F64LE_PLANAR,
        CODEC_ID_PCM_F64BE,
        CODEC_ID_PCM_F64BE_PLANAR,
    ]
    .contains(&id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek, SeekFrom};

    #[test]
    fn a_view_is_its_window_with_the_patches() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bytes");
        std::fs::write(&p, (0..100u8).collect::<Vec<_>>()).unwrap();
        let mut v = View::new(
            File::open(&p).unwrap(),
            10,
            20,
            vec![(12, 0xAA), (50, 0xBB)],
        )
        .unwrap();
        let mut all = Vec::new();
        v.read_to_end(&mut all).unwrap();
        let mut want: Vec<u8> = (10..30).collect();
        want[2] = 0xAA;
        assert_eq!(all, want);
        assert_eq!(v.seek(SeekFrom::End(-5)).unwrap(), 15);
        let mut tail = Vec::new();
        v.read_to_end(&mut tail).unwrap();
        assert_eq!(tail, (25..30).collect::<Vec<u8>>());
        assert_eq!(v.seek(SeekFrom::Start(2)).unwrap(), 2);
        let mut one = [0u8; 1];
        v.read_exact(&mut one).unwrap();
        assert_eq!(one, [0xAA]);
        assert!(v.seek(SeekFrom::Current(-10)).is_err());
        assert_eq!(v.byte_len(), Some(20));
    }
}

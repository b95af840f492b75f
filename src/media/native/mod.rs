//! Decoders for the lossless formats symphonia has no reader for: Monkey's
//! Audio (`ape-decoder`, pure Rust) and WavPack (`oxideav-wavpack`, pure
//! Rust). Both deliver the audio as a stream of [`Chunk`]s in order, one
//! APE frame or one WavPack block set at a time, so memory stays bounded
//! by one frame whatever the file's length.
//!
//! The stream walk (`stream::walk`) drives a [`NativeDecoder`] exactly as
//! it drives symphonia's packets, so fingerprints, `pcm_hash`, `check` and
//! export treat these formats like any other. Damage is reported through
//! the formats' own checksums: the CRC of every APE frame and the file's
//! MD5, the CRC of every WavPack block and its optional MD5 of the samples.
//!
//! This module knows nothing of the walk: it only decodes (no import of
//! `stream`, which imports it).

mod ape;
mod wavpack;

use std::path::Path;

use super::sniff::Container;
use crate::error::{MediaErrorKind, Problem};

/// The longest run of decoded samples (all channels) one chunk may hold;
/// a header asking for more is refused as corrupt rather than allocated.
const MAX_CHUNK_SAMPLES: u64 = 1 << 24;
/// The highest sample rate a header may claim (the ceiling `stream` keeps
/// for symphonia's streams; not imported, as `stream` imports this module).
const MAX_SAMPLE_RATE: u32 = 768_000;

/// What a native stream's header says.
#[derive(Debug, Clone, Default)]
pub(crate) struct NativeHeader {
    /// Lower-case codec name, as symphonia's would be ("ape", "wavpack").
    pub codec: &'static str,
    pub lossless: bool,
    pub samplerate: u32,
    pub channels: u32,
    /// Bits per sample of the source.
    pub bits: u32,
    /// Length in frames, when the header declares it.
    pub frames: Option<u64>,
}

/// One chunk of decoded audio, interleaved.
pub(crate) enum Chunk<'a> {
    /// Integer samples scaled to full-scale i32 (a 16-bit `v` is `v << 16`).
    Int(&'a [i32]),
    /// Float samples (WavPack float data), nominally in [-1, 1].
    Float(&'a [f32]),
}

/// A damaged frame or block: what is wrong, and how many frames of audio
/// it stood for (the walk puts silence in their place, as libwavpack mutes
/// a corrupt block, so a bad frame is not mistaken for a cut file).
pub(crate) type Damage = (Problem, u64);

/// A decoder for one file of a format symphonia cannot read.
pub(crate) enum NativeDecoder {
    Ape(Box<ape::ApeStream>),
    WavPack(Box<wavpack::WavPackStream>),
}

/// Whether `container` is decoded here rather than by symphonia.
pub(crate) fn decodes(container: Container) -> bool {
    matches!(container, Container::Ape | Container::WavPack)
}

/// Open `path` (sniffed as `container`) for decoding. `Err` says why not:
/// unsupported (an APE older than 3.95, WavPack DSD) or a corrupt header.
pub(crate) fn open(path: &Path, container: Container) -> Result<NativeDecoder, Problem> {
    match container {
        Container::Ape => ape::ApeStream::open(path).map(|s| NativeDecoder::Ape(Box::new(s))),
        Container::WavPack => {
            wavpack::WavPackStream::open(path).map(|s| NativeDecoder::WavPack(Box::new(s)))
        }
        other => Err(Problem::new(
            MediaErrorKind::Unsupported,
            format!("no native decoder for {}", other.display_name()),
        )),
    }
}

impl NativeDecoder {
    /// The stream's facts, from its header.
    pub(crate) fn header(&self) -> &NativeHeader {
        match self {
            NativeDecoder::Ape(s) => s.header(),
            NativeDecoder::WavPack(s) => s.header(),
        }
    }

    /// Bytes of compressed audio (for the bitrate).
    pub(crate) fn audio_bytes(&self) -> u64 {
        match self {
            NativeDecoder::Ape(s) => s.audio_bytes(),
            NativeDecoder::WavPack(s) => s.audio_bytes(),
        }
    }

    /// The next chunk of samples in order; `None` at the end of the stream.
    /// An `Err` is one damaged frame or block (reported with where it is)
    /// and the frames it stood for (0 where the file ends); decoding may go
    /// on after it.
    pub(crate) fn next_chunk(&mut self) -> Option<Result<Chunk<'_>, Damage>> {
        match self {
            NativeDecoder::Ape(s) => s.next_chunk(),
            NativeDecoder::WavPack(s) => s.next_chunk(),
        }
    }

    /// Ask for the whole-file checks (before the first chunk): what
    /// [`NativeDecoder::finish`] needs gathered on the way.
    pub(crate) fn check_whole(&mut self) {
        if let NativeDecoder::WavPack(s) = self {
            s.check_md5();
        }
    }

    /// The whole-file checks, once every chunk has been decoded: the APE
    /// MD5, the WavPack MD5 of the samples (when the encoder stored one).
    pub(crate) fn finish(&mut self) -> Vec<Problem> {
        match self {
            NativeDecoder::Ape(s) => s.finish(),
            NativeDecoder::WavPack(s) => s.finish(),
        }
    }
}

/// `at 12.3 s` for a message about the frame starting at `frame`.
fn at(frame: u64, rate: u32) -> String {
    if rate == 0 {
        return String::new();
    }
    format!(" at {:.1} s", frame as f64 / rate as f64)
}

/// The header facts checked against what any real file has; `Err` is a
/// corrupt header.
fn check_header(h: &NativeHeader, name: &str) -> Result<(), Problem> {
    let bad = |what: String| {
        Err(Problem::new(
            MediaErrorKind::CorruptHeader,
            format!("corrupt {name} header: {what}"),
        ))
    };
    if h.samplerate == 0 || h.samplerate > MAX_SAMPLE_RATE {
        return bad(format!("sample rate {} Hz is out of range", h.samplerate));
    }
    if h.channels == 0 || h.channels > 64 {
        return bad(format!("{} channels is out of range", h.channels));
    }
    if !(1..=32).contains(&h.bits) {
        return bad(format!("{} bits per sample is out of range", h.bits));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The shared corpus folder, or `None` (with the reason printed) when
    /// this checkout has none beside it.
    pub(crate) fn corpus(name: &str) -> Option<PathBuf> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/mediafile");
        if !dir.is_dir() {
            eprintln!("skipped: no corpus at {}", dir.display());
            return None;
        }
        Some(dir.join(name))
    }

    /// Every sample of `path`, decoded through the native decoder.
    pub(crate) fn decode_all(path: &Path, c: Container) -> (NativeHeader, Vec<i32>, Vec<Problem>) {
        let mut d = open(path, c).unwrap();
        let h = d.header().clone();
        d.check_whole();
        let mut all = Vec::new();
        let mut errors = Vec::new();
        while let Some(chunk) = d.next_chunk() {
            match chunk {
                Ok(Chunk::Int(s)) => all.extend_from_slice(s),
                Ok(Chunk::Float(s)) => all.extend(s.iter().map(|v| (v * 32768.0) as i32)),
                Err((e, _)) => errors.push(e),
            }
        }
        errors.extend(d.finish());
        (h, all, errors)
    }

    #[test]
    fn only_ape_and_wavpack_are_native() {
        assert!(decodes(Container::Ape) && decodes(Container::WavPack));
        assert!(!decodes(Container::Flac) && !decodes(Container::Musepack));
        let e = open(Path::new("x.mpc"), Container::Musepack).err().unwrap();
        assert_eq!(e.kind, MediaErrorKind::Unsupported);
    }

    #[test]
    fn a_header_out_of_range_is_corrupt() {
        let good = NativeHeader {
            samplerate: 44100,
            channels: 2,
            bits: 16,
            ..Default::default()
        };
        assert!(check_header(&good, "APE").is_ok());
        let e = check_header(
            &NativeHeader {
                samplerate: 0,
                ..good.clone()
            },
            "APE",
        )
        .err()
        .unwrap();
        assert_eq!(
            (e.kind, e.message.as_str()),
            (
                MediaErrorKind::CorruptHeader,
                "corrupt APE header: sample rate 0 Hz is out of range"
            )
        );
        assert!(check_header(
            &NativeHeader {
                bits: 40,
                ..good.clone()
            },
            "WavPack"
        )
        .is_err());
    }
}

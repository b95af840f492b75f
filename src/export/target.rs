//! What an export writes, as data: the output formats, the user's audio
//! choices ([`AudioOptions`]) and the full description of one output file
//! ([`AudioTarget`]). Profiles build targets from options; the transcoder
//! and the tagger read them. This module depends on nothing else in
//! `export`, so neither of those depends on the other through it.

use crate::error::{Error, InvalidKind, Result};

/// Output audio formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// MPEG-1 Layer III through LAME.
    Mp3,
    /// AAC-LC through Fraunhofer FDK AAC, in an .m4a (MP4) container.
    Aac,
    /// RIFF WAVE, integer PCM.
    Wav,
    /// FLAC through flacenc.
    Flac,
    /// AIFF, big-endian integer PCM.
    Aiff,
    /// Apple Lossless in an .m4a (MP4) container.
    Alac,
    /// Opus (opus-rs) in an Ogg container (.opus), always 48 kHz.
    Opus,
    /// Vorbis (aoTuV libvorbis through vorbis_rs) in an Ogg container (.ogg).
    Vorbis,
}

impl OutputFormat {
    /// Every format, in the order `--format` lists them.
    pub const ALL: [OutputFormat; 8] = [
        OutputFormat::Mp3,
        OutputFormat::Aac,
        OutputFormat::Wav,
        OutputFormat::Flac,
        OutputFormat::Aiff,
        OutputFormat::Alac,
        OutputFormat::Opus,
        OutputFormat::Vorbis,
    ];

    /// The name used on the command line and in manifests.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Mp3 => "mp3",
            OutputFormat::Aac => "aac",
            OutputFormat::Wav => "wav",
            OutputFormat::Flac => "flac",
            OutputFormat::Aiff => "aiff",
            OutputFormat::Alac => "alac",
            OutputFormat::Opus => "opus",
            OutputFormat::Vorbis => "vorbis",
        }
    }

    /// Parse a `--format` value (case-insensitive; "m4a" means AAC).
    pub fn parse(s: &str) -> Option<OutputFormat> {
        let s = s.to_ascii_lowercase();
        Some(match s.as_str() {
            "mp3" => OutputFormat::Mp3,
            "aac" | "m4a" => OutputFormat::Aac,
            "wav" | "wave" => OutputFormat::Wav,
            "flac" => OutputFormat::Flac,
            "aiff" | "aif" => OutputFormat::Aiff,
            "alac" => OutputFormat::Alac,
            "opus" => OutputFormat::Opus,
            "vorbis" | "ogg" => OutputFormat::Vorbis,
            _ => return None,
        })
    }

    /// The file extension (without dot).
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Mp3 => "mp3",
            OutputFormat::Aac | OutputFormat::Alac => "m4a",
            OutputFormat::Wav => "wav",
            OutputFormat::Flac => "flac",
            OutputFormat::Aiff => "aiff",
            OutputFormat::Opus => "opus",
            OutputFormat::Vorbis => "ogg",
        }
    }

    /// Whether the format keeps every sample exactly.
    pub fn is_lossless(self) -> bool {
        self.bitrate_range().is_none()
    }

    /// The `--bitrate` values (kbit/s) a lossy format takes; `None` for
    /// lossless formats. Opus goes down to 6k (speech); Vorbis starts at
    /// 32k, about its lowest quality for stereo music (`--quality -1`).
    pub fn bitrate_range(self) -> Option<(u32, u32)> {
        match self {
            OutputFormat::Mp3 | OutputFormat::Aac => Some((8, MAX_KBPS)),
            OutputFormat::Opus => Some((MIN_KBPS, MAX_KBPS)),
            OutputFormat::Vorbis => Some((VORBIS_MIN_KBPS, MAX_KBPS)),
            OutputFormat::Wav | OutputFormat::Flac | OutputFormat::Aiff | OutputFormat::Alac => {
                None
            }
        }
    }

    /// The most channels the format (as we write it) carries: opus-rs has
    /// no multistream (surround) encoder, so Opus is mono or stereo.
    pub(crate) fn max_channels(self) -> u16 {
        match self {
            OutputFormat::Mp3 | OutputFormat::Aac | OutputFormat::Alac | OutputFormat::Opus => 2,
            OutputFormat::Flac | OutputFormat::Vorbis => 8,
            OutputFormat::Wav | OutputFormat::Aiff => 32,
        }
    }

    /// The bit depths the format (as we write it) takes, best first.
    pub(crate) fn bit_depths(self) -> &'static [u16] {
        match self {
            OutputFormat::Wav | OutputFormat::Aiff => &[24, 16, 32, 8],
            OutputFormat::Flac => &[24, 16],
            // alac-encoder 0.3 takes 16-bit PCM only; lossy formats are
            // fed floats or 16-bit PCM.
            OutputFormat::Mp3
            | OutputFormat::Aac
            | OutputFormat::Alac
            | OutputFormat::Opus
            | OutputFormat::Vorbis => &[16],
        }
    }

    /// Sample rates the encoder accepts (`None`: any).
    pub(crate) fn sample_rates(self) -> Option<&'static [u32]> {
        match self {
            // MPEG-1 Layer III rates: what car units play (Honda: 32/44.1/48 only).
            OutputFormat::Mp3 => Some(&[32_000, 44_100, 48_000]),
            OutputFormat::Aac => Some(&[
                8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000, 64_000,
                88_200, 96_000,
            ]),
            // Opus codes at 48 kHz whatever the source's rate.
            OutputFormat::Opus => Some(&[48_000]),
            _ => None,
        }
    }

    /// The output rate when the target leaves it open: the source's rate if
    /// the format takes it, else the only rate it takes (Opus: 48 kHz), else
    /// the nearest-family rate it does take (44.1 kHz for 88.2/176.4 kHz and
    /// other rates, 48 kHz for 96/192 kHz).
    pub(crate) fn default_rate(self, src: u32) -> u32 {
        match self.sample_rates() {
            Some(&[only]) => only,
            Some(ok) if !ok.contains(&src) => {
                if src > 48_000 && src % 48_000 == 0 && ok.contains(&48_000) {
                    48_000
                } else {
                    44_100
                }
            }
            _ => src,
        }
    }
}

/// The lowest `--bitrate` of any format, in kbit/s (Opus).
pub const MIN_KBPS: u32 = 6;
/// The highest `--bitrate` of any format, in kbit/s.
pub const MAX_KBPS: u32 = 320;
/// The lowest Vorbis `--bitrate`, in kbit/s.
const VORBIS_MIN_KBPS: u32 = 32;
/// The Vorbis quality when neither `--bitrate` nor `--quality` is given
/// (oggenc's scale: about 192 kbit/s for stereo at 44.1 kHz).
pub const DEFAULT_VORBIS_QUALITY: f32 = 6.0;

/// The Opus bitrate when no `--bitrate` is given: 160k for stereo (where
/// listening tests find Opus transparent for nearly all music), 96k mono.
pub fn default_opus_kbps(channels: u16) -> u32 {
    if channels == 1 {
        96
    } else {
        160
    }
}

/// libvorbis's nominal bitrate (kbit/s) for a quality on oggenc's -1..=10
/// scale, for stereo at 44.1 kHz (its documented table, interpolated).
pub fn vorbis_nominal_kbps(quality: f32) -> u32 {
    let x = quality.clamp(-1.0, 10.0) + 1.0;
    let i = (x.floor() as usize).min(10);
    let f = x - i as f32;
    (VORBIS_NOMINAL[i] + (VORBIS_NOMINAL[i + 1] - VORBIS_NOMINAL[i]) * f).round() as u32
}

/// The quality (-1..=10) whose nominal stereo bitrate is `kbps`: the
/// inverse of [`vorbis_nominal_kbps`], clamped to the scale.
pub(crate) fn vorbis_quality_for_kbps(kbps: u32) -> f32 {
    let k = kbps as f32;
    match VORBIS_NOMINAL.windows(2).position(|w| k < w[1]) {
        None => 10.0,
        Some(i) => {
            let (lo, hi) = (VORBIS_NOMINAL[i], VORBIS_NOMINAL[i + 1]);
            (i as f32 - 1.0 + ((k - lo) / (hi - lo)).max(0.0)).max(-1.0)
        }
    }
}

/// libvorbis's nominal stereo 44.1 kHz bitrates for qualities -1..=10.
const VORBIS_NOMINAL: [f32; 12] = [
    45.0, 64.0, 80.0, 96.0, 112.0, 128.0, 160.0, 192.0, 224.0, 256.0, 320.0, 500.0,
];

impl std::fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The audio choices a user makes for an export (`--bitrate`, `--quality`,
/// `--samplerate`, `--bitdepth`, `--normalize`, `--no-art`): held by
/// [`ExportSettings`](super::profile::ExportSettings) as typed and by every
/// [`AudioTarget`] derived from it. `None` keeps the source's value where
/// the format allows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AudioOptions {
    /// Bitrate in kbit/s (at most 320): constant for MP3 and AAC, the VBR
    /// target for Opus and Vorbis.
    pub bitrate_kbps: Option<u32>,
    /// VBR quality V0 (best) ..= V9 (MP3; AAC maps it to FDK's VBR modes).
    pub vbr_quality: Option<u8>,
    /// Vorbis quality on oggenc's scale, -1 (smallest) ..= 10 (best).
    pub vorbis_quality: Option<f32>,
    /// Output sample rate in Hz.
    pub samplerate: Option<u32>,
    /// Output bits per sample (lossless formats).
    pub bitdepth: Option<u16>,
    /// Normalise to this integrated loudness (LUFS), limited by true peak.
    pub normalize: Option<f64>,
    /// With `normalize`: one gain for every track of an album, from the
    /// album's loudness and peak (`--normalize album`), instead of each
    /// track's own.
    pub normalize_album: bool,
    /// Write no cover art.
    pub no_art: bool,
}

impl AudioOptions {
    /// Check the values that are wrong whatever the format or source.
    pub fn validate(&self) -> Result<()> {
        if let Some(b) = self.bitrate_kbps {
            if !(MIN_KBPS..=MAX_KBPS).contains(&b) {
                return Err(Error::invalid(
                    InvalidKind::OutOfRange,
                    format!("--bitrate {b}k"),
                    format!("must be between {MIN_KBPS}k and {MAX_KBPS}k"),
                ));
            }
        }
        if let Some(q) = self.vorbis_quality {
            if !(-1.0..=10.0).contains(&q) {
                return Err(Error::invalid(
                    InvalidKind::OutOfRange,
                    format!("--quality {q}"),
                    "expected -1 to 10 (Vorbis quality, as oggenc -q)",
                ));
            }
        }
        if let Some(q) = self.vbr_quality {
            if q > 9 {
                return Err(Error::invalid(
                    InvalidKind::OutOfRange,
                    format!("--quality V{q}"),
                    "expected V0 (best) to V9",
                ));
            }
        }
        if self.bitrate_kbps.is_some()
            && (self.vbr_quality.is_some() || self.vorbis_quality.is_some())
        {
            return Err(Error::invalid(
                InvalidKind::Conflict,
                "--bitrate and --quality",
                "they exclude each other",
            ));
        }
        if let Some(sr) = self.samplerate {
            if !(8000..=384_000).contains(&sr) {
                return Err(Error::invalid(
                    InvalidKind::OutOfRange,
                    format!("--samplerate {sr}"),
                    "must be between 8000 and 384000",
                ));
            }
        }
        if let Some(n) = self.normalize {
            if !(-70.0..=0.0).contains(&n) {
                return Err(Error::invalid(
                    InvalidKind::OutOfRange,
                    format!("--target-lufs {n}"),
                    "must be between -70 and 0",
                ));
            }
        }
        Ok(())
    }
}

/// What one output file should be: the user's [`AudioOptions`] and what
/// the device adds (channels, ID3 version, art size, CD padding).
#[derive(Debug, Clone, PartialEq)]
pub struct AudioTarget {
    pub format: OutputFormat,
    /// The user's choices.
    pub options: AudioOptions,
    /// Output channels: Some(2) downmixes surround and upmixes mono.
    pub channels: Option<u16>,
    /// Write ID3v2.3 (not 2.4) where ID3 is used.
    pub id3v23: bool,
    /// Shrink cover art to at most this many pixels a side, as baseline JPEG.
    pub art_max_px: Option<u32>,
    /// Pad the audio to whole CD sectors (2352 bytes = 588 stereo 16-bit frames).
    pub pad_to_sector: bool,
    /// Pad shorter tracks with silence to this length (CD: 4 s).
    pub min_seconds: Option<f64>,
    /// Write no tags at all.
    pub no_tags: bool,
    /// Tag text in Latin-1 only: other characters transliterated, ID3
    /// text frames never in UTF-16.
    pub latin1_tags: bool,
    /// Append an ID3v1 tag to an MP3 (a mirror of the ID3v2 one).
    pub id3v1: bool,
}

impl AudioTarget {
    /// A target of `format` with every option at its default.
    pub fn new(format: OutputFormat) -> AudioTarget {
        AudioTarget {
            format,
            options: AudioOptions::default(),
            channels: None,
            id3v23: false,
            art_max_px: None,
            pad_to_sector: false,
            min_seconds: None,
            no_tags: false,
            latin1_tags: false,
            id3v1: false,
        }
    }

    /// The car profile's audio for `options`: MP3, CBR 320k unless a
    /// bitrate or a VBR quality is given, 44.1 kHz unless a rate is given,
    /// ID3v2.3, art <= 300 px.
    pub fn car(options: &AudioOptions) -> AudioTarget {
        AudioTarget {
            options: AudioOptions {
                bitrate_kbps: match options.vbr_quality {
                    Some(_) => None,
                    None => Some(options.bitrate_kbps.unwrap_or(320)),
                },
                samplerate: Some(options.samplerate.unwrap_or(44_100)),
                ..options.clone()
            },
            id3v23: true,
            art_max_px: Some(300),
            ..AudioTarget::new(OutputFormat::Mp3)
        }
    }

    /// The CD profile's audio: 44.1 kHz/16-bit stereo WAV, sector-padded,
    /// tracks at least 4 s, no art (burning reads only the samples; CD-TEXT
    /// comes from CUE/TOC). Of `options` only `--normalize` applies.
    pub fn cd(options: &AudioOptions) -> AudioTarget {
        AudioTarget {
            options: AudioOptions {
                samplerate: Some(44_100),
                bitdepth: Some(16),
                no_art: true,
                normalize: options.normalize,
                normalize_album: options.normalize_album,
                ..AudioOptions::default()
            },
            channels: Some(2),
            pad_to_sector: true,
            min_seconds: Some(4.0),
            ..AudioTarget::new(OutputFormat::Wav)
        }
    }

    /// A target of `format` with the user's `options` as they are.
    pub fn of_format(format: OutputFormat, options: &AudioOptions) -> AudioTarget {
        AudioTarget {
            options: options.clone(),
            ..AudioTarget::new(format)
        }
    }

    /// The average bitrate (kbit/s) a lossy target writes at most, for size
    /// estimates (`None` for lossless formats). VBR targets are given 15 %
    /// headroom: a dense track runs above its nominal rate.
    pub(crate) fn estimate_kbps(&self, channels: u16) -> Option<f64> {
        let o = &self.options;
        let vbr = |kbps: u32| kbps as f64 * 1.15;
        Some(match self.format {
            OutputFormat::Mp3 | OutputFormat::Aac => match (o.bitrate_kbps, o.vbr_quality) {
                (Some(k), _) => k as f64,
                // VBR V0 peaks near 320k; CBR is what it says.
                (None, Some(_)) => 320.0,
                (None, None) if self.format == OutputFormat::Mp3 => 320.0,
                (None, None) => 128.0 * channels as f64,
            },
            OutputFormat::Opus => vbr(o.bitrate_kbps.unwrap_or(default_opus_kbps(channels))),
            OutputFormat::Vorbis => {
                let stereo = o.bitrate_kbps.unwrap_or_else(|| {
                    vorbis_nominal_kbps(o.vorbis_quality.unwrap_or(DEFAULT_VORBIS_QUALITY))
                });
                // The quality table is for stereo; surround spends more.
                vbr(stereo) * (channels.max(2) as f64 / 2.0)
            }
            OutputFormat::Wav | OutputFormat::Flac | OutputFormat::Aiff | OutputFormat::Alac => {
                return None
            }
        })
    }

    /// Check option values that are wrong whatever the source: the
    /// [`AudioOptions`] checks, then what this format accepts.
    pub fn validate(&self) -> Result<()> {
        self.options.validate()?;
        let unsupported = |subject: String, reason: String| {
            Err(Error::invalid(InvalidKind::Unsupported, subject, reason))
        };
        let format = self.format;
        if let (Some(b), Some((lo, hi))) = (self.options.bitrate_kbps, format.bitrate_range()) {
            if !(lo..=hi).contains(&b) {
                return Err(Error::invalid(
                    InvalidKind::OutOfRange,
                    format!("--bitrate {b}k"),
                    format!("must be between {lo}k and {hi}k for {format}"),
                ));
            }
        }
        // `--quality` is LAME's V scale for MP3/AAC and oggenc's -1..=10 for
        // Vorbis; Opus has none (its encoder is driven by the bitrate).
        let wrong_quality = match format {
            OutputFormat::Opus | OutputFormat::Vorbis => self.options.vbr_quality.is_some(),
            _ => self.options.vorbis_quality.is_some(),
        };
        if wrong_quality {
            return unsupported(
                format!("{format}"),
                match format {
                    OutputFormat::Opus => {
                        format!(
                            "--quality does not apply; use --bitrate ({MIN_KBPS}k to {MAX_KBPS}k)"
                        )
                    }
                    OutputFormat::Vorbis => "--quality takes -1 to 10 (as oggenc -q)".into(),
                    _ => "--quality takes V0 (best) to V9".into(),
                },
            );
        }
        if let Some(d) = self.options.bitdepth {
            if !self.format.bit_depths().contains(&d) {
                return unsupported(
                    format!("{}", self.format),
                    format!(
                        "bit depth {d} not supported (use {})",
                        list(self.format.bit_depths())
                    ),
                );
            }
        }
        if let Some(r) = self.options.samplerate {
            if let Some(ok) = self.format.sample_rates() {
                if !ok.contains(&r) {
                    return unsupported(
                        format!("{}", self.format),
                        format!("sample rate {r} Hz not supported (use {})", list(ok)),
                    );
                }
            }
        }
        if let Some(c) = self.channels {
            if c == 0 || c > self.format.max_channels() || c > 2 {
                return unsupported(
                    format!("{}", self.format),
                    format!("{c} channels not supported (mono or stereo)"),
                );
            }
        }
        Ok(())
    }
}

fn list<T: std::fmt::Display>(v: &[T]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

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
}

impl OutputFormat {
    /// Every format, in the order `--format` lists them.
    pub const ALL: [OutputFormat; 6] = [
        OutputFormat::Mp3,
        OutputFormat::Aac,
        OutputFormat::Wav,
        OutputFormat::Flac,
        OutputFormat::Aiff,
        OutputFormat::Alac,
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
        }
    }

    /// Whether the format keeps every sample exactly.
    pub fn is_lossless(self) -> bool {
        !matches!(self, OutputFormat::Mp3 | OutputFormat::Aac)
    }

    /// The most channels the format (as we write it) carries.
    pub(crate) fn max_channels(self) -> u16 {
        match self {
            OutputFormat::Mp3 | OutputFormat::Aac | OutputFormat::Alac => 2,
            OutputFormat::Flac => 8,
            OutputFormat::Wav | OutputFormat::Aiff => 32,
        }
    }

    /// The bit depths the format (as we write it) takes, best first.
    pub(crate) fn bit_depths(self) -> &'static [u16] {
        match self {
            OutputFormat::Wav | OutputFormat::Aiff => &[24, 16, 32, 8],
            OutputFormat::Flac => &[24, 16],
            // alac-encoder 0.3 takes 16-bit PCM only.
            OutputFormat::Mp3 | OutputFormat::Aac | OutputFormat::Alac => &[16],
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
            _ => None,
        }
    }
}

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
    /// Constant bitrate in kbit/s (MP3, AAC; at most 320).
    pub bitrate_kbps: Option<u32>,
    /// VBR quality V0 (best) ..= V9 (MP3; AAC maps it to FDK's VBR modes).
    pub vbr_quality: Option<u8>,
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
            if !(8..=320).contains(&b) {
                return Err(Error::invalid(
                    InvalidKind::OutOfRange,
                    format!("--bitrate {b}k"),
                    "must be between 8k and 320k",
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
        if self.bitrate_kbps.is_some() && self.vbr_quality.is_some() {
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

    /// Check option values that are wrong whatever the source: the
    /// [`AudioOptions`] checks, then what this format accepts.
    pub fn validate(&self) -> Result<()> {
        self.options.validate()?;
        let unsupported = |subject: String, reason: String| {
            Err(Error::invalid(InvalidKind::Unsupported, subject, reason))
        };
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

//! Device profiles and the validated export settings.
//!
//! A profile fixes the rules a destination must follow (names, folder
//! limits, play order, disc limits) and the audio every track must end up
//! as. [`ExportSettings`] is the plain, validated form of the command line;
//! [`ExportSettings::fingerprint`] names everything that changes the output
//! bytes, so the sync manifest knows when a file must be redone.

use crate::error::{Error, InvalidKind, Result};
use crate::export::target::{AudioOptions, AudioTarget, OutputFormat};
use crate::export::transcode;
use crate::library::Track;

/// The device an export is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Copy files as they are, FAT-safe names, an M3U8 beside them.
    Usb,
    /// MP3 for car head units: strict limits, play order = directory order.
    Car,
    /// Audio CD: 44.1/16/2 WAVs split into discs with CUE + TOC.
    Cd,
    /// Everything converted to one explicit format (plus an M3U8).
    Format(OutputFormat),
}

impl Profile {
    /// The profile's name as typed on the command line.
    pub fn name(self) -> String {
        match self {
            Profile::Usb => "usb".into(),
            Profile::Car => "car".into(),
            Profile::Cd => "cd".into(),
            Profile::Format(f) => format!("format-{}", f.name()),
        }
    }

    /// Parse `usb`, `car` or `cd`.
    pub fn parse(s: &str) -> Result<Profile> {
        match s.to_ascii_lowercase().as_str() {
            "usb" => Ok(Profile::Usb),
            "car" => Ok(Profile::Car),
            "cd" => Ok(Profile::Cd),
            other => Err(Error::invalid(
                InvalidKind::Unknown,
                format!("--profile {other}"),
                "unknown profile (use usb, car or cd)",
            )),
        }
    }

    /// The folder/name limits this profile checks and plans for.
    pub fn limits(self) -> Limits {
        match self {
            Profile::Car => Limits {
                files_per_folder: Some(255),
                max_depth: 8,
                total_files: Some(500),
                ordered_folders: true,
            },
            _ => Limits {
                files_per_folder: None,
                max_depth: 8,
                total_files: None,
                ordered_folders: false,
            },
        }
    }
}

/// The structural rules of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// At most this many files in one folder (car: 255).
    pub files_per_folder: Option<usize>,
    /// At most this many folder levels below the destination.
    pub max_depth: usize,
    /// Some head units read at most this many files in total (a warning).
    pub total_files: Option<usize>,
    /// Play order is the directory order: folders are written fresh, in order.
    pub ordered_folders: bool,
}

/// Parse a format name as given to `--format`.
pub fn parse_format(s: &str) -> Result<OutputFormat> {
    OutputFormat::parse(s).ok_or_else(|| {
        Error::invalid(
            InvalidKind::Unknown,
            format!("--format {s}"),
            "unknown format (use mp3, aac, wav, flac, aiff or alac)",
        )
    })
}

/// Parse a bitrate such as `320k`, `320`, `192kbps` into kbit/s (8..=320).
pub fn parse_bitrate(s: &str) -> Result<u32> {
    let t = s.trim().to_ascii_lowercase();
    let digits = t
        .strip_suffix("kbps")
        .or_else(|| t.strip_suffix("kb/s"))
        .or_else(|| t.strip_suffix('k'))
        .unwrap_or(&t);
    let kbps: u32 = digits.trim().parse().map_err(|_| {
        Error::invalid(
            InvalidKind::Malformed,
            format!("--bitrate {s}"),
            "expected a number like 320k",
        )
    })?;
    if !(8..=320).contains(&kbps) {
        return Err(Error::invalid(
            InvalidKind::OutOfRange,
            format!("--bitrate {s}"),
            "must be between 8k and 320k",
        ));
    }
    Ok(kbps)
}

/// Parse a VBR quality such as `V0`, `v2` or `0` (0 = best ..= 9).
pub fn parse_quality(s: &str) -> Result<u8> {
    let t = s.trim();
    let digits = t
        .strip_prefix('V')
        .or_else(|| t.strip_prefix('v'))
        .unwrap_or(t);
    match digits.parse::<u8>() {
        Ok(q) if q <= 9 => Ok(q),
        _ => Err(Error::invalid(
            InvalidKind::OutOfRange,
            format!("--quality {s}"),
            "expected V0 (best) to V9",
        )),
    }
}

/// The validated settings of one export.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportSettings {
    /// The device profile.
    pub profile: Profile,
    /// The user's audio choices (bitrate, quality, rate, depth, loudness,
    /// art), which [`ExportSettings::target`] turns into the profile's audio.
    pub options: AudioOptions,
    /// Names in `A-Z 0-9 _` only.
    pub strict_names: bool,
    /// Re-encode even sources that could be copied.
    pub force_transcode: bool,
    /// CD length limit in minutes (79.8 = 79:48 by default).
    pub disc_minutes: f64,
}

/// The default CD length limit: 79:48.
pub const DEFAULT_DISC_MINUTES: f64 = 79.8;
/// The most tracks an audio CD can hold.
pub const MAX_CD_TRACKS: usize = 99;

impl ExportSettings {
    /// Default settings for a profile.
    pub fn new(profile: Profile) -> ExportSettings {
        ExportSettings {
            profile,
            options: AudioOptions::default(),
            strict_names: false,
            force_transcode: false,
            disc_minutes: DEFAULT_DISC_MINUTES,
        }
    }

    /// Check combinations that make no sense.
    pub fn validate(&self) -> Result<()> {
        let o = &self.options;
        if o.bitrate_kbps.is_some() && o.vbr_quality.is_some() {
            return Err(Error::invalid_input(
                InvalidKind::Conflict,
                "--bitrate and --quality exclude each other",
            ));
        }
        if !(1.0..=99.0).contains(&self.disc_minutes) {
            return Err(Error::invalid(
                InvalidKind::OutOfRange,
                format!("--disc-minutes {}", self.disc_minutes),
                "must be between 1 and 99",
            ));
        }
        o.validate()?;
        if let Some(b) = o.bitdepth {
            if ![16, 24, 32].contains(&b) {
                return Err(Error::invalid(
                    InvalidKind::OutOfRange,
                    format!("--bitdepth {b}"),
                    "must be 16, 24 or 32",
                ));
            }
        }
        match self.profile {
            Profile::Cd
                if o.samplerate.is_some_and(|s| s != 44100)
                    || o.bitdepth.is_some_and(|b| b != 16) =>
            {
                Err(Error::invalid_input(
                    InvalidKind::Conflict,
                    "the cd profile is always 44.1 kHz / 16-bit; drop --samplerate/--bitdepth",
                ))
            }
            Profile::Usb
                if o.bitrate_kbps.is_some()
                    || o.vbr_quality.is_some()
                    || o.samplerate.is_some()
                    || o.bitdepth.is_some()
                    || o.normalize.is_some() =>
            {
                Err(Error::invalid_input(
                    InvalidKind::Conflict,
                    "the usb profile copies files as they are; use --format to convert",
                ))
            }
            _ => match self.target() {
                Some(t) => t.validate(),
                None => Ok(()),
            },
        }
    }

    /// The audio every converted track becomes (None: files are copied).
    pub fn target(&self) -> Option<AudioTarget> {
        match self.profile {
            Profile::Usb => None,
            Profile::Car => Some(AudioTarget::car(&self.options)),
            Profile::Cd => Some(AudioTarget::cd(&self.options)),
            Profile::Format(f) => Some(AudioTarget::of_format(f, &self.options)),
        }
    }

    /// What `track` becomes when converted: the profile's target, or for a
    /// track of a CUE image under a profile that copies files as they are
    /// (usb), FLAC: cut out without loss.
    pub fn target_for(&self, track: &Track) -> Option<AudioTarget> {
        self.target().or_else(|| {
            track
                .cue
                .map(|_| AudioTarget::of_format(OutputFormat::Flac, &self.options))
        })
    }

    /// Everything that changes the output bytes, as one stable string (the
    /// manifest compares it to decide whether old outputs can be kept).
    pub fn fingerprint(&self) -> String {
        let o = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        let mut s = format!("profile={}", self.profile.name());
        if let Some(t) = self.target() {
            s.push_str(&format!(
                " fmt={} br={} q={} sr={} bits={} ch={} norm={} id3v23={} art={} noart={} pad={} min={} force={}",
                t.format.name(),
                o(t.options.bitrate_kbps.map(|v| v.to_string())),
                o(t.options.vbr_quality.map(|v| v.to_string())),
                o(t.options.samplerate.map(|v| v.to_string())),
                o(t.options.bitdepth.map(|v| v.to_string())),
                o(t.channels.map(|v| v.to_string())),
                o(t.options.normalize.map(|v| {
                    let album = if t.options.normalize_album { "/album" } else { "" };
                    format!("{v:.2}{album}")
                })),
                t.id3v23,
                o(t.art_max_px.map(|v| v.to_string())),
                t.options.no_art,
                t.pad_to_sector,
                o(t.min_seconds.map(|v| format!("{v}"))),
                self.force_transcode,
            ));
        }
        s.push_str(&format!(" strict={}", self.strict_names));
        if self.profile == Profile::Cd {
            s.push_str(&format!(" disc={}", self.disc_minutes));
        }
        s
    }

    /// Can `track` be copied as is instead of being converted? True for the
    /// usb profile, and for a source already at or below the target (an MP3
    /// of at most the target bitrate at 32/44.1/48 kHz for the car) unless
    /// `--force-transcode` or `--normalize` was given.
    pub fn copies(&self, track: &Track) -> bool {
        // A track of a CUE image is cut out of it, never copied whole.
        if track.cue.is_some() {
            return false;
        }
        let Some(t) = self.target() else {
            return true;
        };
        if self.force_transcode || self.options.normalize.is_some() {
            return false;
        }
        let p = &track.props;
        let fmt = p.format.as_deref().unwrap_or("").to_ascii_lowercase();
        let kbps = p.bitrate.map(|b| b.div_ceil(1000));
        let channels_ok = p.channels.is_some_and(|c| (1..=2).contains(&c));
        match self.profile {
            Profile::Car => {
                fmt == "mp3"
                    && channels_ok
                    && kbps.is_some_and(|k| k <= t.options.bitrate_kbps.unwrap_or(320))
                    && p.samplerate
                        .is_some_and(|s| [32000, 44100, 48000].contains(&s))
            }
            Profile::Cd => false,
            Profile::Format(f) => {
                let same = match f {
                    OutputFormat::Mp3 => fmt == "mp3",
                    OutputFormat::Aac => fmt == "aac",
                    OutputFormat::Flac => fmt == "flac",
                    OutputFormat::Alac => fmt == "alac",
                    OutputFormat::Wav | OutputFormat::Aiff => false,
                };
                let o = &t.options;
                same && o.bitrate_kbps.is_none_or(|b| kbps.is_some_and(|k| k <= b))
                    && o.vbr_quality.is_none()
                    && o.samplerate.is_none_or(|s| p.samplerate == Some(s))
                    && o.bitdepth.is_none_or(|b| p.bitdepth == Some(b as u32))
            }
            Profile::Usb => true,
        }
    }

    /// A rough size of `track`'s output, for the free-space check and the plan.
    pub fn estimate_bytes(&self, track: &Track) -> u64 {
        match self.target() {
            Some(t) if !self.copies(track) => transcode::estimate_size(track, &t),
            // A car copy gains a small ID3v2.3 tag and cover.
            Some(_) if self.profile == Profile::Car => track.size + 64_000,
            _ => track.size,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mp3(kbps: u32, rate: u32) -> Track {
        let mut t = Track::default();
        t.props.format = Some("mp3".into());
        t.props.bitrate = Some(kbps * 1000);
        t.props.samplerate = Some(rate);
        t.props.channels = Some(2);
        t.props.length = Some(100.0);
        t.size = 1234;
        t
    }

    #[test]
    fn parses_bitrates_and_qualities() {
        assert_eq!(parse_bitrate("320k").unwrap(), 320);
        assert_eq!(parse_bitrate("192").unwrap(), 192);
        assert_eq!(parse_bitrate("128kbps").unwrap(), 128);
        assert!(parse_bitrate("321k").is_err());
        assert!(parse_bitrate("fast").is_err());
        assert_eq!(parse_quality("V0").unwrap(), 0);
        assert_eq!(parse_quality("v2").unwrap(), 2);
        assert!(parse_quality("V10").is_err());
    }

    #[test]
    fn car_copies_mp3_at_or_below_target_only() {
        let car = ExportSettings::new(Profile::Car);
        assert!(car.copies(&mp3(320, 44100)));
        assert!(car.copies(&mp3(192, 48000)));
        assert!(!car.copies(&mp3(192, 22050)));
        let mut t = mp3(192, 44100);
        t.props.format = Some("flac".into());
        assert!(!car.copies(&t));
        let mut low = ExportSettings::new(Profile::Car);
        low.options.bitrate_kbps = Some(128);
        assert!(!low.copies(&mp3(192, 44100)));
        let mut forced = ExportSettings::new(Profile::Car);
        forced.force_transcode = true;
        assert!(!forced.copies(&mp3(128, 44100)));
        assert_eq!(
            ExportSettings::new(Profile::Usb).estimate_bytes(&mp3(128, 44100)),
            1234
        );
    }

    #[test]
    fn car_target_is_mp3_320_at_44k1_with_id3v23() {
        let t = ExportSettings::new(Profile::Car).target().unwrap();
        assert_eq!(t.format, OutputFormat::Mp3);
        assert_eq!(t.options.bitrate_kbps, Some(320));
        assert_eq!(t.options.samplerate, Some(44100));
        assert!(t.id3v23);
        assert_eq!(t.art_max_px, Some(300));
        let mut v0 = ExportSettings::new(Profile::Car);
        v0.options.vbr_quality = Some(0);
        let t = v0.target().unwrap();
        assert_eq!(
            (t.options.bitrate_kbps, t.options.vbr_quality),
            (None, Some(0))
        );
        assert_ne!(
            v0.fingerprint(),
            ExportSettings::new(Profile::Car).fingerprint()
        );
    }

    #[test]
    fn cd_target_and_validation() {
        let cd = ExportSettings::new(Profile::Cd);
        let t = cd.target().unwrap();
        assert_eq!(
            (
                t.format,
                t.options.samplerate,
                t.options.bitdepth,
                t.channels
            ),
            (OutputFormat::Wav, Some(44100), Some(16), Some(2))
        );
        assert!(t.pad_to_sector);
        assert_eq!(t.min_seconds, Some(4.0));
        let mut bad = cd.clone();
        bad.options.samplerate = Some(48000);
        assert!(bad.validate().is_err());
        let mut usb = ExportSettings::new(Profile::Usb);
        assert!(usb.validate().is_ok());
        usb.options.bitrate_kbps = Some(128);
        assert!(usb.validate().is_err());
    }
}

//! The validated export settings: a device profile (data, see
//! [`super::device`]) and the user's choices on top of it.
//!
//! [`ExportSettings::target_for`] turns the profile's rules into the audio a
//! track becomes; [`ExportSettings::copies`] decides from the whole profile
//! whether a source may go as it is (container, codec, sample rate, CBR,
//! bitrate, channels: a file that breaks any rule is converted);
//! [`ExportSettings::fingerprint`] names everything that changes the output
//! bytes, so the sync manifest knows when a file must be redone.

use std::path::Path;

use crate::error::{Error, InvalidKind, Result};
use crate::export::device::{self, DeviceProfile, Layout, NameCharset, TagCharset, TagVersion};
use crate::export::profiles;
use crate::export::set::PlaylistFormat;
use crate::export::target::{
    vorbis_nominal_kbps, AudioOptions, AudioTarget, OutputFormat, MAX_KBPS, MIN_KBPS,
};
use crate::export::transcode;
use crate::library::Track;
use crate::media::mpeg::summary;

/// A built-in profile by its place, for code and tests that want one
/// without looking it up by name.
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

impl From<Profile> for DeviceProfile {
    fn from(p: Profile) -> DeviceProfile {
        let named = |n: &str| profiles::builtin(n).cloned().unwrap_or_default();
        match p {
            Profile::Usb => named("usb"),
            Profile::Car => named("car"),
            Profile::Cd => named("cd"),
            Profile::Format(f) => format_profile(f),
        }
    }
}

/// The profile of `--format F`: usb's rules, everything converted to `F`
/// (a source already in `F` that meets the options is copied).
pub fn format_profile(f: OutputFormat) -> DeviceProfile {
    let usb = profiles::builtin("usb").cloned().unwrap_or_default();
    DeviceProfile {
        name: format!("format-{}", f.name()),
        description: format!("everything converted to {f}"),
        format: Some(f),
        ..usb
    }
}

impl DeviceProfile {
    /// The folder/name limits this profile checks and plans for.
    pub fn limits(&self) -> Limits {
        Limits {
            files_per_folder: self.files_per_folder,
            max_depth: self.max_depth,
            total_files: self.files_per_device,
            ordered_folders: self.ordered_folders,
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
            "unknown format (use mp3, aac, wav, flac, aiff, alac, opus or vorbis)",
        )
    })
}

/// Parse a bitrate such as `320k`, `320`, `192kbps` into kbit/s (6..=320;
/// each format's own range is checked with the target).
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
    if !(MIN_KBPS..=MAX_KBPS).contains(&kbps) {
        return Err(Error::invalid(
            InvalidKind::OutOfRange,
            format!("--bitrate {s}"),
            format!("must be between {MIN_KBPS}k and {MAX_KBPS}k"),
        ));
    }
    Ok(kbps)
}

/// Parse a VBR quality such as `V0`, `v2` or `0` (0 = best ..= 9).
pub fn parse_quality(s: &str) -> Result<u8> {
    match without_letter(s, 'v').parse::<u8>() {
        Ok(q) if q <= 9 => Ok(q),
        _ => Err(Error::invalid(
            InvalidKind::OutOfRange,
            format!("--quality {s}"),
            "expected V0 (best) to V9",
        )),
    }
}

/// Parse a Vorbis quality on oggenc's scale: `-1` .. `10`, decimals
/// allowed (`5.5`), an optional `q` in front (`q6`).
pub fn parse_vorbis_quality(s: &str) -> Result<f32> {
    match without_letter(s, 'q').parse::<f32>() {
        Ok(q) if (-1.0..=10.0).contains(&q) => Ok(q),
        _ => Err(Error::invalid(
            InvalidKind::OutOfRange,
            format!("--quality {s}"),
            "expected -1 to 10 (Vorbis quality, as oggenc -q)",
        )),
    }
}

/// `s` trimmed, without a leading `letter` in either case (`V2`, `q6`).
fn without_letter(s: &str, letter: char) -> &str {
    let t = s.trim();
    t.strip_prefix(letter)
        .or_else(|| t.strip_prefix(letter.to_ascii_uppercase()))
        .unwrap_or(t)
}

/// The validated settings of one export.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportSettings {
    /// The device profile: every rule of the destination.
    pub profile: DeviceProfile,
    /// The user's audio choices (bitrate, quality, rate, depth, loudness,
    /// art), which [`ExportSettings::target_for`] lays over the profile's.
    pub options: AudioOptions,
    /// Names in `A-Z 0-9 _` only (`--strict-names`, over the profile's charset).
    pub strict_names: bool,
    /// Re-encode even sources that could be copied.
    pub force_transcode: bool,
    /// CD length limit in minutes (79.8 = 79:48 by default).
    pub disc_minutes: f64,
    /// Where files go (None: the profile's own layout).
    pub layout: Option<Layout>,
}

/// The default CD length limit: 79:48.
pub const DEFAULT_DISC_MINUTES: f64 = 79.8;
/// The most tracks an audio CD can hold.
pub const MAX_CD_TRACKS: usize = 99;

/// How much of an MP3 is read to judge its stream (CBR, bitrates): a
/// Xing/VBRI header is in the first frame, and 256 KB hold some 250 frames
/// even at 320k, plenty to see a VBR stream's bitrates vary.
const SUMMARY_BYTES: u64 = 256 << 10;

impl DeviceProfile {
    /// The profile's name as typed on the command line.
    pub fn name(&self) -> String {
        self.name.clone()
    }
}

impl ExportSettings {
    /// Default settings for a profile.
    pub fn new(profile: impl Into<DeviceProfile>) -> ExportSettings {
        let profile = profile.into();
        ExportSettings {
            disc_minutes: profile.cd.map_or(DEFAULT_DISC_MINUTES, |c| c.disc_minutes),
            profile,
            options: AudioOptions::default(),
            strict_names: false,
            force_transcode: false,
            layout: None,
        }
    }

    /// Where files go: `--layout`, else the profile's layout.
    pub fn layout(&self) -> Layout {
        self.layout.unwrap_or(self.profile.layout)
    }

    /// The playlist files each playlist of the device gets: an M3U8, and
    /// for a unit with play-ordered folders or Latin-1 tags (the car) an
    /// M3U in Latin-1 too (units that read playlists mostly read only
    /// that); none for a CD, whose CUE and TOC are its order.
    pub fn playlist_formats(&self) -> &'static [PlaylistFormat] {
        if self.is_cd() {
            &[]
        } else if self.name_charset() == NameCharset::Dos83 {
            // An 8.3 name has no room for `.m3u8`.
            &[PlaylistFormat::M3u]
        } else if self.profile.ordered_folders || self.profile.tag_charset == TagCharset::Latin1 {
            &[PlaylistFormat::M3u8, PlaylistFormat::M3u]
        } else {
            &[PlaylistFormat::M3u8]
        }
    }

    /// Is this an audio-CD export (discs, CUE, TOC)?
    pub fn is_cd(&self) -> bool {
        self.profile.layout == Layout::Disc
    }

    /// The name charset in force: `--strict-names` narrows `fat` and `ascii`.
    pub fn name_charset(&self) -> NameCharset {
        match self.profile.name_charset {
            NameCharset::Fat | NameCharset::Ascii if self.strict_names => NameCharset::Strict,
            c => c,
        }
    }

    /// Whether a copied file gets the library's tags (its audio kept).
    pub fn retags_copies(&self) -> bool {
        self.profile.retag_copies && self.profile.format == Some(OutputFormat::Mp3)
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
        let p = &self.profile;
        let name = &p.name;
        if self.is_cd()
            && (o.samplerate.is_some_and(|s| !p.sample_rates.contains(&s))
                || o.bitdepth.is_some_and(|b| Some(b) != p.bit_depth))
        {
            return Err(Error::invalid_input(
                InvalidKind::Conflict,
                format!(
                    "the {name} profile is always 44.1 kHz / 16-bit; drop --samplerate/--bitdepth"
                ),
            ));
        }
        if p.format.is_none()
            && (o.bitrate_kbps.is_some()
                || o.vbr_quality.is_some()
                || o.samplerate.is_some()
                || o.bitdepth.is_some()
                || o.normalize.is_some())
        {
            return Err(Error::invalid_input(
                InvalidKind::Conflict,
                format!("the {name} profile copies files as they are; use --format to convert"),
            ));
        }
        if let Some(r) = o
            .samplerate
            .filter(|r| !p.sample_rates.is_empty() && !p.sample_rates.contains(r))
        {
            return Err(Error::invalid(
                InvalidKind::Conflict,
                format!("--samplerate {r}"),
                format!("the {name} profile plays only {}", rates(&p.sample_rates)),
            ));
        }
        if p.cbr_only && o.vbr_quality.is_some() {
            return Err(Error::invalid(
                InvalidKind::Conflict,
                "--quality",
                format!("the {name} profile plays constant-bitrate MP3 only"),
            ));
        }
        match self.target() {
            Some(t) => t.validate(),
            None => Ok(()),
        }
    }

    /// The audio every converted track becomes, for a source of unknown
    /// rate and channels (None: files are copied as they are).
    pub fn target(&self) -> Option<AudioTarget> {
        self.target_at(None, None)
    }

    /// What `track` becomes when converted: the profile's target at the
    /// accepted sample rate nearest the source's, or for a track of a CUE
    /// image under a profile that copies files as they are (usb), FLAC: cut
    /// out without loss.
    pub fn target_for(&self, track: &Track) -> Option<AudioTarget> {
        let p = &track.props;
        let channels = p.channels.and_then(|c| u16::try_from(c).ok());
        self.target_at(p.samplerate, channels).or_else(|| {
            track
                .cue
                .map(|_| AudioTarget::of_format(OutputFormat::Flac, &self.options))
        })
    }

    fn target_at(&self, src_rate: Option<u32>, src_channels: Option<u16>) -> Option<AudioTarget> {
        let p = &self.profile;
        let format = p.format?;
        let o = &self.options;
        let mut options = o.clone();
        if o.bitrate_kbps.is_none() && o.vbr_quality.is_none() {
            options.bitrate_kbps = p.bitrate_kbps;
            options.vbr_quality = p.vbr_quality;
        }
        options.samplerate = o.samplerate.or_else(|| match p.sample_rates.as_slice() {
            [only] => Some(*only),
            _ => src_rate.and_then(|r| p.rate_for(Some(r))),
        });
        options.bitdepth = o.bitdepth.or(p.bit_depth.filter(|_| format.is_lossless()));
        options.no_art |= !p.art;
        let cd = p.cd;
        // A CD is stereo whatever the source; elsewhere only a source with
        // more channels than the device plays is mixed down.
        let channels = match (cd, p.channels) {
            (Some(_), c) => c.or(Some(2)),
            (None, Some(max)) if src_channels.is_some_and(|c| c > max) || max == 1 => Some(max),
            _ => None,
        };
        if cd.is_some() {
            // Of the user's choices only --normalize applies to a CD.
            options = AudioOptions {
                samplerate: options.samplerate,
                bitdepth: options.bitdepth,
                no_art: true,
                normalize: o.normalize,
                ..AudioOptions::default()
            };
        }
        Some(AudioTarget {
            options,
            channels,
            id3v23: p.tags == TagVersion::Id3v23,
            art_max_px: p.art_max_px,
            pad_to_sector: cd.is_some_and(|c| c.sector_padding),
            min_seconds: cd.map(|c| c.min_track_seconds).filter(|&s| s > 0.0),
            no_tags: p.tags == TagVersion::None,
            latin1_tags: p.tag_charset == TagCharset::Latin1,
            id3v1: p.id3v1,
            ..AudioTarget::new(format)
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
                o(t.options
                    .vbr_quality
                    .map(|v| v.to_string())
                    .or(t.options.vorbis_quality.map(|q| format!("q{q}")))),
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
            let p = &self.profile;
            s.push_str(&format!(
                " notags={} latin1={} id3v1={} cbr={} rates={} chmax={}",
                t.no_tags,
                t.latin1_tags,
                t.id3v1,
                p.cbr_only,
                rates(&p.sample_rates),
                o(p.channels.map(|c| c.to_string())),
            ));
        }
        s.push_str(&format!(" strict={}", self.strict_names));
        s.push_str(&format!(
            " names={}/{}",
            device::charset_name(self.name_charset()),
            self.profile.max_name_chars()
        ));
        if self.is_cd() {
            s.push_str(&format!(" disc={}", self.disc_minutes));
        }
        s
    }

    /// Can `track` be copied as is instead of being converted? Yes under a
    /// profile that copies everything (usb); otherwise only when the
    /// profile allows copies, neither `--force-transcode` nor `--normalize`
    /// was given, and the source breaks none of its rules
    /// ([`ExportSettings::copy_breaks`]).
    pub fn copies(&self, track: &Track) -> bool {
        // A track of a CUE image is cut out of it, never copied whole.
        if track.cue.is_some() || !self.profile.copy {
            return false;
        }
        if self.profile.format.is_none() {
            return true;
        }
        if self.force_transcode || self.options.normalize.is_some() {
            return false;
        }
        self.copy_breaks(track).is_none()
    }

    /// The first rule of the profile (and the user's options) that `track`
    /// as it is breaks, said for people; `None`: it may be copied. Judged:
    /// the container (by extension) and the codec, the sample rate, the
    /// channels, the bitrate, the bit depth, and for a CBR-only device the
    /// MP3's own frames (a Xing/VBRI header or varying bitrates is VBR).
    pub fn copy_breaks(&self, track: &Track) -> Option<String> {
        let t = self.target_for(track)?;
        let p = &track.props;
        let codec = p.format.as_deref().unwrap_or("").to_ascii_lowercase();
        let ext = track
            .path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let want = t.format;
        let same_codec = match want {
            OutputFormat::Mp3 => codec == "mp3",
            OutputFormat::Aac => codec == "aac",
            OutputFormat::Flac => codec == "flac",
            OutputFormat::Alac => codec == "alac",
            OutputFormat::Opus => codec == "opus",
            OutputFormat::Vorbis => codec == "vorbis",
            // PCM outputs are always made fresh (padding, headers, tags).
            OutputFormat::Wav | OutputFormat::Aiff => false,
        };
        if !same_codec {
            return Some(format!(
                "{} is not {want}",
                if codec.is_empty() {
                    "unknown codec"
                } else {
                    &codec
                }
            ));
        }
        if ext != want.extension() {
            return Some(format!(".{ext} is not a .{} file", want.extension()));
        }
        let rules = &self.profile;
        let Some(rate) = p.samplerate else {
            return Some("unknown sample rate".into());
        };
        let accepted: Vec<u32> = match (&self.options.samplerate, rules.sample_rates.is_empty()) {
            (Some(r), _) => vec![*r],
            (None, false) => rules.sample_rates.clone(),
            (None, true) => want.sample_rates().map(<[u32]>::to_vec).unwrap_or_default(),
        };
        if !accepted.is_empty() && !accepted.contains(&rate) {
            return Some(format!(
                "{rate} Hz (the {} profile plays {})",
                rules.name,
                rates(&accepted)
            ));
        }
        let Some(ch) = p.channels else {
            return Some("unknown channels".into());
        };
        let max_ch = rules
            .channels
            .unwrap_or(want.max_channels())
            .min(want.max_channels()) as u32;
        if ch == 0 || ch > max_ch {
            return Some(format!("{ch} channels (at most {max_ch})"));
        }
        if let Some(d) = t.options.bitdepth.filter(|_| want.is_lossless()) {
            if p.bitdepth != Some(d as u32) {
                return Some(format!(
                    "{}-bit (the output is {d}-bit)",
                    p.bitdepth.unwrap_or(0)
                ));
            }
        }
        if t.options.vbr_quality.is_some() && self.options.vbr_quality.is_some() {
            // The user asked for a quality: a copy would not be at it.
            return Some("a VBR quality was asked for".into());
        }
        let kbps = p.bitrate.map(|b| b.div_ceil(1000));
        if let Some(q) = self.options.vorbis_quality {
            // A Vorbis quality asked for: a source above its nominal rate
            // is made at it.
            let nominal = vorbis_nominal_kbps(q);
            match kbps {
                Some(k) if k <= nominal => {}
                Some(k) => return Some(format!("{k} kbit/s (quality {q} is about {nominal}k)")),
                None => return Some("unknown bitrate".into()),
            }
        }
        if let Some(max) = t.options.bitrate_kbps.filter(|_| !want.is_lossless()) {
            match kbps {
                Some(k) if k <= max => {}
                Some(k) => return Some(format!("{k} kbit/s (at most {max}k)")),
                None => return Some("unknown bitrate".into()),
            }
        }
        if want == OutputFormat::Mp3 && (rules.cbr_only || t.options.bitrate_kbps.is_some()) {
            return mp3_breaks(&track.path, rules.cbr_only, t.options.bitrate_kbps);
        }
        None
    }

    /// A rough size of `track`'s output, for the free-space check and the plan.
    pub fn estimate_bytes(&self, track: &Track) -> u64 {
        match self.target_for(track) {
            Some(t) if !self.copies(track) => transcode::estimate_size(track, &t),
            // A retagged copy gains a small ID3v2 tag and cover.
            Some(_) if self.retags_copies() => track.size + 64_000,
            _ => track.size,
        }
    }
}

/// What the MP3's own frames break: VBR on a CBR-only device, a frame
/// above the bitrate limit. An unreadable file is converted (the decoder
/// then says what is wrong with it).
fn mp3_breaks(path: &Path, cbr_only: bool, max_kbps: Option<u32>) -> Option<String> {
    match summary::summarize_file(path, SUMMARY_BYTES) {
        Ok(Some(s)) => {
            if cbr_only && s.vbr {
                Some("VBR (the device plays constant bitrate only)".into())
            } else {
                max_kbps
                    .filter(|&m| s.max_kbps > m)
                    .map(|max| format!("frames at {} kbit/s (at most {max}k)", s.max_kbps))
            }
        }
        Ok(None) => Some("no MPEG audio frame found".into()),
        Err(e) => Some(format!("cannot read: {e}")),
    }
}

/// `44100 Hz` or `32000, 44100 or 48000 Hz`.
pub fn rates(r: &[u32]) -> String {
    let list: Vec<String> = r.iter().map(|r| r.to_string()).collect();
    match list.as_slice() {
        [] => "any rate".into(),
        [one] => format!("{one} Hz"),
        [init @ .., last] => format!("{} or {last} Hz", init.join(", ")),
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

    /// A real MP3 file of `rate` (CBR `kbps`, or VBR when `None`), and its
    /// track as the library would hold it.
    fn mp3_file(dir: &Path, name: &str, rate: u32, kbps: Option<u32>) -> Track {
        use crate::export::encode::{encode_mp3, quantize, Mp3Rate, Pcm};
        let s = quantize(&crate::media::synth::music(3, 1.0, rate, 2), 16);
        let pcm = Pcm {
            samples: &s,
            channels: 2,
            samplerate: rate,
            bits: 16,
        };
        let bytes = encode_mp3(pcm, kbps.map_or(Mp3Rate::Vbr(4), Mp3Rate::Cbr)).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let mut t = mp3(kbps.unwrap_or(106), rate);
        t.path = path;
        t
    }

    /// Issue 16 (point 6): the car plan says mp3 320k 44100 Hz, so a 48 kHz
    /// or a VBR MP3 is converted, not copied; (point 7) an MPEG-in-WAV
    /// source is converted to an .mp3, not copied as a .wav.
    #[test]
    fn car_copies_only_what_meets_every_rule() {
        let dir = tempfile::tempdir().unwrap();
        let car = ExportSettings::new(Profile::Car);
        let ok = mp3_file(dir.path(), "ok.mp3", 44100, Some(192));
        assert_eq!(car.copy_breaks(&ok), None);
        assert!(car.copies(&ok));
        let hi = mp3_file(dir.path(), "hi.mp3", 48000, Some(192));
        assert_eq!(
            car.copy_breaks(&hi).as_deref(),
            Some("48000 Hz (the car profile plays 44100 Hz)")
        );
        let vbr = mp3_file(dir.path(), "vbr.mp3", 44100, None);
        assert_eq!(
            car.copy_breaks(&vbr).as_deref(),
            Some("VBR (the device plays constant bitrate only)")
        );
        let mut wav = ok.clone();
        wav.path = dir.path().join("mpeg.wav");
        std::fs::copy(&ok.path, &wav.path).unwrap();
        assert_eq!(
            car.copy_breaks(&wav).as_deref(),
            Some(".wav is not a .mp3 file")
        );
        let mut flac = ok.clone();
        flac.props.format = Some("flac".into());
        assert!(!car.copies(&flac));
        let mut six = ok.clone();
        six.props.channels = Some(6);
        assert_eq!(
            car.copy_breaks(&six).as_deref(),
            Some("6 channels (at most 2)")
        );
        let mut low = ExportSettings::new(Profile::Car);
        low.options.bitrate_kbps = Some(128);
        assert_eq!(
            low.copy_breaks(&ok).as_deref(),
            Some("192 kbit/s (at most 128k)")
        );
        let mut forced = ExportSettings::new(Profile::Car);
        forced.force_transcode = true;
        assert!(!forced.copies(&ok));
        assert!(ExportSettings::new(Profile::Usb).copies(&hi));
        assert_eq!(
            ExportSettings::new(Profile::Usb).estimate_bytes(&mp3(128, 44100)),
            1234
        );
    }

    #[test]
    fn rates_pick_the_nearest_accepted_per_track() {
        let mut p = DeviceProfile::from(Profile::Car);
        p.sample_rates = vec![32000, 44100, 48000];
        let s = ExportSettings::new(p);
        let at = |r| s.target_for(&mp3(128, r)).unwrap().options.samplerate;
        assert_eq!(
            (at(48000), at(96000), at(22050)),
            (Some(48000), Some(48000), Some(32000))
        );
        assert_eq!(s.target().unwrap().options.samplerate, None);
    }

    #[test]
    fn opus_and_vorbis_sources_are_copied_only_at_or_below_the_target() {
        let mut src = mp3(96, 48000);
        src.props.format = Some("opus".into());
        src.path = "a.opus".into();
        let mut opus = ExportSettings::new(Profile::Format(OutputFormat::Opus));
        assert!(opus.copies(&src), "nothing asked: kept as it is");
        opus.options.bitrate_kbps = Some(128);
        assert!(opus.copies(&src));
        opus.options.bitrate_kbps = Some(64);
        assert!(!opus.copies(&src));
        let mut vorbis = ExportSettings::new(Profile::Format(OutputFormat::Vorbis));
        assert!(!vorbis.copies(&src), "another codec is converted");
        src.props.format = Some("vorbis".into());
        src.path = "a.ogg".into();
        assert!(vorbis.copies(&src), "{:?}", vorbis.copy_breaks(&src));
        vorbis.options.vorbis_quality = Some(3.0); // nominal 112k
        assert!(vorbis.copies(&src));
        vorbis.options.vorbis_quality = Some(1.0); // nominal 80k
        assert!(!vorbis.copies(&src));
        assert_ne!(
            vorbis.fingerprint(),
            ExportSettings::new(Profile::Format(OutputFormat::Vorbis)).fingerprint()
        );
        assert_eq!(parse_vorbis_quality("q6").unwrap(), 6.0);
        assert_eq!(parse_vorbis_quality("-1").unwrap(), -1.0);
        assert_eq!(parse_vorbis_quality("5.5").unwrap(), 5.5);
        assert!(parse_vorbis_quality("11").is_err());
        assert!(parse_vorbis_quality("V2").is_err());
        assert_eq!(parse_bitrate("6k").unwrap(), 6);
        assert!(parse_bitrate("5k").is_err());
    }

    #[test]
    fn car_target_is_mp3_320_at_44k1_with_id3v23() {
        let t = ExportSettings::new(Profile::Car).target().unwrap();
        assert_eq!(t.format, OutputFormat::Mp3);
        assert_eq!(t.options.bitrate_kbps, Some(320));
        assert_eq!(t.options.samplerate, Some(44100));
        assert!(t.id3v23);
        assert_eq!(t.art_max_px, Some(300));
        // The car plays CBR only: a VBR quality is refused, as is a rate
        // it does not play; a profile of one's own may allow VBR.
        let mut v0 = ExportSettings::new(Profile::Car);
        v0.options.vbr_quality = Some(0);
        assert!(v0.validate().is_err());
        let mut r = ExportSettings::new(Profile::Car);
        r.options.samplerate = Some(48000);
        assert!(r.validate().is_err());
        v0.profile.cbr_only = false;
        assert!(v0.validate().is_ok());
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

//! Reading device profiles from TOML. The built-in profiles (`usb`, `car`,
//! `cd`) are the embedded `profiles.toml`, parsed at first use in the very
//! form a config file's `[profile.NAME]` tables take.
//!
//! A table is read as a [`ProfileSpec`] (every key optional, unknown keys
//! refused) and resolved over a base profile (`base = "car"`, or the
//! defaults: no rule at all) by [`ProfileSpec::resolve`], which checks each
//! value's range and says which key is wrong and where (a [`SpecError`]
//! carries the value's byte span, for the caller's `file:line`).
//! [`ProfileSet`] is what `--profile` knows: the built-ins, then the user's.
//!
//! A user profile may not take a built-in's name: `car` means the same on
//! every machine, in every manifest and every `--check`; a variant of it
//! is `[profile.mycar] base = "car"`.

use std::ops::Range;
use std::sync::OnceLock;

use serde::Deserialize;
use toml::Spanned;

use crate::export::device::{CdRules, DeviceProfile, Layout, NameCharset, TagCharset, TagVersion};
use crate::export::target::OutputFormat;

/// One `[profile.NAME]` table as written: every key optional (an absent
/// key keeps the base's value), each with its place in the file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSpec {
    pub base: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub format: Option<Spanned<String>>,
    /// `"320k"` or `320`.
    pub bitrate: Option<Spanned<toml::Value>>,
    /// `"V2"` or `2`.
    pub quality: Option<Spanned<toml::Value>>,
    pub sample_rates: Option<Spanned<Vec<u32>>>,
    pub bit_depth: Option<Spanned<u16>>,
    pub channels: Option<Spanned<u16>>,
    pub cbr_only: Option<Spanned<bool>>,
    pub copy: Option<Spanned<bool>>,
    pub layout: Option<Spanned<Layout>>,
    pub ordered_folders: Option<Spanned<bool>>,
    /// 0: no limit.
    pub files_per_folder: Option<Spanned<usize>>,
    /// 0: no limit.
    pub folders_per_device: Option<Spanned<usize>>,
    /// 0: no limit.
    pub files_per_device: Option<Spanned<usize>>,
    pub max_depth: Option<Spanned<usize>>,
    pub name_length: Option<Spanned<usize>>,
    pub name_charset: Option<Spanned<NameCharset>>,
    pub tags: Option<Spanned<TagVersion>>,
    pub tag_charset: Option<Spanned<TagCharset>>,
    pub id3v1: Option<Spanned<bool>>,
    pub retag_copies: Option<Spanned<bool>>,
    pub art: Option<Spanned<bool>>,
    /// 0: keep the source's size.
    pub art_max_px: Option<Spanned<u32>>,
    pub baseline_jpeg: Option<Spanned<bool>>,
    pub disc_minutes: Option<Spanned<f64>>,
    pub disc_tracks: Option<Spanned<usize>>,
    pub min_track_seconds: Option<Spanned<f64>>,
    pub sector_padding: Option<Spanned<bool>>,
}

/// A value of a profile table that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The key, e.g. `bitrate`.
    pub key: &'static str,
    /// The value's byte range in the file, when known.
    pub span: Option<Range<usize>>,
    /// What is wrong.
    pub reason: String,
}

fn bad<T>(
    key: &'static str,
    span: Option<Range<usize>>,
    reason: impl Into<String>,
) -> Result<T, SpecError> {
    Err(SpecError {
        key,
        span,
        reason: reason.into(),
    })
}

/// Where an optional value is.
fn span_of<T>(s: &Option<Spanned<T>>) -> Option<Range<usize>> {
    s.as_ref().map(|v| v.span())
}

/// A `Some(0)` count means "no limit".
fn limit(v: usize) -> Option<usize> {
    (v > 0).then_some(v)
}

impl ProfileSpec {
    /// The base profile's name and place, when the table gives one.
    pub fn base_name(&self) -> Option<(&str, Range<usize>)> {
        self.base.as_ref().map(|b| (b.get_ref().as_str(), b.span()))
    }

    /// The profile `name` this table describes, over `base` (the defaults
    /// when it names none), every value range-checked.
    pub fn resolve(&self, name: &str, base: &DeviceProfile) -> Result<DeviceProfile, SpecError> {
        let mut p = base.clone();
        p.name = name.to_string();
        macro_rules! set {
            ($field:ident) => {
                if let Some(v) = &self.$field {
                    p.$field = v.get_ref().clone();
                }
            };
        }
        set!(description);
        set!(cbr_only);
        set!(copy);
        set!(layout);
        set!(ordered_folders);
        set!(name_charset);
        set!(tags);
        set!(tag_charset);
        set!(id3v1);
        set!(retag_copies);
        set!(art);
        set!(baseline_jpeg);
        if let Some(f) = &self.format {
            p.format = match f.get_ref().to_ascii_lowercase().as_str() {
                "copy" => None,
                other => Some(OutputFormat::parse(other).ok_or_else(|| SpecError {
                    key: "format",
                    span: Some(f.span()),
                    reason: format!(
                        "unknown format {other:?} (use copy, {})",
                        OutputFormat::ALL.map(|f| f.name()).join(", ")
                    ),
                })?),
            };
        }
        if let Some(b) = &self.bitrate {
            p.bitrate_kbps = Some(kbps(b)?);
            if self.quality.is_none() {
                p.vbr_quality = None;
            }
        }
        if let Some(q) = &self.quality {
            p.vbr_quality = Some(quality(q)?);
            if self.bitrate.is_some() {
                return bad(
                    "quality",
                    Some(q.span()),
                    "bitrate and quality exclude each other",
                );
            }
            p.bitrate_kbps = None;
        }
        if let Some(r) = &self.sample_rates {
            for &rate in r.get_ref() {
                if !(8000..=384_000).contains(&rate) {
                    return bad(
                        "sample_rates",
                        Some(r.span()),
                        format!("{rate} Hz is out of range (8000 to 384000)"),
                    );
                }
            }
            p.sample_rates = r.get_ref().clone();
        }
        if let Some(d) = &self.bit_depth {
            if ![8, 16, 24, 32].contains(d.get_ref()) {
                return bad("bit_depth", Some(d.span()), "must be 8, 16, 24 or 32");
            }
            p.bit_depth = Some(*d.get_ref());
        }
        if let Some(c) = &self.channels {
            if !(1..=8).contains(c.get_ref()) {
                return bad("channels", Some(c.span()), "must be between 1 and 8");
            }
            p.channels = Some(*c.get_ref());
        }
        let counts = [
            (
                "files_per_folder",
                &self.files_per_folder,
                &mut p.files_per_folder,
            ),
            (
                "folders_per_device",
                &self.folders_per_device,
                &mut p.folders_per_device,
            ),
            (
                "files_per_device",
                &self.files_per_device,
                &mut p.files_per_device,
            ),
        ];
        for (_, v, field) in counts {
            if let Some(v) = v {
                *field = limit(*v.get_ref());
            }
        }
        if let Some(d) = &self.max_depth {
            if !(1..=64).contains(d.get_ref()) {
                return bad("max_depth", Some(d.span()), "must be between 1 and 64");
            }
            p.max_depth = *d.get_ref();
        }
        if let Some(n) = &self.name_length {
            if !(12..=255).contains(n.get_ref()) {
                return bad("name_length", Some(n.span()), "must be between 12 and 255");
            }
            p.name_length = *n.get_ref();
        }
        if let Some(a) = &self.art_max_px {
            let v = *a.get_ref();
            if v != 0 && !(16..=8192).contains(&v) {
                return bad(
                    "art_max_px",
                    Some(a.span()),
                    "must be between 16 and 8192 (0: any size)",
                );
            }
            p.art_max_px = (v > 0).then_some(v);
        }
        if p.name_charset == NameCharset::Dos83 && self.name_length.is_none() {
            p.name_length = 12;
        }
        self.resolve_cd(&mut p)?;
        check(&p, self)?;
        Ok(p)
    }

    /// The CD keys: only with `layout = "disc"`, which needs them all.
    fn resolve_cd(&self, p: &mut DeviceProfile) -> Result<(), SpecError> {
        let any = self.disc_minutes.is_some()
            || self.disc_tracks.is_some()
            || self.min_track_seconds.is_some()
            || self.sector_padding.is_some();
        if p.layout != Layout::Disc {
            if let Some(s) = self.disc_minutes.as_ref().map(|s| s.span()).filter(|_| any) {
                return bad("disc_minutes", Some(s), "CD keys need layout = \"disc\"");
            }
            p.cd = None;
            return Ok(());
        }
        let mut cd = p.cd.unwrap_or(CdRules {
            disc_minutes: 79.8,
            disc_tracks: 99,
            min_track_seconds: 4.0,
            sector_padding: true,
        });
        if let Some(m) = &self.disc_minutes {
            if !(1.0..=99.0).contains(m.get_ref()) {
                return bad("disc_minutes", Some(m.span()), "must be between 1 and 99");
            }
            cd.disc_minutes = *m.get_ref();
        }
        if let Some(t) = &self.disc_tracks {
            if !(1..=99).contains(t.get_ref()) {
                return bad("disc_tracks", Some(t.span()), "must be between 1 and 99");
            }
            cd.disc_tracks = *t.get_ref();
        }
        if let Some(s) = &self.min_track_seconds {
            if !(0.0..=60.0).contains(s.get_ref()) {
                return bad(
                    "min_track_seconds",
                    Some(s.span()),
                    "must be between 0 and 60",
                );
            }
            cd.min_track_seconds = *s.get_ref();
        }
        if let Some(s) = &self.sector_padding {
            cd.sector_padding = *s.get_ref();
        }
        p.cd = Some(cd);
        Ok(())
    }
}

fn kbps(v: &Spanned<toml::Value>) -> Result<u32, SpecError> {
    let n = match v.get_ref() {
        toml::Value::Integer(n) => u32::try_from(*n).ok(),
        toml::Value::String(s) => {
            let t = s.trim().to_ascii_lowercase();
            let digits = t
                .strip_suffix("kbps")
                .or_else(|| t.strip_suffix('k'))
                .unwrap_or(&t);
            match digits.trim().parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    return bad(
                        "bitrate",
                        Some(v.span()),
                        "expected a bitrate like \"320k\"",
                    )
                }
            }
        }
        _ => {
            return bad(
                "bitrate",
                Some(v.span()),
                "expected a bitrate like \"320k\"",
            )
        }
    };
    match n {
        Some(k) if (8..=320).contains(&k) => Ok(k),
        _ => bad(
            "bitrate",
            Some(v.span()),
            format!("{} is out of range (8k to 320k)", v.get_ref()),
        ),
    }
}

fn quality(v: &Spanned<toml::Value>) -> Result<u8, SpecError> {
    let q = match v.get_ref() {
        toml::Value::Integer(n) => u8::try_from(*n).ok(),
        toml::Value::String(s) => s.trim().trim_start_matches(['V', 'v']).parse::<u8>().ok(),
        _ => None,
    };
    match q {
        Some(q) if q <= 9 => Ok(q),
        _ => bad(
            "quality",
            Some(v.span()),
            "expected a VBR quality from \"V0\" (best) to \"V9\"",
        ),
    }
}

/// The combinations that make no sense, once every value is known.
fn check(p: &DeviceProfile, spec: &ProfileSpec) -> Result<(), SpecError> {
    let fmt = p.format;
    if p.layout == Layout::Disc && fmt != Some(OutputFormat::Wav) {
        return bad(
            "layout",
            span_of(&spec.layout),
            "layout \"disc\" needs format = \"wav\"",
        );
    }
    if let Some(f) = fmt {
        if let (Some(ok), false) = (f.sample_rates(), p.sample_rates.is_empty()) {
            if let Some(r) = p.sample_rates.iter().find(|r| !ok.contains(r)) {
                return bad(
                    "sample_rates",
                    span_of(&spec.sample_rates),
                    format!("{f} cannot be written at {r} Hz"),
                );
            }
        }
        if let Some(d) = p
            .bit_depth
            .filter(|d| f.is_lossless() && !f.bit_depths().contains(d))
        {
            return bad(
                "bit_depth",
                span_of(&spec.bit_depth),
                format!("{f} cannot be written at {d} bits"),
            );
        }
        if p.vbr_quality.is_some() && p.cbr_only {
            return bad(
                "quality",
                span_of(&spec.quality),
                "a VBR quality with cbr_only = true",
            );
        }
    }
    if p.name_charset == NameCharset::Dos83 && p.name_length != 12 && spec.name_length.is_some() {
        return bad(
            "name_length",
            span_of(&spec.name_length),
            "8.3 names are 12 characters at most",
        );
    }
    Ok(())
}

/// The `[profile.NAME]` tables of a TOML document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfilesFile {
    profile: std::collections::BTreeMap<String, Spanned<ProfileSpec>>,
}

/// The tables of a `profile` map in document order (by their place).
pub fn in_document_order<T>(
    map: std::collections::BTreeMap<String, Spanned<T>>,
) -> Vec<(String, Spanned<T>)> {
    let mut v: Vec<(String, Spanned<T>)> = map.into_iter().collect();
    v.sort_by_key(|(_, s)| s.span().start);
    v
}

/// The built-in profiles, from the embedded `profiles.toml`, in its order.
pub fn builtin_profiles() -> &'static [DeviceProfile] {
    static BUILTIN: OnceLock<Vec<DeviceProfile>> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        parse_profiles(include_str!("profiles.toml"))
            .unwrap_or_else(|e| panic!("the built-in profiles.toml is broken: {e}"))
    })
}

/// Parse a document of `[profile.NAME]` tables without bases (the built-in
/// file, or what [`DeviceProfile::to_toml`] printed), in document order.
pub fn parse_profiles(text: &str) -> Result<Vec<DeviceProfile>, String> {
    let doc: ProfilesFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for (name, spec) in in_document_order(doc.profile) {
        let p = spec
            .get_ref()
            .resolve(&name, &DeviceProfile::default())
            .map_err(|e| format!("profile.{name}.{}: {}", e.key, e.reason))?;
        out.push(p);
    }
    Ok(out)
}

/// Every key a `[profile.NAME]` table takes, in the order
/// [`DeviceProfile::to_toml`] prints them.
pub const PROFILE_KEYS: &[&str] = &[
    "base",
    "description",
    "format",
    "bitrate",
    "quality",
    "sample_rates",
    "bit_depth",
    "channels",
    "cbr_only",
    "copy",
    "layout",
    "ordered_folders",
    "files_per_folder",
    "folders_per_device",
    "files_per_device",
    "max_depth",
    "name_charset",
    "name_length",
    "tags",
    "tag_charset",
    "id3v1",
    "retag_copies",
    "art",
    "art_max_px",
    "baseline_jpeg",
    "disc_minutes",
    "disc_tracks",
    "min_track_seconds",
    "sector_padding",
];

/// Where a profile was defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Built into mixtape.
    Builtin,
    /// A `[profile.NAME]` table of a config file, at this 1-based line.
    Config {
        /// The config file.
        path: std::path::PathBuf,
        /// The table's line.
        line: usize,
    },
}

/// The profiles `--profile` knows: the built-ins, then the user's.
#[derive(Debug, Clone)]
pub struct ProfileSet {
    entries: Vec<(DeviceProfile, Origin)>,
}

impl Default for ProfileSet {
    fn default() -> ProfileSet {
        ProfileSet {
            entries: builtin_profiles()
                .iter()
                .map(|p| (p.clone(), Origin::Builtin))
                .collect(),
        }
    }
}

impl ProfileSet {
    /// Add a user profile (its name is checked by the config reader).
    pub fn add(&mut self, profile: DeviceProfile, origin: Origin) {
        self.entries.push((profile, origin));
    }

    /// The profile called `name` (names are case-blind).
    pub fn get(&self, name: &str) -> Option<&DeviceProfile> {
        self.entries
            .iter()
            .map(|(p, _)| p)
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Every profile with where it came from, built-ins first.
    pub fn iter(&self) -> impl Iterator<Item = &(DeviceProfile, Origin)> {
        self.entries.iter()
    }

    /// Every profile's name, for a message.
    pub fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|(p, _)| p.name.as_str()).collect()
    }
}

/// The built-in profile called `name`.
pub fn builtin(name: &str) -> Option<&'static DeviceProfile> {
    builtin_profiles().iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse_with_today_rules() {
        let names: Vec<&str> = builtin_profiles().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["usb", "car", "cd"]);
        let car = builtin("car").unwrap();
        assert_eq!(car.format, Some(OutputFormat::Mp3));
        assert_eq!(
            (car.bitrate_kbps, car.sample_rates.as_slice()),
            (Some(320), &[44100][..])
        );
        assert_eq!(
            (car.files_per_folder, car.files_per_device, car.max_depth),
            (Some(255), Some(500), 8)
        );
        assert!(car.ordered_folders && car.cbr_only && car.retag_copies);
        assert_eq!((car.tags, car.art_max_px), (TagVersion::Id3v23, Some(300)));
        assert_eq!(car.layout, Layout::Playlist);
        let cd = builtin("cd").unwrap();
        assert_eq!(
            cd.cd.map(|c| (c.disc_tracks, c.min_track_seconds)),
            Some((99, 4.0))
        );
        assert!(!cd.copy);
        assert_eq!(builtin("usb").unwrap().format, None);
    }

    /// What `to_toml` prints parses back to an equal profile.
    #[test]
    fn printed_profiles_parse_back_equal() {
        let mut all: Vec<DeviceProfile> = builtin_profiles().to_vec();
        all.push(DeviceProfile {
            name: "my unit".into(),
            description: "8.3 \"names\"".into(),
            format: Some(OutputFormat::Mp3),
            vbr_quality: Some(2),
            sample_rates: vec![32000, 48000],
            name_charset: NameCharset::Dos83,
            name_length: 12,
            tag_charset: TagCharset::Latin1,
            id3v1: true,
            folders_per_device: Some(100),
            ..DeviceProfile::default()
        });
        let text: String = all.iter().map(|p| p.to_toml() + "\n").collect();
        assert_eq!(parse_profiles(&text).unwrap(), all);
    }

    #[test]
    fn values_are_range_checked_with_their_key() {
        let spec = |t: &str| -> ProfileSpec { toml::from_str(t).unwrap() };
        let base = builtin("car").unwrap();
        let e = spec("bitrate = \"999k\"").resolve("x", base).unwrap_err();
        assert_eq!(
            (e.key, e.reason.as_str()),
            ("bitrate", "\"999k\" is out of range (8k to 320k)")
        );
        assert_eq!(e.span, Some(10..16));
        let e = spec("sample_rates = [22050]")
            .resolve("x", base)
            .unwrap_err();
        assert_eq!(e.reason, "mp3 cannot be written at 22050 Hz");
        let e = spec("quality = \"V2\"").resolve("x", base).unwrap_err();
        assert_eq!(e.key, "quality");
        let ok = spec("quality = \"V2\"\ncbr_only = false")
            .resolve("x", base)
            .unwrap();
        assert_eq!((ok.vbr_quality, ok.bitrate_kbps), (Some(2), None));
        assert!(toml::from_str::<ProfileSpec>("bitrat = 3").is_err());
        let p = spec("files_per_folder = 0").resolve("x", base).unwrap();
        assert_eq!(p.files_per_folder, None);
    }

    /// Every key the spec takes is listed, and the list takes nothing else.
    #[test]
    fn profile_keys_are_the_spec_fields() {
        for k in PROFILE_KEYS {
            if let Err(e) = toml::from_str::<ProfileSpec>(&format!("{k} = {{}}")) {
                assert!(!e.message().contains("unknown field"), "{k}: {e}");
            }
        }
        assert!(toml::from_str::<ProfileSpec>("bogus = 1").is_err());
    }

    #[test]
    fn rates_go_to_the_nearest_accepted() {
        let p = DeviceProfile {
            sample_rates: vec![32000, 44100, 48000],
            ..DeviceProfile::default()
        };
        assert_eq!(p.rate_for(Some(48000)), Some(48000));
        assert_eq!(p.rate_for(Some(96000)), Some(48000));
        assert_eq!(p.rate_for(Some(22050)), Some(32000));
        assert_eq!(p.rate_for(None), Some(32000));
        assert_eq!(DeviceProfile::default().rate_for(Some(96000)), None);
    }
}

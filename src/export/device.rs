//! Device profiles as data: every rule a destination must follow
//! ([`DeviceProfile`]), and the profile printed back in the TOML form a
//! config file's `[profile.NAME]` tables take ([`DeviceProfile::to_toml`];
//! what it prints parses to an equal profile). Reading profiles from TOML,
//! the built-ins included, is [`super::profiles`].

use serde::Deserialize;

use crate::export::target::OutputFormat;

/// Which characters a file or folder name may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum NameCharset {
    /// Anything FAT/exFAT takes (Unicode; no `<>:"/\|?*`).
    #[serde(rename = "fat")]
    Fat,
    /// FAT-safe and ASCII only (other letters transliterated).
    #[serde(rename = "ascii")]
    Ascii,
    /// `A-Z 0-9 _` only, upper case (strict head units).
    #[serde(rename = "strict")]
    Strict,
    /// DOS 8.3 short names: at most 8 characters of `A-Z 0-9 _`, a dot and
    /// an extension of at most 3.
    #[serde(rename = "8.3")]
    Dos83,
}

/// Which ID3 version MP3 (and WAV/AIFF) tags are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub enum TagVersion {
    /// No tags at all.
    #[serde(rename = "none")]
    None,
    /// ID3v2.3 (what older units read).
    #[serde(rename = "id3v2.3")]
    Id3v23,
    /// ID3v2.4.
    #[serde(rename = "id3v2.4")]
    Id3v24,
}

/// Which characters tag text may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum TagCharset {
    /// ISO-8859-1 only: other characters are transliterated, and ID3 text
    /// frames are written in Latin-1, never UTF-16.
    #[serde(rename = "latin1")]
    Latin1,
    /// Any character (ID3v2.3: Latin-1 where it fits, else UTF-16).
    #[serde(rename = "unicode")]
    Unicode,
}

/// How files are laid out in folders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Layout {
    /// Numbered folders of numbered files in play order (`01/001 …`).
    #[serde(rename = "playlist")]
    Playlist,
    /// `Artist/Album/NN Title`.
    #[serde(rename = "album")]
    Album,
    /// Every file in the top folder, an M3U8 beside them.
    #[serde(rename = "flat")]
    Flat,
    /// One folder per disc, with CUE sheet and TOC (audio CD).
    #[serde(rename = "disc")]
    Disc,
}

impl Layout {
    /// Parse `playlist`, `album`, `flat` or `disc` (as `--layout` and the
    /// config file write them).
    pub fn parse(s: &str) -> Option<Layout> {
        [Layout::Playlist, Layout::Album, Layout::Flat, Layout::Disc]
            .into_iter()
            .find(|&l| layout_name(l) == s.to_ascii_lowercase())
    }
}

/// The audio-CD specifics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CdRules {
    /// Default disc length limit in minutes.
    pub disc_minutes: f64,
    /// The most tracks a disc holds.
    pub disc_tracks: usize,
    /// Shorter tracks are padded with silence to this length.
    pub min_track_seconds: f64,
    /// Audio is padded to whole 2352-byte sectors.
    pub sector_padding: bool,
}

/// Every rule of one device.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceProfile {
    /// The name `--profile` takes.
    pub name: String,
    /// One line for people.
    pub description: String,
    /// The output format; `None` copies files as they are.
    pub format: Option<OutputFormat>,
    /// Constant bitrate of conversions, kbit/s.
    pub bitrate_kbps: Option<u32>,
    /// VBR quality of conversions (V0..V9), instead of a bitrate.
    pub vbr_quality: Option<u8>,
    /// Sample rates the device plays (empty: any); conversions go to the
    /// source's rate when accepted, else the nearest accepted.
    pub sample_rates: Vec<u32>,
    /// Bits per sample of lossless conversions.
    pub bit_depth: Option<u16>,
    /// The most channels the device plays.
    pub channels: Option<u16>,
    /// Constant-bitrate MP3 only.
    pub cbr_only: bool,
    /// A source that already meets every rule is copied, not converted.
    pub copy: bool,
    /// The folder layout.
    pub layout: Layout,
    /// Play order is directory order (folders are written fresh, in order).
    pub ordered_folders: bool,
    /// At most this many files in one folder.
    pub files_per_folder: Option<usize>,
    /// At most this many folders on the device.
    pub folders_per_device: Option<usize>,
    /// At most this many files on the device.
    pub files_per_device: Option<usize>,
    /// At most this many folder levels below the top.
    pub max_depth: usize,
    /// The longest name, in characters (8.3: 12).
    pub name_length: usize,
    /// The characters names may hold.
    pub name_charset: NameCharset,
    /// The ID3 version tags are written in (and the newest `--check` takes).
    pub tags: TagVersion,
    /// The characters tag text may hold.
    pub tag_charset: TagCharset,
    /// An ID3v1 tag is appended to every MP3.
    pub id3v1: bool,
    /// A copied MP3 gets the library's tags (as this profile writes them).
    pub retag_copies: bool,
    /// Cover art is written.
    pub art: bool,
    /// Cover art is shrunk to at most this many pixels a side.
    pub art_max_px: Option<u32>,
    /// Cover art must be a baseline (not progressive) JPEG.
    pub baseline_jpeg: bool,
    /// The audio-CD rules (layout `disc`).
    pub cd: Option<CdRules>,
}

impl Default for DeviceProfile {
    /// No rule at all: what a profile without `base` starts from.
    fn default() -> DeviceProfile {
        DeviceProfile {
            name: String::new(),
            description: String::new(),
            format: None,
            bitrate_kbps: None,
            vbr_quality: None,
            sample_rates: Vec::new(),
            bit_depth: None,
            channels: None,
            cbr_only: false,
            copy: true,
            layout: Layout::Flat,
            ordered_folders: false,
            files_per_folder: None,
            folders_per_device: None,
            files_per_device: None,
            max_depth: 8,
            name_length: 255,
            name_charset: NameCharset::Fat,
            tags: TagVersion::Id3v24,
            tag_charset: TagCharset::Unicode,
            id3v1: false,
            retag_copies: false,
            art: true,
            art_max_px: None,
            baseline_jpeg: false,
            cd: None,
        }
    }
}

impl DeviceProfile {
    /// The longest name the charset allows, in characters.
    pub fn max_name_chars(&self) -> usize {
        match self.name_charset {
            NameCharset::Dos83 => 12,
            _ => self.name_length,
        }
    }

    /// The sample rate a source at `src` Hz is written at: its own when
    /// accepted, else the nearest accepted one (the higher on a tie), the
    /// first when the source's is unknown; `None`: any rate goes.
    pub fn rate_for(&self, src: Option<u32>) -> Option<u32> {
        let first = *self.sample_rates.first()?;
        let Some(src) = src else { return Some(first) };
        if self.sample_rates.contains(&src) {
            return Some(src);
        }
        self.sample_rates
            .iter()
            .copied()
            .min_by_key(|&r| (r.abs_diff(src), std::cmp::Reverse(r)))
    }

    /// The profile in the TOML form a config file takes, as a
    /// `[profile.NAME]` table (every key, none inherited).
    pub fn to_toml(&self) -> String {
        let mut s = format!("[profile.{}]\n", toml_key(&self.name));
        let mut kv = |k: &str, v: String| s.push_str(&format!("{k} = {v}\n"));
        let q = |t: &str| toml::Value::String(t.to_string()).to_string();
        kv("description", q(&self.description));
        kv("format", q(self.format.map_or("copy", |f| f.name())));
        if let Some(b) = self.bitrate_kbps {
            kv("bitrate", q(&format!("{b}k")));
        }
        if let Some(v) = self.vbr_quality {
            kv("quality", q(&format!("V{v}")));
        }
        if !self.sample_rates.is_empty() {
            let r: Vec<String> = self.sample_rates.iter().map(|r| r.to_string()).collect();
            kv("sample_rates", format!("[{}]", r.join(", ")));
        }
        if let Some(d) = self.bit_depth {
            kv("bit_depth", d.to_string());
        }
        if let Some(c) = self.channels {
            kv("channels", c.to_string());
        }
        kv("cbr_only", self.cbr_only.to_string());
        kv("copy", self.copy.to_string());
        kv("layout", q(layout_name(self.layout)));
        kv("ordered_folders", self.ordered_folders.to_string());
        for (k, v) in [
            ("files_per_folder", self.files_per_folder),
            ("folders_per_device", self.folders_per_device),
            ("files_per_device", self.files_per_device),
        ] {
            if let Some(v) = v {
                kv(k, v.to_string());
            }
        }
        kv("max_depth", self.max_depth.to_string());
        kv("name_charset", q(charset_name(self.name_charset)));
        kv("name_length", self.name_length.to_string());
        kv("tags", q(tag_version_name(self.tags)));
        kv(
            "tag_charset",
            q(match self.tag_charset {
                TagCharset::Latin1 => "latin1",
                TagCharset::Unicode => "unicode",
            }),
        );
        kv("id3v1", self.id3v1.to_string());
        kv("retag_copies", self.retag_copies.to_string());
        kv("art", self.art.to_string());
        if let Some(px) = self.art_max_px {
            kv("art_max_px", px.to_string());
        }
        kv("baseline_jpeg", self.baseline_jpeg.to_string());
        if let Some(cd) = &self.cd {
            kv("disc_minutes", format!("{:?}", cd.disc_minutes));
            kv("disc_tracks", cd.disc_tracks.to_string());
            kv("min_track_seconds", format!("{:?}", cd.min_track_seconds));
            kv("sector_padding", cd.sector_padding.to_string());
        }
        s
    }
}

/// A table key, bare when it can be, else quoted.
pub fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        k.to_string()
    } else {
        toml::Value::String(k.to_string()).to_string()
    }
}

/// The name of a layout as written in TOML.
pub fn layout_name(l: Layout) -> &'static str {
    match l {
        Layout::Playlist => "playlist",
        Layout::Album => "album",
        Layout::Flat => "flat",
        Layout::Disc => "disc",
    }
}

/// The name of a name charset as written in TOML.
pub fn charset_name(c: NameCharset) -> &'static str {
    match c {
        NameCharset::Fat => "fat",
        NameCharset::Ascii => "ascii",
        NameCharset::Strict => "strict",
        NameCharset::Dos83 => "8.3",
    }
}

/// The name of a tag version as written in TOML.
pub fn tag_version_name(t: TagVersion) -> &'static str {
    match t {
        TagVersion::None => "none",
        TagVersion::Id3v23 => "id3v2.3",
        TagVersion::Id3v24 => "id3v2.4",
    }
}

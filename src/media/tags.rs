//! Tags through lofty, mapped to beets' field names.
//!
//! lofty converts every tag type (ID3v2 with its TXXX MusicBrainz frames and
//! UFID, Vorbis comments, MP4 atoms including `----:com.apple.iTunes:*`, APE)
//! into a generic [`lofty::tag::Tag`] keyed by [`ItemKey`]. The file's primary
//! tag is read first; fields it lacks are filled from the file's other tags
//! (e.g. an MP3 with both ID3v2 and ID3v1). Text fields are capped at
//! [`MAX_FIELD_BYTES`] so a hostile tag cannot bloat the library.

use std::fs::File;
use std::path::Path;

use lofty::config::ParseOptions;
use lofty::file::{AudioFile, TaggedFile, TaggedFileExt};
use lofty::picture::PictureType;
use lofty::probe::Probe;
use lofty::tag::{ItemKey, Tag};

use super::Tags;
use crate::library::track::AudioProps;

/// The longest text value kept for one field (longer values are cut at a
/// character boundary).
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

/// What lofty read from a file.
#[derive(Debug, Default)]
pub(crate) struct LoftyRead {
    pub tags: Tags,
    pub art: bool,
    pub art_hash: Option<[u8; 32]>,
    /// Properties as lofty sees them (used when symphonia cannot open the file).
    pub props: AudioProps,
}

/// Read tags, art and properties with lofty. `Err` carries lofty's message.
pub(crate) fn read(path: &Path) -> Result<LoftyRead, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let opts = ParseOptions::new().read_cover_art(true);
    let probe = Probe::new(std::io::BufReader::new(file))
        .options(opts)
        .guess_file_type()
        .map_err(|e| e.to_string())?;
    let tagged = probe.read().map_err(|e| e.to_string())?;
    Ok(from_tagged(&tagged))
}

fn from_tagged(tagged: &TaggedFile) -> LoftyRead {
    let mut out = LoftyRead::default();
    // Primary tag first, then the others in the file's order.
    let primary = tagged.primary_tag_type();
    let mut ordered: Vec<&Tag> = tagged
        .tags()
        .iter()
        .filter(|t| t.tag_type() == primary)
        .collect();
    ordered.extend(tagged.tags().iter().filter(|t| t.tag_type() != primary));
    for tag in &ordered {
        fill_from(&mut out.tags, tag);
    }
    // Art: any picture counts; the hash is of the front cover, else the first.
    let pictures: Vec<_> = ordered.iter().flat_map(|t| t.pictures()).collect();
    out.art = !pictures.is_empty();
    let cover = pictures
        .iter()
        .find(|p| p.pic_type() == PictureType::CoverFront)
        .or_else(|| pictures.first());
    out.art_hash = cover.map(|p| *blake3::hash(p.data()).as_bytes());

    let p = tagged.properties();
    let secs = p.duration().as_secs_f64();
    out.props = AudioProps {
        format: None,
        lossless: None,
        length: (secs > 0.0).then_some(secs),
        samplerate: p.sample_rate().filter(|&r| r > 0),
        channels: p.channels().map(u32::from).filter(|&c| c > 0),
        bitdepth: p.bit_depth().map(u32::from).filter(|&b| b > 0),
        bitrate: p
            .audio_bitrate()
            .or(p.overall_bitrate())
            .filter(|&b| b > 0)
            .map(|kbps| kbps * 1000),
    };
    out
}

/// Fill the fields of `t` that are still empty from `tag`.
fn fill_from(t: &mut Tags, tag: &Tag) {
    let text = |key: ItemKey| -> Option<String> {
        tag.get_strings(key).map(clean_text).find(|s| !s.is_empty())
    };
    fn set<T>(slot: &mut Option<T>, v: Option<T>) {
        if slot.is_none() {
            *slot = v;
        }
    }
    set(&mut t.title, text(ItemKey::TrackTitle));
    set(&mut t.artist, text(ItemKey::TrackArtist));
    set(&mut t.album, text(ItemKey::AlbumTitle));
    set(&mut t.albumartist, text(ItemKey::AlbumArtist));
    set(&mut t.genre, text(ItemKey::Genre));
    set(&mut t.composer, text(ItemKey::Composer));
    let year = [
        ItemKey::Year,
        ItemKey::RecordingDate,
        ItemKey::ReleaseDate,
        ItemKey::OriginalReleaseDate,
    ]
    .into_iter()
    .find_map(|k| text(k).and_then(|s| parse_year(&s)));
    set(&mut t.year, year);

    let (track, track_total) = number_pair(text(ItemKey::TrackNumber));
    set(&mut t.track, track);
    set(
        &mut t.tracktotal,
        number_pair(text(ItemKey::TrackTotal)).0.or(track_total),
    );
    let (disc, disc_total) = number_pair(text(ItemKey::DiscNumber));
    set(&mut t.disc, disc);
    set(
        &mut t.disctotal,
        number_pair(text(ItemKey::DiscTotal)).0.or(disc_total),
    );
    let bpm = text(ItemKey::IntegerBpm)
        .or_else(|| text(ItemKey::Bpm))
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0)
        .map(|v| v.round() as i64);
    set(&mut t.bpm, bpm);
    let comp = text(ItemKey::FlagCompilation).and_then(|s| parse_flag(&s));
    set(&mut t.comp, comp);
    set(
        &mut t.lyrics,
        text(ItemKey::Lyrics).or_else(|| text(ItemKey::UnsyncLyrics)),
    );
    set(
        &mut t.comments,
        comment(tag).or_else(|| text(ItemKey::Description)),
    );
    set(
        &mut t.label,
        text(ItemKey::Label).or_else(|| text(ItemKey::Publisher)),
    );
    set(&mut t.mb_trackid, text(ItemKey::MusicBrainzRecordingId));
    set(&mut t.mb_albumid, text(ItemKey::MusicBrainzReleaseId));
    set(&mut t.mb_artistid, text(ItemKey::MusicBrainzArtistId));
    set(&mut t.mb_releasetrackid, text(ItemKey::MusicBrainzTrackId));
    set(&mut t.isrc, text(ItemKey::Isrc));
}

/// The comment as beets reads it: the one with an empty description first,
/// skipping iTunes' machine-written ones (iTunNORM, iTunSMPB, iTunPGAP, ...).
fn comment(tag: &Tag) -> Option<String> {
    let items: Vec<_> = tag.get_items(ItemKey::Comment).collect();
    let pick = |want_empty: bool| {
        items
            .iter()
            .filter(|i| i.description().is_empty() == want_empty)
            .filter(|i| !i.description().starts_with("iTun"))
            .filter_map(|i| i.value().text())
            .map(clean_text)
            .find(|s| !s.is_empty())
    };
    pick(true).or_else(|| pick(false))
}

/// Trim, drop NULs and cap the length of a tag value.
fn clean_text(s: &str) -> String {
    let s = s.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    let mut end = s.len().min(MAX_FIELD_BYTES);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].replace('\0', "")
}

/// The year of a date such as "2001", "2001-01-01", "2001/01/01" or
/// "2001-01-01T10:00:00".
pub(crate) fn parse_year(s: &str) -> Option<i64> {
    let s = s.trim();
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.len() == 4 {
        return digits.parse().ok().filter(|&y| y > 0);
    }
    // "01/01/2001": a 4-digit group anywhere.
    s.split(|c: char| !c.is_ascii_digit())
        .find(|p| p.len() == 4)
        .and_then(|p| p.parse().ok())
        .filter(|&y| y > 0)
}

/// "2", "2/3" or " 02 " -> (Some(2), Some(3)) / (Some(2), None).
fn number_pair(s: Option<String>) -> (Option<i64>, Option<i64>) {
    let Some(s) = s else { return (None, None) };
    let mut parts = s.splitn(2, '/');
    let num = |p: Option<&str>| {
        p.and_then(|p| p.trim().parse::<i64>().ok())
            .filter(|&v| v >= 0)
    };
    let a = num(parts.next());
    let b = num(parts.next());
    (a, b)
}

fn parse_flag(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Some(true),
        "0" | "false" | "no" | "" => Some(false),
        other => other.parse::<i64>().ok().map(|v| v != 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_from_dates() {
        assert_eq!(parse_year("2001"), Some(2001));
        assert_eq!(parse_year("2001-01-01"), Some(2001));
        assert_eq!(parse_year("2001/01/01"), Some(2001));
        assert_eq!(parse_year("2001-01-01T10:00:00"), Some(2001));
        assert_eq!(parse_year("31/12/1999"), Some(1999));
        assert_eq!(parse_year("garbage"), None);
        assert_eq!(parse_year(""), None);
    }

    #[test]
    fn number_pairs() {
        assert_eq!(number_pair(Some("2/3".into())), (Some(2), Some(3)));
        assert_eq!(number_pair(Some(" 02 ".into())), (Some(2), None));
        assert_eq!(number_pair(Some("x".into())), (None, None));
        assert_eq!(number_pair(None), (None, None));
    }

    #[test]
    fn long_values_are_capped() {
        let long = "é".repeat(MAX_FIELD_BYTES);
        let c = clean_text(&long);
        assert!(c.len() <= MAX_FIELD_BYTES);
        assert!(c.chars().all(|ch| ch == 'é'));
    }
}

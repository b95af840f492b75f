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
use lofty::file::{AudioFile, FileType, TaggedFile, TaggedFileExt};
use lofty::picture::PictureType;
use lofty::probe::Probe;
use lofty::tag::{ItemKey, Tag};

use super::props::AudioProps;
use super::replaygain::{gain_from_r128, parse_gain, parse_peak, ReplayGain};
use super::Tags;

/// The longest text value kept for one field (longer values are cut at a
/// character boundary).
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

/// What lofty read from a file.
#[derive(Debug, Default)]
pub(crate) struct LoftyRead {
    pub tags: Tags,
    pub art: bool,
    pub art_hash: Option<[u8; 32]>,
    /// The file's ReplayGain tags.
    pub replaygain: ReplayGain,
    /// Properties as lofty sees them (used when symphonia cannot open the file).
    pub props: AudioProps,
}

/// Read tags, art and properties with lofty. `Err` carries lofty's message.
pub(crate) fn read(path: &Path, is_mp4: bool) -> Result<LoftyRead, String> {
    let mut out = read_lofty(path)?;
    // lofty's generic tag drops APE keys it has no mapping for (BPM,
    // DISCNUMBER, DISCTOTAL, TRACKTOTAL as Mutagen/beets write them).
    if let Some(items) = ape_items(path) {
        fill_from_ape(&mut out.tags, &items);
    }
    // lofty 0.25 does not carry MP4's integer `tmpo` atom into its generic tag.
    if out.tags.bpm.is_none() && is_mp4 {
        out.tags.bpm = mp4_tmpo(path);
    }
    Ok(out)
}

/// Tags of a DSF file: lofty has no DSF reader, but a DSF's tag is a plain
/// ID3v2 tag at the offset its header gives. It is handed to lofty's MPEG
/// reader followed by two silent MPEG frames (lofty needs a stream after the
/// tag); the properties lofty reports for those frames are discarded.
pub(crate) fn read_dsf(path: &Path) -> Result<LoftyRead, String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = File::open(path).map_err(|e| e.to_string())?;
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    let mut head = [0u8; 28];
    f.read_exact(&mut head).map_err(|e| e.to_string())?;
    let ptr = u64::from_le_bytes(head[20..28].try_into().unwrap_or([0; 8]));
    if ptr == 0 || ptr >= len || len - ptr > 16 << 20 {
        return Ok(LoftyRead::default());
    }
    let mut buf = Vec::with_capacity((len - ptr) as usize + 2 * 417);
    f.seek(SeekFrom::Start(ptr)).map_err(|e| e.to_string())?;
    f.read_to_end(&mut buf).map_err(|e| e.to_string())?;
    if !buf.starts_with(b"ID3") {
        return Ok(LoftyRead::default());
    }
    for _ in 0..2 {
        // MPEG-1 layer III, 128 kbps, 44.1 kHz: 417 bytes.
        let mut frame = vec![0u8; 417];
        frame[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x00]);
        buf.extend_from_slice(&frame);
    }
    let tagged = Probe::with_file_type(std::io::Cursor::new(buf), lofty::file::FileType::Mpeg)
        .options(ParseOptions::new().read_cover_art(true))
        .read()
        .map_err(|e| e.to_string())?;
    let mut out = from_tagged(&tagged);
    out.props = AudioProps::default();
    Ok(out)
}

fn read_lofty(path: &Path) -> Result<LoftyRead, String> {
    let first = read_lofty_with(path, true);
    if first.is_ok() {
        return first;
    }
    // lofty refuses a whole file over audio properties it cannot work out
    // (an ADPCM or MP3-in-WAV `fmt ` chunk, say); symphonia gives those, so
    // the tags alone are still worth having. The first reason stands if
    // this fails too.
    read_lofty_with(path, false).or(first)
}

fn read_lofty_with(path: &Path, properties: bool) -> Result<LoftyRead, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let mut opts = ParseOptions::new()
        .read_cover_art(true)
        .read_properties(properties);
    let probe = Probe::new(std::io::BufReader::new(file))
        .options(opts)
        .guess_file_type()
        .map_err(|e| e.to_string())?;
    // lofty's "implicit conversion" of a Vorbis comment's TRACKNUMBER and
    // DISCNUMBER keeps the last of several values and shuffles the other
    // fields (it removes by swapping): six TITLEs come out 5, 6, 1, 2, 3,
    // 4. Without it the values stay in the file's order, and "3/12" is
    // split here.
    let tagged = match probe.file_type() {
        Some(FileType::Flac | FileType::Vorbis | FileType::Opus | FileType::Speex) => {
            probe.options(opts.implicit_conversions(false)).read()
        }
        _ => probe.read(),
    }
    .map_err(|e| e.to_string())?;
    let mut out = from_tagged(&tagged);
    if tagged.file_type() == FileType::Opus {
        // RFC 7845: an Opus file's gains are its R128 tags.
        let (track, album) = opus_r128(path);
        let rg = &mut out.replaygain;
        rg.track_gain = track.or(rg.track_gain);
        rg.album_gain = album.or(rg.album_gain);
    }
    Ok(out)
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
        fill_lists(&mut out.tags, tag);
        fill_replaygain(&mut out.replaygain, tag);
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
            .and_then(|kbps| kbps.checked_mul(1000)),
    };
    out
}

/// The non-empty values of `key` in `tag`, in order (a value holding
/// several, NUL-separated as in ID3v2.4 and APEv2, gives each).
fn values(tag: &Tag, key: ItemKey) -> impl Iterator<Item = String> + '_ {
    tag.get_strings(key)
        .flat_map(|s| s.split('\0'))
        .map(clean_text)
        .filter(|s| !s.is_empty())
}

/// Fill the multi-valued fields of `t` that are still empty from `tag`.
fn fill_lists(t: &mut Tags, tag: &Tag) {
    let all = |key| {
        let mut v: Vec<String> = Vec::new();
        for s in values(tag, key) {
            if !v.contains(&s) {
                v.push(s);
            }
        }
        v
    };
    if t.genres.is_empty() {
        t.genres = all(ItemKey::Genre);
    }
    if t.artists.is_empty() {
        t.artists = all(ItemKey::TrackArtists);
    }
    if t.artists.is_empty() {
        t.artists = all(ItemKey::TrackArtist);
    }
}

/// Fill the fields of `t` that are still empty from `tag`. A field with
/// several values takes the first.
fn fill_from(t: &mut Tags, tag: &Tag) {
    let text = |key: ItemKey| -> Option<String> { values(tag, key).next() };
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
    // lofty's generic tag keeps no unmapped keys (a Vorbis `CATALOG`);
    // a catalog number that is an EAN is taken too.
    let catalog =
        text(ItemKey::Barcode).or_else(|| text(ItemKey::CatalogNumber).filter(|c| is_ean13(c)));
    set(&mut t.catalog, catalog);
}

/// Fill the ReplayGain values still unknown from `tag`'s `REPLAYGAIN_*`
/// items (ID3v2 TXXX frames, Vorbis comments, MP4 `----:com.apple.iTunes:`
/// atoms and APE items alike, through lofty's keys).
fn fill_replaygain(rg: &mut ReplayGain, tag: &Tag) {
    let text = |key: ItemKey| values(tag, key).next();
    let gain = |key| text(key).and_then(|s| parse_gain(&s));
    let peak = |key| text(key).and_then(|s| parse_peak(&s));
    rg.track_gain = rg.track_gain.or_else(|| gain(ItemKey::ReplayGainTrackGain));
    rg.track_peak = rg.track_peak.or_else(|| peak(ItemKey::ReplayGainTrackPeak));
    rg.album_gain = rg.album_gain.or_else(|| gain(ItemKey::ReplayGainAlbumGain));
    rg.album_peak = rg.album_peak.or_else(|| peak(ItemKey::ReplayGainAlbumPeak));
}

/// An Opus file's `R128_TRACK_GAIN` and `R128_ALBUM_GAIN` (RFC 7845), as
/// ReplayGain 2.0 gains: lofty's generic tag drops those keys, so the
/// file's Vorbis comment is read as it is.
fn opus_r128(path: &Path) -> (Option<f64>, Option<f64>) {
    use lofty::ogg::OpusFile;
    let read = || -> Option<OpusFile> {
        let mut f = std::io::BufReader::new(File::open(path).ok()?);
        let opts = ParseOptions::new()
            .read_properties(false)
            .read_cover_art(false);
        OpusFile::read_from(&mut f, opts).ok()
    };
    let Some(opus) = read() else {
        return (None, None);
    };
    let vc = opus.vorbis_comments();
    let get = |key: &str| vc.get(key).and_then(gain_from_r128);
    (get("R128_TRACK_GAIN"), get("R128_ALBUM_GAIN"))
}

/// Thirteen digits (a UPC/EAN as a CD's CATALOG holds it), spaces and
/// dashes aside.
fn is_ean13(s: &str) -> bool {
    let digits: Vec<char> = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    digits.len() == 13 && digits.iter().all(char::is_ascii_digit)
}

/// The largest APEv2 tag read (bigger ones are left to lofty alone).
const MAX_APE_TAG: u64 = 1 << 20;

/// The text items of a trailing APEv2 tag (before an optional ID3v1 tag),
/// as (upper-case key, value).
fn ape_items(path: &Path) -> Option<Vec<(String, String)>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    let mut footer = [0u8; 32];
    let mut end = len;
    for _ in 0..2 {
        if end < 32 {
            return None;
        }
        f.seek(SeekFrom::Start(end - 32)).ok()?;
        f.read_exact(&mut footer).ok()?;
        if &footer[..8] == b"APETAGEX" {
            break;
        }
        // Skip an ID3v1 tag and look again.
        end = end.checked_sub(128)?;
    }
    if &footer[..8] != b"APETAGEX" {
        return None;
    }
    let size = u32::from_le_bytes(footer[12..16].try_into().ok()?) as u64;
    let count = u32::from_le_bytes(footer[16..20].try_into().ok()?) as usize;
    if !(32..=MAX_APE_TAG).contains(&size) || size > end {
        return None;
    }
    // `size` covers the items and the footer.
    f.seek(SeekFrom::Start(end - size)).ok()?;
    let mut body = vec![0u8; (size - 32) as usize];
    f.read_exact(&mut body).ok()?;
    let mut items = Vec::new();
    let mut pos = 0usize;
    for _ in 0..count.min(1024) {
        let vlen = u32::from_le_bytes(body.get(pos..pos + 4)?.try_into().ok()?) as usize;
        let flags = u32::from_le_bytes(body.get(pos + 4..pos + 8)?.try_into().ok()?);
        let key_start = pos + 8;
        let key_end = key_start + body.get(key_start..)?.iter().position(|&c| c == 0)?;
        let key = String::from_utf8_lossy(&body[key_start..key_end]).to_ascii_uppercase();
        let value = body.get(key_end + 1..key_end + 1 + vlen)?;
        if (flags >> 1) & 3 == 0 {
            items.push((key, String::from_utf8_lossy(value).into_owned()));
        }
        pos = key_end + 1 + vlen;
    }
    Some(items)
}

/// Fill what lofty's mapping missed from raw APE items.
fn fill_from_ape(t: &mut Tags, items: &[(String, String)]) {
    let get = |keys: &[&str]| {
        items
            .iter()
            .find(|(k, v)| keys.contains(&k.as_str()) && !v.trim().is_empty())
            .map(|(_, v)| clean_text(v))
    };
    if t.bpm.is_none() {
        t.bpm = get(&["BPM"])
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v > 0.0)
            .map(|v| v.round() as i64);
    }
    let (disc, disc_total) = number_pair(get(&["DISCNUMBER", "DISC"]));
    t.disc = t.disc.or(disc);
    t.disctotal = t
        .disctotal
        .or(number_pair(get(&["DISCTOTAL", "TOTALDISCS"])).0)
        .or(disc_total);
    let (_, track_total) = number_pair(get(&["TRACK", "TRACKNUMBER"]));
    t.tracktotal = t
        .tracktotal
        .or(number_pair(get(&["TRACKTOTAL", "TOTALTRACKS"])).0)
        .or(track_total);
    if t.albumartist.is_none() {
        t.albumartist = get(&["ALBUM ARTIST", "ALBUMARTIST"]);
    }
    if t.isrc.is_none() {
        t.isrc = get(&["ISRC"]);
    }
    if t.catalog.is_none() {
        t.catalog = get(&["BARCODE"]).or_else(|| get(&["CATALOG"]).filter(|c| is_ean13(c)));
    }
}

/// The BPM from an MP4 file's `moov/udta/meta/ilst/tmpo` atom.
fn mp4_tmpo(path: &Path) -> Option<i64> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    // Find a child atom named `name` within [start, end); returns its body range.
    let mut find = |start: u64, end: u64, name: &[u8; 4]| -> Option<(u64, u64)> {
        let mut pos = start;
        for _ in 0..4096 {
            if pos + 8 > end {
                return None;
            }
            let mut h = [0u8; 16];
            f.seek(SeekFrom::Start(pos)).ok()?;
            f.read_exact(&mut h[..8]).ok()?;
            let mut size = u32::from_be_bytes(h[..4].try_into().ok()?) as u64;
            let mut header = 8;
            if size == 1 {
                f.read_exact(&mut h[8..16]).ok()?;
                size = u64::from_be_bytes(h[8..16].try_into().ok()?);
                header = 16;
            } else if size == 0 {
                size = end - pos;
            }
            if size < header || pos + size > end {
                return None;
            }
            if &h[4..8] == name {
                return Some((pos + header, pos + size));
            }
            pos += size;
        }
        None
    };
    let moov = find(0, len, b"moov")?;
    let udta = find(moov.0, moov.1, b"udta")?;
    let meta = find(udta.0, udta.1, b"meta")?;
    // `meta` is a full box: 4 bytes of version and flags before its children.
    let ilst = find(meta.0 + 4, meta.1, b"ilst")?;
    let tmpo = find(ilst.0, ilst.1, b"tmpo")?;
    let data = find(tmpo.0, tmpo.1, b"data")?;
    // data: type(4) locale(4) value.
    let n = (data.1 - data.0).checked_sub(8)?;
    if n == 0 || n > 8 {
        return None;
    }
    let mut v = [0u8; 8];
    f.seek(SeekFrom::Start(data.0 + 8)).ok()?;
    f.read_exact(&mut v[..n as usize]).ok()?;
    let value = v[..n as usize]
        .iter()
        .fold(0i64, |acc, b| (acc << 8) | *b as i64);
    (value > 0).then_some(value)
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

/// A CUE sheet embedded in the file's tags: a `CUESHEET` Vorbis comment
/// (FLAC) or APEv2 item (APE, WavPack). Only those containers are looked
/// at, and only their tag blocks are read.
pub fn embedded_cuesheet(path: &Path) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    if ext == "ape" || ext == "wv" {
        return ape_items(path)?
            .into_iter()
            .find(|(k, _)| k == "CUESHEET")
            .map(|(_, v)| v);
    }
    if ext != "flac" {
        return None;
    }
    let mut f = File::open(path).ok()?;
    let mut magic = [0u8; 4];
    f.read_exact(&mut magic).ok()?;
    if &magic != b"fLaC" {
        return None;
    }
    // Metadata blocks: 1 byte (last flag, type), 3 bytes length.
    for _ in 0..128 {
        let mut head = [0u8; 4];
        f.read_exact(&mut head).ok()?;
        let len = u32::from_be_bytes([0, head[1], head[2], head[3]]) as usize;
        if head[0] & 0x7f == 4 {
            if len > (16 << 20) {
                return None;
            }
            let mut body = vec![0u8; len];
            f.read_exact(&mut body).ok()?;
            return vorbis_comment(&body, "CUESHEET");
        }
        if head[0] & 0x80 != 0 {
            return None;
        }
        f.seek(SeekFrom::Current(len as i64)).ok()?;
    }
    None
}

/// The first value of `key` in a Vorbis comment block's bytes.
fn vorbis_comment(b: &[u8], key: &str) -> Option<String> {
    let u32_at = |i: usize| -> Option<usize> {
        Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?) as usize)
    };
    let vendor = u32_at(0)?;
    let mut at = 4usize.checked_add(vendor)?;
    let count = u32_at(at)?;
    at += 4;
    for _ in 0..count.min(1 << 16) {
        let len = u32_at(at)?;
        at += 4;
        let item = b.get(at..at.checked_add(len)?)?;
        at += len;
        if let Some(eq) = item.iter().position(|&c| c == b'=') {
            if item[..eq].eq_ignore_ascii_case(key.as_bytes()) {
                return Some(String::from_utf8_lossy(&item[eq + 1..]).into_owned());
            }
        }
    }
    None
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

#[cfg(test)]
mod multi_value_tests {
    use super::*;
    use lofty::flac::FlacFile;
    use lofty::ogg::tag::VorbisComments;
    use lofty::tag::{ItemValue, TagItem, TagType};

    /// A FLAC whose Vorbis comment holds each (key, value) in order.
    fn flac_with(dir: &Path, items: &[(String, String)]) -> std::path::PathBuf {
        use crate::export::encode::encode_flac;
        use crate::media::test_audio::{pcm, pcm16, write};
        use lofty::config::WriteOptions;
        let p = write(dir, "m.flac", &encode_flac(pcm(&pcm16(1, 1.0))).unwrap());
        let mut f = File::open(&p).unwrap();
        let mut flac = FlacFile::read_from(&mut f, ParseOptions::new()).unwrap();
        let mut vc = VorbisComments::default();
        for (k, v) in items {
            vc.push(k.clone(), v.clone());
        }
        flac.set_vorbis_comments(vc);
        drop(f);
        flac.save_to_path(&p, WriteOptions::default()).unwrap();
        p
    }

    fn items(spec: &[(&str, &[&str])]) -> Vec<(String, String)> {
        spec.iter()
            .flat_map(|(k, vs)| vs.iter().map(|v| (k.to_string(), v.to_string())))
            .collect()
    }

    /// Six TITLEs and five TRACKNUMBERs: every single-valued field takes
    /// the file's first value; genres and artists keep all of theirs.
    #[test]
    fn single_valued_fields_take_the_first_value_and_lists_keep_all() {
        let dir = tempfile::tempdir().unwrap();
        let spec = items(&[
            ("TITLE", &["T1", "T2", "T3", "T4", "T5", "T6"]),
            ("TRACKNUMBER", &["1", "2", "3", "4", "5"]),
            ("GENRE", &["Rock", "Pop", "Rock", "Jazz"]),
            ("ARTIST", &["A", "B"]),
            ("DATE", &["1999", "2005"]),
        ]);
        let p = flac_with(dir.path(), &spec);
        let t = read(&p, false).unwrap().tags;
        assert_eq!(t.title.as_deref(), Some("T1"));
        assert_eq!((t.track, t.year), (Some(1), Some(1999)));
        assert_eq!(t.genre.as_deref(), Some("Rock"));
        assert_eq!(t.genres, ["Rock", "Pop", "Jazz"]);
        assert_eq!(t.artist.as_deref(), Some("A"));
        assert_eq!(t.artists, ["A", "B"]);
    }

    /// ARTISTS (MusicBrainz's list of credited artists) is `artists` when
    /// present; ARTIST stays the display string.
    #[test]
    fn artists_come_from_the_artists_field_when_there_is_one() {
        let dir = tempfile::tempdir().unwrap();
        let spec = items(&[("ARTIST", &["A feat. B"]), ("ARTISTS", &["A", "B"])]);
        let p = flac_with(dir.path(), &spec);
        let t = read(&p, false).unwrap().tags;
        assert_eq!(t.artist.as_deref(), Some("A feat. B"));
        assert_eq!(t.artists, ["A", "B"]);
    }

    /// ID3v2.4 keeps several values in one frame, NUL-separated.
    #[test]
    fn nul_separated_values_are_each_a_value() {
        let mut tag = Tag::new(TagType::Id3v2);
        tag.push_unchecked(TagItem::new(
            ItemKey::Genre,
            ItemValue::Text("Rock\0Pop".into()),
        ));
        let mut t = Tags::default();
        fill_from(&mut t, &tag);
        fill_lists(&mut t, &tag);
        assert_eq!(t.genre.as_deref(), Some("Rock"));
        assert_eq!(t.genres, ["Rock", "Pop"]);
    }
}

#[cfg(test)]
mod replaygain_tests {
    use super::*;
    use lofty::config::WriteOptions;
    use lofty::ogg::OpusFile;

    /// An Opus file's R128 gains (Q7.8 at -23 LUFS) are read as ReplayGain
    /// 2.0 gains; a FLAC's REPLAYGAIN_* comments as they are.
    #[test]
    fn replaygain_tags_are_read_from_opus_r128_and_vorbis_comments() {
        let dir = tempfile::tempdir().unwrap();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/formats");
        let p = dir.path().join("t.opus");
        std::fs::copy(fixtures.join("tone.opus"), &p).unwrap();
        let mut f = File::open(&p).unwrap();
        let mut opus = OpusFile::read_from(&mut f, ParseOptions::new()).unwrap();
        drop(f);
        opus.vorbis_comments_mut()
            .insert("R128_TRACK_GAIN".into(), "-2949".into());
        opus.vorbis_comments_mut()
            .insert("R128_ALBUM_GAIN".into(), "256".into());
        opus.save_to_path(&p, WriteOptions::default()).unwrap();
        let rg = read(&p, false).unwrap().replaygain;
        assert_eq!(rg.track_gain, Some(-2949.0 / 256.0 + 5.0));
        assert_eq!(rg.album_gain, Some(6.0));
        assert_eq!(rg.track_peak, None);

        let flac = dir.path().join("t.flac");
        std::fs::copy(fixtures.join("music.flac"), &flac).unwrap();
        let mut tagged = lofty::read_from_path(&flac).unwrap();
        let tag = tagged.primary_tag_mut().unwrap();
        tag.insert_text(ItemKey::ReplayGainTrackGain, "+1.50 dB".into());
        tag.insert_text(ItemKey::ReplayGainTrackPeak, "0.5".into());
        lofty::tag::TagExt::save_to_path(tag, &flac, WriteOptions::default()).unwrap();
        let rg = read(&flac, false).unwrap().replaygain;
        assert_eq!((rg.track_gain, rg.track_peak), (Some(1.5), Some(0.5)));
        assert_eq!(rg.album_gain, None);
    }
}

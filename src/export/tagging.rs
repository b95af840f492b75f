//! Writing the library's tags (and cover art) into exported files, in the
//! tag format each container uses: ID3v2 for MP3 (v2.3 for strict car
//! units, with Latin-1 text wherever the characters fit, else UTF-16),
//! Vorbis comments plus a PICTURE block for FLAC, MP4 atoms for M4A (AAC and
//! ALAC), an `ID3 ` chunk for AIFF, and RIFF INFO plus an `id3 ` chunk for
//! WAV. Ogg Opus and Ogg Vorbis take the same Vorbis comments as FLAC (the
//! comment header rewritten by lofty; art as `METADATA_BLOCK_PICTURE`), with
//! every genre and every artist as a value of its own.
//!
//! A device profile may ask for Latin-1 tag text only (other characters
//! transliterated, every ID3 text frame in Latin-1, never UTF-16), an ID3v1
//! mirror at the end of an MP3, or no tags at all ([`write_target_tags`]);
//! a track without a title gets one from its file name, so units that show
//! tags show something.
//!
//! Tags come from the library (`Track::tags`), not from the source file: the
//! library is the user's edited truth. Tagging works on the encoded bytes in
//! memory, before the file is written atomically, so a half-tagged file never
//! appears under a final name.

use std::io::Cursor;

use lofty::config::WriteOptions;
use lofty::id3::v2::{Frame, Id3v2Tag};
use lofty::picture::Picture;
use lofty::tag::{Accessor, ItemKey, ItemValue, Tag, TagExt, TagItem, TagType};
use lofty::TextEncoding;

use super::target::OutputFormat;
use crate::error::{EncodeStage, Error, Result};
use crate::library::track::Tags;
use crate::media::replaygain::{format_gain, format_peak, ReplayGain};

/// Build a lofty tag of `tag_type` from the library's tags and the
/// output's ReplayGain values.
pub fn tag_from(tags: &Tags, rg: &ReplayGain, tag_type: TagType, cover: Option<&Picture>) -> Tag {
    let mut tag = Tag::new(tag_type);
    let texts: [(ItemKey, &Option<String>); 14] = [
        (ItemKey::TrackTitle, &tags.title),
        (ItemKey::TrackArtist, &tags.artist),
        (ItemKey::AlbumTitle, &tags.album),
        (ItemKey::AlbumArtist, &tags.albumartist),
        (ItemKey::Genre, &tags.genre),
        (ItemKey::Composer, &tags.composer),
        (ItemKey::Lyrics, &tags.lyrics),
        (ItemKey::Comment, &tags.comments),
        (ItemKey::Label, &tags.label),
        (ItemKey::Isrc, &tags.isrc),
        // beets' names: mb_trackid is the recording, mb_releasetrackid the track.
        (ItemKey::MusicBrainzRecordingId, &tags.mb_trackid),
        (ItemKey::MusicBrainzTrackId, &tags.mb_releasetrackid),
        (ItemKey::MusicBrainzReleaseId, &tags.mb_albumid),
        (ItemKey::MusicBrainzArtistId, &tags.mb_artistid),
    ];
    for (key, value) in texts {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            tag.insert_text(key, v.to_string());
        }
    }
    let num = |v: Option<i64>| v.and_then(|n| u32::try_from(n).ok()).filter(|&n| n > 0);
    if let Some(n) = num(tags.track) {
        tag.set_track(n);
    }
    if let Some(n) = num(tags.tracktotal) {
        tag.set_track_total(n);
    }
    if let Some(n) = num(tags.disc) {
        tag.set_disk(n);
    }
    if let Some(n) = num(tags.disctotal) {
        tag.set_disk_total(n);
    }
    if let Some(y) = tags
        .year
        .and_then(|y| u16::try_from(y).ok())
        .filter(|&y| y > 0)
    {
        tag.set_date(lofty::tag::items::Timestamp {
            year: y,
            ..Default::default()
        });
    }
    if let Some(bpm) = num(tags.bpm) {
        tag.insert_text(ItemKey::IntegerBpm, bpm.to_string());
    }
    if tags.comp == Some(true) {
        tag.insert_text(ItemKey::FlagCompilation, "1".to_string());
    }
    if tag_type == TagType::VorbisComments {
        multi_valued(&mut tag, tags);
    }
    push_replaygain(&mut tag, rg);
    if let Some(pic) = cover {
        tag.push_picture(pic.clone());
    }
    tag
}

/// ReplayGain 2.0 items in each container's own form, through lofty's
/// keys: TXXX frames `REPLAYGAIN_TRACK_GAIN`... in ID3v2, Vorbis comments
/// of the same names, `----:com.apple.iTunes:replaygain_track_gain`...
/// atoms in MP4 (RIFF INFO has no such field and gets none).
fn push_replaygain(tag: &mut Tag, rg: &ReplayGain) {
    let items = [
        (ItemKey::ReplayGainTrackGain, rg.track_gain.map(format_gain)),
        (ItemKey::ReplayGainTrackPeak, rg.track_peak.map(format_peak)),
        (ItemKey::ReplayGainAlbumGain, rg.album_gain.map(format_gain)),
        (ItemKey::ReplayGainAlbumPeak, rg.album_peak.map(format_peak)),
    ];
    for (key, value) in items {
        if let Some(v) = value {
            tag.insert_text(key, v);
        }
    }
}

/// Vorbis comments repeat a field for each value: every genre as a GENRE,
/// and every track artist as an ARTISTS (Picard's and beets' field) when
/// there are several or they differ from ARTIST.
fn multi_valued(tag: &mut Tag, tags: &Tags) {
    let clean = |v: &[String]| -> Vec<String> {
        v.iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    let genres = clean(&tags.genres);
    if !genres.is_empty() {
        tag.remove_key(ItemKey::Genre);
        for g in genres {
            tag.push(TagItem::new(ItemKey::Genre, ItemValue::Text(g)));
        }
    }
    let artists = clean(&tags.artists);
    let artist = tags.artist.as_deref().map(str::trim);
    // A single ARTISTS value equal to ARTIST adds nothing.
    let only_artist = artists.len() == 1 && artist == Some(artists[0].as_str());
    if !artists.is_empty() && !only_artist {
        for a in artists {
            tag.push(TagItem::new(ItemKey::TrackArtists, ItemValue::Text(a)));
        }
    }
}

/// The one place the Opus writer adjusts its comments (RFC 7845 5.2.1):
/// Opus players apply gain from `R128_TRACK_GAIN`/`R128_ALBUM_GAIN`
/// (Q7.8 dB relative to -23 LUFS, as integers), and an Opus file should
/// carry no `REPLAYGAIN_*` fields, so ReplayGain gains (relative to
/// -18 LUFS) become R128 gains 5 dB lower and the ReplayGain fields go.
/// Further Opus-only fields belong here too.
fn opus_comments(tag: &mut Tag) {
    for (rg, r128) in [
        (ItemKey::ReplayGainTrackGain, ItemKey::R128TrackGain),
        (ItemKey::ReplayGainAlbumGain, ItemKey::R128AlbumGain),
    ] {
        let gain = tag.get_string(rg).and_then(replaygain_db);
        if let Some(db) = gain {
            if tag.get_string(r128).is_none() {
                let q78 = ((db - 5.0) * 256.0).round().clamp(-32768.0, 32767.0) as i32;
                tag.insert_text(r128, q78.to_string());
            }
        }
    }
    for key in [
        ItemKey::ReplayGainTrackGain,
        ItemKey::ReplayGainTrackPeak,
        ItemKey::ReplayGainAlbumGain,
        ItemKey::ReplayGainAlbumPeak,
    ] {
        tag.remove_key(key);
    }
}

/// The dB value of a ReplayGain gain field such as `-7.52 dB`.
fn replaygain_db(text: &str) -> Option<f64> {
    let t = text.trim();
    let t = t
        .strip_suffix("dB")
        .or_else(|| t.strip_suffix("db"))
        .unwrap_or(t);
    t.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The text encoding ID3v2.3 should use for `text`: Latin-1 when every
/// character fits (what old car units read best), else UTF-16 with BOM.
fn v23_encoding(text: &str) -> TextEncoding {
    if text.chars().all(|c| (c as u32) <= 0xFF) {
        TextEncoding::Latin1
    } else {
        TextEncoding::UTF16
    }
}

/// An ID3v2 tag for the library's tags. For v2.3 every text frame gets the
/// narrowest encoding its characters allow (lofty would otherwise turn its
/// default UTF-8 into UTF-16 everywhere).
pub fn id3v2_from(tags: &Tags, rg: &ReplayGain, cover: Option<&Picture>, id3v23: bool) -> Id3v2Tag {
    id3v2_styled(tags, rg, cover, id3v23)
}

/// An ID3v2 tag whose text frames get the narrowest encoding (Latin-1 where
/// the characters fit) when `narrow`.
fn id3v2_styled(tags: &Tags, rg: &ReplayGain, cover: Option<&Picture>, narrow: bool) -> Id3v2Tag {
    let id3: Id3v2Tag = tag_from(tags, rg, TagType::Id3v2, cover).into();
    // lofty's conversion from a generic tag goes through a hash map, so its
    // frame order changes from run to run; sorted by frame id (then by
    // description), a re-export writes the same bytes.
    let mut frames: Vec<Frame<'static>> = id3.into_iter().collect();
    frames.sort_by_cached_key(|f| (f.id_str().to_string(), frame_detail(f)));
    let mut out = Id3v2Tag::new();
    for mut frame in frames {
        if narrow {
            set_v23_encoding(&mut frame);
        }
        out.insert(frame);
    }
    out
}

/// What tells apart frames that share an id (TXXX and COMM descriptions).
fn frame_detail(f: &Frame<'_>) -> String {
    match f {
        Frame::UserText(t) => t.description.to_string(),
        Frame::Comment(t) => format!("{}{}", t.description, t.content),
        Frame::UnsynchronizedText(t) => t.description.to_string(),
        _ => String::new(),
    }
}

fn set_v23_encoding(frame: &mut Frame<'_>) {
    match frame {
        Frame::Text(t) => t.encoding = v23_encoding(&t.value),
        Frame::UserText(t) => t.encoding = v23_encoding(&format!("{}{}", t.description, t.content)),
        Frame::Comment(t) => t.encoding = v23_encoding(&format!("{}{}", t.description, t.content)),
        Frame::UnsynchronizedText(t) => {
            t.encoding = v23_encoding(&format!("{}{}", t.description, t.content))
        }
        Frame::Picture(p) => p.encoding = v23_encoding(p.picture.description().unwrap_or_default()),
        _ => {}
    }
}

fn write_options(id3v23: bool) -> WriteOptions {
    WriteOptions::new()
        .use_id3v23(id3v23)
        .preferred_padding(0)
        .remove_others(false)
}

fn tag_error(format: OutputFormat, e: impl std::error::Error) -> Error {
    // lofty's top-level message is generic ("failed to write to file"): add its causes.
    let mut msg = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        msg.push_str(": ");
        msg.push_str(&c.to_string());
        cause = c.source();
    }
    Error::encode(EncodeStage::Tags, format!("writing {format} tags: {msg}"))
}

/// Write the track's tags, the output's ReplayGain values (see
/// [`crate::export::loudness`]) and `cover`, when given, into an encoded file
/// held in memory. `id3v23` selects ID3v2.3 for the formats that carry ID3
/// (MP3, AIFF, WAV); otherwise ID3v2.4 is written.
pub fn write_tags(
    bytes: &mut Vec<u8>,
    format: OutputFormat,
    tags: &Tags,
    rg: &ReplayGain,
    cover: Option<&Picture>,
    id3v23: bool,
) -> Result<()> {
    write_styled(bytes, format, tags, rg, cover, id3v23, id3v23)
}

/// Write `track`'s tags as `target` asks: none at all, or the library's
/// tags with a title from the file name when there is none, in Latin-1
/// only when the target says so (other characters transliterated, ID3
/// frames in Latin-1 whatever the version), with an ID3v1 mirror after an
/// MP3's audio when asked.
pub fn write_target_tags(
    bytes: &mut Vec<u8>,
    track: &crate::library::Track,
    rg: &ReplayGain,
    cover: Option<&Picture>,
    target: &crate::export::target::AudioTarget,
) -> Result<()> {
    if target.no_tags {
        return Ok(());
    }
    let mut tags = track.tags.clone();
    if tags.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
        tags.title = crate::names::title_from_file_name(&track.path);
    }
    if target.latin1_tags {
        tags = latin1_tags(&tags);
    }
    let narrow = target.id3v23 || target.latin1_tags;
    write_styled(
        bytes,
        target.format,
        &tags,
        rg,
        cover,
        target.id3v23,
        narrow,
    )?;
    if target.id3v1 && target.format == OutputFormat::Mp3 {
        bytes.extend_from_slice(&id3v1_tag(&tags));
    }
    Ok(())
}

/// Every text of `tags` in Latin-1: characters beyond U+00FF transliterated.
pub fn latin1_tags(tags: &Tags) -> Tags {
    let fix = |v: &Option<String>| v.as_deref().map(crate::names::to_latin1);
    Tags {
        title: fix(&tags.title),
        artist: fix(&tags.artist),
        album: fix(&tags.album),
        albumartist: fix(&tags.albumartist),
        genre: fix(&tags.genre),
        composer: fix(&tags.composer),
        lyrics: fix(&tags.lyrics),
        comments: fix(&tags.comments),
        label: fix(&tags.label),
        ..tags.clone()
    }
}

/// A 128-byte ID3v1.1 tag: title, artist, album (30 bytes each), year,
/// a 28-byte comment and the track number; Latin-1, cut to fit, genre
/// unknown (255).
pub fn id3v1_tag(tags: &Tags) -> [u8; 128] {
    let mut t = [0u8; 128];
    t[..3].copy_from_slice(b"TAG");
    let mut put = |at: usize, len: usize, v: Option<&str>| {
        let text = crate::names::to_latin1(v.unwrap_or("").trim());
        for (i, c) in text.chars().take(len).enumerate() {
            t[at + i] = c as u32 as u8;
        }
    };
    put(3, 30, tags.title.as_deref());
    put(33, 30, tags.artist.as_deref());
    put(63, 30, tags.album.as_deref());
    let year = tags
        .year
        .filter(|y| (1..=9999).contains(y))
        .map(|y| y.to_string());
    put(93, 4, year.as_deref());
    put(97, 28, tags.comments.as_deref());
    t[126] = tags.track.and_then(|n| u8::try_from(n).ok()).unwrap_or(0);
    t[127] = 255;
    t
}

fn write_styled(
    bytes: &mut Vec<u8>,
    format: OutputFormat,
    tags: &Tags,
    rg: &ReplayGain,
    cover: Option<&Picture>,
    id3v23: bool,
    narrow: bool,
) -> Result<()> {
    let opts = write_options(id3v23);
    match format {
        OutputFormat::Mp3 => {
            // The encoder wrote bare MPEG frames: the tag goes in front.
            let id3 = id3v2_styled(tags, rg, cover, narrow);
            let mut head = Vec::new();
            id3.dump_to(&mut head, opts)
                .map_err(|e| tag_error(format, e))?;
            head.extend_from_slice(bytes);
            *bytes = head;
        }
        OutputFormat::Flac | OutputFormat::Opus | OutputFormat::Vorbis => {
            let mut tag = tag_from(tags, rg, TagType::VorbisComments, cover);
            if format == OutputFormat::Opus {
                opus_comments(&mut tag);
            }
            let mut c = Cursor::new(std::mem::take(bytes));
            let r = tag.save_to(&mut c, opts);
            *bytes = c.into_inner();
            r.map_err(|e| tag_error(format, e))?;
        }
        OutputFormat::Aac | OutputFormat::Alac => {
            let mut c = Cursor::new(std::mem::take(bytes));
            let r = tag_from(tags, rg, TagType::Mp4Ilst, cover).save_to(&mut c, opts);
            *bytes = c.into_inner();
            r.map_err(|e| tag_error(format, e))?;
        }
        OutputFormat::Aiff | OutputFormat::Wav => {
            let mut c = Cursor::new(std::mem::take(bytes));
            let mut r = id3v2_styled(tags, rg, cover, narrow).save_to(&mut c, opts);
            if r.is_ok() && format == OutputFormat::Wav {
                // RIFF INFO too: Windows and many hardware players read only that.
                c.set_position(0);
                r = tag_from(tags, rg, TagType::RiffInfo, None).save_to(&mut c, opts);
            }
            *bytes = c.into_inner();
            r.map_err(|e| tag_error(format, e))?;
        }
    }
    Ok(())
}

/// The major version of a file's leading ID3v2 tag (3 for v2.3, 4 for
/// v2.4), from its 10-byte header; `None` when the bytes do not start with one.
pub fn id3v2_version(head: &[u8]) -> Option<u8> {
    (head.len() >= 10 && &head[..3] == b"ID3").then(|| head[3])
}

/// Read back the primary tag of an encoded file in memory (for checks and tests).
pub fn read_tags(bytes: &[u8]) -> Result<lofty::file::TaggedFile> {
    let bad = |e: &dyn std::fmt::Display| {
        Error::encode(EncodeStage::Tags, format!("reading tags back: {e}"))
    };
    lofty::probe::Probe::new(Cursor::new(bytes))
        .guess_file_type()
        .map_err(|e| bad(&e))?
        .read()
        .map_err(|e| bad(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::encode::{encode_mp3, Mp3Rate, Pcm};

    /// Every field set, so lofty's conversion has many frames to order.
    fn full_tags() -> Tags {
        Tags {
            title: Some("Título".into()),
            artist: Some("Artist".into()),
            album: Some("Album".into()),
            albumartist: Some("Album Artist".into()),
            genre: Some("Genre".into()),
            composer: Some("Composer".into()),
            comments: Some("Comment".into()),
            label: Some("Label".into()),
            isrc: Some("USRC17607839".into()),
            mb_trackid: Some("a".into()),
            mb_releasetrackid: Some("b".into()),
            mb_albumid: Some("c".into()),
            mb_artistid: Some("d".into()),
            track: Some(3),
            tracktotal: Some(12),
            disc: Some(1),
            disctotal: Some(2),
            year: Some(1999),
            bpm: Some(120),
            comp: Some(true),
            ..Default::default()
        }
    }

    #[test]
    fn a_re_export_writes_the_same_tag_bytes() {
        let silence = vec![0i32; 44_100 / 5 * 2];
        let mp3 = encode_mp3(Pcm::cd(&silence), Mp3Rate::Cbr(128)).unwrap();
        for id3v23 in [true, false] {
            let tagged = || {
                let mut b = mp3.clone();
                let rg = ReplayGain::default();
                write_tags(&mut b, OutputFormat::Mp3, &full_tags(), &rg, None, id3v23).unwrap();
                b
            };
            let first = tagged();
            for _ in 0..8 {
                assert!(tagged() == first, "id3v23 {id3v23}: the bytes differ");
            }
            // And lofty reads back what was written.
            let rg = ReplayGain::default();
            let tag =
                lofty::id3::v2::Id3v2Tag::from(tag_from(&full_tags(), &rg, TagType::Id3v2, None));
            assert_eq!(tag.title().as_deref(), Some("Título"));
        }
    }

    fn rg() -> ReplayGain {
        ReplayGain {
            track_gain: Some(-6.5234),
            track_peak: Some(0.98855312),
            album_gain: Some(2.1),
            album_peak: Some(1.0),
        }
    }

    /// An encoded file of `format`: 0.2 s of silence.
    fn encoded(format: OutputFormat) -> Vec<u8> {
        use crate::export::{encode, mp4};
        let silence = vec![0i32; 44_100 / 5 * 2];
        let pcm = Pcm::cd(&silence);
        match format {
            OutputFormat::Mp3 => encode_mp3(pcm, Mp3Rate::Cbr(128)).unwrap(),
            OutputFormat::Aac => mp4::encode_aac(&silence, 2, 44_100, None, None).unwrap(),
            OutputFormat::Alac => mp4::encode_alac(pcm).unwrap(),
            OutputFormat::Wav => encode::encode_wav(pcm).unwrap(),
            OutputFormat::Flac => encode::encode_flac(pcm).unwrap(),
            OutputFormat::Aiff => encode::encode_aiff(pcm).unwrap(),
            OutputFormat::Opus | OutputFormat::Vorbis => {
                unreachable!("Ogg outputs are tagged and checked in export::ogg's tests")
            }
        }
    }

    /// Every container: the same tags (every field, ReplayGain values and a
    /// cover) give the same bytes, and lofty reads the ReplayGain values
    /// back exactly, under each container's own names.
    #[test]
    fn every_container_is_tagged_the_same_way_each_time() {
        let cover =
            crate::export::art::prepare_cover(&crate::export::art::tests::png(40, 30), None)
                .unwrap();
        let not_ogg = |f: &OutputFormat| !matches!(f, OutputFormat::Opus | OutputFormat::Vorbis);
        for format in OutputFormat::ALL.into_iter().filter(not_ogg) {
            for id3v23 in [false, true] {
                let tagged = || {
                    let mut b = encoded(format);
                    write_tags(&mut b, format, &full_tags(), &rg(), Some(&cover), id3v23).unwrap();
                    b
                };
                let first = tagged();
                for _ in 0..4 {
                    assert!(
                        tagged() == first,
                        "{format} v2.3 {id3v23}: the bytes differ"
                    );
                }
                if format == OutputFormat::Mp3 {
                    assert_eq!(id3v2_version(&first), Some(if id3v23 { 3 } else { 4 }));
                }
                let f = read_tags(&first).unwrap();
                let t = lofty::file::TaggedFileExt::primary_tag(&f).unwrap();
                let got = [
                    ItemKey::ReplayGainTrackGain,
                    ItemKey::ReplayGainTrackPeak,
                    ItemKey::ReplayGainAlbumGain,
                    ItemKey::ReplayGainAlbumPeak,
                ]
                .map(|k| t.get_string(k));
                assert_eq!(
                    got,
                    [
                        Some("-6.52 dB"),
                        Some("0.988553"),
                        Some("2.10 dB"),
                        Some("1.000000")
                    ],
                    "{format} v2.3 {id3v23}"
                );
            }
        }
        // The names each container uses.
        let mut mp3 = encoded(OutputFormat::Mp3);
        write_tags(&mut mp3, OutputFormat::Mp3, &full_tags(), &rg(), None, true).unwrap();
        let id3 =
            lofty::id3::v2::Id3v2Tag::from(tag_from(&full_tags(), &rg(), TagType::Id3v2, None));
        assert_eq!(id3.get_user_text("REPLAYGAIN_TRACK_GAIN"), Some("-6.52 dB"));
        assert_eq!(id3.get_user_text("REPLAYGAIN_ALBUM_PEAK"), Some("1.000000"));
        let mut m4a = encoded(OutputFormat::Aac);
        write_tags(
            &mut m4a,
            OutputFormat::Aac,
            &full_tags(),
            &rg(),
            None,
            false,
        )
        .unwrap();
        let name = b"replaygain_track_gain";
        assert!(m4a.windows(name.len()).any(|w| w == name));
        assert!(m4a.windows(16).any(|w| w == b"com.apple.iTunes"));
        let mut flac = encoded(OutputFormat::Flac);
        write_tags(
            &mut flac,
            OutputFormat::Flac,
            &full_tags(),
            &rg(),
            None,
            false,
        )
        .unwrap();
        let comment = b"REPLAYGAIN_TRACK_PEAK=0.988553";
        assert!(flac.windows(comment.len()).any(|w| w == comment));
    }

    #[test]
    fn opus_comments_turn_replaygain_into_r128() {
        let mut tag = tag_from(
            &full_tags(),
            &ReplayGain::default(),
            TagType::VorbisComments,
            None,
        );
        tag.insert_text(ItemKey::ReplayGainTrackGain, "-7.52 dB".into());
        tag.insert_text(ItemKey::ReplayGainTrackPeak, "0.988".into());
        tag.insert_text(ItemKey::ReplayGainAlbumGain, "+1.25 dB".into());
        opus_comments(&mut tag);
        // (-7.52 - 5) x 256 = -3205.12; (1.25 - 5) x 256 = -960.
        assert_eq!(tag.get_string(ItemKey::R128TrackGain), Some("-3205"));
        assert_eq!(tag.get_string(ItemKey::R128AlbumGain), Some("-960"));
        assert!(tag.get_string(ItemKey::ReplayGainTrackGain).is_none());
        assert!(tag.get_string(ItemKey::ReplayGainTrackPeak).is_none());
        // An R128 gain already there wins; an unreadable gain adds nothing.
        let mut tag = Tag::new(TagType::VorbisComments);
        tag.insert_text(ItemKey::R128TrackGain, "-100".into());
        tag.insert_text(ItemKey::ReplayGainTrackGain, "-7.52 dB".into());
        tag.insert_text(ItemKey::ReplayGainAlbumGain, "loud".into());
        opus_comments(&mut tag);
        assert_eq!(tag.get_string(ItemKey::R128TrackGain), Some("-100"));
        assert!(tag.get_string(ItemKey::R128AlbumGain).is_none());
        assert_eq!(replaygain_db(" -7.5 db "), Some(-7.5));
    }
}

//! Writing the library's tags (and cover art) into exported files, in the
//! tag format each container uses: ID3v2 for MP3 (v2.3 for strict car
//! units, with Latin-1 text wherever the characters fit, else UTF-16),
//! Vorbis comments plus a PICTURE block for FLAC, MP4 atoms for M4A (AAC and
//! ALAC), an `ID3 ` chunk for AIFF, and RIFF INFO plus an `id3 ` chunk for
//! WAV.
//!
//! Tags come from the library (`Track::tags`), not from the source file: the
//! library is the user's edited truth. Tagging works on the encoded bytes in
//! memory, before the file is written atomically, so a half-tagged file never
//! appears under a final name.

use std::io::Cursor;

use lofty::config::WriteOptions;
use lofty::id3::v2::{Frame, Id3v2Tag};
use lofty::picture::Picture;
use lofty::tag::{Accessor, ItemKey, Tag, TagExt, TagType};
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
    let id3: Id3v2Tag = tag_from(tags, rg, TagType::Id3v2, cover).into();
    // lofty's conversion from a generic tag goes through a hash map, so its
    // frame order changes from run to run; sorted by frame id (then by
    // description), a re-export writes the same bytes.
    let mut frames: Vec<Frame<'static>> = id3.into_iter().collect();
    frames.sort_by_cached_key(|f| (f.id_str().to_string(), frame_detail(f)));
    let mut out = Id3v2Tag::new();
    for mut frame in frames {
        if id3v23 {
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
/// [`super::loudness::output_replaygain`]) and `cover`, when given, into an
/// encoded file held in memory. `id3v23` selects ID3v2.3 for the formats
/// that carry ID3 (MP3, AIFF, WAV); otherwise ID3v2.4 is written.
pub fn write_tags(
    bytes: &mut Vec<u8>,
    format: OutputFormat,
    tags: &Tags,
    rg: &ReplayGain,
    cover: Option<&Picture>,
    id3v23: bool,
) -> Result<()> {
    let opts = write_options(id3v23);
    match format {
        OutputFormat::Mp3 => {
            // The encoder wrote bare MPEG frames: the tag goes in front.
            let id3 = id3v2_from(tags, rg, cover, id3v23);
            let mut head = Vec::new();
            id3.dump_to(&mut head, opts)
                .map_err(|e| tag_error(format, e))?;
            head.extend_from_slice(bytes);
            *bytes = head;
        }
        OutputFormat::Flac => {
            let mut c = Cursor::new(std::mem::take(bytes));
            let r = tag_from(tags, rg, TagType::VorbisComments, cover).save_to(&mut c, opts);
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
            let mut r = id3v2_from(tags, rg, cover, id3v23).save_to(&mut c, opts);
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
        for format in OutputFormat::ALL {
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
}

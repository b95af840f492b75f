//! Writing tag fields into a file, in place, losslessly for everything not
//! edited: each tag the file holds (ID3v2, ID3v1, APEv2, Vorbis comments,
//! MP4 atoms, RIFF INFO, AIFF text chunks) is read as its own type, split
//! into lofty's generic view and the remainder it cannot represent (other
//! frames, pictures, unknown atoms), edited, merged back and written. A file
//! without a tag gets its format's main one. An ID3v2.3 tag stays v2.3.
//!
//! Only the fields [`TagField`] names are written, by the same keys the
//! reader ([`super::tags`]) reads them from; a field is removed from every
//! tag of the file, so no older tag still shows the old value. Formats
//! lofty cannot write (WMA, DSF, anything unrecognised) are refused with
//! the format's name. Callers edit a temporary copy and check it (the
//! audio untouched, the values read back) before it replaces the file.

use std::fmt;
use std::fs::File;
use std::path::Path;

use lofty::config::{ParseOptions, WriteOptions};
use lofty::file::{AudioFile, FileType};
use lofty::id3::v2::Id3v2Version;
use lofty::tag::{Accessor, ItemKey, MergeTag, SplitTag, Tag, TagExt};

use super::props::Tags;

/// A tag field `modify` can write, by its beets name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TagField {
    Title,
    Artist,
    Album,
    AlbumArtist,
    Genre,
    Composer,
    Year,
    Track,
    TrackTotal,
    Disc,
    DiscTotal,
    Bpm,
    Comp,
    Lyrics,
    Comments,
    Label,
    Isrc,
    MbTrackId,
    MbAlbumId,
    MbArtistId,
    MbReleaseTrackId,
}

/// Every writable field with its name, in display order.
const FIELDS: [(TagField, &str); 21] = [
    (TagField::Title, "title"),
    (TagField::Artist, "artist"),
    (TagField::Album, "album"),
    (TagField::AlbumArtist, "albumartist"),
    (TagField::Genre, "genre"),
    (TagField::Composer, "composer"),
    (TagField::Year, "year"),
    (TagField::Track, "track"),
    (TagField::TrackTotal, "tracktotal"),
    (TagField::Disc, "disc"),
    (TagField::DiscTotal, "disctotal"),
    (TagField::Bpm, "bpm"),
    (TagField::Comp, "comp"),
    (TagField::Lyrics, "lyrics"),
    (TagField::Comments, "comments"),
    (TagField::Label, "label"),
    (TagField::Isrc, "isrc"),
    (TagField::MbTrackId, "mb_trackid"),
    (TagField::MbAlbumId, "mb_albumid"),
    (TagField::MbArtistId, "mb_artistid"),
    (TagField::MbReleaseTrackId, "mb_releasetrackid"),
];

impl TagField {
    /// The field called `name` (beets' names), if it is writable.
    pub fn parse(name: &str) -> Option<TagField> {
        FIELDS.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        FIELDS
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("", |(_, n)| n)
    }

    /// Every writable field's name, for error messages.
    pub fn names() -> Vec<&'static str> {
        FIELDS.iter().map(|(_, n)| *n).collect()
    }

    /// Is the value a number (checked before anything is written)?
    pub fn is_number(self) -> bool {
        use TagField::*;
        matches!(
            self,
            Year | Track | TrackTotal | Disc | DiscTotal | Bpm | Comp
        )
    }

    /// The field's value in `tags`, as text (`comp` as 1 or 0).
    pub fn get(self, t: &Tags) -> Option<String> {
        use TagField::*;
        let text = |v: &Option<String>| v.clone();
        let num = |v: Option<i64>| v.map(|n| n.to_string());
        match self {
            Title => text(&t.title),
            Artist => text(&t.artist),
            Album => text(&t.album),
            AlbumArtist => text(&t.albumartist),
            Genre => text(&t.genre),
            Composer => text(&t.composer),
            Year => num(t.year),
            Track => num(t.track),
            TrackTotal => num(t.tracktotal),
            Disc => num(t.disc),
            DiscTotal => num(t.disctotal),
            Bpm => num(t.bpm),
            Comp => t.comp.map(|c| if c { "1" } else { "0" }.to_string()),
            Lyrics => text(&t.lyrics),
            Comments => text(&t.comments),
            Label => text(&t.label),
            Isrc => text(&t.isrc),
            MbTrackId => text(&t.mb_trackid),
            MbAlbumId => text(&t.mb_albumid),
            MbArtistId => text(&t.mb_artistid),
            MbReleaseTrackId => text(&t.mb_releasetrackid),
        }
    }

    /// The generic key a text field is stored under (the reader's first).
    fn text_key(self) -> Option<ItemKey> {
        use TagField::*;
        Some(match self {
            Title => ItemKey::TrackTitle,
            Artist => ItemKey::TrackArtist,
            Album => ItemKey::AlbumTitle,
            AlbumArtist => ItemKey::AlbumArtist,
            Genre => ItemKey::Genre,
            Composer => ItemKey::Composer,
            Lyrics => ItemKey::Lyrics,
            Comments => ItemKey::Comment,
            Label => ItemKey::Label,
            Isrc => ItemKey::Isrc,
            // beets' names: mb_trackid is the recording, mb_releasetrackid the track.
            MbTrackId => ItemKey::MusicBrainzRecordingId,
            MbAlbumId => ItemKey::MusicBrainzReleaseId,
            MbArtistId => ItemKey::MusicBrainzArtistId,
            MbReleaseTrackId => ItemKey::MusicBrainzTrackId,
            _ => return None,
        })
    }

    /// The other keys the reader falls back to, removed along with the
    /// field so that no stale value shows through.
    fn fallback_keys(self) -> &'static [ItemKey] {
        use TagField::*;
        match self {
            Year => &[ItemKey::Year, ItemKey::RecordingDate, ItemKey::ReleaseDate],
            Bpm => &[ItemKey::IntegerBpm, ItemKey::Bpm],
            Lyrics => &[ItemKey::UnsyncLyrics],
            Comments => &[ItemKey::Description],
            Label => &[ItemKey::Publisher],
            Comp => &[ItemKey::FlagCompilation],
            _ => &[],
        }
    }
}

impl fmt::Display for TagField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One field set to a value (`Some`) or removed (`None`). Number fields
/// hold a validated number.
pub type FieldEdit = (TagField, Option<String>);

/// What to do with a file's embedded pictures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtEdit {
    /// Remove every picture, from every tag.
    Clear,
    /// Replace every picture with this front cover (JPEG or PNG bytes),
    /// in the file's main tag.
    Front { data: Vec<u8>, png: bool },
}

/// Everything one write changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edits {
    pub fields: Vec<FieldEdit>,
    pub art: Option<ArtEdit>,
}

/// Set or remove the fields in one generic tag.
/// A number kept with its total in one value ("3/12", as a Vorbis comment
/// read without lofty's conversions holds it) becomes the number alone and
/// the total field (unless there is one), so that editing either keeps
/// the other.
fn split_pair(tag: &mut Tag, number: ItemKey, total: ItemKey) {
    let Some((n, t)) = tag.get_string(number).and_then(|v| {
        let (n, t) = v.split_once('/')?;
        Some((n.trim().to_string(), t.trim().to_string()))
    }) else {
        return;
    };
    tag.insert_text(number, n);
    if tag.get_string(total).is_none() && !t.is_empty() {
        tag.insert_text(total, t);
    }
}

/// Apply `edits` to a generic tag; pictures are added only to the `main`
/// tag (every other one loses its pictures when art is edited).
fn apply(tag: &mut Tag, edits: &Edits, main: bool) {
    apply_fields(tag, &edits.fields);
    let Some(art) = &edits.art else { return };
    while !tag.pictures().is_empty() {
        tag.remove_picture(0);
    }
    if let (true, ArtEdit::Front { data, png }) = (main, art) {
        use lofty::picture::{MimeType, Picture, PictureType};
        let mime = if *png { MimeType::Png } else { MimeType::Jpeg };
        tag.push_picture(
            Picture::unchecked(data.clone())
                .pic_type(PictureType::CoverFront)
                .mime_type(mime)
                .build(),
        );
    }
}

fn apply_fields(tag: &mut Tag, edits: &[FieldEdit]) {
    for (field, value) in edits {
        let field = *field;
        for k in field.fallback_keys() {
            tag.remove_key(*k);
        }
        let num = value.as_deref().and_then(|v| v.trim().parse::<u32>().ok());
        match field {
            TagField::Track | TagField::TrackTotal => {
                split_pair(tag, ItemKey::TrackNumber, ItemKey::TrackTotal)
            }
            TagField::Disc | TagField::DiscTotal => {
                split_pair(tag, ItemKey::DiscNumber, ItemKey::DiscTotal)
            }
            _ => {}
        }
        match field {
            TagField::Track => match num {
                Some(n) => tag.set_track(n),
                None => tag.remove_track(),
            },
            TagField::TrackTotal => match num {
                Some(n) => tag.set_track_total(n),
                None => tag.remove_track_total(),
            },
            TagField::Disc => match num {
                Some(n) => tag.set_disk(n),
                None => tag.remove_disk(),
            },
            TagField::DiscTotal => match num {
                Some(n) => tag.set_disk_total(n),
                None => tag.remove_disk_total(),
            },
            TagField::Year => {
                if let Some(y) = num {
                    if !tag.insert_text(ItemKey::RecordingDate, y.to_string()) {
                        tag.insert_text(ItemKey::Year, y.to_string());
                    }
                }
            }
            TagField::Bpm => {
                if let Some(n) = num {
                    tag.insert_text(ItemKey::IntegerBpm, n.to_string());
                }
            }
            TagField::Comp => {
                if num == Some(1) {
                    tag.insert_text(ItemKey::FlagCompilation, "1".to_string());
                }
            }
            _ => {
                if let Some(key) = field.text_key() {
                    tag.remove_key(key);
                    if let Some(v) = value {
                        tag.insert_text(key, v.clone());
                    }
                }
            }
        }
    }
}

/// Split `tag`, edit its generic part, merge it back.
fn edit<T, R>(tag: T, edits: &Edits, main: bool) -> T
where
    T: SplitTag<Remainder = R>,
    R: MergeTag<Merged = T>,
{
    let (rest, mut generic) = tag.split_tag();
    apply(&mut generic, edits, main);
    rest.merge_tag(generic)
}

/// [`edit`] `tag`, then write it into the file at `path`.
fn edit_save<T, R>(
    tag: T,
    edits: &Edits,
    main: bool,
    path: &Path,
    w: WriteOptions,
) -> Result<(), EditError>
where
    T: SplitTag<Remainder = R> + TagExt,
    R: MergeTag<Merged = T>,
{
    edit(tag, edits, main).save_to_path(path, w).map_err(failed)
}

/// An APEv2 tag keeps its pictures as binary items lofty's generic view
/// leaves out: take them out when the art is edited.
fn strip_ape_art(mut tag: lofty::ape::ApeTag, edits: &Edits) -> lofty::ape::ApeTag {
    if edits.art.is_some() {
        for key in lofty::picture::APE_PICTURE_TYPES {
            tag.remove(key);
        }
    }
    tag
}

/// Why tags could not be written into a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditError {
    /// A format lofty cannot write, by name (`WMA`, `DSF`, ...).
    Unsupported(String),
    /// Reading or writing the file failed.
    Failed(String),
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditError::Unsupported(format) => write!(f, "cannot write tags to {format}"),
            EditError::Failed(why) => write!(f, "cannot write tags: {why}"),
        }
    }
}

fn failed(e: impl fmt::Display) -> EditError {
    EditError::Failed(e.to_string())
}

/// The format lofty would write tags for, or why none.
pub fn writable_format(path: &Path) -> Result<FileType, EditError> {
    let name = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_uppercase())
        .unwrap_or_else(|| "this file".into());
    let probe = lofty::probe::Probe::open(path)
        .map_err(failed)?
        .guess_file_type()
        .map_err(failed)?;
    match probe.file_type() {
        Some(FileType::Aac) | Some(FileType::Custom(_)) | None => Err(EditError::Unsupported(name)),
        Some(t) => Ok(t),
    }
}

/// Write `edits` into the file at `path`, in place (call it on a copy).
pub fn write_fields(path: &Path, edits: &[FieldEdit]) -> Result<(), EditError> {
    write(
        path,
        &Edits {
            fields: edits.to_vec(),
            art: None,
        },
    )
}

/// Write `edits` (fields and art) into the file at `path`, in place.
pub fn write(path: &Path, edits: &Edits) -> Result<(), EditError> {
    use lofty::ape::ApeFile;
    use lofty::flac::FlacFile;
    use lofty::iff::aiff::AiffFile;
    use lofty::iff::wav::WavFile;
    use lofty::mp4::Mp4File;
    use lofty::mpeg::MpegFile;
    use lofty::musepack::MpcFile;
    use lofty::ogg::{OggPictureStorage, OpusFile, SpeexFile, VorbisFile};
    use lofty::wavpack::WavPackFile;

    let kind = writable_format(path)?;
    let mut opts = ParseOptions::new().read_properties(false);
    if matches!(
        kind,
        FileType::Flac | FileType::Vorbis | FileType::Opus | FileType::Speex
    ) {
        // As the reader does (`media::tags`): lofty's conversion of a
        // Vorbis comment's TRACKNUMBER keeps only the last of several and
        // reorders the other fields, which a write would then keep.
        opts.implicit_conversions(false);
    }
    let mut f = File::open(path).map_err(failed)?;
    let plain = WriteOptions::default();
    let id3 = |t: Option<lofty::id3::v2::Id3v2Tag>, main: bool| -> Result<(), EditError> {
        let t = t.unwrap_or_default();
        let v23 = t.original_version() == Id3v2Version::V3;
        edit_save(
            t,
            edits,
            main,
            path,
            WriteOptions::default().use_id3v23(v23),
        )
    };
    let ape = |t: lofty::ape::ApeTag, main: bool| -> Result<(), EditError> {
        edit_save(strip_ape_art(t, edits), edits, main, path, plain)
    };
    // The file read as its own type (tags only).
    macro_rules! read {
        ($file:ty) => {
            <$file>::read_from(&mut f, opts).map_err(failed)?
        };
    }
    macro_rules! others {
        ($file:expr, $($take:ident),*) => {
            $( if let Some(t) = $file.$take() { edit_save(t, edits, false, path, plain)?; } )*
        };
    }
    // APEv2 as the main tag, with ID3v2 and ID3v1 beside it when present.
    macro_rules! ape_main {
        ($file:ty) => {{
            let mut m = read!($file);
            ape(m.remove_ape().unwrap_or_default(), true)?;
            if let Some(t) = m.remove_id3v2() {
                id3(Some(t), false)?;
            }
            others!(m, remove_id3v1);
        }};
    }
    // Ogg streams: Vorbis comments are the only tag.
    macro_rules! ogg {
        ($file:ty) => {{
            let mut m = read!($file);
            edit_save(m.remove_vorbis_comments(), edits, true, path, plain)?;
        }};
    }
    match kind {
        FileType::Mpeg => {
            let mut m = read!(MpegFile);
            id3(m.remove_id3v2(), true)?;
            if let Some(t) = m.remove_ape() {
                ape(t, false)?;
            }
            others!(m, remove_id3v1);
        }
        FileType::Flac => {
            let mut m = read!(FlacFile);
            let mut vc = m.remove_vorbis_comments().unwrap_or_default();
            // lofty keeps a FLAC's PICTURE blocks in the file, not in its
            // Vorbis comment, and saving the comment alone rewrites the
            // metadata without them: carry them over, as they were.
            for (pic, info) in m.pictures() {
                vc.insert_picture(pic.clone(), Some(*info))
                    .map_err(failed)?;
            }
            edit_save(vc, edits, true, path, plain)?;
            if let Some(t) = m.remove_id3v2() {
                id3(Some(t), false)?;
            }
        }
        FileType::Vorbis => ogg!(VorbisFile),
        FileType::Opus => ogg!(OpusFile),
        FileType::Speex => ogg!(SpeexFile),
        FileType::Mp4 => {
            let mut m = read!(Mp4File);
            edit_save(
                m.remove_ilst().unwrap_or_default(),
                edits,
                true,
                path,
                plain,
            )?;
        }
        FileType::Wav => {
            let mut m = read!(WavFile);
            let info = m.remove_riff_info();
            let had_info = info.is_some();
            if let Some(t) = info {
                edit_save(t, edits, false, path, plain)?;
            }
            // Pictures live in the ID3v2 chunk (RIFF INFO has none).
            let wants_art = matches!(edits.art, Some(ArtEdit::Front { .. }));
            match m.remove_id3v2() {
                Some(t) => id3(Some(t), true)?,
                None if !had_info || wants_art => id3(None, true)?,
                None => {}
            }
        }
        FileType::Aiff => {
            let mut m = read!(AiffFile);
            let chunks = m.remove_text_chunks();
            id3(m.remove_id3v2(), true)?;
            if let Some(t) = chunks {
                edit_save(t, edits, false, path, plain)
                    .map_err(|e| failed(format!("AIFF text chunks: {e}")))?;
            }
        }
        FileType::Ape => ape_main!(ApeFile),
        FileType::WavPack => {
            let mut m = read!(WavPackFile);
            ape(m.remove_ape().unwrap_or_default(), true)?;
            others!(m, remove_id3v1);
        }
        FileType::Mpc => ape_main!(MpcFile),
        _ => return Err(EditError::Unsupported(format!("{kind:?}"))),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_one_name_both_ways() {
        for name in TagField::names() {
            assert_eq!(TagField::parse(name).unwrap().name(), name);
        }
        assert_eq!(TagField::parse("titel"), None);
        assert!(TagField::Year.is_number() && !TagField::Title.is_number());
    }

    #[test]
    fn a_generic_tag_gets_the_values_and_loses_the_removed_fields() {
        let mut tag = Tag::new(lofty::tag::TagType::VorbisComments);
        tag.insert_text(ItemKey::TrackTitle, "Old".into());
        tag.insert_text(ItemKey::Year, "1999".into());
        tag.set_track(3);
        apply_fields(
            &mut tag,
            &[
                (TagField::Title, Some("New".into())),
                (TagField::Year, None),
                (TagField::Track, Some("7".into())),
            ],
        );
        assert_eq!(tag.title().as_deref(), Some("New"));
        assert_eq!(tag.get_string(ItemKey::Year), None);
        assert_eq!(tag.track(), Some(7));
    }

    #[test]
    fn a_number_kept_with_its_total_keeps_the_total_when_edited() {
        let mut tag = Tag::new(lofty::tag::TagType::VorbisComments);
        tag.insert_text(ItemKey::TrackNumber, "3/12".into());
        apply_fields(&mut tag, &[(TagField::Track, Some("7".into()))]);
        assert_eq!(tag.get_string(ItemKey::TrackNumber), Some("7"));
        assert_eq!(tag.get_string(ItemKey::TrackTotal), Some("12"));
        let mut tag = Tag::new(lofty::tag::TagType::VorbisComments);
        tag.insert_text(ItemKey::DiscNumber, "1/2".into());
        apply_fields(&mut tag, &[(TagField::DiscTotal, Some("3".into()))]);
        assert_eq!(tag.get_string(ItemKey::DiscNumber), Some("1"));
        assert_eq!(tag.get_string(ItemKey::DiscTotal), Some("3"));
    }

    /// A write into each generated format keeps the audio (its
    /// `audio_hash`), reads back as written, and leaves untouched fields.
    #[test]
    fn written_fields_read_back_and_the_audio_is_kept() {
        use crate::export::encode::{encode_flac, encode_mp3, encode_wav, Mp3Rate};
        use crate::media::test_audio::{pcm, pcm16, write};
        use crate::media::{read_media, ReadOptions};
        let dir = tempfile::tempdir().unwrap();
        let s = pcm16(3, 4.0);
        let files = [
            write(dir.path(), "a.flac", &encode_flac(pcm(&s)).unwrap()),
            write(dir.path(), "a.wav", &encode_wav(pcm(&s)).unwrap()),
            write(
                dir.path(),
                "a.mp3",
                &encode_mp3(pcm(&s), Mp3Rate::Cbr(128)).unwrap(),
            ),
        ];
        let opts = ReadOptions::fingerprinting(false);
        for p in &files {
            write_fields(p, &[(TagField::Album, Some("Keep".into()))]).unwrap();
            let before = read_media(p, &opts).unwrap();
            let edits = [
                (TagField::Title, Some("Ünïcode / title".into())),
                (TagField::Track, Some("7".into())),
                (TagField::Year, Some("1987".into())),
            ];
            write_fields(p, &edits).unwrap();
            let after = read_media(p, &opts).unwrap();
            let name = p.display();
            assert_eq!(before.audio_hash, after.audio_hash, "{name}");
            assert!(after.audio_hash.is_some(), "{name}");
            assert_eq!(
                after.tags.title.as_deref(),
                Some("Ünïcode / title"),
                "{name}"
            );
            assert_eq!(
                (after.tags.track, after.tags.year),
                (Some(7), Some(1987)),
                "{name}"
            );
            assert_eq!(after.tags.album.as_deref(), Some("Keep"), "{name}");
            write_fields(p, &[(TagField::Title, None), (TagField::Year, None)]).unwrap();
            let removed = read_media(p, &opts).unwrap();
            assert_eq!(
                (removed.tags.title, removed.tags.year),
                (None, None),
                "{name}"
            );
            assert_eq!(removed.tags.track, Some(7), "{name}");
        }
    }

    #[test]
    fn a_format_lofty_cannot_write_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("notes.txt");
        std::fs::write(&p, b"just text, no audio at all").unwrap();
        let e = write_fields(&p, &[(TagField::Title, Some("x".into()))]).unwrap_err();
        assert!(
            matches!(e, EditError::Unsupported(_) | EditError::Failed(_)),
            "{e}"
        );
    }
}

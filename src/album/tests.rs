//! Unit tests for album grouping, album fields, the audit, and the
//! `%aunique{}` disambiguator.

use super::check::{check, FindingKind};
use super::*;

/// A track at `path` with album, artist, disc and track number (also
/// for the template tests).
pub(crate) fn t(
    id: i64,
    path: &str,
    album: &str,
    artist: &str,
    disc: Option<i64>,
    track: i64,
) -> Track {
    let mut t = Track {
        id,
        path: path.into(),
        ..Track::default()
    };
    t.tags.album = Some(album.into());
    t.tags.artist = Some(artist.into());
    t.tags.disc = disc;
    t.tags.track = Some(track);
    t.tags.title = Some(format!("{album} {} {track}", disc.unwrap_or(1)));
    t.props.format = Some("flac".into());
    t
}

fn names(albums: &[Album]) -> Vec<(String, String, usize)> {
    albums
        .iter()
        .map(|a| (a.albumartist.clone(), a.album.clone(), a.tracks.len()))
        .collect()
}

#[test]
fn one_artist_albums_compilations_and_singletons() {
    let mut single = t(9, "/m/loose.mp3", "", "Solo", None, 1);
    single.tags.album = None;
    let albums = group(vec![
        t(1, "/m/a/1.flac", "Low", "Bowie", None, 1),
        t(2, "/m/a/2.flac", "Low", "Bowie", None, 2),
        t(3, "/m/v/1.flac", "Hits", "X", None, 1),
        t(4, "/m/v/2.flac", "Hits", "Y", None, 2),
        single,
    ]);
    assert_eq!(
        names(&albums),
        [
            ("Bowie".into(), "Low".into(), 2),
            (VARIOUS_ARTISTS.into(), "Hits".into(), 2)
        ]
    );
    assert!(!albums[0].comp && albums[1].comp);
}

/// The discs of a release in CD1/ and CD2/ are one album; two copies of
/// one album in two folders are two, told apart by `%aunique{}`.
#[test]
fn discs_in_folders_join_and_copies_stay_apart() {
    let albums = group(vec![
        t(1, "/m/x/CD1/1.flac", "Set", "A", Some(1), 1),
        t(2, "/m/x/CD2/1.flac", "Set", "A", Some(2), 1),
        t(3, "/m/backup/Set/1.flac", "Set", "A", Some(1), 1),
        t(4, "/m/backup/Set/2.flac", "Set", "A", Some(2), 1),
    ]);
    assert_eq!(albums.len(), 2, "{:?}", names(&albums));
    let joined = albums.iter().find(|a| a.id == 1).unwrap();
    assert_eq!(joined.folder, Path::new("/m/x"));
    assert_eq!(joined.disc_numbers().len(), 2);
    assert!(joined.multidisc());
    let index = AlbumIndex::new(albums);
    let spec = Aunique::default();
    assert_eq!(index.aunique(1, &spec), " [1]");
    assert_eq!(index.aunique(2, &spec), " [1]");
    assert_eq!(index.aunique(3, &spec), " [2]");
    assert_eq!(index.aunique(99, &spec), "");
}

/// `%aunique{}` shows the first disambiguator that tells every peer
/// apart, in the brackets asked for; a unique album gets nothing.
#[test]
fn aunique_picks_the_first_field_that_tells_them_apart() {
    let mut tracks = vec![
        t(1, "/m/a/1.flac", "Hits", "Queen", None, 1),
        t(2, "/m/b/1.flac", "Hits", "Queen", None, 1),
        t(3, "/m/c/1.flac", "Other", "Queen", None, 1),
    ];
    tracks[0].tags.year = Some(1981);
    tracks[1].tags.year = Some(1981);
    tracks[0].tags.label = Some("EMI".into());
    tracks[1].tags.label = Some("Parlophone".into());
    let index = AlbumIndex::new(group(tracks));
    let spec = Aunique::default();
    assert_eq!(index.aunique(1, &spec), " [EMI]");
    assert_eq!(index.aunique(2, &spec), " [Parlophone]");
    assert_eq!(index.aunique(3, &spec), "");
    let plain = Aunique {
        disambiguators: vec!["year".into()],
        open: String::new(),
        close: String::new(),
        ..Aunique::default()
    };
    assert_eq!(index.aunique(2, &plain), " 2");
    let by_album = Aunique {
        keys: vec!["albumartist".into()],
        ..Aunique::default()
    };
    // Keyed on the artist alone, all three are peers: year does not tell
    // them apart (two share 1981, one has none), label does not either.
    assert_eq!(index.aunique(3, &by_album), " [3]");
    assert_eq!(index.album_of(3).map(|a| a.album.as_str()), Some("Other"));
}

/// Two "Greatest Hits" by different album artists in one folder.
#[test]
fn one_folder_two_album_artists_is_two_albums() {
    let mut a = t(1, "/m/dl/1.mp3", "Greatest Hits", "ABBA", None, 1);
    a.tags.albumartist = Some("ABBA".into());
    let mut b = t(2, "/m/dl/2.mp3", "Greatest Hits", "Queen", None, 1);
    b.tags.albumartist = Some("Queen".into());
    let mut c = t(3, "/m/dl/3.mp3", "Greatest Hits", "Queen", None, 2);
    c.tags.year = Some(1981);
    let albums = group(vec![a, b, c]);
    assert_eq!(
        names(&albums),
        [
            ("ABBA".into(), "Greatest Hits".into(), 1),
            ("Queen".into(), "Greatest Hits".into(), 2)
        ]
    );
}

#[test]
fn album_fields() {
    let mut a = t(1, "/m/a/1.flac", "Low", "Bowie", Some(1), 1);
    a.tags.tracktotal = Some(3);
    a.props.length = Some(100.0);
    let mut b = t(2, "/m/a/2.mp3", "Low", "Bowie", Some(1), 2);
    b.props.format = Some("mp3".into());
    b.props.length = Some(50.5);
    let album = &group(vec![a, b])[0];
    assert_eq!(album.field("tracks"), Some(FieldValue::Int(2)));
    assert_eq!(album.field("albumtotal"), Some(FieldValue::Int(3)));
    assert_eq!(album.field("length"), Some(FieldValue::Float(150.5)));
    assert_eq!(
        album.field("format"),
        Some(FieldValue::Text("mixed".into()))
    );
    assert_eq!(album.to_json()["track_ids"], serde_json::json!([1, 2]));
}

/// The bar: a missing track, a differing year and mixed art give
/// exactly those three findings.
#[test]
fn a_missing_track_a_differing_year_and_mixed_art_are_three_findings() {
    let mut tracks = Vec::new();
    for n in [1, 2, 4] {
        let mut x = t(n, &format!("/m/a/{n}.flac"), "Low", "Bowie", None, n);
        x.tags.tracktotal = Some(4);
        x.tags.year = Some(if n == 4 { 1978 } else { 1977 });
        x.props.samplerate = Some(44100);
        x.art = n != 2;
        x.art_hash = x.art.then_some([7; 32]);
        tracks.push(x);
    }
    let album = &group(tracks)[0];
    let found = check(album);
    let kinds: Vec<FindingKind> = found.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            FindingKind::MissingTracks,
            FindingKind::DifferingYear,
            FindingKind::ArtMissing
        ]
    );
    assert_eq!(found[0].to_string(), "missing-tracks: 3 of 4");
    assert_eq!(
        found[1].to_string(),
        "differing-year: 1977 (2 tracks), 1978 (1 track)"
    );
    assert_eq!(found[1].fix, Some(("year", "1977".to_string())));
    assert_eq!(
        found[2].to_string(),
        "art-missing: 1 of 3 tracks have no art"
    );
}

#[test]
fn duplicate_numbers_and_a_missing_disc() {
    let mut a = t(1, "/m/a/1.flac", "Set", "A", Some(1), 1);
    a.tags.disctotal = Some(3);
    let b = t(2, "/m/a/1b.flac", "Set", "A", Some(1), 1);
    let c = t(3, "/m/a/2.flac", "Set", "A", Some(3), 1);
    let found: Vec<String> = check(&group(vec![a, b, c])[0])
        .iter()
        .map(|f| f.to_string())
        .collect();
    assert_eq!(
        found,
        ["duplicate-numbers: 1 on disc 1", "missing-disc: 2 of 3"]
    );
}

//! Generates a synthetic music library for the benchmarks (not a timed
//! benchmark itself): `cargo bench --bench gen_library -- DIR COUNT [SECONDS]`.
//! Files are music-like signals (src/media/synth.rs) encoded as FLAC, MP3 and
//! WAV in a artist/album/track layout, with tags, so every scanner has real
//! work to do. Generation is deterministic.
//!
//! `cargo bench --profile dev --bench gen_library -- --fixtures fixtures/` writes the small
//! demo library committed in `fixtures/` (see fixtures/README.md).

use std::path::PathBuf;

use mixtape::export::encode::{encode_flac, encode_mp3, encode_wav, quantize, Mp3Rate, Pcm};
use mixtape::media::synth;
use rayon::prelude::*;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().map(String::as_str) == Some("--fixtures") {
        let dir = PathBuf::from(args.get(1).expect("--fixtures DIR"));
        fixtures(&dir);
        return;
    }
    if args.len() < 2 {
        eprintln!("usage: gen_library DIR COUNT [SECONDS]");
        std::process::exit(1);
    }
    let dir = PathBuf::from(&args[0]);
    let count: usize = args[1].parse().expect("COUNT");
    let secs: f64 = args
        .get(2)
        .map(|s| s.parse().expect("SECONDS"))
        .unwrap_or(20.0);
    // A small pool of distinct signals, re-used with distinct tags/bytes:
    // encoding is the slow part and the scanner hashes every byte anyway.
    let pool: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = (0..24u64)
        .into_par_iter()
        .map(|seed| {
            let s = quantize(&synth::music(seed, secs, 44100, 2), 16);
            let pcm = Pcm {
                samples: &s,
                channels: 2,
                samplerate: 44100,
                bits: 16,
            };
            (
                encode_flac(pcm).expect("flac"),
                encode_mp3(pcm, Mp3Rate::Cbr(192)).expect("mp3"),
                encode_wav(pcm).expect("wav"),
            )
        })
        .collect();
    (0..count).into_par_iter().for_each(|i| {
        let (flac, mp3, wav) = &pool[i % pool.len()];
        let artist = format!("Artist {:03}", i / 100);
        let album = format!("Album {:03}", i / 10);
        let folder = dir.join(&artist).join(&album);
        std::fs::create_dir_all(&folder).expect("mkdir");
        let (ext, bytes) = match i % 10 {
            0..=4 => ("flac", flac),
            5..=8 => ("mp3", mp3),
            _ => ("wav", wav),
        };
        let path = folder.join(format!("{:02} Track {i}.{ext}", i % 10 + 1));
        std::fs::write(&path, bytes).expect("write");
        if ext != "wav" {
            use lofty::tag::ItemKey;
            tag(
                &path,
                &[
                    (ItemKey::TrackTitle, format!("Track {i}")),
                    (ItemKey::TrackArtist, artist.clone()),
                    (ItemKey::AlbumTitle, album.clone()),
                    (ItemKey::TrackNumber, (i % 10 + 1).to_string()),
                    (ItemKey::Year, (1970 + i % 50).to_string()),
                ],
            );
        } else {
            // Make WAV copies distinct files too.
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .expect("open");
            std::io::Write::write_all(&mut f, &(i as u32).to_le_bytes()).expect("append");
        }
    });
    println!("generated {count} files in {}", dir.display());
}

/// Write `items` into the file's primary tag (created if needed).
fn tag(path: &std::path::Path, items: &[(lofty::tag::ItemKey, String)]) {
    use lofty::config::WriteOptions;
    use lofty::file::TaggedFileExt;
    use lofty::prelude::*;
    use lofty::tag::Tag;
    let mut file = lofty::read_from_path(path).expect("read");
    let tt = file.primary_tag_type();
    if file.tag(tt).is_none() {
        file.insert_tag(Tag::new(tt));
    }
    let tag = file.tag_mut(tt).expect("tag");
    for (key, value) in items {
        tag.insert_text(*key, value.clone());
    }
    tag.save_to_path(path, WriteOptions::default())
        .expect("save");
}

/// The tiny demo library in `fixtures/`: two albums and a single, 4 s each,
/// 22.05 kHz mono, in FLAC, MP3 and WAV.
fn fixtures(dir: &std::path::Path) {
    let tracks: &[(&str, &str, &str, usize, &str)] = &[
        ("The Synthetics", "Signals", "Opening Chord", 1, "flac"),
        ("The Synthetics", "Signals", "Second Motion", 2, "flac"),
        ("The Synthetics", "Signals", "Closing Theme", 3, "mp3"),
        ("Noise Ensemble", "Static Bloom", "First Light", 1, "mp3"),
        ("Noise Ensemble", "Static Bloom", "Évasion", 2, "flac"),
        ("Solo Artist", "", "A Single", 0, "wav"),
    ];
    for (i, (artist, album, title, track, ext)) in tracks.iter().enumerate() {
        let s = quantize(&synth::music(100 + i as u64, 4.0, 22050, 1), 16);
        let pcm = Pcm {
            samples: &s,
            channels: 1,
            samplerate: 22050,
            bits: 16,
        };
        let bytes = match *ext {
            "flac" => encode_flac(pcm),
            "mp3" => encode_mp3(pcm, Mp3Rate::Cbr(64)),
            _ => encode_wav(pcm),
        }
        .expect("encode");
        let folder = if album.is_empty() {
            dir.join(artist)
        } else {
            dir.join(artist).join(album)
        };
        std::fs::create_dir_all(&folder).expect("mkdir");
        let name = if *track > 0 {
            format!("{track:02} {title}.{ext}")
        } else {
            format!("{title}.{ext}")
        };
        let path = folder.join(name);
        std::fs::write(&path, bytes).expect("write");
        if *ext != "wav" {
            use lofty::tag::ItemKey;
            tag(
                &path,
                &[
                    (ItemKey::TrackTitle, title.to_string()),
                    (ItemKey::TrackArtist, artist.to_string()),
                    (ItemKey::AlbumTitle, album.to_string()),
                    (ItemKey::AlbumArtist, artist.to_string()),
                    (ItemKey::TrackNumber, track.to_string()),
                    (ItemKey::Year, "2026".to_string()),
                    (ItemKey::Genre, "Electronic".to_string()),
                ],
            );
        }
    }
    println!("wrote fixtures to {}", dir.display());
}

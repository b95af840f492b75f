//! Integration tests for `mixtape modify` and `mixtape undo` after it
//! (issue 14): the files' bytes are checked directly (undo gives them back
//! byte for byte), their tags with lofty, and the library through `ls`.

use std::os::unix::fs::PermissionsExt;

use lofty::file::TaggedFileExt;

use crate::support::*;

#[test]
fn modify_writes_the_files_and_undo_gives_back_every_byte() {
    let env = TestEnv::new();
    let a = env.flac("m/a.flac", 1, 1.0);
    let b = env.mp3("m/b.mp3", 2, 1.0);
    let c = env.wav("m/c.wav", 3, 1.0);
    for (p, t) in [(&a, "A"), (&b, "B"), (&c, "C")] {
        set_tags(p, &[("title", t), ("artist", "Band"), ("genre", "Pop")]);
    }
    let before: Vec<Vec<u8>> = [&a, &b, &c]
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    env.run(["scan", "--no-fingerprint", "m"]).ok();
    let dry = env
        .run(["modify", "--dry-run", "artist:Band", "genre=Jazz", "title!"])
        .ok();
    let m = env.root().join("m");
    let expected: String = ["a.flac", "b.mp3", "c.wav"]
        .iter()
        .zip(["A", "B", "C"])
        .map(|(f, t)| {
            let p = m.join(f);
            format!(
                "{}: genre: \"Pop\" -> \"Jazz\"\n{}: title: \"{t}\" -> (none)\n",
                p.display(),
                p.display()
            )
        })
        .collect();
    dry.assert_stdout(&expected);
    dry.assert_stderr("dry run: would modify 3 files; nothing changed\n");
    assert_eq!(
        std::fs::read(&a).unwrap(),
        before[0],
        "a dry run writes nothing"
    );

    let run = env
        .run(["modify", "artist:Band", "genre=Jazz", "title!"])
        .ok();
    run.assert_stdout(&expected);
    run.assert_stderr("modified 3 files; undo with `mixtape undo` (operation 1)\n");
    for p in [&a, &b, &c] {
        let tagged = lofty::read_from_path(p).unwrap();
        let tag = tagged.primary_tag().unwrap();
        use lofty::tag::Accessor;
        assert_eq!(tag.genre().as_deref(), Some("Jazz"), "{}", p.display());
        assert_eq!(tag.title(), None, "{}", p.display());
        assert_eq!(tag.artist().as_deref(), Some("Band"), "{}", p.display());
    }
    env.run(["ls", "-f", "$genre|$title", "artist:Band"])
        .ok()
        .assert_stdout("Jazz|\nJazz|\nJazz|\n");
    // The library already holds what the files say: a rescan changes nothing.
    let rescan = env.run(["scan", "--no-fingerprint", "m"]).ok();
    let said = format!("{}{}", rescan.stdout, rescan.stderr);
    assert!(said.contains("changed 0, unchanged 3"), "{said}");

    env.run(["undo"]).ok();
    for (p, old) in [&a, &b, &c].iter().zip(&before) {
        assert!(
            std::fs::read(p).unwrap() == *old,
            "{} is not as before",
            p.display()
        );
    }
    env.run(["ls", "-f", "$genre|$title", "artist:Band"])
        .ok()
        .assert_stdout("Pop|A\nPop|B\nPop|C\n");
}

#[test]
fn files_that_cannot_be_changed_are_reported_and_the_rest_go_on() {
    let env = TestEnv::new();
    let ok = env.flac("m/ok.flac", 1, 0.5);
    let ro = env.flac("m/ro.flac", 2, 0.5);
    let changed = env.flac("m/changed.flac", 3, 0.5);
    env.run(["scan", "--no-fingerprint", "m"]).ok();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o444)).unwrap();
    set_tags(&changed, &[("title", "edited by hand")]);
    let r = env.run(["modify", "genre=Jazz"]).expect_code(2);
    let changed_line = format!(
        "{}: changed since the last scan (size or contents differ); run `mixtape scan` first",
        changed.display()
    );
    let ro_line = format!("{}: read-only file; not modified", ro.display());
    assert_eq!(
        r.stderr,
        format!("{changed_line}\n{ro_line}\nmodified 1 file; 2 not modified (see above); undo with `mixtape undo` (operation 1)\n"),
    );
    r.assert_stdout(&format!("{}: genre: (none) -> \"Jazz\"\n", ok.display()));
    // Bad words are refused before anything is written.
    let bad = env.run(["modify", "year=soon"]).expect_code(1);
    assert!(
        bad.stderr.contains("year takes a whole number"),
        "{}",
        bad.stderr
    );
}

/// A tag write keeps what it was not asked to change: the embedded cover
/// of a FLAC (a PICTURE block, outside the Vorbis comment) and of an MP3
/// (an APIC frame) is still there, byte for byte, read with lofty.
#[test]
fn modify_keeps_embedded_art() {
    let env = TestEnv::new();
    let a = env.flac("m/a.flac", 1, 1.0);
    let b = env.mp3("m/b.mp3", 2, 1.0);
    let cover = jpeg(false, 8, 8);
    for p in [&a, &b] {
        set_tags(p, &[("title", "T"), ("artist", "Band")]);
        add_cover(p, cover.clone());
    }
    env.run(["scan", "--no-fingerprint", "m"]).ok();
    env.run(["modify", "artist:Band", "genre=Jazz"]).ok();
    for p in [&a, &b] {
        let tagged = lofty::read_from_path(p).unwrap();
        let pics: Vec<Vec<u8>> = tagged
            .tags()
            .iter()
            .flat_map(|t| t.pictures().iter().map(|p| p.data().to_vec()))
            .collect();
        assert_eq!(pics, vec![cover.clone()], "{}", p.display());
    }
}

/// `modify` then `undo` on files other taggers wrote, one per writable
/// format (mediafile's test corpus: Ogg Vorbis, Opus, M4A AAC and ALAC,
/// AIFF, APE, WavPack, Musepack, FLAC, MP3, WAV): the edit reads back
/// with lofty, the audio hash is kept, and undo gives every file back
/// byte for byte. WMA and DSF are refused by name and left alone; so is
/// this AIFF, whose ID3 chunk lofty 0.25 fails to rewrite (the write goes
/// to a temporary copy, so the file is untouched and the error said once).
#[test]
fn modify_and_undo_on_every_writable_format_of_the_corpus() {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(corpus) = [
        "../shared/corpus/mediafile",
        "../../shared/corpus/mediafile",
    ]
    .iter()
    .map(|rel| manifest.join(rel))
    .find(|p| p.is_dir()) else {
        eprintln!("skipped: ../shared/corpus/mediafile is absent");
        return;
    };
    let env = TestEnv::new();
    let writable = [
        "ogg", "opus", "m4a", "alac.m4a", "ape", "wv", "mpc", "flac", "mp3", "wav",
    ];
    let mut files = Vec::new();
    for ext in writable.iter().chain(&["wma", "dsf", "aiff"]) {
        let src = corpus.join(format!("full.{ext}"));
        let dst = env.path(&format!(
            "m/full-{}.{}",
            ext.replace('.', "-"),
            ext.rsplit('.').next().unwrap()
        ));
        std::fs::copy(&src, &dst).unwrap();
        // The corpus is read-only; the copies are the user's files.
        std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o644)).unwrap();
        files.push(dst);
    }
    let before: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    env.run(["scan", "--no-fingerprint", "m"]).ok();
    let audio = env.run(["ls", "-f", "$path $audio_hash"]).ok().stdout;
    let r = env
        .run(["modify", "--yes", "genre=Corpus Test"])
        .expect_code(2);
    let m = env.root().join("m");
    assert!(
        r.stderr.contains(&format!(
            "{}: cannot write tags to WMA\n",
            m.join("full-wma.wma").display()
        )) && r.stderr.contains(&format!(
            "{}: cannot write tags to DSF\n",
            m.join("full-dsf.dsf").display()
        )) && r.stderr.contains(&format!(
            "{}: cannot write tags: failed to write Aiff file\n",
            m.join("full-aiff.aiff").display()
        )) && r.stderr.contains(&format!(
            "modified {} files; 3 not modified",
            writable.len()
        )),
        "{}",
        r.stderr
    );
    for p in &files[..writable.len()] {
        use lofty::tag::Accessor;
        let tagged = lofty::read_from_path(p).unwrap();
        let genre = tagged
            .primary_tag()
            .and_then(|t| t.genre().map(|g| g.to_string()));
        assert_eq!(genre.as_deref(), Some("Corpus Test"), "{}", p.display());
    }
    undo_gives_back(&env, &audio, &files, &before);
}

/// `modify` then `undo` on the committed files ffmpeg tagged
/// (fixtures/formats/make.sh: Ogg Vorbis, Opus, M4A AAC and ALAC, AIFF,
/// WavPack): the edit and the removal read back with lofty, the audio
/// hash is kept, and undo gives every file back byte for byte.
#[test]
fn modify_and_undo_on_the_generated_formats() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/formats");
    let env = TestEnv::new();
    let mut files = Vec::new();
    for name in [
        "tone.ogg",
        "tone.opus",
        "tone.m4a",
        "tone-alac.m4a",
        "tone.aiff",
        "tone.wv",
    ] {
        let dst = env.path(&format!("m/{name}"));
        std::fs::copy(dir.join(name), &dst).unwrap();
        files.push(dst);
    }
    let before: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    env.run(["scan", "--no-fingerprint", "m"]).ok();
    env.run(["ls", "-f", "$genre|$title"])
        .ok()
        .assert_stdout(&"Test|Tone\n".repeat(files.len()));
    let audio = env.run(["ls", "-f", "$path $audio_hash"]).ok().stdout;
    env.run(["modify", "genre=Jazz", "title!"])
        .ok()
        .assert_stderr(&format!(
            "modified {} files; undo with `mixtape undo` (operation 1)\n",
            files.len()
        ));
    for p in &files {
        use lofty::tag::Accessor;
        let tagged = lofty::read_from_path(p).unwrap();
        let tag = tagged.primary_tag().unwrap();
        assert_eq!(tag.genre().as_deref(), Some("Jazz"), "{}", p.display());
        assert_eq!(tag.title(), None, "{}", p.display());
        assert_eq!(tag.artist().as_deref(), Some("Maker"), "{}", p.display());
    }
    undo_gives_back(&env, &audio, &files, &before);
}

/// The audio hashes are still `audio`; then `undo` gives every file back
/// as `before`.
fn undo_gives_back(env: &TestEnv, audio: &str, files: &[std::path::PathBuf], before: &[Vec<u8>]) {
    assert_eq!(
        env.run(["ls", "-f", "$path $audio_hash"]).ok().stdout,
        audio
    );
    env.run(["undo"]).ok();
    for (p, old) in files.iter().zip(before) {
        assert!(
            std::fs::read(p).unwrap() == *old,
            "{} is not as before",
            p.display()
        );
    }
}

/// An ID3v2.3 tag stays v2.3 (what car stereos and Windows read), and
/// undo gives the file back byte for byte.
#[test]
fn an_id3v23_tag_stays_v23() {
    use lofty::config::WriteOptions;
    use lofty::tag::{Accessor, Tag, TagExt, TagType};
    let env = TestEnv::new();
    let p = env.mp3("m/a.mp3", 1, 1.0);
    let mut tag = Tag::new(TagType::Id3v2);
    tag.set_title("Old".into());
    tag.set_artist("Band".into());
    tag.save_to_path(&p, WriteOptions::default().use_id3v23(true))
        .unwrap();
    let before = std::fs::read(&p).unwrap();
    assert_eq!(&before[..4], b"ID3\x03");
    env.run(["scan", "--no-fingerprint", "m"]).ok();
    let audio = env.run(["ls", "-f", "$path $audio_hash"]).ok().stdout;
    env.run(["modify", "title=New"]).ok();
    let after = std::fs::read(&p).unwrap();
    assert_eq!(&after[..4], b"ID3\x03", "still ID3v2.3");
    let tagged = lofty::read_from_path(&p).unwrap();
    assert_eq!(
        tagged.primary_tag().unwrap().title().as_deref(),
        Some("New")
    );
    undo_gives_back(&env, &audio, &[p], &[before]);
}

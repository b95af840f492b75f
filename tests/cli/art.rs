//! Integration tests for `mixtape art embed|extract|clear` (issue 14,
//! item 2): pictures are read back with lofty, images with `image`, and
//! undo is checked byte for byte.

use std::path::Path;

use lofty::file::TaggedFileExt;

use crate::support::*;

/// Every embedded picture of a file, as (type, bytes), read with lofty.
fn pictures(p: &Path) -> Vec<(lofty::picture::PictureType, Vec<u8>)> {
    let tagged = lofty::read_from_path(p).unwrap();
    tagged
        .tags()
        .iter()
        .flat_map(|t| {
            t.pictures()
                .iter()
                .map(|p| (p.pic_type(), p.data().to_vec()))
        })
        .collect()
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 7]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn audio_hashes(env: &TestEnv) -> String {
    env.run(["ls", "-f", "$audio_hash"]).ok().stdout
}

#[test]
fn embed_with_max_size_then_undo_gives_back_every_byte() {
    let env = TestEnv::new();
    let a = env.flac("m/a/1.flac", 1, 1.0);
    let b = env.mp3("m/a/2.mp3", 2, 1.0);
    for p in [&a, &b] {
        set_tags(p, &[("title", "T"), ("artist", "Band"), ("album", "Al")]);
    }
    add_cover(&b, jpeg(false, 8, 8));
    std::fs::write(env.path("big.png"), png(1200, 600)).unwrap();
    env.run(["scan", "--no-fingerprint", "m"]).ok();
    let before: Vec<Vec<u8>> = [&a, &b].iter().map(|p| std::fs::read(p).unwrap()).collect();
    let audio = audio_hashes(&env);

    let dry = env
        .run([
            "art",
            "embed",
            "--from",
            "big.png",
            "--max-size",
            "300",
            "--dry-run",
        ])
        .ok();
    let m = env.root().join("m/a");
    let lines: Vec<String> = dry.stdout.lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 2, "{}", dry.stdout);
    assert!(
        lines[0].starts_with(&format!(
            "{}: art: (none) -> JPEG 300x150, ",
            m.join("1.flac").display()
        )),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with(&format!(
            "{}: art: embedded -> JPEG 300x150, ",
            m.join("2.mp3").display()
        )),
        "{}",
        lines[1]
    );
    dry.assert_stderr("dry run: would modify 2 files; nothing changed\n");
    assert_eq!(std::fs::read(&a).unwrap(), before[0]);

    env.run(["art", "embed", "--from", "big.png", "--max-size", "300"])
        .ok()
        .assert_stderr("modified 2 files; undo with `mixtape undo` (operation 1)\n");
    for p in [&a, &b] {
        let pics = pictures(p);
        assert_eq!(
            pics.len(),
            1,
            "the cover replaces every picture: {}",
            p.display()
        );
        assert_eq!(pics[0].0, lofty::picture::PictureType::CoverFront);
        let img = image::load_from_memory(&pics[0].1).unwrap();
        assert_eq!((img.width(), img.height()), (300, 150));
    }
    assert_eq!(audio_hashes(&env), audio, "the audio is untouched");
    env.run(["ls", "-f", "$art"])
        .ok()
        .assert_stdout("true\ntrue\n");
    // Embedding the same cover again changes nothing.
    env.run(["art", "embed", "--from", "big.png", "--max-size", "300"])
        .ok()
        .assert_stderr("modified 0 files\n");

    env.run(["undo"]).ok();
    for (p, old) in [&a, &b].iter().zip(&before) {
        assert!(
            std::fs::read(p).unwrap() == *old,
            "{} is not as before",
            p.display()
        );
    }
}

#[test]
fn embed_from_folder_reports_folders_without_a_cover_and_goes_on() {
    let env = TestEnv::new();
    let a = env.flac("m/with/1.flac", 1, 1.0);
    let b = env.flac("m/without/1.flac", 2, 1.0);
    let cover = jpeg(false, 20, 20);
    std::fs::write(env.path("m/with/Cover.JPG"), &cover).unwrap();
    env.run(["scan", "--no-fingerprint", "m"]).ok();
    let r = env.run(["art", "embed", "--from-folder"]).expect_code(2);
    assert_eq!(
        r.stderr,
        format!(
            "{}: no cover image in its folder (cover.jpg, folder.jpg, front.png, ...)\nmodified 1 file; 1 not modified (see above); undo with `mixtape undo` (operation 1)\n",
            b.display()
        )
    );
    assert_eq!(
        pictures(&a),
        vec![(lofty::picture::PictureType::CoverFront, cover)]
    );
    assert!(pictures(&b).is_empty());
}

#[test]
fn extract_writes_one_image_per_album_and_clear_removes_the_art() {
    let env = TestEnv::new();
    let cover = jpeg(false, 12, 12);
    let mut files = Vec::new();
    for n in 1..=2 {
        let p = env.flac(&format!("m/{n}.flac"), n, 1.0);
        set_tags(
            &p,
            &[("title", "T"), ("artist", "Band"), ("album", "Al/bum")],
        );
        add_cover(&p, cover.clone());
        files.push(p);
    }
    env.run(["scan", "--no-fingerprint", "m"]).ok();
    let to = env.root().canonicalize().unwrap().join("covers");
    let r = env.run(["art", "extract", "--to", "covers"]).ok();
    let img = to.join("Band - Al_bum.jpg");
    r.assert_stdout(&format!(
        "{} -> {}\n",
        files[0].canonicalize().unwrap().display(),
        img.display()
    ));
    assert_eq!(std::fs::read(&img).unwrap(), cover);
    env.run(["undo"]).ok();
    assert!(!img.exists(), "undo removes what extract wrote");

    let before: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    env.run(["art", "clear", "--yes"]).ok();
    for p in &files {
        assert!(pictures(p).is_empty(), "{}", p.display());
    }
    env.run(["ls", "-f", "$art|$title"])
        .ok()
        .assert_stdout("false|T\nfalse|T\n");
    env.run(["undo"]).ok();
    for (p, old) in files.iter().zip(&before) {
        assert!(std::fs::read(p).unwrap() == *old, "{}", p.display());
    }
}

#[test]
fn bad_covers_and_sizes_are_clear_errors() {
    let env = TestEnv::new();
    env.flac("m/1.flac", 1, 1.0);
    env.run(["scan", "--no-fingerprint", "m"]).ok();
    std::fs::write(env.path("notes.txt"), "not an image").unwrap();
    let r = env
        .run(["art", "embed", "--from", "notes.txt"])
        .expect_code(1);
    assert!(
        r.stderr.contains("notes.txt: not a JPEG or PNG image"),
        "{}",
        r.stderr
    );
    let r = env
        .run(["art", "embed", "--from", "notes.txt", "--max-size", "4"])
        .expect_code(1);
    assert!(
        r.stderr.contains("--max-size: 4 pixels is too small"),
        "{}",
        r.stderr
    );
    let r = env.run(["art", "embed"]).expect_code(1);
    assert!(r.stderr.contains("--from"), "{}", r.stderr);
}

//! The `TestEnv` helper for integration tests: a temporary folder with its
//! own library, a way to run the real `mixtape` binary in it, and generators
//! for audio fixtures (music-like signals encoded to WAV, FLAC and MP3, with
//! tags written by lofty). Nothing here needs the network or ffmpeg.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mixtape::export::encode::{self, Mp3Rate, Pcm};
use mixtape::media::synth;

/// A temporary folder with a library inside.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub library: PathBuf,
}

/// The result of running the binary, with stdout/stderr as text.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panic with both streams unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code {} (wanted {code})\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
    /// Panic unless the command exited 0.
    #[track_caller]
    pub fn ok(self) -> Run {
        self.expect_code(0)
    }
    /// stdout lines.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
    /// stdout parsed as one JSON value per line.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
            .collect()
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl TestEnv {
    /// A fresh temporary folder and library path.
    pub fn new() -> TestEnv {
        let dir = tempfile::tempdir().expect("tempdir");
        let library = dir.path().join("library.db");
        TestEnv { dir, library }
    }

    /// The temporary folder.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the temporary folder (parents created).
    pub fn path(&self, rel: &str) -> PathBuf {
        let p = self.dir.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        p
    }

    /// A `mixtape` command with `--library` set, run in the temp folder.
    pub fn cmd(&self) -> Command {
        self.cmd_on(&self.library)
    }

    /// A `mixtape` command on another library file, run in the temp folder.
    pub fn cmd_on(&self, library: &Path) -> Command {
        let mut c = self.cmd_bare();
        c.arg("--library").arg(library);
        c
    }

    /// A `mixtape` command without `--library`, run in the temp folder:
    /// no `MIXTAPE_*` variables, and the XDG data and config folders inside
    /// the temp folder (so the real user's config is never read).
    pub fn cmd_bare(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mixtape"));
        c.current_dir(self.dir.path())
            .env_remove("MIXTAPE_LIBRARY")
            .env_remove("MIXTAPE_CONFIG")
            .env("XDG_DATA_HOME", self.dir.path().join("xdg"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg-config"));
        c
    }

    /// Run `mixtape ARGS...` and capture its output.
    pub fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd().args(args).output().expect("run mixtape").into()
    }

    /// Run `mixtape ARGS...`, killing it and failing the test if it has
    /// not finished within `secs` seconds (a hang is a bug, not a wait).
    #[track_caller]
    pub fn run_within<I, S>(&self, secs: u64, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        use std::process::Stdio;
        let mut child = self
            .cmd()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run mixtape");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        // Drain both pipes on threads, so a chatty child cannot block on them.
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let t_out = std::thread::spawn(move || {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut out, &mut v).ok();
            v
        });
        let t_err = std::thread::spawn(move || {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut err, &mut v).ok();
            v
        });
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("mixtape did not finish within {secs} s");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        Output {
            status,
            stdout: t_out.join().unwrap(),
            stderr: t_err.join().unwrap(),
        }
        .into()
    }

    /// Write a WAV of the music-like signal `seed`.
    pub fn wav(&self, rel: &str, seed: u64, secs: f64) -> PathBuf {
        self.write_audio(rel, &Fixture::new(seed, secs), Kind::Wav)
    }

    /// Write a FLAC of the music-like signal `seed`.
    pub fn flac(&self, rel: &str, seed: u64, secs: f64) -> PathBuf {
        self.write_audio(rel, &Fixture::new(seed, secs), Kind::Flac)
    }

    /// Write an MP3 (CBR 192k) of the music-like signal `seed`.
    pub fn mp3(&self, rel: &str, seed: u64, secs: f64) -> PathBuf {
        self.write_audio(rel, &Fixture::new(seed, secs), Kind::Mp3(Mp3Rate::Cbr(192)))
    }

    /// Write any fixture in any of the encodable kinds.
    pub fn write_audio(&self, rel: &str, f: &Fixture, kind: Kind) -> PathBuf {
        let p = self.path(rel);
        std::fs::write(&p, f.encode(kind)).unwrap();
        p
    }
}

/// Which encoder to use for a fixture.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Wav,
    Flac,
    Mp3(Mp3Rate),
}

/// A music-like signal description.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub seed: u64,
    pub secs: f64,
    pub samplerate: u32,
    pub channels: u16,
    pub bits: u16,
    /// Linear gain applied to the signal.
    pub gain: f32,
    /// Seconds cut from the start.
    pub trim_start: f64,
}

impl Fixture {
    /// 44.1 kHz, 16-bit stereo.
    pub fn new(seed: u64, secs: f64) -> Fixture {
        Fixture {
            seed,
            secs,
            samplerate: 44100,
            channels: 2,
            bits: 16,
            gain: 1.0,
            trim_start: 0.0,
        }
    }

    /// Interleaved integer samples.
    pub fn samples(&self) -> Vec<i32> {
        let mut s = synth::music(self.seed, self.secs, self.samplerate, self.channels);
        let skip = (self.trim_start * self.samplerate as f64) as usize * self.channels as usize;
        s.drain(..skip.min(s.len()));
        for v in &mut s {
            *v *= self.gain;
        }
        encode::quantize(&s, self.bits)
    }

    /// Encoded bytes.
    pub fn encode(&self, kind: Kind) -> Vec<u8> {
        let s = self.samples();
        let pcm = Pcm {
            samples: &s,
            channels: self.channels,
            samplerate: self.samplerate,
            bits: self.bits,
        };
        match kind {
            Kind::Wav => encode::encode_wav(pcm).unwrap(),
            Kind::Flac => encode::encode_flac(pcm).unwrap(),
            Kind::Mp3(rate) => encode::encode_mp3(pcm, rate).unwrap(),
        }
    }
}

/// Write tags into an existing file with lofty (creating the format's
/// primary tag if needed). Fields use beets' names: title, artist, album,
/// albumartist, genre, year, track, tracktotal, disc, disctotal, comments,
/// label, isrc, barcode, and the ReplayGain tags as rg_track_gain,
/// rg_track_peak, rg_album_gain, rg_album_peak.
pub fn set_tags(path: &Path, fields: &[(&str, &str)]) {
    use lofty::config::WriteOptions;
    use lofty::file::TaggedFileExt;
    use lofty::prelude::*;
    use lofty::tag::{ItemKey, Tag};
    let mut file = lofty::probe::Probe::open(path)
        .unwrap()
        .guess_file_type()
        .unwrap()
        .read()
        .unwrap();
    let tag_type = file.primary_tag_type();
    if file.tag(tag_type).is_none() {
        file.insert_tag(Tag::new(tag_type));
    }
    let tag = file.tag_mut(tag_type).unwrap();
    for (k, v) in fields {
        let key = match *k {
            "title" => ItemKey::TrackTitle,
            "artist" => ItemKey::TrackArtist,
            "album" => ItemKey::AlbumTitle,
            "albumartist" => ItemKey::AlbumArtist,
            "genre" => ItemKey::Genre,
            "composer" => ItemKey::Composer,
            "year" => ItemKey::Year,
            "track" => ItemKey::TrackNumber,
            "tracktotal" => ItemKey::TrackTotal,
            "disc" => ItemKey::DiscNumber,
            "disctotal" => ItemKey::DiscTotal,
            "comments" => ItemKey::Comment,
            "label" => ItemKey::Label,
            "isrc" => ItemKey::Isrc,
            "barcode" => ItemKey::Barcode,
            "rg_track_gain" => ItemKey::ReplayGainTrackGain,
            "rg_track_peak" => ItemKey::ReplayGainTrackPeak,
            "rg_album_gain" => ItemKey::ReplayGainAlbumGain,
            "rg_album_peak" => ItemKey::ReplayGainAlbumPeak,
            other => panic!("set_tags: unsupported field {other}"),
        };
        tag.insert_text(key, v.to_string());
    }
    tag.save_to_path(path, WriteOptions::default()).unwrap();
}

/// A real JPEG of w x h; `progressive` relabels its frame as SOF2 (enough
/// for the header checks; the image crate writes baseline only).
pub fn jpeg(progressive: bool, w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 128]));
    let mut d = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut d)
        .encode_image(&img)
        .unwrap();
    if progressive {
        let pos = d.windows(2).position(|x| x == [0xFF, 0xC0]).unwrap();
        d[pos + 1] = 0xC2;
    }
    d
}

/// Embed a front cover into a file with lofty (adding its primary tag).
pub fn add_cover(path: &Path, jpeg_bytes: Vec<u8>) {
    use lofty::config::WriteOptions;
    use lofty::file::TaggedFileExt;
    use lofty::picture::{MimeType, Picture, PictureType};
    use lofty::tag::{Tag, TagExt};
    let mut file = lofty::read_from_path(path).unwrap();
    if file.primary_tag().is_none() {
        file.insert_tag(Tag::new(file.primary_tag_type()));
    }
    let tag = file.primary_tag_mut().unwrap();
    tag.push_picture(
        Picture::unchecked(jpeg_bytes)
            .pic_type(PictureType::CoverFront)
            .mime_type(MimeType::Jpeg)
            .build(),
    );
    tag.save_to_path(path, WriteOptions::default()).unwrap();
}

/// A raw SQLite connection to the test library (created and migrated
/// first when needed), for setting up and inspecting rows the CLI cannot.
/// Foreign keys are on, as in mixtape's own connections.
pub fn db(env: &TestEnv) -> rusqlite::Connection {
    drop(mixtape::Library::open(&env.library).expect("open library"));
    let conn = rusqlite::Connection::open(&env.library).expect("open library database");
    conn.pragma_update(None, "foreign_keys", true).unwrap();
    conn
}

/// Every track of the library at `library` (fingerprints included), in the
/// order of the sort keys `sort` (e.g. `id+`).
pub fn all_tracks(library: &Path, sort: &str) -> Vec<mixtape::Track> {
    let lib = mixtape::Library::open(library).expect("open library");
    let query = mixtape::query::Query::parse_str(sort).expect("sort keys");
    lib.select(&query, mixtape::library::track::Columns::Full)
        .expect("select tracks")
}

/// A static playlist with these tracks, in order.
pub fn add_playlist(env: &TestEnv, name: &str, ids: &[i64]) {
    let lib = db(env);
    lib.execute(
        "INSERT INTO playlists (name, created, modified) VALUES (?1, 0, 0)",
        [name],
    )
    .unwrap();
    let pid = lib.last_insert_rowid();
    for (pos, id) in ids.iter().enumerate() {
        lib.execute(
            "INSERT INTO playlist_entries (playlist_id, position, track_id) VALUES (?1, ?2, ?3)",
            rusqlite::params![pid, pos as i64, id],
        )
        .unwrap();
    }
}

pub fn remove_from_playlist(env: &TestEnv, name: &str, id: i64) {
    let lib = db(env);
    lib.execute(
        "DELETE FROM playlist_entries WHERE track_id = ?1 AND playlist_id = \
             (SELECT id FROM playlists WHERE name = ?2)",
        rusqlite::params![id, name],
    )
    .unwrap();
}

/// Every entry below `dir`, links not followed: relative path -> BLAKE3 of
/// a file, "dir", "link -> target" or "special".
pub fn tree(dir: &Path) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).min_depth(1) {
        let e = e.unwrap();
        let rel = e
            .path()
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let t = e.file_type();
        let v = if t.is_symlink() {
            format!(
                "link -> {}",
                std::fs::read_link(e.path()).unwrap().display()
            )
        } else if t.is_dir() {
            "dir".to_string()
        } else if t.is_file() {
            blake3::hash(&std::fs::read(e.path()).unwrap())
                .to_hex()
                .to_string()
        } else {
            // A FIFO: never opened (that would hang).
            "special".to_string()
        };
        m.insert(rel, v);
    }
    m
}

/// Files (not folders) below `dir`, relative.
pub fn files(dir: &Path) -> Vec<String> {
    tree(dir)
        .into_iter()
        .filter(|(_, v)| v != "dir")
        .map(|(k, _)| k)
        .collect()
}

/// Exact-output asserts, as fd's `tests/testenv/mod.rs` has: the whole
/// stream is compared, and a mismatch shows a line diff.
impl Run {
    /// Replace the test's temporary folder (as given and canonicalised)
    /// with `{root}` in both streams, so expected text can name paths.
    pub fn relative_to(mut self, env: &TestEnv) -> Run {
        let mut roots = vec![env.root().to_string_lossy().into_owned()];
        if let Ok(c) = env.root().canonicalize() {
            roots.insert(0, c.to_string_lossy().into_owned());
        }
        for r in roots {
            self.stdout = self.stdout.replace(&r, "{root}");
            self.stderr = self.stderr.replace(&r, "{root}");
        }
        self
    }

    /// Panic with a line diff unless stdout is exactly `expected`.
    #[track_caller]
    pub fn assert_stdout(&self, expected: &str) -> &Run {
        assert_text("stdout", expected, &self.stdout);
        self
    }

    /// Panic with a line diff unless stderr is exactly `expected`.
    #[track_caller]
    pub fn assert_stderr(&self, expected: &str) -> &Run {
        assert_text("stderr", expected, &self.stderr);
        self
    }
}

/// Panic with a line diff (`-` expected, `+` actual) unless the texts match.
#[track_caller]
pub fn assert_text(what: &str, expected: &str, actual: &str) {
    if expected != actual {
        panic!(
            "{what} differs (-expected +actual):\n{}",
            line_diff(expected, actual)
        );
    }
}

/// A line diff from the longest common subsequence of lines. Lines are
/// shown with `{:?}` escapes so a difference in whitespace or in the final
/// newline is visible.
pub fn line_diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.split_inclusive('\n').collect();
    let b: Vec<&str> = actual.split_inclusive('\n').collect();
    // lcs[i][j]: length of the LCS of a[i..] and b[j..].
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = String::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out += &format!("  {:?}\n", a[i]);
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out += &format!("+ {:?}\n", b[j]);
            j += 1;
        } else {
            out += &format!("- {:?}\n", a[i]);
            i += 1;
        }
    }
    out
}

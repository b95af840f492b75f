//! Query benchmark: a synthetic library of 100,000 tracks with realistic,
//! varied tags, and the time to run typical queries through
//! `Query::for_each_track` (parse, SQL, sort, and building every matching
//! `Track` in order, which is what `mixtape ls` does before printing each).
//!
//! Targets (issue 4): under 50 ms for a query on an indexed field, under
//! 300 ms for a substring over all default text fields.
//!
//! Run: `cargo bench --bench query` (optionally `-- TRACKS RUNS`).
//! Each query runs RUNS times (default 9); the medians of wall time and of
//! this thread's CPU time are shown. Targets are judged on CPU time, which
//! stays meaningful when other jobs share the machine; on an idle machine
//! the two agree.

use std::time::{Duration, Instant};

use mixtape::query::Query;
use mixtape::Library;

/// A raw connection to the bench library, with mixtape's SQL functions (the
/// library keeps its own connection to itself).
fn db(lib: &Library) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(lib.path()).expect("open library database");
    mixtape::library::functions::register_functions(&conn).expect("register functions");
    conn
}

/// A small deterministic generator (splitmix64), so every run builds the
/// same library.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ra", "ven", "dor", "sil", "ta", "bri", "on", "el", "za", "mor", "qui", "nu",
    "ste", "phi", "gar", "wen", "lu", "bo", "ri", "san", "tho", "ma", "dy", "ax", "ju",
];
const WORDS: &[&str] = &[
    "love", "night", "heart", "dance", "fire", "rain", "blue", "city", "dream", "road", "home",
    "light", "summer", "river", "gold", "shadow", "time", "world", "girl", "boy", "baby", "star",
    "moon", "sun", "wild", "run", "fall", "rise", "young", "old", "sweet", "cold", "last", "first",
    "song", "story", "ghost", "angel", "devil", "lonely", "electric", "paper", "stone", "glass",
    "silver", "winter", "morning", "midnight", "forever", "never", "again", "tonight", "café",
    "señor", "über", "naïve",
];
const GENRES: &[&str] = &[
    "Rock",
    "Pop",
    "Jazz",
    "Blues",
    "Soul",
    "Funk",
    "Hip-Hop",
    "Electronic",
    "House",
    "Techno",
    "Ambient",
    "Classical",
    "Folk",
    "Country",
    "Metal",
    "Punk",
    "Reggae",
    "Latin",
    "R&B",
    "Indie",
    "Alternative",
    "Chanson",
    "Soundtrack",
    "World",
    "Gospel",
    "Disco",
    "Grunge",
    "Glam Rock",
    "Bossa Nova",
    "Drum & Bass",
];
const FORMATS: &[(&str, &str, bool)] = &[
    ("mp3", "mp3", false),
    ("mp3", "mp3", false),
    ("mp3", "mp3", false),
    ("flac", "flac", true),
    ("flac", "flac", true),
    ("aac", "m4a", false),
    ("alac", "m4a", true),
    ("vorbis", "ogg", false),
    ("opus", "opus", false),
];

fn name(rng: &mut Rng, parts: usize) -> String {
    let mut s = String::new();
    for _ in 0..parts {
        s.push_str(rng.pick(SYLLABLES));
    }
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

fn phrase(rng: &mut Rng, max_words: usize) -> String {
    let n = 1 + rng.below(max_words);
    let words: Vec<String> = (0..n)
        .map(|_| {
            let w = rng.pick(WORDS);
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect();
    words.join(" ")
}

/// Build the library: ~2,500 artists, ~10,000 albums, `tracks` tracks.
fn build(lib: &mut Library, tracks: usize) -> Vec<String> {
    let mut rng = Rng(42);
    let artists: Vec<String> = (0..tracks / 40 + 1)
        .map(|_| {
            let first = name(&mut rng, 2);
            let parts = 2 + rng.below(2);
            let last = name(&mut rng, parts);
            match rng.below(10) {
                0 => format!("The {last}s"),
                1 => first,
                _ => format!("{first} {last}"),
            }
        })
        .collect();
    let now = mixtape::library::now();
    let mut conn = db(lib);
    let tx = conn.transaction().expect("transaction");
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO tracks (path, size, mtime, added, scanned, title, artist, album, albumartist, \
                 genre, year, track, tracktotal, disc, format, lossless, length, samplerate, channels, \
                 bitdepth, bitrate, comments, file_hash, audio_hash)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, 2, ?18, ?19, ?20, ?21, ?22)",
            )
            .expect("prepare");
        let mut n = 0;
        let mut album_no = 0;
        while n < tracks {
            let artist = &artists[rng.below(artists.len())];
            let album = phrase(&mut rng, 4);
            album_no += 1;
            let year = 1950 + rng.below(76) as i64;
            let genre = rng.pick(GENRES);
            let (format, ext, lossless) = FORMATS[rng.below(FORMATS.len())];
            let count = (6 + rng.below(10)).min(tracks - n);
            let compilation = rng.chance(5);
            let added = now - rng.below(5 * 365 * 86_400) as f64;
            for t in 1..=count {
                let track_artist = if compilation {
                    artists[rng.below(artists.len())].clone()
                } else {
                    artist.clone()
                };
                let title = phrase(&mut rng, 5);
                let path = format!(
                    "/music/{}/{} ({year}) [{album_no}]/{t:02} {title}.{ext}",
                    if compilation {
                        "Various Artists"
                    } else {
                        artist
                    },
                    album
                );
                let length = 90.0 + rng.below(420) as f64 + rng.below(1000) as f64 / 1000.0;
                let bitrate: i64 = if lossless {
                    600_000 + rng.below(500_000) as i64
                } else {
                    [128_000, 192_000, 256_000, 320_000][rng.below(4)]
                };
                let mut hash = [0u8; 32];
                for chunk in hash.chunks_mut(8) {
                    chunk.copy_from_slice(&rng.next().to_le_bytes());
                }
                let comments = rng.chance(10).then(|| phrase(&mut rng, 6));
                stmt.execute(rusqlite::params![
                    path.into_bytes(),
                    (length * bitrate as f64 / 8.0) as i64,
                    added - 86_400.0,
                    added,
                    title,
                    track_artist,
                    album,
                    if compilation {
                        Some("Various Artists".to_string())
                    } else if rng.chance(50) {
                        Some(artist.clone())
                    } else {
                        None
                    },
                    genre,
                    year,
                    t as i64,
                    count as i64,
                    1,
                    format,
                    lossless as i64,
                    length,
                    if lossless && rng.chance(30) {
                        96_000
                    } else {
                        44_100
                    },
                    lossless.then_some(if rng.chance(30) { 24 } else { 16 }),
                    bitrate,
                    comments,
                    hash.to_vec(),
                    hash.to_vec(),
                ])
                .expect("insert");
                n += 1;
            }
        }
    }
    tx.commit().expect("commit");
    conn.execute_batch("ANALYZE").expect("analyze");
    artists
}

/// CPU time of this thread: unlike wall time, it does not grow when other
/// processes share the machine.
#[cfg(unix)]
fn thread_cpu() -> Duration {
    // SAFETY: clock_gettime writes into the timespec we pass.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[cfg(not(unix))]
fn thread_cpu() -> Duration {
    Duration::ZERO
}

/// Median wall time, median CPU time, and the number of rows.
fn time_query(lib: &Library, text: &str, runs: usize) -> (Duration, Duration, usize) {
    let mut wall = Vec::with_capacity(runs);
    let mut cpu = Vec::with_capacity(runs);
    let mut count = 0;
    for _ in 0..runs {
        let (t, c) = (Instant::now(), thread_cpu());
        let q = Query::parse_str(text).expect("query parses");
        count = 0;
        q.for_each_track(lib, |_track| {
            count += 1;
            Ok::<_, mixtape::Error>(())
        })
        .expect("query runs");
        cpu.push(thread_cpu() - c);
        wall.push(t.elapsed());
    }
    wall.sort();
    cpu.sort();
    (wall[wall.len() / 2], cpu[cpu.len() / 2], count)
}

fn plan(lib: &Library, text: &str) -> String {
    let q = Query::parse_str(text).expect("query parses");
    let (tail, params) = q.to_sql();
    let sql = format!("EXPLAIN QUERY PLAN SELECT id FROM tracks {tail}");
    let conn = db(lib);
    let mut stmt = conn.prepare(&sql).expect("prepare");
    let rows = stmt
        .query_map(rusqlite::params_from_iter(params.iter()), |r| {
            r.get::<_, String>(3)
        })
        .expect("plan");
    rows.filter_map(|r| r.ok()).collect::<Vec<_>>().join("; ")
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let tracks: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(9).max(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lib = Library::open(&dir.path().join("bench.db")).expect("open");
    let t = Instant::now();
    let artists = build(&mut lib, tracks);
    println!(
        "built a library of {tracks} tracks ({} artists) in {:.2} s",
        artists.len(),
        t.elapsed().as_secs_f64()
    );
    let artist = &artists[artists.len() / 3];
    let queries: Vec<(&str, String, Option<u128>)> = vec![
        (
            "indexed: exact artist",
            format!("artist:=\"{artist}\""),
            Some(50),
        ),
        (
            "indexed: exact artist, any case",
            format!("artist:=~\"{}\"", artist.to_lowercase()),
            Some(50),
        ),
        (
            "indexed: year range (a decade)",
            "year:1990..1999".into(),
            Some(50),
        ),
        (
            "indexed: year + format",
            "year:1972 format:=flac".into(),
            Some(50),
        ),
        (
            "indexed: added in the last week",
            "added:-1w..".into(),
            Some(50),
        ),
        (
            "indexed: path folder prefix",
            format!("path:\"/music/{artist}\""),
            Some(50),
        ),
        ("substring, all default fields", "love".into(), Some(300)),
        ("substring, matching nothing", "zzqxj".into(), Some(300)),
        ("substring, non-ASCII needle", "café".into(), Some(300)),
        (
            "two words, OR, negation",
            "night city , rain ^live".into(),
            Some(300),
        ),
        ("field substring", "title:moon".into(), None),
        ("regex on title", "title::^(Love|Night) ".into(), None),
        ("negated field", "^genre:rock year:2000..".into(), None),
    ];
    println!(
        "{:<36} {:>9} {:>9} {:>8}  target (cpu)",
        "query (median of runs)", "wall", "cpu", "rows"
    );
    let mut failed = false;
    // QUERY_ONLY=TEXT runs only the queries containing TEXT (for profiling).
    let only = std::env::var("QUERY_ONLY").unwrap_or_default();
    for (label, text, target) in queries.iter().filter(|q| q.1.contains(&only)) {
        let (wall, cpu, rows) = time_query(&lib, text, runs);
        let ms = cpu.as_secs_f64() * 1000.0;
        let verdict = match target {
            Some(t) if ms < *t as f64 => format!("< {t} ms ok"),
            Some(t) => {
                failed = true;
                format!("< {t} ms MISSED")
            }
            None => String::new(),
        };
        println!(
            "{label:<36} {:>7.1}ms {ms:>7.1}ms {rows:>8}  {verdict}",
            wall.as_secs_f64() * 1000.0
        );
        println!("    {text}\n    plan: {}", plan(&lib, text));
    }
    // Where the time goes: the same queries returning ids only (no Track
    // is built, the sorter carries ids instead of whole rows).
    for text in ["year:1990..1999", "love", "zzqxj"] {
        let mut cpu = Vec::new();
        let mut rows = 0;
        for _ in 0..runs {
            let c = thread_cpu();
            rows = Query::parse_str(text)
                .expect("parses")
                .track_ids(&lib)
                .expect("runs")
                .len();
            cpu.push(thread_cpu() - c);
        }
        cpu.sort();
        println!(
            "ids only: {text:<27} cpu {:>7.1}ms {rows:>8} rows",
            cpu[cpu.len() / 2].as_secs_f64() * 1000.0
        );
    }
    if failed {
        println!("some targets were missed");
    }
}

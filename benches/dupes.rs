//! `dupes` over a synthetic library of 100,000 fingerprints (target: < 2 s).
//!
//! `cargo bench --bench dupes -- [COUNT=100000] [LIBRARY=<temp>/dupes-bench.db]`
//!
//! Builds a library of COUNT tracks whose fingerprints are realistic:
//! - a few hundred real Chromaprint fingerprints (fpcalc's default
//!   algorithm, 120 s) of music-like signals (src/media/synth.rs), cached
//!   in the temp folder between runs;
//! - each base gets duplicates: byte copies (same file hash), retags (same
//!   audio hash), "transcodes" (2–4 % of bits flipped) and "trims" (start
//!   shifted 1–5 s, bits flipped);
//! - the rest of the library are distinct tracks made from the bases by a
//!   per-track bit permutation and XOR mask plus a random start: they keep
//!   real fingerprints' temporal structure (runs, slowly changing bits) but
//!   share no values with other tracks by design, except what real
//!   libraries share too: 10 % start with silence (the one value
//!   Chromaprint gives silence), 10 % end with it (fade-outs), and 15 %
//!   open with one of INTROS common intros (a label jingle, a live album's
//!   applause, a series' theme) of 5–15 s, identical across the tracks that
//!   use it. These shared values must not make distinct tracks duplicates.
//!
//! It then times `mixtape::dupes::find_dupes` (load 100k rows, the stages,
//! keeper ranking, rewriting dupe_members) and checks the groups found
//! against the planted ones. Time the binary on the same library with
//! `time target/release/mixtape --library LIBRARY dupes --json > /dev/null`.

use std::path::PathBuf;
use std::time::Instant;

use mixtape::dupes::{find_dupes, DupeKind, DupeSettings};
use mixtape::library::track::fingerprint_to_blob;
use mixtape::library::{path_to_bytes, Library};
use mixtape::media::synth::{self, Rng};
use mixtape::progress::{Cancel, NoProgress};
use rayon::prelude::*;
use rusqlite::params;
use rusty_chromaprint::{Configuration, Fingerprinter};

/// A raw connection to the bench library, with mixtape's SQL functions (the
/// library keeps its own connection to itself).
fn db(lib: &Library) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(lib.path()).expect("open library database");
    mixtape::library::functions::register_functions(&conn).expect("register functions");
    conn
}

const BASES: u64 = 240;
const SILENCE: u32 = 0x256d_f977;
/// Common intros shared by distinct tracks.
const INTROS: usize = 40;

fn chromaprint(seed: u64) -> Vec<u32> {
    let samples = synth::to_i16(&synth::music(seed, 120.0, 11025, 1));
    let mut f = Fingerprinter::new(&Configuration::preset_test2());
    f.start(11025, 1).expect("chromaprint start");
    f.consume(&samples);
    f.finish();
    f.fingerprint().to_vec()
}

/// Real fingerprints of BASES signals, cached between runs.
fn bases() -> Vec<Vec<u32>> {
    let cache = std::env::temp_dir().join(format!("mixtape-bench-bases-{BASES}.bin"));
    if let Ok(bytes) = std::fs::read(&cache) {
        let all: Vec<u32> = mixtape::library::track::fingerprint_from_blob(&bytes);
        let n = all.len() / BASES as usize;
        if n > 0 && all.len() % BASES as usize == 0 {
            return all.chunks(n).map(|c| c.to_vec()).collect();
        }
    }
    let t = Instant::now();
    let fps: Vec<Vec<u32>> = (0..BASES)
        .into_par_iter()
        .map(|s| chromaprint(1000 + s))
        .collect();
    let n = fps.iter().map(Vec::len).min().unwrap_or(0);
    let all: Vec<u32> = fps.iter().flat_map(|f| f[..n].iter().copied()).collect();
    let _ = std::fs::write(&cache, fingerprint_to_blob(&all));
    eprintln!("computed {BASES} base fingerprints in {:.1?}", t.elapsed());
    fps.into_iter().map(|f| f[..n].to_vec()).collect()
}

fn flip(fp: &[u32], rate: f64, rng: &mut Rng) -> Vec<u32> {
    fp.iter()
        .map(|&v| {
            let mut v = v;
            for bit in 0..32 {
                if (rng.next_f32() as f64) < rate {
                    v ^= 1 << bit;
                }
            }
            v
        })
        .collect()
}

/// A distinct track derived from a base: permuted bits, XOR mask, random
/// start; sometimes silence at either end or a common intro at the start.
fn distinct(base: &[u32], intros: &[Vec<u32>], rng: &mut Rng) -> Vec<u32> {
    let mut perm: Vec<u32> = (0..32).collect();
    for i in (1..32).rev() {
        perm.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mask = rng.next_u64() as u32;
    let start = rng.below(base.len() as u64 / 3) as usize;
    let mut out: Vec<u32> = base[start..]
        .iter()
        .chain(base[..start].iter())
        .map(|&v| {
            let mut x = 0u32;
            for (i, &p) in perm.iter().enumerate() {
                x |= ((v >> i) & 1) << p;
            }
            x ^ mask
        })
        .collect();
    if rng.below(10) == 0 {
        let n = 20 + rng.below(60) as usize;
        out[..n].fill(SILENCE);
    }
    if rng.below(10) == 0 {
        let n = 20 + rng.below(80) as usize;
        let len = out.len();
        out[len - n..].fill(SILENCE);
    }
    if !intros.is_empty() && rng.below(100) < 15 {
        let intro = &intros[rng.below(intros.len() as u64) as usize];
        out[..intro.len()].copy_from_slice(intro);
    }
    out
}

/// INTROS common intros of 5–15 s (about 8 values a second), each cut from
/// a transformed base so it looks like real music.
fn common_intros(bases: &[Vec<u32>], rng: &mut Rng) -> Vec<Vec<u32>> {
    (0..INTROS)
        .map(|k| {
            let n = 40 + rng.below(81) as usize;
            let mut fp = distinct(&bases[k % bases.len()], &[], rng);
            fp.truncate(n);
            fp
        })
        .collect()
}

struct Row {
    path: String,
    file_hash: [u8; 32],
    audio_hash: [u8; 32],
    fp: Vec<u32>,
    length: f64,
    lossless: bool,
    bitrate: u32,
    /// The planted group (base index) for duplicates.
    planted: Option<u64>,
}

fn build(lib: &Library, count: usize) -> usize {
    let bases = bases();
    let mut rng = Rng::new(42);
    let mut rows: Vec<Row> = Vec::with_capacity(count);
    let mut h = 0u64;
    let mut hash = |rng: &mut Rng| {
        h += 1;
        let mut x = [0u8; 32];
        x[..8].copy_from_slice(&h.to_le_bytes());
        x[8..16].copy_from_slice(&rng.next_u64().to_le_bytes());
        x
    };
    let mut planted_members = 0;
    for (b, base) in bases.iter().enumerate() {
        let length = 150.0 + rng.below(200) as f64;
        let orig_hash = hash(&mut rng);
        let orig_audio = hash(&mut rng);
        let orig = Row {
            path: format!("/music/planted/{b:04}/original.flac"),
            file_hash: orig_hash,
            audio_hash: orig_audio,
            fp: base.clone(),
            length,
            lossless: true,
            bitrate: 900_000,
            planted: Some(b as u64),
        };
        let variants = 1 + rng.below(3);
        let mut group = vec![orig];
        for v in 0..variants {
            let (fp, file_hash, audio_hash, len, lossless) = match rng.below(4) {
                0 => (base.clone(), orig_hash, orig_audio, length, true),
                1 => (base.clone(), hash(&mut rng), orig_audio, length, true),
                2 => {
                    let rate = 0.02 + rng.next_f32() as f64 * 0.02;
                    (
                        flip(base, rate, &mut rng),
                        hash(&mut rng),
                        hash(&mut rng),
                        length,
                        false,
                    )
                }
                _ => {
                    let shift = 8 + rng.below(33) as usize;
                    let mut fp = flip(&base[shift..], 0.03, &mut rng);
                    fp.extend(flip(&base[base.len() - shift..], 0.5, &mut rng));
                    let len = length - shift as f64 / 8.07;
                    (fp, hash(&mut rng), hash(&mut rng), len, false)
                }
            };
            group.push(Row {
                path: format!("/music/planted/{b:04}/variant{v}"),
                file_hash,
                audio_hash,
                fp,
                length: len,
                lossless,
                bitrate: if lossless { 900_000 } else { 192_000 },
                planted: Some(b as u64),
            });
        }
        planted_members += group.len();
        rows.extend(group);
    }
    let planted_groups = bases.len();
    let intros = common_intros(&bases, &mut rng);
    while rows.len() < count {
        let i = rows.len();
        let base = &bases[rng.below(bases.len() as u64) as usize];
        rows.push(Row {
            path: format!("/music/artist{:05}/track{i:06}.mp3", i / 12),
            file_hash: hash(&mut rng),
            audio_hash: hash(&mut rng),
            fp: distinct(base, &intros, &mut rng),
            length: 90.0 + rng.below(400) as f64,
            lossless: false,
            bitrate: 128_000 + 64_000 * rng.below(4) as u32,
            planted: None,
        });
    }
    let conn = db(lib);
    conn.execute_batch("BEGIN").expect("begin");
    {
        let mut stmt = conn
            .prepare(
                "INSERT INTO tracks(path, size, mtime, added, scanned, file_hash, audio_hash,
                 format, lossless, length, samplerate, bitrate, fingerprint, title, artist, fp_keys)
                 VALUES (?1, 4000000, 0, 0, 0, ?2, ?3, ?4, ?5, ?6, 44100, ?7, ?8, ?9, ?10, ?11)",
            )
            .expect("prepare");
        for r in &rows {
            stmt.execute(params![
                path_to_bytes(&PathBuf::from(&r.path)),
                r.file_hash.to_vec(),
                r.audio_hash.to_vec(),
                if r.lossless { "flac" } else { "mp3" },
                r.lossless as i64,
                r.length,
                r.bitrate,
                fingerprint_to_blob(&r.fp),
                format!("Title {}", r.planted.map_or(0, |p| p)),
                "Artist",
                // What the scan's writer stores next to each fingerprint.
                fingerprint_to_blob(&mixtape::dupes::fingerprint::stored_keys(&r.fp)),
            ])
            .expect("insert");
        }
    }
    conn.execute_batch("COMMIT").expect("commit");
    println!(
        "library: {} tracks, {planted_groups} planted groups with {planted_members} members",
        rows.len()
    );
    planted_groups
}

/// CPU seconds (user + system) used by this process so far: the machine
/// may be shared, so wall time alone can mislead.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let count: usize = args.first().map_or(100_000, |s| s.parse().expect("COUNT"));
    let path = args
        .get(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("dupes-bench.db"));
    let fresh = !path.exists();
    let lib = Library::open(&path).expect("open library");
    let n: i64 = db(&lib)
        .query_row("SELECT count(*) FROM tracks", [], |r| r.get(0))
        .expect("count");
    let planted = if fresh || n as usize != count {
        drop(lib);
        let _ = std::fs::remove_file(&path);
        let lib = Library::open(&path).expect("open library");
        let t = Instant::now();
        let p = build(&lib, count);
        eprintln!("built {} in {:.1?}", path.display(), t.elapsed());
        p
    } else {
        println!("library: {n} tracks (reused {})", path.display());
        BASES as usize
    };
    let lib = Library::open(&path).expect("open library");
    // Where the time goes.
    let c = cpu_seconds();
    let cands = mixtape::dupes::stages::load_candidates(&lib).expect("load");
    let c_load = cpu_seconds() - c;
    let c = cpu_seconds();
    let usable: Vec<std::borrow::Cow<'_, [u32]>> =
        cands.iter().filter_map(|c| c.usable_keys()).collect();
    let refs: Vec<&[u32]> = usable.iter().map(|k| k.as_ref()).collect();
    let keys: usize = refs.iter().map(|k| k.len()).sum();
    let c_usable = cpu_seconds() - c;
    let c = cpu_seconds();
    let pairs = mixtape::dupes::fingerprint::candidate_pairs_from_keys(&refs);
    let c_pairs = cpu_seconds() - c;
    println!(
        "phases (CPU s): load {c_load:.2}, usable {c_usable:.2} ({} tracks, {keys} keys), candidate pairs {c_pairs:.2} ({} pairs)",
        usable.len(),
        pairs.len()
    );
    drop(refs);
    drop(usable);
    drop(cands);
    let mut best = f64::MAX;
    let mut groups = Vec::new();
    for run in 1..=3 {
        let t = Instant::now();
        let cpu = cpu_seconds();
        groups =
            find_dupes(&lib, &DupeSettings::default(), &NoProgress, &Cancel::new()).expect("dupes");
        let secs = t.elapsed().as_secs_f64();
        best = best.min(secs);
        println!(
            "run {run}: find_dupes over {count} tracks: {secs:.3} s wall, {:.3} s CPU",
            cpu_seconds() - cpu
        );
    }
    // Check the result: every planted group found whole, nothing else grouped.
    let mut expected: std::collections::HashMap<PathBuf, usize> = Default::default();
    {
        let conn = db(&lib);
        let mut stmt = conn.prepare("SELECT path FROM tracks").expect("paths");
        let paths = stmt
            .query_map([], |r| r.get::<_, Vec<u8>>(0))
            .expect("paths")
            .map(|p| mixtape::library::bytes_to_path(&p.expect("path")));
        for p in paths.filter(|p| p.starts_with("/music/planted")) {
            *expected
                .entry(p.parent().expect("dir").to_path_buf())
                .or_default() += 1;
        }
    }
    let mut whole = 0;
    let mut wrong = 0;
    for g in &groups {
        let dirs: std::collections::HashSet<_> = g
            .members
            .iter()
            .map(|m| m.track.path.parent().map(|p| p.to_path_buf()))
            .collect();
        let dir = g.members[0].track.path.parent().map(|p| p.to_path_buf());
        let complete = dir
            .as_ref()
            .and_then(|d| expected.get(d))
            .is_some_and(|&n| n == g.members.len());
        if dirs.len() == 1 && complete {
            whole += 1;
        } else {
            wrong += 1;
        }
    }
    let kinds = |k: DupeKind| {
        groups
            .iter()
            .flat_map(|g| g.members.iter())
            .filter(|m| m.kind == k)
            .count()
    };
    println!(
        "groups: {} ({whole} of {planted} planted groups found whole, {wrong} wrong); members: {} exact, {} same-audio, {} same-recording",
        groups.len(),
        kinds(DupeKind::Exact),
        kinds(DupeKind::SameAudio),
        kinds(DupeKind::SameRecording)
    );
    println!(
        "best of 3: {best:.3} s (target < 2 s): {}",
        if best < 2.0 { "PASS" } else { "FAIL" }
    );
    println!("library kept at {} for timing the binary", path.display());
}

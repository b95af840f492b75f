//! Benchmark for issue 5: FLAC -> MP3 CBR 320k of many tracks through
//! mixtape's real export path (`plan_export` then `run_export` with the
//! `Transcoder`: naming, staging, the manifest, the M3U8, rayon on all
//! cores) against `ffmpeg -c:a libmp3lame -b:a 320k`
//! run two at a time (`xargs -P2`) on the same files, in the same run.
//!
//! Run: `cargo bench --bench export_mp3` (ffmpeg must be on PATH for the
//! comparison: `apt-get install ffmpeg`; without it only mixtape is timed).
//! Settings (environment):
//! - `MIXTAPE_BENCH_TRACKS` (default 50), `MIXTAPE_BENCH_SECONDS` (default 45);
//! - `MIXTAPE_BENCH_HIRES=1`: 96 kHz/24-bit sources, so both sides resample
//!   to 44.1 kHz (ffmpeg gets `-ar 44100`);
//! - `MIXTAPE_BENCH_DIR`: where fixtures go (default target/bench-export-mp3;
//!   generated once, reused).
//!
//! Sources are generated music-like signals (`media::synth`), tagged, with no
//! art. Our target is the car profile's audio without art: MP3 CBR 320k at
//! 44.1 kHz with ID3v2.3 tags; ffmpeg writes ID3v2.4 with the FLAC's tags.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use mixtape::export::encode::{encode_flac, Pcm};
use mixtape::export::pipeline::run_export;
use mixtape::export::plan::{plan_export, Selection};
use mixtape::export::produce::Transcoder;
use mixtape::export::profile::{ExportSettings, Profile};
use mixtape::export::target::OutputFormat;
use mixtape::export::{dither, tagging};
use mixtape::library::track::{AudioProps, Tags};
use mixtape::media::synth;
use mixtape::progress::{Cancel, NoProgress};
use mixtape::Track;
use rayon::prelude::*;

fn env_num(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn track_for(i: usize, path: &Path, secs: f64, rate: u32, bits: u16) -> Track {
    Track {
        id: i as i64 + 1,
        path: path.to_path_buf(),
        size: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        tags: Tags {
            title: Some(format!("Song {i}")),
            artist: Some("Bench Band".into()),
            album: Some("Benchmarks".into()),
            track: Some(i as i64 + 1),
            year: Some(2024),
            genre: Some("Test".into()),
            ..Tags::default()
        },
        props: AudioProps {
            format: Some("flac".into()),
            lossless: Some(true),
            length: Some(secs),
            samplerate: Some(rate),
            channels: Some(2),
            bitdepth: Some(bits as u32),
            ..AudioProps::default()
        },
        ..Track::default()
    }
}

fn dir_size(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

fn main() {
    let n = env_num("MIXTAPE_BENCH_TRACKS", 50.0) as usize;
    let secs = env_num("MIXTAPE_BENCH_SECONDS", 45.0);
    let hires = std::env::var("MIXTAPE_BENCH_HIRES").is_ok_and(|v| v == "1");
    let (rate, bits) = if hires { (96_000, 24) } else { (44_100, 16) };
    let base = std::env::var("MIXTAPE_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("target/bench-export-mp3"));
    let src_dir = base.join(format!("src-{n}x{secs}s-{rate}-{bits}"));
    std::fs::create_dir_all(&src_dir).expect("create fixture folder");

    // Fixtures (once).
    let t = Instant::now();
    let tracks: Vec<(PathBuf, Track)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let path = src_dir.join(format!("{i:03}.flac"));
            if !path.exists() {
                let f = synth::music(i as u64 + 100, secs, rate, 2);
                let ints = dither::quantize(&f, bits, true, i as u64);
                let mut bytes = encode_flac(Pcm {
                    samples: &ints,
                    channels: 2,
                    samplerate: rate,
                    bits,
                })
                .expect("encode fixture");
                let tr = track_for(i, &path, secs, rate, bits);
                tagging::write_tags(
                    &mut bytes,
                    OutputFormat::Flac,
                    &tr.tags,
                    &Default::default(),
                    None,
                    false,
                )
                .expect("tag fixture");
                mixtape::fsops::write_atomic(&path, &bytes, true).expect("write fixture");
            }
            let tr = track_for(i, &path, secs, rate, bits);
            (path, tr)
        })
        .collect();
    eprintln!(
        "fixtures: {n} FLAC x {secs} s at {rate} Hz/{bits} bit ({:.1} MB) ready in {:.1} s",
        dir_size(&src_dir) as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    // mixtape, on every core, through the export the binary runs.
    let out = base.join("out-mixtape");
    let _ = std::fs::remove_dir_all(&out);
    let mut settings = ExportSettings::new(Profile::Car);
    settings.options.bitrate_kbps = Some(320);
    settings.options.no_art = true;
    let selection = Selection {
        label: "Bench".into(),
        playlist: true,
        tracks: tracks.into_iter().map(|(_, tr)| tr).collect(),
        missing: Vec::new(),
    };
    let t = Instant::now();
    let plan = plan_export(&selection, &settings, &out).expect("plan the export");
    let report =
        run_export(&plan, &Transcoder, &NoProgress, &Cancel::new()).expect("run the export");
    let ours = t.elapsed().as_secs_f64();
    if let Some(f) = report.failed.first() {
        eprintln!(
            "mixtape: {} failures, first: {}",
            report.failed.len(),
            f.error
        );
        std::process::exit(1);
    }
    if report.converted.len() != n {
        eprintln!(
            "mixtape: converted {} of {n} tracks (copied {}, skipped {})",
            report.converted.len(),
            report.copied.len(),
            report.skipped.len()
        );
        std::process::exit(1);
    }
    println!(
        "mixtape export --profile car --bitrate 320 ({} threads): {n} tracks in {ours:.2} s ({:.1} MB out)",
        rayon::current_num_threads(),
        dir_size(&out) as f64 / 1e6
    );

    // ffmpeg, two at a time.
    if Command::new("ffmpeg").arg("-version").output().is_err() {
        println!("ffmpeg not found: comparison skipped (apt-get install ffmpeg)");
        return;
    }
    let ff_out = base.join("out-ffmpeg");
    let _ = std::fs::remove_dir_all(&ff_out);
    std::fs::create_dir_all(&ff_out).expect("create ffmpeg output folder");
    let ar = if hires { "-ar 44100" } else { "" };
    let script = format!(
        "cd '{}' && ls *.flac | xargs -P2 -I{{}} ffmpeg -nostdin -loglevel error -y -i {{}} -c:a libmp3lame -b:a 320k {ar} '{}'/{{}}.mp3",
        src_dir.display(),
        ff_out.canonicalize().expect("ffmpeg output folder").display()
    );
    let t = Instant::now();
    let status = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .status()
        .expect("run ffmpeg");
    let theirs = t.elapsed().as_secs_f64();
    assert!(status.success(), "ffmpeg failed");
    println!(
        "ffmpeg libmp3lame -b:a 320k (xargs -P2): {n} tracks in {theirs:.2} s ({:.1} MB out)",
        dir_size(&ff_out) as f64 / 1e6
    );
    println!(
        "ratio (ffmpeg time / mixtape time): {:.2}x {}",
        theirs / ours,
        if theirs >= ours {
            "(mixtape at least as fast)"
        } else {
            "(mixtape slower)"
        }
    );
}

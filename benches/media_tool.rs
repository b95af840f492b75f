//! A small program for benchmarks and manual checks of `mixtape::media`
//! (built with `cargo bench --bench media_tool --no-run`, or run through
//! `cargo bench --bench media_tool -- MODE FILES...`). Not a test harness.
//!
//! Modes:
//! - `info FILES...`: one line per file with what `read_media` found (tags,
//!   properties, hashes, fingerprint length, errors);
//! - `fp FILES...`: `path<TAB>fp1,fp2,...` (raw fingerprint, as `fpcalc -raw`);
//! - `time FILES...`: fingerprint every file on a rayon pool (size from
//!   RAYON_NUM_THREADS) and print the wall time in seconds;
//! - `verify FILES...`: full decode, print damage per file;
//! - `rawpcm FILE OUT`: decode FILE to OUT as raw interleaved s16le (to
//!   compare with `ffmpeg -f s16le`);
//! - `rawpcm32 FILE OUT`: the same as s32le (exact for 16- and 24-bit
//!   sources: compare with `ffmpeg -f s32le`; `fixtures/formats/compare.sh`);
//! - `items FILES...`: lofty's raw tag items (for debugging tag mapping);
//! - `floor`: the fixed costs under any decoder: rusty-chromaprint alone
//!   over 120 s of mono 11025 Hz audio, against `fpcalc -raw` on the same
//!   audio as a WAV (its process start, WAV read and libchromaprint), median
//!   of 9 each.

use std::path::PathBuf;
use std::time::Instant;

use mixtape::media::{fingerprint_only, read_media, verify, ReadOptions};
use rayon::prelude::*;

fn hex(h: &Option<[u8; 32]>) -> String {
    h.map(|b| b.iter().take(8).map(|x| format!("{x:02x}")).collect())
        .unwrap_or_else(|| "-".into())
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let mode = args.next().unwrap_or_default();
    let files: Vec<PathBuf> = args.map(PathBuf::from).collect();
    let fp = ReadOptions::fingerprinting(true);
    match mode.as_str() {
        "info" => {
            for f in &files {
                let t = Instant::now();
                match read_media(f, &fp) {
                    Ok(m) => println!(
                        "{}\t{:?}\t{:?}\tart={} art_hash={} file={} audio={} pcm={} fp_len={:?} fp_err={:?} error={:?} ({:.3}s)",
                        f.display(),
                        m.props,
                        m.tags,
                        m.art,
                        hex(&m.art_hash),
                        hex(&Some(m.file_hash)),
                        hex(&m.audio_hash),
                        hex(&m.pcm_hash),
                        m.fingerprint.as_ref().map(|v| v.len()),
                        m.fingerprint_error,
                        m.error_text(),
                        t.elapsed().as_secs_f64()
                    ),
                    Err(e) => println!("{}\tERR {e}", f.display()),
                }
            }
        }
        "fp" => {
            for f in &files {
                match read_media(f, &fp) {
                    Ok(m) => match m.fingerprint {
                        Some(v) => println!(
                            "{}\t{}",
                            f.display(),
                            v.iter()
                                .map(|x| (*x as i32).to_string())
                                .collect::<Vec<_>>()
                                .join(",")
                        ),
                        None => println!("{}\t-\t{:?}", f.display(), m.fingerprint_error),
                    },
                    Err(e) => println!("{}\t-\t{e}", f.display()),
                }
            }
        }
        "time" => {
            let t = Instant::now();
            let ok = files
                .par_iter()
                .filter(|f| {
                    read_media(f, &fp)
                        .ok()
                        .and_then(|m| m.fingerprint)
                        .is_some()
                })
                .count();
            println!("{:.3} {} {}", t.elapsed().as_secs_f64(), ok, files.len());
        }
        "fptime" => {
            // The fingerprint alone (first 120 s decoded, no hashes, no
            // pcm_hash): the same work as fpcalc.
            let t = Instant::now();
            let ok = files
                .par_iter()
                .filter(|f| matches!(fingerprint_only(f), Ok(Ok(_))))
                .count();
            println!("{:.3} {} {}", t.elapsed().as_secs_f64(), ok, files.len());
        }
        "floor" => floor(),
        "verify" => {
            for f in &files {
                match verify(f) {
                    Ok(v) if v.errors.is_empty() => {
                        println!("{}\tok {:.1}s", f.display(), v.seconds)
                    }
                    Ok(v) => println!(
                        "{}\t{}",
                        f.display(),
                        mixtape::error::summarise(&v.errors)
                            .map(|(_, t)| t)
                            .unwrap_or_default()
                    ),
                    Err(e) => println!("{}\tERR {e}", f.display()),
                }
            }
        }
        "rawpcm" | "rawpcm32" => {
            let (Some(src), Some(dst)) = (files.first(), files.get(1)) else {
                eprintln!("usage: media_tool {mode} FILE OUT");
                return;
            };
            let wide = mode == "rawpcm32";
            match mixtape::media::decode(src, None) {
                Ok(d) => {
                    let mut bytes = Vec::with_capacity(d.samples.len() * 4);
                    for &s in &d.samples {
                        let s = s as f64;
                        if wide {
                            let v = (s * 2147483648.0).round();
                            bytes.extend(
                                (v.clamp(-2147483648.0, 2147483647.0) as i32).to_le_bytes(),
                            );
                        } else {
                            let v = (s * 32768.0).round().clamp(-32768.0, 32767.0);
                            bytes.extend((v as i16).to_le_bytes());
                        }
                    }
                    if let Err(e) = std::fs::write(dst, bytes) {
                        eprintln!("{}: {e}", dst.display());
                    }
                    println!(
                        "{} Hz, {} ch, errors: {:?}",
                        d.samplerate, d.channels, d.errors
                    );
                }
                Err(e) => eprintln!("{e}"),
            }
        }
        "items" => {
            use lofty::file::TaggedFileExt;
            for f in &files {
                println!("== {}", f.display());
                match lofty::read_from_path(f) {
                    Ok(t) => {
                        for tag in t.tags() {
                            for it in tag.items() {
                                println!(
                                    "  {:?} {:?} = {:?}",
                                    tag.tag_type(),
                                    it.key(),
                                    it.value()
                                );
                            }
                        }
                    }
                    Err(e) => println!("  ERR {e}"),
                }
            }
        }
        _ => eprintln!("usage: media_tool info|fp|time|fptime|verify FILES..."),
    }
}

/// The `floor` mode: what fingerprinting 120 s costs before any decoding.
fn floor() {
    use rusty_chromaprint::{Configuration, Fingerprinter};
    let samples = mixtape::media::synth::to_i16(&mixtape::media::synth::music(3, 120.0, 11025, 1));
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ours = median(
        (0..9)
            .map(|_| {
                let t = Instant::now();
                let mut f = Fingerprinter::new(&Configuration::preset_test2());
                f.start(11025, 1).unwrap();
                f.consume(&samples);
                f.finish();
                assert!(!f.fingerprint().is_empty());
                t.elapsed().as_secs_f64()
            })
            .collect(),
    );
    println!(
        "rusty-chromaprint, 120 s at 11025 Hz mono: {:.1} ms",
        ours * 1e3
    );
    let dir = std::env::temp_dir().join(format!("media_tool_floor_{}", std::process::id()));
    let wav = dir.join("floor.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 11025,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let written = std::fs::create_dir_all(&dir).is_ok()
        && hound::WavWriter::create(&wav, spec)
            .and_then(|mut w| {
                for s in &samples {
                    w.write_sample(*s)?;
                }
                w.finalize()
            })
            .is_ok();
    if !written {
        eprintln!("{}: cannot write the WAV", wav.display());
        return;
    }
    let runs: Vec<f64> = (0..9)
        .filter_map(|_| {
            let t = Instant::now();
            let out = std::process::Command::new("fpcalc")
                .arg("-raw")
                .arg(&wav)
                .output()
                .ok()?;
            // fpcalc exits 3 on its decoder's end-of-file "error" for WAV
            // input, having printed the fingerprint.
            let printed = String::from_utf8_lossy(&out.stdout).contains("FINGERPRINT=");
            printed.then(|| t.elapsed().as_secs_f64())
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    if runs.is_empty() {
        println!("fpcalc: not run (apt-get install libchromaprint-tools)");
    } else {
        println!(
            "fpcalc -raw, the same audio as a WAV: {:.1} ms (process start, WAV read, libchromaprint)",
            median(runs) * 1e3
        );
    }
}

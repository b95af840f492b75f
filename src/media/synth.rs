//! Deterministic music-like test signals: chords and melody notes that change
//! over time, with harmonics, envelopes and a little noise. Pure tones
//! fingerprint poorly; these behave like real music for Chromaprint. A
//! full-band variant adds bright, noisy content up to Nyquist, so lossy
//! encoders' low-pass filters show in its spectrum. Used by tests and
//! benchmarks to generate fixtures (no audio files are committed).

/// A tiny deterministic PRNG (xorshift64*), so fixtures are reproducible.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (any value).
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A float in [0, 1).
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    /// An integer in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// Generate `seconds` of a music-like signal, interleaved f32 in [-1, 1].
/// Different seeds give different "songs"; the same seed gives the same samples.
pub fn music(seed: u64, seconds: f64, samplerate: u32, channels: u16) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let frames = (seconds * samplerate as f64).round() as usize;
    let channels = channels.max(1) as usize;
    let sr = samplerate as f32;
    // A tempo and a chord progression chosen by the seed.
    let beat = 0.25 + rng.next_f32() * 0.3; // seconds per note
    let root = 45 + rng.below(12) as i32; // MIDI note of the key
    let progression: Vec<[i32; 3]> = (0..8)
        .map(|_| {
            let r = [0, 2, 4, 5, 7, 9][rng.below(6) as usize];
            let minor = rng.below(2) as i32;
            [r, r + 4 - minor, r + 7]
        })
        .collect();
    let melody: Vec<i32> = (0..64)
        .map(|_| [0, 2, 4, 7, 9, 12, 14][rng.below(7) as usize])
        .collect();
    let hz = |midi: i32| 440.0 * 2f32.powf((midi as f32 - 69.0) / 12.0);
    let mut out = Vec::with_capacity(frames * channels);
    let mut noise = Rng::new(seed ^ 0xDEAD_BEEF);
    let mut phase = [0f32; 8];
    for i in 0..frames {
        let t = i as f32 / sr;
        let note_idx = (t / beat) as usize;
        let chord = progression[(note_idx / 4) % progression.len()];
        let mel = melody[note_idx % melody.len()];
        let in_note = (t / beat).fract();
        let env = (1.0 - in_note).powf(1.5) * (in_note * 40.0).min(1.0);
        let mut freqs = [0f32; 5];
        for (k, c) in chord.iter().enumerate() {
            freqs[k] = hz(root + c);
        }
        freqs[3] = hz(root + 12 + mel);
        freqs[4] = hz(root - 12 + chord[0]);
        let mut s = 0f32;
        for (k, f) in freqs.iter().enumerate() {
            phase[k] = (phase[k] + f / sr).fract();
            let p = phase[k] * std::f32::consts::TAU;
            let tone = p.sin() + 0.4 * (2.0 * p).sin() + 0.2 * (3.0 * p).sin();
            let amp = match k {
                3 => 0.30 * env,
                4 => 0.25 * (0.6 + 0.4 * env),
                _ => 0.12,
            };
            s += amp * tone;
        }
        // A hi-hat like noise burst on each beat.
        let hat = if in_note < 0.05 {
            0.15 * (1.0 - in_note / 0.05)
        } else {
            0.0
        };
        s += (noise.next_f32() * 2.0 - 1.0) * (0.02 + hat);
        let s = (s * 0.6).clamp(-1.0, 1.0);
        for c in 0..channels {
            // A slight stereo difference keeps channels from being identical.
            let pan = if c % 2 == 0 { 1.0 } else { 0.9 };
            out.push(s * pan);
        }
    }
    out
}

/// Generate `seconds` of full-band music, interleaved f32 in [-1, 1]: the
/// notes of [`music`], a bright sawtooth lead (harmonics up to Nyquist),
/// snare and hi-hat noise bursts and a low "air" noise floor, so the spectrum
/// is busy all the way to Nyquist as a modern recording's is (`music` alone
/// has little above 2 kHz). Lossy encoders' low-pass filters show plainly in
/// it. The noise differs between channels, as a stereo recording's does.
pub fn full_band(seed: u64, seconds: f64, samplerate: u32, channels: u16) -> Vec<f32> {
    let base = music(seed, seconds, samplerate, 1);
    let channels = channels.max(1) as usize;
    let sr = samplerate.max(1) as f32;
    let mut rng = Rng::new(seed ^ 0x5EED_F011);
    let beat = 0.2 + rng.next_f32() * 0.2;
    let root = 57 + rng.below(12) as i32;
    let melody: Vec<i32> = (0..32)
        .map(|_| [0, 3, 5, 7, 10, 12][rng.below(6) as usize])
        .collect();
    let hz = |midi: i32| 440.0 * 2f32.powf((midi as f32 - 69.0) / 12.0);
    let mut noise = Rng::new(seed ^ 0xA1B2_C3D4);
    let mut phase = 0f32;
    let mut prev = vec![0f32; channels];
    let mut out = Vec::with_capacity(base.len() * channels);
    for (i, &b) in base.iter().enumerate() {
        let pos = i as f32 / sr / beat;
        let within = pos.fract();
        let dt = (hz(root + melody[pos as usize % melody.len()]) / sr).min(0.5);
        phase += dt;
        if phase >= 1.0 {
            phase -= 1.0;
        }
        // A PolyBLEP sawtooth: every harmonic at 1/k, little aliasing.
        let saw = 2.0 * phase - 1.0 - poly_blep(phase, dt);
        let env = (1.0 - within).powi(2) * (within * 50.0).min(1.0);
        // Snare on every other beat, hi-hat on every half beat.
        let bar = (pos * 0.5).fract();
        let snare = if (0.5..0.6).contains(&bar) {
            0.25 * (-(bar - 0.5) * 40.0).exp()
        } else {
            0.0
        };
        let half = (pos * 2.0).fract();
        let hat = 0.2 * (-half * 30.0).exp();
        for p in prev.iter_mut() {
            let white = noise.next_f32() * 2.0 - 1.0;
            // The hat is differentiated noise (rising 6 dB/octave): bright.
            let bright = white - *p;
            *p = white;
            let s = b + 0.1 * env * saw + snare * white + hat * 0.5 * bright + 0.015 * white;
            out.push((s * 0.8).clamp(-1.0, 1.0));
        }
    }
    out
}

/// The PolyBLEP correction for a sawtooth's jump at phase 0 (`t` the phase
/// in [0, 1), `dt` the phase step per sample).
fn poly_blep(t: f32, dt: f32) -> f32 {
    if t < dt {
        let x = t / dt;
        x + x - x * x - 1.0
    } else if t > 1.0 - dt {
        let x = (t - 1.0) / dt;
        x * x + x + x + 1.0
    } else {
        0.0
    }
}

/// A mono IMA ADPCM WAV (format tag 0x11, 256-byte blocks of 505 frames,
/// with the `fact` chunk such files carry) of `blocks` blocks of random
/// nibbles: valid, if noisy, audio for tests of non-PCM WAV handling.
pub fn ima_adpcm_wav(seed: u64, blocks: usize, samplerate: u32) -> Vec<u8> {
    const ALIGN: usize = 256;
    const FRAMES: u32 = (ALIGN as u32 - 4) * 2 + 1;
    let mut rng = Rng::new(seed);
    let mut fmt = Vec::new();
    fmt.extend(0x11u16.to_le_bytes());
    fmt.extend(1u16.to_le_bytes());
    fmt.extend(samplerate.to_le_bytes());
    fmt.extend((samplerate * ALIGN as u32 / FRAMES).to_le_bytes());
    fmt.extend((ALIGN as u16).to_le_bytes());
    fmt.extend(4u16.to_le_bytes());
    fmt.extend(2u16.to_le_bytes()); // cbSize
    fmt.extend((FRAMES as u16).to_le_bytes());
    let mut data = Vec::with_capacity(blocks * ALIGN);
    for _ in 0..blocks {
        // Block header: first sample, step index (0..=88), reserved.
        data.extend(((rng.below(2000) as i16) - 1000).to_le_bytes());
        data.push(rng.below(40) as u8);
        data.push(0);
        data.extend((4..ALIGN).map(|_| rng.next_u64() as u8));
    }
    let fact = (blocks as u32 * FRAMES).to_le_bytes();
    riff_wave(&[(b"fmt ", &fmt), (b"fact", &fact), (b"data", &data)])
}

/// A RIFF WAVE file of these chunks, in order (odd sizes padded).
pub fn riff_wave(chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let mut body = b"WAVE".to_vec();
    for (id, c) in chunks {
        body.extend(*id);
        body.extend((c.len() as u32).to_le_bytes());
        body.extend(*c);
        if c.len() % 2 == 1 {
            body.push(0);
        }
    }
    let mut out = b"RIFF".to_vec();
    out.extend((body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

/// Convert f32 samples to i16 (no dither: fixtures only need determinism).
pub fn to_i16(samples: &[f32]) -> Vec<i16> {
    samples
        .iter()
        .map(|s| (s.clamp(-1.0, 1.0) * 32767.0).round() as i16)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_seed_dependent() {
        let a = music(1, 1.0, 8000, 2);
        let b = music(1, 1.0, 8000, 2);
        let c = music(2, 1.0, 8000, 2);
        assert_eq!(a.len(), 16000);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.iter().all(|s| (-1.0..=1.0).contains(s)));
        let rms = (a.iter().map(|s| s * s).sum::<f32>() / a.len() as f32).sqrt();
        assert!(rms > 0.05, "signal too quiet: {rms}");
    }

    #[test]
    fn full_band_is_deterministic_and_in_range() {
        let a = full_band(1, 1.0, 44100, 2);
        assert_eq!(a.len(), 88200);
        assert_eq!(a, full_band(1, 1.0, 44100, 2));
        assert_ne!(a, full_band(2, 1.0, 44100, 2));
        assert!(a.iter().all(|s| (-1.0..=1.0).contains(s)));
        // The channels differ (independent noise).
        assert!(a.chunks(2).any(|f| f[0] != f[1]));
    }
}

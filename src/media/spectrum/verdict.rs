//! From a measured edge to verdicts: `lossy_source` for a lossless file
//! whose cliff sits where lossy encoders cut, `upscaled` for a lossy file
//! whose cliff is well below what its codec and bitrate give (the
//! bandwidth tables of LAME, AAC and Vorbis).

use super::{Measured, MIN_SECONDS};

/// The lossless rule: a cliff below `min(LOSSY_EDGE_HZ, LOSSY_EDGE_NYQUIST *
/// nyquist)` is a lossy encoder's: LAME up to 192k (18.9 kHz measured), FDK
/// AAC at any CBR rate (17 kHz at most), ffmpeg's AAC up to 192k (19.5 kHz),
/// Vorbis up to q3 (18.3 kHz). A cliff from there up to `min(CLEAN_EDGE_HZ,
/// CLEAN_EDGE_NYQUIST * nyquist)` is ambiguous (unknown): LAME 224k-320k
/// (19.6-20.3 kHz), Opus (20.4 kHz) and Vorbis q4 (19.7 kHz) cut there, but
/// so do some studio and resampler filters. A cliff above that is a
/// resampler's or ADC's anti-alias filter, not lossy: a 96 kHz file
/// upsampled from CD has one at ~21.6 kHz. At low rates (22.05 kHz, 8 kHz)
/// resamplers and encoders alike cut at ~0.9 of Nyquist (LAME at 22.05 kHz:
/// 10.1 kHz, 0.92), hence the fractions of Nyquist.
pub(super) const LOSSY_EDGE_HZ: f64 = 19_500.0;
pub(super) const LOSSY_EDGE_NYQUIST: f64 = 0.88;
pub(super) const CLEAN_EDGE_HZ: f64 = 20_800.0;
pub(super) const CLEAN_EDGE_NYQUIST: f64 = 0.94;
/// A cliff below `min(MIN_CLIFF_HZ, MIN_CLIFF_NYQUIST * nyquist)` gives no
/// verdict either way: no lossy encoder cuts that low at a rate worth
/// storing (LAME at 32 kbit/s cuts at 5.5 kHz), while a steep fall in the
/// lowest kHz is more likely the music's own.
pub(super) const MIN_CLIFF_HZ: f64 = 4_000.0;
pub(super) const MIN_CLIFF_NYQUIST: f64 = 0.2;
/// The lossy rule: `upscaled` when a cliff sits more than this fraction of
/// the expected bandwidth below it (1.6 kHz at 20 kHz: 128k LAME's 17 kHz
/// is well below 320k's 20.5 kHz, 160k's 17.5 kHz is not below 192k's 18.6).
pub(super) const UPSCALED_MARGIN: f64 = 0.08;

/// The verdicts (None = no verdict / unknown).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Verdict {
    /// A lossless file made from a lossy encode (lossless files only).
    pub lossy_source: Option<bool>,
    /// A lossy file re-encoded from a lower-bandwidth lossy one (lossy only).
    pub upscaled: Option<bool>,
}

/// Judge a measurement against what the file claims to be. `bitrate` is in
/// bits per second (as `AudioProps::bitrate`); `channels` defaults to 2.
///
/// No verdict at all for audio that is silent, shorter than [`MIN_SECONDS`],
/// has no bandwidth or a cliff below 4 kHz (0.2 of Nyquist at low rates). Lossless files (`upscaled` is None):
/// - a cliff below ~19.5 kHz (0.88 of Nyquist at low rates): `lossy_source`;
/// - a cliff from there to ~20.8 kHz (0.94 of Nyquist): unknown;
/// - a higher cliff, or content up to ~19.5 kHz or more: not lossy;
/// - content that fades out lower without a cliff: unknown.
///
/// Lossy files (`lossy_source` is None), against [`expected_bandwidth`]:
/// - a cliff more than 8 % below the expected bandwidth: `upscaled`;
/// - a bandwidth at or above that: not upscaled;
/// - lower but fading without a cliff, or an unknown expectation: unknown.
pub(crate) fn judge(
    m: &Measured,
    codec: &str,
    lossless: bool,
    bitrate: Option<u32>,
    channels: Option<u32>,
) -> Verdict {
    let mut v = Verdict::default();
    let Some(bandwidth) = m.bandwidth else {
        return v;
    };
    if m.seconds < MIN_SECONDS || m.samplerate == 0 {
        return v;
    }
    let nyquist = m.samplerate as f64 / 2.0;
    let lowest = MIN_CLIFF_HZ.min(MIN_CLIFF_NYQUIST * nyquist);
    if m.cliff.is_some_and(|c| (c.freq as f64) < lowest) {
        return v;
    }
    if lossless {
        let lossy = LOSSY_EDGE_HZ.min(LOSSY_EDGE_NYQUIST * nyquist);
        let clean = CLEAN_EDGE_HZ.min(CLEAN_EDGE_NYQUIST * nyquist);
        v.lossy_source = match m.cliff {
            Some(c) if (c.freq as f64) < lossy => Some(true),
            Some(c) if (c.freq as f64) < clean => None,
            _ if bandwidth as f64 >= lossy => Some(false),
            // Content fades out below the edge without a cliff: naturally
            // band-limited music tells nothing about its history.
            _ => None,
        };
    } else {
        let Some(expected) =
            bitrate.and_then(|b| expected_bandwidth(codec, b, channels.unwrap_or(2), m.samplerate))
        else {
            return v;
        };
        let short = expected as f64 * (1.0 - UPSCALED_MARGIN);
        v.upscaled = match m.cliff {
            Some(c) if (c.freq as f64) < short => Some(true),
            _ if bandwidth as f64 >= short => Some(false),
            _ => None,
        };
    }
    v
}

/// The bandwidth a genuine encode with this codec and bitrate (bits per
/// second) normally has, Hz, as [`Analyzer`] measures it (the cliff's
/// half-drop point); None when not known. Capped at 0.9 of Nyquist rather
/// than Nyquist itself: at low sample rates encoders put their own
/// anti-alias cut there (LAME at 22.05 kHz cuts at 10.1 kHz, 0.92 of
/// Nyquist, whatever the bitrate), and a full-band expectation would make
/// every such file look upscaled.
///
/// The figures are conservative (the lowest common encoder's), since an
/// expectation set too high would call genuine encodes upscaled.
pub fn expected_bandwidth(
    codec: &str,
    bitrate: u32,
    channels: u32,
    samplerate: u32,
) -> Option<u32> {
    if samplerate < 1000 || bitrate < 8_000 {
        return None;
    }
    let kbps = bitrate as f64 / 1000.0;
    let mono = channels == 1;
    let hz = match codec {
        "mp3" => lookup(&LAME, kbps * if mono { 2.0 } else { 1.0 })?,
        "aac" => lookup(&AAC, kbps * if mono { 1.5 } else { 1.0 })?,
        "vorbis" => lookup(&VORBIS, kbps * 0.87 * if mono { 1.5 } else { 1.0 })?,
        // libopus is fullband (cut at 20 kHz) from well below 32 kbit/s,
        // stereo or mono; measured 20.35-20.46 kHz from 24 to 256 kbit/s.
        "opus" if kbps >= 32.0 => 20_000,
        _ => return None,
    };
    Some(hz.min((0.9 * samplerate as f64 / 2.0) as u32))
}

/// The entry for the largest bitrate at or below `kbps` (3 % slack for
/// reported averages a hair under a nominal rate); VBR averages fall
/// between entries and get the lower one.
pub(super) fn lookup(table: &[(u32, u32)], kbps: f64) -> Option<u32> {
    table
        .iter()
        .rev()
        .find(|&&(b, _)| kbps * 1.03 >= b as f64)
        .map(|&(_, hz)| hz)
}

/// LAME's CBR/ABR low-pass by stereo bitrate (lame.c `optimum_bandwidth`,
/// LAME 3.100). Measured here (mp3lame-encoder, full-band stereo 44.1 kHz,
/// half-drop point): 32k 5585 Hz (LAME resamples to 16 kHz), 64k 11015
/// (24 kHz), 96k 15187 (32 kHz), 128k 16860, 160k 17538, 192k 18895,
/// 224k 19573, 256k 19573, 320k 20251; at 48 kHz 128k 16769, 320k 20566;
/// VBR V2 (200k) 18895, V4 (158k) 17538, V5 (137k) 16860, V0 none. Mono
/// gets the stereo figure of twice its bitrate or more (mono 64k 16860,
/// 96k-160k 20251), hence the doubling above.
pub(super) const LAME: [(u32, u32); 17] = [
    (8, 2_000),
    (16, 3_700),
    (24, 3_900),
    (32, 5_500),
    (40, 7_000),
    (48, 7_500),
    (56, 10_000),
    (64, 11_000),
    (80, 13_500),
    (96, 15_100),
    (112, 15_600),
    (128, 17_000),
    (160, 17_500),
    (192, 18_600),
    (224, 19_400),
    (256, 19_700),
    (320, 20_500),
];

/// AAC-LC by stereo bitrate: the lower of FDK AAC's CBR (as the project
/// encodes it: 64k 13856 Hz, 96k 14438, 128k 15600, 160k 16279, 192k-320k
/// 17054: FDK stays at 17 kHz however high the rate) and ffmpeg's native
/// encoder (64k 12500, 96k 16666, 128k 17344, 160k-192k 19476, 256k+ full
/// band). Mono counts as 1.5 times its bitrate (FDK mono 64k 14244, 128k
/// 17151). Apple's encoder was not measured; it cuts higher than FDK.
pub(super) const AAC: [(u32, u32); 5] = [
    (64, 12_500),
    (96, 14_400),
    (128, 15_600),
    (160, 16_200),
    (192, 17_000),
];

/// libvorbis (1.3, via ffmpeg) by nominal stereo bitrate, i.e. quality:
/// q0/64k 15600 Hz, q1/80k and q2/96k 16957, q3/112k 18313, q4/128k 19670,
/// q5/160k 21027, q6/192k and above no low-pass (full band). Looked up at
/// 0.87 times the bitrate, since a VBR file's average may run 15 % over
/// its nominal rate; mono counts as 1.5 times (mono 64k 16957).
///
/// Older encoders (libvorbis 1.0-1.2, aoTuV, which most Vorbis files in
/// the wild, game soundtracks among them, were made with) low-pass about
/// 3 kHz lower at the same nominal rate: 128k files cut at 16.7 kHz are
/// common and genuine. The table takes those lower figures, so that no
/// genuine file is called upscaled.
pub(super) const VORBIS: [(u32, u32); 6] = [
    (64, 13_000),
    (80, 14_000),
    (112, 15_000),
    (128, 15_500),
    (160, 17_000),
    (192, 19_000),
];

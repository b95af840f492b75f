//! The walk over one opened stream: every demuxed packet hashed (for
//! `audio_hash`) and, when asked, decoded and handed to a [`Sink`] as
//! frames of mono-mixable samples; a decoder failing on packet after packet
//! gives up, and a demuxer returning packets past any plausible amount is
//! stopped.

use symphonia::core::audio::conv::FromSample;
use symphonia::core::audio::sample::Sample;
use symphonia::core::audio::{Audio, AudioBuffer, GenericAudioBufferRef};
use symphonia::core::codecs::audio::well_known::*;
use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::packet::Packet;

use crate::error::{MediaErrorKind, Problem};

use super::*;

/// Decoded frames of one packet, in whichever form the decoder produced.
pub(crate) enum Frames<'a> {
    /// A symphonia buffer.
    Sym(GenericAudioBufferRef<'a>),
    /// Interleaved f32 samples (the Opus decoder, WavPack float data).
    F32(&'a [f32]),
    /// Interleaved full-scale i32 samples (the APE and WavPack decoders).
    I32(&'a [i32]),
}

impl Frames<'_> {
    /// Mix to mono (the average of the `channels` channels) as f32 in
    /// [-1, 1], replacing `out`; returns the peak magnitude over all
    /// channels. Reads symphonia's planes directly (no interleaving copy).
    pub fn mix_mono(&self, channels: usize, out: &mut Vec<f32>) -> f32 {
        match self {
            Frames::Sym(b) => match b {
                GenericAudioBufferRef::U8(b) => mix_planes(b, out),
                GenericAudioBufferRef::U16(b) => mix_planes(b, out),
                GenericAudioBufferRef::U24(b) => mix_planes(b, out),
                GenericAudioBufferRef::U32(b) => mix_planes(b, out),
                GenericAudioBufferRef::S8(b) => mix_planes(b, out),
                GenericAudioBufferRef::S16(b) => mix_planes(b, out),
                GenericAudioBufferRef::S24(b) => mix_planes(b, out),
                GenericAudioBufferRef::S32(b) => mix_planes(b, out),
                GenericAudioBufferRef::F32(b) => mix_planes(b, out),
                GenericAudioBufferRef::F64(b) => mix_planes(b, out),
            },
            Frames::F32(s) => {
                let ch = channels.max(1);
                out.clear();
                out.extend(
                    s.chunks_exact(ch)
                        .map(|f| f.iter().sum::<f32>() / ch as f32),
                );
                s.iter().fold(0.0f32, |m, v| m.max(v.abs()))
            }
            Frames::I32(s) => {
                let ch = channels.max(1);
                let scale = 1.0 / (I32_FULL_SCALE * ch as f32);
                out.clear();
                out.extend(
                    s.chunks_exact(ch)
                        .map(|f| f.iter().map(|&v| v as f32).sum::<f32>() * scale),
                );
                let peak = s.iter().fold(0u32, |m, v| m.max(v.unsigned_abs()));
                peak as f32 / I32_FULL_SCALE
            }
        }
    }

    /// Samples in all channels.
    fn len(&self) -> usize {
        match self {
            Frames::Sym(b) => b.frames() * b.spec().channels().count(),
            Frames::F32(s) => s.len(),
            Frames::I32(s) => s.len(),
        }
    }

    /// Interleaved f32 samples in [-1, 1].
    pub fn to_f32(&self, out: &mut Vec<f32>) {
        match self {
            Frames::Sym(b) => b.copy_to_vec_interleaved(out),
            Frames::F32(s) => {
                out.clear();
                out.extend_from_slice(s);
            }
            Frames::I32(s) => {
                out.clear();
                out.extend(s.iter().map(|&v| v as f32 / I32_FULL_SCALE));
            }
        }
    }
    /// Interleaved samples as full-scale i32 (the canonical integer form
    /// hashed for `pcm_hash`: a 16-bit sample `v` becomes `v << 16`, so the
    /// same audio gives the same integers from any lossless container; float
    /// output is scaled to the same range).
    pub fn to_i32(&self, out: &mut Vec<i32>) {
        match self {
            Frames::Sym(b) => b.copy_to_vec_interleaved(out),
            Frames::F32(s) => {
                out.clear();
                out.extend(s.iter().map(|&v| {
                    (v as f64 * 2147483648.0)
                        .round()
                        .clamp(-2147483648.0, 2147483647.0) as i32
                }));
            }
            Frames::I32(s) => {
                out.clear();
                out.extend_from_slice(s);
            }
        }
    }
}

/// The most samples of silence put in for one damaged native frame (an
/// APE frame of 1,179,648 stereo blocks fits).
const MAX_SILENCE_SAMPLES: usize = 1 << 24;

/// Full scale of an i32 sample, as f32 (symphonia's i32 to f32 scale).
const I32_FULL_SCALE: f32 = 2147483648.0;

/// [`Frames::mix_mono`] for one symphonia buffer.
fn mix_planes<S>(buf: &AudioBuffer<S>, out: &mut Vec<f32>) -> f32
where
    S: Sample,
    f32: FromSample<S>,
{
    let planes = buf.num_planes();
    out.clear();
    out.resize(buf.frames(), 0.0);
    // Eight independent lanes, so the loops vectorise (a single running
    // maximum is a serial dependency chain).
    let mut peak = [0.0f32; 8];
    for p in 0..planes {
        let Some(plane) = buf.plane(p) else { continue };
        let n = plane.len().min(out.len());
        let (oc, orest) = out[..n].split_at_mut(n / 8 * 8);
        let (pc, prest) = plane[..n].split_at(n / 8 * 8);
        for (o, s) in oc.chunks_exact_mut(8).zip(pc.chunks_exact(8)) {
            for l in 0..8 {
                let v = f32::from_sample(s[l]);
                let a = v.abs();
                peak[l] = if a > peak[l] { a } else { peak[l] };
                o[l] += v;
            }
        }
        for (o, &s) in orest.iter_mut().zip(prest) {
            let v = f32::from_sample(s);
            peak[0] = peak[0].max(v.abs());
            *o += v;
        }
    }
    if planes > 1 {
        let scale = 1.0 / planes as f32;
        out.iter_mut().for_each(|o| *o *= scale);
    }
    peak.iter().fold(0.0, |m, &p| m.max(p))
}

/// Receives decoded audio during a walk.
pub(crate) trait Sink {
    /// Called once before the first samples with the decoded format.
    fn start(&mut self, samplerate: u32, channels: usize);
    /// Called for each decoded packet. `frames_before` is the number of frames
    /// already delivered. Return `false` to say no more samples are wanted.
    fn samples(&mut self, frames: &Frames<'_>, n_frames: usize, frames_before: u64) -> bool;
}

/// What to do during a walk.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WalkOptions {
    /// Hash every packet's bytes (audio_hash).
    pub hash_packets: bool,
    /// Decode packets (for a sink).
    pub decode: bool,
    /// Verify the FLAC MD5, and decode to the end even when the sink wants
    /// no more samples (a full integrity check).
    pub verify: bool,
}

/// What a walk found.
#[derive(Debug, Default)]
pub(crate) struct Walked {
    pub packet_hash: Option<[u8; 32]>,
    /// Sum of packet sizes (for the bitrate).
    pub packet_bytes: u64,
    /// Frames decoded (when decoding).
    pub decoded_frames: u64,
    /// The decoded sample rate and channels.
    pub samplerate: Option<u32>,
    pub channels: Option<usize>,
    /// Frames covered by the packets' timestamps (end of last packet).
    pub packet_end_ts: u64,
    /// Problems: bad frames, MD5 mismatch, demuxer errors.
    pub errors: Vec<Problem>,
    /// Whether the walk stopped before the end of the stream on purpose.
    pub stopped_early: bool,
    /// Whether decoding stopped before the end because the sink wanted no
    /// more samples (the fingerprint's window): `decoded_frames` is then
    /// not the stream's length, and only the packets say where it ends.
    pub sink_satisfied: bool,
    /// Whether the demuxer ended with an error (truncated or corrupt container).
    pub demux_failed: bool,
    /// Whether decoding stopped on a decoder panic.
    pub decode_aborted: bool,
    /// Whether the decoder could not be created.
    pub no_decoder: Option<String>,
}

impl Walked {
    fn error(&mut self, kind: MediaErrorKind, msg: String) {
        if self.errors.len() < MAX_ERROR_MESSAGES {
            if !self.errors.iter().any(|p| p.message == msg) {
                self.errors.push(Problem::new(kind, msg));
            }
        } else if self.errors.len() == MAX_ERROR_MESSAGES {
            self.errors
                .push(Problem::new(kind, "(more errors not shown)"));
        }
    }
}

/// The decoder for a stream: symphonia's, or ours for Opus.
enum Decoder {
    Sym(Box<dyn AudioDecoder>),
    Opus(crate::media::opus::OpusStream),
}

impl Stream {
    /// Walk the stream once: hash packets and/or decode into `sink`.
    pub(crate) fn walk(&mut self, opts: WalkOptions, sink: &mut dyn Sink) -> Walked {
        match &mut self.source {
            Source::Demuxed(d) => d.walk(&self.info, opts, sink),
            Source::Native(n) => walk_native(n, opts, sink),
        }
    }
}

impl Demuxed {
    fn make_decoder(&self, verify: bool) -> Result<Decoder, String> {
        if self.params.codec == CODEC_ID_OPUS {
            return crate::media::opus::OpusStream::new(&self.params, self.delay)
                .map(Decoder::Opus);
        }
        let opts = AudioDecoderOptions::default().verify(verify).gapless(true);
        symphonia::default::get_codecs()
            .make_audio_decoder(&self.params, &opts)
            .map(Decoder::Sym)
            .map_err(|e| describe(&e))
    }

    /// [`Stream::walk`] over symphonia's packets.
    fn walk(&mut self, info: &StreamInfo, opts: WalkOptions, sink: &mut dyn Sink) -> Walked {
        let mut out = Walked::default();
        let mut hasher = opts.hash_packets.then(blake3::Hasher::new);
        let mut decoder = if opts.decode {
            match self.make_decoder(opts.verify) {
                Ok(d) => Some(d),
                Err(e) => {
                    out.no_decoder = Some(e);
                    None
                }
            }
        } else {
            None
        };
        let mut want_samples = decoder.is_some();
        let mut started = false;
        let mut consecutive_errors = 0usize;
        let mut packets: u64 = 0;
        // A generous ceiling on packets for the file size, so a demuxer that
        // loops forever is stopped.
        let max_packets = self.file_len.saturating_mul(2).saturating_add(100_000);
        let rate = info.samplerate.unwrap_or(0) as f64;
        loop {
            let packet = match self.reader.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => break,
                Err(SymError::ResetRequired) => break,
                Err(e) => {
                    out.demux_failed = true;
                    out.error(
                        MediaErrorKind::Stream,
                        format!("stream error: {}", describe(&e)),
                    );
                    break;
                }
            };
            packets += 1;
            if packets > max_packets {
                out.demux_failed = true;
                out.error(
                    MediaErrorKind::Stream,
                    "demuxer made no progress (stopped)".to_string(),
                );
                break;
            }
            if packet.track_id != self.track_id {
                continue;
            }
            if let Some(h) = hasher.as_mut() {
                h.update(&packet.data);
            }
            out.packet_bytes += packet.data.len() as u64;
            let end = packet.pts.get().max(0) as u64 + packet.dur.get();
            out.packet_end_ts = out.packet_end_ts.max(end);

            if !want_samples {
                if hasher.is_none() {
                    out.stopped_early = true;
                    break;
                }
                continue;
            }
            let Some(dec) = decoder.as_mut() else {
                continue;
            };
            let opus_channels = match dec {
                Decoder::Opus(o) => o.channels(),
                Decoder::Sym(_) => 1,
            };
            // A decoder panic on one packet is that packet's error; the
            // decoder's state is then suspect, so decoding stops (the packets
            // are still hashed).
            let result = match crate::media::catch("decoder", || decode_packet(dec, &packet)) {
                Ok(r) => r,
                Err(panic) => {
                    out.error(MediaErrorKind::Panicked, panic);
                    want_samples = false;
                    out.decode_aborted = true;
                    continue;
                }
            };
            match result {
                Ok(Some(frames)) => {
                    consecutive_errors = 0;
                    let (n, sr, ch) = frame_shape(&frames, opus_channels);
                    if n == 0 {
                        continue;
                    }
                    if !started {
                        started = true;
                        out.samplerate = Some(sr);
                        out.channels = Some(ch);
                        sink.start(sr, ch);
                    }
                    if !sink.samples(&frames, n, out.decoded_frames) && !opts.verify {
                        want_samples = false;
                        out.sink_satisfied = true;
                    }
                    out.decoded_frames += n as u64;
                }
                Ok(None) => consecutive_errors = 0,
                Err(e) => {
                    consecutive_errors += 1;
                    let at = if rate > 0.0 {
                        format!(" at {:.1} s", packet.pts.get().max(0) as f64 / rate)
                    } else {
                        String::new()
                    };
                    out.error(MediaErrorKind::BadFrames, format!("bad frame{at}: {e}"));
                    if consecutive_errors >= MAX_CONSECUTIVE_ERRORS {
                        out.error(
                            MediaErrorKind::BadFrames,
                            "too many bad frames in a row (stopped decoding)".to_string(),
                        );
                        want_samples = false;
                        if hasher.is_none() {
                            break;
                        }
                    }
                }
            }
        }
        if !want_samples && decoder.is_some() && consecutive_errors < MAX_CONSECUTIVE_ERRORS {
            out.stopped_early = out.stopped_early || hasher.is_none();
        }
        out.packet_hash = hasher.map(|h| *h.finalize().as_bytes());
        // FLAC MD5: only meaningful when the whole stream was decoded.
        if opts.verify && want_samples {
            if let Some(Decoder::Sym(d)) = decoder.as_mut() {
                if info.md5.is_some() && d.finalize().verify_ok == Some(false) {
                    out.error(
                        MediaErrorKind::Checksum,
                        "FLAC MD5 mismatch (decoded audio differs from the checksum in STREAMINFO)"
                            .to_string(),
                    );
                }
            }
        }
        out
    }
}

/// [`Stream::walk`] over a native decoder's chunks. There are no packets
/// to hash (the caller hashes the file's audio region instead), so a walk
/// that does not decode only reports what the header declares.
fn walk_native(dec: &mut NativeDecoder, opts: WalkOptions, sink: &mut dyn Sink) -> Walked {
    let h = dec.header().clone();
    let mut out = Walked {
        packet_bytes: dec.audio_bytes(),
        ..Default::default()
    };
    if !opts.decode {
        out.packet_end_ts = h.frames.unwrap_or(0);
        return out;
    }
    if opts.verify {
        dec.check_whole();
    }
    let channels = h.channels as usize;
    out.samplerate = Some(h.samplerate);
    out.channels = Some(channels);
    sink.start(h.samplerate, channels);
    let mut consecutive_errors = 0usize;
    let mut ended = false;
    let mut silence: Vec<i32> = Vec::new();
    loop {
        // A panic leaves the decoder's state suspect: decoding stops.
        let next = match crate::media::catch("decoder", || dec.next_chunk()) {
            Ok(n) => n,
            Err(panic) => {
                out.error(MediaErrorKind::Panicked, panic);
                out.decode_aborted = true;
                break;
            }
        };
        let frames = match next {
            None => {
                ended = true;
                break;
            }
            Some(Ok(native::Chunk::Int(s))) => Frames::I32(s),
            Some(Ok(native::Chunk::Float(s))) => Frames::F32(s),
            Some(Err((p, lost))) => {
                consecutive_errors += 1;
                if p.kind == MediaErrorKind::Stream {
                    out.demux_failed = true;
                }
                out.error(p.kind, p.message);
                // Silence where the damaged frame was, so what follows
                // keeps its place (and the length is not taken for a cut).
                let zeros = (lost as usize).saturating_mul(channels);
                if lost > 0 && zeros <= MAX_SILENCE_SAMPLES {
                    silence.clear();
                    silence.resize(zeros, 0);
                    let more =
                        sink.samples(&Frames::I32(&silence), lost as usize, out.decoded_frames);
                    out.decoded_frames += lost;
                    if !more && !opts.verify {
                        out.sink_satisfied = true;
                        break;
                    }
                }
                if consecutive_errors >= MAX_CONSECUTIVE_ERRORS {
                    out.error(
                        MediaErrorKind::BadFrames,
                        "too many bad frames in a row (stopped decoding)".to_string(),
                    );
                    break;
                }
                continue;
            }
        };
        consecutive_errors = 0;
        let n = frames.len() / channels.max(1);
        if n == 0 {
            continue;
        }
        let more = sink.samples(&frames, n, out.decoded_frames);
        out.decoded_frames += n as u64;
        if !more && !opts.verify {
            out.sink_satisfied = true;
            break;
        }
    }
    // What a walk of packets would have covered: the declared length,
    // unless the stream ended early.
    out.packet_end_ts = if out.demux_failed || !ended {
        out.decoded_frames
    } else {
        h.frames.unwrap_or(0).max(out.decoded_frames)
    };
    if out.sink_satisfied {
        out.packet_end_ts = h.frames.unwrap_or(out.decoded_frames);
    }
    if opts.verify && ended {
        for p in dec.finish() {
            out.error(p.kind, p.message);
        }
    }
    out
}

/// (frames, rate, channels) of a decoded packet; `opus_channels` is the
/// channel count of the Opus decoder's interleaved output.
fn frame_shape(frames: &Frames<'_>, opus_channels: usize) -> (usize, u32, usize) {
    match frames {
        Frames::Sym(b) => (b.frames(), b.spec().rate(), b.spec().channels().count()),
        Frames::F32(s) => {
            let ch = opus_channels.max(1);
            (s.len() / ch, crate::media::opus::OPUS_RATE, ch)
        }
        // Not from a packet decoder.
        Frames::I32(_) => (0, 0, 1),
    }
}

/// Decode one packet. `Ok(None)`: the packet produced nothing (e.g. trimmed away).
fn decode_packet<'d>(dec: &'d mut Decoder, packet: &Packet) -> Result<Option<Frames<'d>>, String> {
    match dec {
        Decoder::Sym(d) => match d.decode(packet) {
            Ok(buf) => Ok(Some(Frames::Sym(buf))),
            Err(e) => Err(describe(&e)),
        },
        Decoder::Opus(o) => o.decode(packet).map(|s| s.map(Frames::F32)),
    }
}

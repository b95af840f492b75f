//! Structural checks of Ogg pages and FLAC frames for `verify`, independent
//! of the demuxer: symphonia's Ogg reader resynchronises silently past a
//! page whose CRC fails, and its FLAC reader finds the next frame without
//! checking the frame's CRC-16, so a flipped bit or a run of lost bytes in
//! either container would pass a plain decode (the FLAC MD5 catches a
//! changed sample only when the encoder wrote one, and says nowhere where).
//!
//! Both walks read the file forward once through a bounded window (memory
//! stays bounded whatever the file's size) and cost O(file size):
//!
//! - Ogg: every page from the first `OggS` must have the capture pattern,
//!   version 0 and a matching CRC-32, follow the previous page of its
//!   logical stream without a gap in the sequence numbers, and end before
//!   the file does. Junk between pages is lost sync, reported with its byte
//!   offset; the walk resumes at the next `OggS`.
//! - FLAC: frames are not length-prefixed, so a frame ends where the next
//!   valid header (sync code, CRC-8, the next frame or sample number)
//!   begins, or at the end of the audio; its CRC-16 must then hold over
//!   those bytes. The sync code also occurs inside audio data, so a header
//!   that does not continue the current frame is kept as a candidate and
//!   trusted only once its own frame proves whole (its CRC-16 holds up to
//!   a header that continues it): a false sync never splits a sound frame,
//!   and after damage the walk resumes at the first frame that checks out.
//!
//! The frame header parser and the metadata walk are `region.rs`'s (one
//! parser per format). Problems are typed (`Checksum`, `BadFrames`,
//! `Truncated`); at most [`MAX_REPORTS`] are listed per file, then one line
//! says that more were found.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use super::hash::trailing_tags_start;
use super::region::{flac_layout, frame_header, FrameHeader, MAX_FRAME_HEADER};
use crate::error::{MediaErrorKind, Problem};

/// At most this many problems are listed (a truncation is always listed).
const MAX_REPORTS: usize = 5;
/// Bytes read from the file at a time.
const CHUNK: usize = 64 * 1024;
/// Junk shorter than this after the last page or frame is ignored
/// (stray padding), as the MPEG frame check does.
const HARMLESS_TAIL: u64 = 128;
/// FLAC headers kept as candidates at once while the current frame does
/// not check out (each costs a CRC update per byte).
const MAX_PENDING: usize = 16;

/// Check every Ogg page of the file at `path` (see the module comment).
/// An I/O error ends the walk with what was found so far (the decode
/// reports unreadable files).
pub(crate) fn ogg_pages(path: &Path) -> Vec<Problem> {
    let mut reports = Reports::new("Ogg page problems");
    let _ = walk_ogg(path, &mut reports);
    reports.finish()
}

/// Check every FLAC frame of the file at `path` (see the module comment).
/// A file whose metadata blocks cannot be walked is left to the decoder.
pub(crate) fn flac_frames(path: &Path) -> Vec<Problem> {
    let mut reports = Reports::new("FLAC frame problems");
    let _ = walk_flac(path, &mut reports);
    reports.finish()
}

/// The problems found, capped at [`MAX_REPORTS`] (truncations always kept).
struct Reports {
    list: Vec<Problem>,
    shown: usize,
    /// The kind of the first problem not listed.
    more: Option<MediaErrorKind>,
    /// What the "more not shown" line calls them.
    what: &'static str,
}

impl Reports {
    fn new(what: &'static str) -> Reports {
        Reports {
            list: Vec::new(),
            shown: 0,
            more: None,
            what,
        }
    }

    fn push(&mut self, kind: MediaErrorKind, message: String) {
        if kind == MediaErrorKind::Truncated {
            self.list.push(Problem::new(kind, message));
        } else if self.shown < MAX_REPORTS {
            self.shown += 1;
            self.list.push(Problem::new(kind, message));
        } else {
            self.more = self.more.or(Some(kind));
        }
    }

    fn finish(mut self) -> Vec<Problem> {
        if let Some(kind) = self.more {
            let line = format!("(more {} not shown)", self.what);
            self.list.push(Problem::new(kind, line));
        }
        self.list
    }
}

/// A forward-only window over `[pos, end)` of a reader: what is asked for
/// is read in [`CHUNK`]s, what is passed is dropped.
struct Window<R> {
    src: R,
    buf: Vec<u8>,
    /// Index in `buf` of the byte at `pos`.
    at: usize,
    /// Offset in the file of the byte at `at`.
    pos: u64,
    /// Bytes left to read from `src` before `end`.
    left: u64,
}

impl<R: Read> Window<R> {
    /// A window over the `len` bytes `src` yields from offset `pos` on.
    fn new(src: R, pos: u64, len: u64) -> Window<R> {
        Window {
            src,
            buf: Vec::new(),
            at: 0,
            pos,
            left: len,
        }
    }

    /// The bytes from `pos` on: at least `n` of them (or [`CHUNK`], if
    /// more), fewer only at the end.
    fn fill(&mut self, n: usize) -> io::Result<&[u8]> {
        if self.buf.len() - self.at < n && self.left > 0 {
            self.buf.drain(..self.at);
            self.at = 0;
            let want = n.max(CHUNK);
            while self.buf.len() < want && self.left > 0 {
                let old = self.buf.len();
                let add = ((want - old) as u64).min(self.left) as usize;
                self.buf.resize(old + add, 0);
                match self.src.read(&mut self.buf[old..]) {
                    Ok(0) => {
                        self.buf.truncate(old);
                        self.left = 0;
                    }
                    Ok(got) => {
                        self.buf.truncate(old + got);
                        self.left -= got as u64;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => self.buf.truncate(old),
                    Err(e) => {
                        self.buf.truncate(old);
                        return Err(e);
                    }
                }
            }
        }
        Ok(&self.buf[self.at..])
    }

    /// The bytes filled from `pos` on.
    fn bytes(&self) -> &[u8] {
        &self.buf[self.at..]
    }

    /// Whether every byte up to the end has been read into the window.
    fn at_end(&self) -> bool {
        self.left == 0
    }

    /// Move past `n` bytes (at most those filled).
    fn advance(&mut self, n: usize) {
        let n = n.min(self.buf.len() - self.at);
        self.at += n;
        self.pos += n as u64;
    }

    /// Move to the next occurrence of `pat` (true) or to the end (false).
    fn seek_to(&mut self, pat: &[u8]) -> io::Result<bool> {
        loop {
            let b = self.fill(pat.len())?;
            if b.len() < pat.len() {
                let n = b.len();
                self.advance(n);
                return Ok(false);
            }
            if let Some(i) = b.windows(pat.len()).position(|w| w == pat) {
                self.advance(i);
                return Ok(true);
            }
            let n = b.len() + 1 - pat.len();
            self.advance(n);
        }
    }
}

/// A table-driven, non-reflected CRC of `WIDTH` bits without final XOR.
struct Crc<const WIDTH: u32> {
    table: [u32; 256],
}

impl<const WIDTH: u32> Crc<WIDTH> {
    const fn new(poly: u32) -> Crc<WIDTH> {
        let top = 1u32 << (WIDTH - 1);
        let mask = u32::MAX >> (32 - WIDTH);
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = (i as u32) << (WIDTH - 8);
            let mut k = 0;
            while k < 8 {
                c = if c & top != 0 {
                    (c << 1) ^ poly
                } else {
                    c << 1
                };
                k += 1;
            }
            table[i] = c & mask;
            i += 1;
        }
        Crc { table }
    }

    /// `crc` carried over `bytes`.
    fn update(&self, crc: u32, bytes: &[u8]) -> u32 {
        bytes.iter().fold(crc, |c, &b| self.step(c, b))
    }

    fn step(&self, crc: u32, b: u8) -> u32 {
        let mask = u32::MAX >> (32 - WIDTH);
        ((crc << 8) ^ self.table[((crc >> (WIDTH - 8)) as u8 ^ b) as usize]) & mask
    }
}

/// Ogg's page CRC-32 (polynomial 0x04C11DB7, initial value 0).
static OGG_CRC: Crc<32> = Crc::new(0x04C1_1DB7);
/// FLAC's frame CRC-16 (polynomial 0x8005, initial value 0).
static FLAC_CRC: Crc<16> = Crc::new(0x8005);

/// The CRC of an Ogg page, computed with its CRC field (bytes 22..26) as zeros.
pub fn ogg_page_crc(page: &[u8]) -> u32 {
    let c = OGG_CRC.update(0, &page[..22]);
    let c = OGG_CRC.update(c, &[0; 4]);
    OGG_CRC.update(c, &page[26..])
}

/// The fixed part of an Ogg page header.
const OGG_HEADER: usize = 27;

/// A logical stream's place in the walk.
struct OggStream {
    /// The sequence number its next page should carry.
    next_seq: u32,
    /// Pages may be missing for a reason already reported (a page that
    /// failed its CRC, or lost sync): the next gap is not reported again.
    excused: bool,
}

fn walk_ogg(path: &Path, r: &mut Reports) -> io::Result<()> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let end = trailing_tags_start(&mut file, 0, len)?;
    file.seek(SeekFrom::Start(0))?;
    let mut w = Window::new(file, 0, end);
    // Whatever precedes the first page (an ID3v2 tag) is not ours to judge.
    if !w.seek_to(b"OggS")? {
        return Ok(());
    }
    let mut streams: HashMap<u32, OggStream> = HashMap::new();
    let mut page_no = 0u64;
    loop {
        let at = w.pos;
        let b = w.fill(OGG_HEADER)?;
        if b.is_empty() {
            return Ok(());
        }
        if !b.starts_with(b"OggS") || b.get(4).is_some_and(|&v| v != 0) {
            // Lost sync (a page with another version is no page we know).
            w.advance(1);
            let found = w.seek_to(b"OggS")?;
            let skipped = w.pos - at;
            if found || skipped >= HARMLESS_TAIL {
                let whose = if found {
                    "before the next page"
                } else {
                    "after the last page"
                };
                r.push(
                    MediaErrorKind::BadFrames,
                    format!("Ogg lost sync at byte {at}: {skipped} bytes of junk {whose}"),
                );
                streams.values_mut().for_each(|s| s.excused = true);
            }
            if !found {
                return Ok(());
            }
            continue;
        }
        page_no += 1;
        let cut = |r: &mut Reports, have: usize, need: usize| {
            r.push(
                MediaErrorKind::Truncated,
                format!(
                    "truncated (Ogg page {page_no} at byte {at} ends after {have} of {need} bytes)"
                ),
            )
        };
        if b.len() < OGG_HEADER {
            cut(r, b.len(), OGG_HEADER);
            return Ok(());
        }
        let segments = b[26] as usize;
        let b = w.fill(OGG_HEADER + segments)?;
        if b.len() < OGG_HEADER + segments {
            cut(r, b.len(), OGG_HEADER + segments);
            return Ok(());
        }
        let body: usize = b[OGG_HEADER..OGG_HEADER + segments]
            .iter()
            .map(|&l| l as usize)
            .sum();
        let size = OGG_HEADER + segments + body;
        let b = w.fill(size)?;
        if b.len() < size {
            cut(r, b.len(), size);
            return Ok(());
        }
        let page = &b[..size];
        let field = |o: usize| u32::from_le_bytes([page[o], page[o + 1], page[o + 2], page[o + 3]]);
        let (serial, seq, stored) = (field(14), field(18), field(22));
        if ogg_page_crc(page) != stored {
            r.push(
                MediaErrorKind::Checksum,
                format!("Ogg page CRC mismatch at byte {at} (page {page_no})"),
            );
            streams.values_mut().for_each(|s| s.excused = true);
            // The length fields may be what is damaged: step over the page
            // only when another one follows it, else resynchronise (the
            // damage is reported once, here).
            w.advance(4);
            let rest = size - 4;
            let b = w.fill(rest + 4)?;
            if b.len() >= rest + 4 && &b[rest..rest + 4] == b"OggS" {
                w.advance(rest);
            } else if !w.seek_to(b"OggS")? {
                return Ok(());
            }
            continue;
        }
        match streams.get_mut(&serial) {
            Some(s) => {
                if seq != s.next_seq && !s.excused {
                    let lost = seq.wrapping_sub(s.next_seq);
                    let what = if lost < u32::MAX / 2 {
                        format!("{lost} pages lost")
                    } else {
                        "out of order".to_string()
                    };
                    r.push(
                        MediaErrorKind::BadFrames,
                        format!(
                            "Ogg page sequence gap at byte {at}: stream {serial:08x} page {seq} follows {} ({what})",
                            s.next_seq.wrapping_sub(1)
                        ),
                    );
                }
                s.next_seq = seq.wrapping_add(1);
                s.excused = false;
            }
            None => {
                streams.insert(
                    serial,
                    OggStream {
                        next_seq: seq.wrapping_add(1),
                        excused: false,
                    },
                );
            }
        }
        w.advance(size);
    }
}

/// A FLAC frame whose end is not found yet: from its header on, the CRC-16
/// of its bytes so far.
#[derive(Debug, Clone, Copy)]
struct OpenFrame {
    start: u64,
    header: FrameHeader,
    crc: u32,
    /// Continues the current frame, directly or through other such
    /// candidates: if it proves whole, the frames before it (back to the
    /// current one) failed their CRC rather than losing sync.
    chained: bool,
}

impl OpenFrame {
    fn new(header: FrameHeader, start: u64, chained: bool) -> OpenFrame {
        OpenFrame {
            start,
            header,
            crc: 0,
            chained,
        }
    }
}

/// The FLAC frame walk: the current frame, the candidates found while it
/// does not check out, and what the stream's STREAMINFO says.
struct FlacWalk<'r> {
    reports: &'r mut Reports,
    /// The current frame: its header was accepted (the first one where the
    /// frames begin, or one that continues a frame that checked out).
    cur: Option<OpenFrame>,
    /// Headers met since that do not end the current frame cleanly.
    pending: Vec<OpenFrame>,
    frames_start: u64,
    min_block: u32,
    rate: u32,
    /// Total samples per channel, when STREAMINFO says.
    total: Option<u64>,
}

impl FlacWalk<'_> {
    /// Seconds into the stream where the frame of `h` begins.
    fn seconds(&self, h: &FrameHeader) -> f64 {
        h.first_frame(self.min_block) as f64 / self.rate.max(1) as f64
    }

    /// A header with a valid CRC-8 at byte `at`.
    fn header(&mut self, h: FrameHeader, at: u64) {
        if self
            .cur
            .is_some_and(|c| c.crc == 0 && c.header.precedes(&h))
        {
            // The current frame checked out; `h` is the next one.
            self.cur = Some(OpenFrame::new(h, at, false));
            self.pending.clear();
            return;
        }
        if let Some(k) = self
            .pending
            .iter()
            .position(|a| a.crc == 0 && a.header.precedes(&h))
        {
            self.resumed(k);
            self.cur = Some(OpenFrame::new(h, at, false));
            self.pending.clear();
            return;
        }
        // Damage, or a sync code inside audio data: wait and see.
        let chained = self
            .cur
            .iter()
            .chain(self.pending.iter().filter(|a| a.chained))
            .any(|a| a.header.precedes(&h));
        if self.pending.len() == MAX_PENDING {
            self.pending.remove(0);
        }
        self.pending.push(OpenFrame::new(h, at, chained));
    }

    /// Candidate `k` proved whole: report what lies between the current
    /// frame and it.
    fn resumed(&mut self, k: usize) {
        let a = self.pending[k];
        match self.cur {
            None => {
                if a.start > self.frames_start {
                    let skipped = a.start - self.frames_start;
                    let msg = format!(
                        "FLAC lost sync at 0.0 s ({skipped} bytes before the first valid frame, at {:.1} s)",
                        self.seconds(&a.header)
                    );
                    self.reports.push(MediaErrorKind::BadFrames, msg);
                }
            }
            Some(c) if a.chained => {
                // Every frame from the current one to `a` is there, in
                // order, but fails its CRC.
                let mut bad = vec![c];
                for p in self
                    .pending
                    .iter()
                    .filter(|p| p.chained && p.start < a.start)
                {
                    if bad.iter().all(|b| b.header.number != p.header.number) {
                        bad.push(*p);
                    }
                }
                for f in bad {
                    self.crc_mismatch(&f);
                }
            }
            Some(c) => {
                let msg = format!(
                    "FLAC lost sync at {:.1} s ({} bytes damaged; resumed at {:.1} s)",
                    self.seconds(&c.header),
                    a.start - c.start,
                    self.seconds(&a.header)
                );
                self.reports.push(MediaErrorKind::BadFrames, msg);
            }
        }
    }

    fn crc_mismatch(&mut self, f: &OpenFrame) {
        let msg = format!(
            "FLAC frame CRC mismatch at {:.1} s (byte {})",
            self.seconds(&f.header),
            f.start
        );
        self.reports.push(MediaErrorKind::Checksum, msg);
    }

    /// The audio ends at byte `end`: the open frame must end cleanly there.
    fn finish(&mut self, end: u64) {
        if self.cur.is_some_and(|c| c.crc == 0) {
            return;
        }
        if let Some(k) = self.pending.iter().position(|a| a.crc == 0) {
            self.resumed(k);
            return;
        }
        let Some(c) = self.cur else {
            if end > self.frames_start {
                let msg = format!(
                    "FLAC lost sync at 0.0 s (no valid frame in {} bytes)",
                    end - self.frames_start
                );
                self.reports.push(MediaErrorKind::BadFrames, msg);
            }
            return;
        };
        // The frames chained after the current one are damaged too; the
        // last of them is where the audio stops.
        let mut chain = vec![c];
        for p in self.pending.iter().filter(|p| p.chained) {
            if chain.iter().all(|b| b.header.number != p.header.number) {
                chain.push(*p);
            }
        }
        let last = chain.pop().unwrap_or(c);
        for f in chain {
            self.crc_mismatch(&f);
        }
        let reach = last.header.first_frame(self.min_block) + last.header.block as u64;
        if self.total.is_none_or(|t| reach < t) {
            // More samples were due: the file stops inside this frame.
            let msg = format!(
                "truncated (the FLAC frame at {:.1} s is cut short)",
                self.seconds(&last.header)
            );
            self.reports.push(MediaErrorKind::Truncated, msg);
        } else {
            self.crc_mismatch(&last);
        }
    }
}

fn walk_flac(path: &Path, r: &mut Reports) -> io::Result<()> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let Some(layout) = flac_layout(&mut file, len)? else {
        return Ok(());
    };
    let (Some(min_block), Some(rate)) = (layout.min_block, layout.sample_rate) else {
        return Ok(());
    };
    let start = layout.frames_start;
    let end = trailing_tags_start(&mut file, start, len)?;
    file.seek(SeekFrom::Start(start))?;
    let mut w = Window::new(file, start, end.saturating_sub(start));
    let mut walk = FlacWalk {
        reports: r,
        cur: None,
        pending: Vec::new(),
        frames_start: start,
        min_block,
        rate,
        total: layout.total_frames.filter(|&t| t > 0),
    };
    // The first frame is trusted where the metadata says it begins.
    if let Some(h) = frame_header(w.fill(MAX_FRAME_HEADER)?) {
        walk.cur = Some(OpenFrame::new(h, start, false));
    }
    loop {
        w.fill(MAX_FRAME_HEADER + 1)?;
        let b = w.bytes();
        if b.is_empty() {
            break;
        }
        // The bytes where a header that starts there is wholly in `b`;
        // all of them at the end.
        let n = if w.at_end() {
            b.len()
        } else {
            b.len() - MAX_FRAME_HEADER
        };
        for i in 0..n {
            let at = w.pos + i as u64;
            if b[i] == 0xFF && b.get(i + 1).is_some_and(|&x| x & 0xFE == 0xF8) && at != start {
                if let Some(h) = frame_header(&b[i..]) {
                    walk.header(h, at);
                }
            }
            let byte = b[i];
            if let Some(c) = walk.cur.as_mut() {
                c.crc = FLAC_CRC.step(c.crc, byte);
            }
            for p in walk.pending.iter_mut() {
                p.crc = FLAC_CRC.step(p.crc, byte);
            }
        }
        w.advance(n);
    }
    walk.finish(end);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::encode::{encode_flac, quantize, Pcm};
    use crate::media::synth;
    use std::path::PathBuf;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn flac(seed: u64, secs: f64) -> Vec<u8> {
        let s = quantize(&synth::music(seed, secs, 44100, 2), 16);
        encode_flac(Pcm::cd(&s)).unwrap()
    }

    /// Where the frames of an encoded FLAC begin, from the metadata block
    /// headers (read here by hand, not with `region.rs`).
    fn frames_start(b: &[u8]) -> usize {
        let mut pos = 4;
        loop {
            let last = b[pos] & 0x80 != 0;
            pos += 4 + u32::from_be_bytes([0, b[pos + 1], b[pos + 2], b[pos + 3]]) as usize;
            if last {
                return pos;
            }
        }
    }

    fn kinds(p: &[Problem]) -> Vec<MediaErrorKind> {
        p.iter().map(|p| p.kind).collect()
    }

    #[test]
    fn crcs_match_the_catalogue_check_values() {
        // The CRC catalogue's check values over "123456789": CRC-16/UMTS
        // (FLAC's frame CRC) and CRC-32 with Ogg's parameters (CRC-32/CKSUM
        // before its final XOR).
        assert_eq!(FLAC_CRC.update(0, b"123456789"), 0xFEE8);
        assert_eq!(OGG_CRC.update(0, b"123456789"), 0x765E_7680 ^ 0xFFFF_FFFF);
    }

    #[test]
    fn clean_flac_has_no_problems() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "clean.flac", &flac(1, 6.0));
        assert_eq!(flac_frames(&p), Vec::<Problem>::new());
        // A leading ID3v2 tag and a trailing ID3v1 tag change nothing.
        let mut tagged = vec![b'I', b'D', b'3', 3, 0, 0, 0, 0, 0, 20];
        tagged.extend_from_slice(&[0u8; 20]);
        tagged.extend_from_slice(&flac(1, 6.0));
        let mut v1 = b"TAG".to_vec();
        v1.resize(128, b'x');
        tagged.extend_from_slice(&v1);
        let p = write(dir.path(), "tagged.flac", &tagged);
        assert_eq!(flac_frames(&p), Vec::<Problem>::new());
    }

    #[test]
    fn flipped_bit_in_flac_audio_is_a_checksum_error_with_its_time() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = flac(2, 6.0);
        // Well inside the audio data (half way: about 3 s in).
        let at = frames_start(&b) + (b.len() - frames_start(&b)) / 2;
        b[at] ^= 0x10;
        let p = write(dir.path(), "flip.flac", &b);
        let problems = flac_frames(&p);
        assert_eq!(
            kinds(&problems),
            vec![MediaErrorKind::Checksum],
            "{problems:?}"
        );
        let m = &problems[0].message;
        assert!(m.starts_with("FLAC frame CRC mismatch at "), "{m}");
        // 4096-sample frames at 44.1 kHz: the damaged frame starts within
        // 0.1 s before the byte's share of the stream.
        let secs: f64 = m["FLAC frame CRC mismatch at ".len()..]
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!((2.7..=3.1).contains(&secs), "{m}");
    }

    #[test]
    fn zeros_mid_flac_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = flac(3, 6.0);
        let mid = b.len() / 2;
        b[mid..mid + 2000].fill(0);
        let p = write(dir.path(), "zeros.flac", &b);
        let problems = flac_frames(&p);
        assert!(!problems.is_empty());
        assert!(
            problems
                .iter()
                .all(|p| matches!(p.kind, MediaErrorKind::Checksum | MediaErrorKind::BadFrames)),
            "{problems:?}"
        );
        // Over many frames (a whole frame and its neighbours' headers): lost sync.
        let mut b = flac(3, 6.0);
        b[mid..mid + 30_000].fill(0);
        let p = write(dir.path(), "lost.flac", &b);
        let problems = flac_frames(&p);
        assert_eq!(
            kinds(&problems),
            vec![MediaErrorKind::BadFrames],
            "{problems:?}"
        );
        assert!(
            problems[0].message.starts_with("FLAC lost sync at "),
            "{problems:?}"
        );
    }

    #[test]
    fn damaged_first_frame_header_and_junk_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let clean = flac(4, 3.0);
        let start = frames_start(&clean);
        let mut b = clean.clone();
        b[start + 2] ^= 0x01; // the first header's codes: CRC-8 fails
        let p = write(dir.path(), "head.flac", &b);
        let problems = flac_frames(&p);
        assert_eq!(
            kinds(&problems),
            vec![MediaErrorKind::BadFrames],
            "{problems:?}"
        );
        assert!(problems[0].message.contains("before the first valid frame"));
    }

    #[test]
    fn flac_cut_mid_frame_is_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let b = flac(5, 4.0);
        let p = write(dir.path(), "cut.flac", &b[..b.len() * 2 / 3]);
        let problems = flac_frames(&p);
        assert_eq!(
            kinds(&problems),
            vec![MediaErrorKind::Truncated],
            "{problems:?}"
        );
        assert!(problems[0]
            .message
            .starts_with("truncated (the FLAC frame at "));
    }

    #[test]
    fn many_bad_flac_frames_are_capped() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = flac(6, 10.0);
        let start = frames_start(&b);
        // One flip every 4 KiB: about half the frames of 10 s.
        for at in (start + 500..b.len() - 500).step_by(4096) {
            b[at] ^= 0x04;
        }
        let p = write(dir.path(), "many.flac", &b);
        let problems = flac_frames(&p);
        assert_eq!(problems.len(), MAX_REPORTS + 1, "{problems:?}");
        assert_eq!(
            problems.last().unwrap().message,
            "(more FLAC frame problems not shown)"
        );
    }

    #[test]
    fn every_single_bit_flip_in_flac_frames_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let clean = flac(7, 2.5);
        let start = frames_start(&clean);
        let mut rng = synth::Rng::new(8);
        for i in 0..60 {
            let mut b = clean.clone();
            let at = start + rng.below((clean.len() - start) as u64) as usize;
            b[at] ^= 1 << rng.below(8);
            let p = write(dir.path(), &format!("{i}.flac"), &b);
            let problems = flac_frames(&p);
            assert!(!problems.is_empty(), "flip at byte {at} not found");
        }
    }

    #[test]
    fn random_damage_never_panics() {
        let dir = tempfile::tempdir().unwrap();
        let flac = flac(9, 2.0);
        let ogg = ogg_file(&[(7, packets(3, 40, 3000))]);
        let mut rng = synth::Rng::new(10);
        for i in 0..60 {
            for (name, clean) in [("flac", &flac), ("ogg", &ogg)] {
                let mut b = clean.clone();
                for _ in 0..1 + rng.below(8) {
                    let at = rng.below(b.len() as u64) as usize;
                    match rng.below(3) {
                        0 => b[at] = rng.next_u64() as u8,
                        1 => {
                            let n = (rng.below(3000) as usize).min(b.len() - at);
                            b[at..at + n].fill(0xFF);
                        }
                        _ => b.truncate(at.max(1)),
                    }
                }
                let p = write(dir.path(), &format!("{i}.{name}"), &b);
                let r = crate::media::catch("test", || (flac_frames(&p), ogg_pages(&p)));
                assert!(r.is_ok(), "{i}.{name}: {r:?}");
            }
        }
    }

    // --- Ogg, from a page writer of the test's own ----------------------

    /// One Ogg page holding `packet` whole (it must fit in 255 segments).
    fn ogg_page(serial: u32, seq: u32, flags: u8, packet: &[u8]) -> Vec<u8> {
        let mut lacing = vec![255u8; packet.len() / 255];
        lacing.push((packet.len() % 255) as u8);
        assert!(lacing.len() <= 255);
        let mut page = b"OggS".to_vec();
        page.push(0);
        page.push(flags);
        page.extend_from_slice(&(seq as u64 * 960).to_le_bytes());
        page.extend_from_slice(&serial.to_le_bytes());
        page.extend_from_slice(&seq.to_le_bytes());
        page.extend_from_slice(&[0; 4]);
        page.push(lacing.len() as u8);
        page.extend_from_slice(&lacing);
        page.extend_from_slice(packet);
        let crc = bitwise_ogg_crc(&page);
        page[22..26].copy_from_slice(&crc.to_le_bytes());
        page
    }

    /// Ogg's CRC bit by bit (independent of the table the walker uses).
    fn bitwise_ogg_crc(b: &[u8]) -> u32 {
        let mut crc = 0u32;
        for &x in b {
            crc ^= (x as u32) << 24;
            for _ in 0..8 {
                crc = if crc & 0x8000_0000 != 0 {
                    (crc << 1) ^ 0x04C1_1DB7
                } else {
                    crc << 1
                };
            }
        }
        crc
    }

    /// `n` packets of pseudo-random bytes of up to `max` bytes each.
    fn packets(seed: u64, n: usize, max: u64) -> Vec<Vec<u8>> {
        let mut rng = synth::Rng::new(seed);
        (0..n)
            .map(|_| {
                let len = 1 + rng.below(max) as usize;
                (0..len).map(|_| rng.next_u64() as u8).collect()
            })
            .collect()
    }

    /// Logical streams one after another (chained), a packet per page.
    fn ogg_file(streams: &[(u32, Vec<Vec<u8>>)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (serial, packets) in streams {
            for (i, p) in packets.iter().enumerate() {
                let mut flags = 0;
                if i == 0 {
                    flags |= 2;
                }
                if i + 1 == packets.len() {
                    flags |= 4;
                }
                out.extend(ogg_page(*serial, i as u32, flags, p));
            }
        }
        out
    }

    /// The byte offset of each page of a file `ogg_file` wrote.
    fn page_starts(b: &[u8]) -> Vec<usize> {
        let mut at = 0;
        let mut starts = Vec::new();
        while at < b.len() {
            starts.push(at);
            let n = b[at + 26] as usize;
            at += 27
                + n
                + b[at + 27..at + 27 + n]
                    .iter()
                    .map(|&l| l as usize)
                    .sum::<usize>();
        }
        starts
    }

    #[test]
    fn clean_ogg_has_no_problems() {
        let dir = tempfile::tempdir().unwrap();
        let b = ogg_file(&[(1, packets(1, 50, 5000)), (2, packets(2, 30, 60_000))]);
        // An ID3v2 tag before the first page is not judged.
        let mut tagged = vec![b'I', b'D', b'3', 3, 0, 0, 0, 0, 0, 20];
        tagged.extend_from_slice(&[0u8; 20]);
        tagged.extend_from_slice(&b);
        for (name, bytes) in [("clean.ogg", &b), ("id3.ogg", &tagged)] {
            let p = write(dir.path(), name, bytes);
            assert_eq!(ogg_pages(&p), Vec::<Problem>::new(), "{name}");
        }
    }

    #[test]
    fn flipped_bit_in_an_ogg_page_payload_is_a_checksum_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = ogg_file(&[(1, packets(3, 40, 3000))]);
        let starts = page_starts(&b);
        // The last byte of page 21's payload (packets are never empty).
        let at = starts[21] - 1;
        b[at] ^= 0x80;
        let p = write(dir.path(), "flip.ogg", &b);
        let problems = ogg_pages(&p);
        assert_eq!(
            problems,
            vec![Problem::new(
                MediaErrorKind::Checksum,
                format!("Ogg page CRC mismatch at byte {} (page 21)", starts[20])
            )]
        );
    }

    #[test]
    fn ogg_junk_gaps_and_cuts() {
        let dir = tempfile::tempdir().unwrap();
        let clean = ogg_file(&[(1, packets(4, 40, 3000))]);
        let starts = page_starts(&clean);

        // Junk between pages: lost sync at its offset, then the walk goes on.
        let mut junk = clean[..starts[10]].to_vec();
        junk.extend_from_slice(&[0x55; 700]);
        junk.extend_from_slice(&clean[starts[10]..]);
        let p = write(dir.path(), "junk.ogg", &junk);
        assert_eq!(
            ogg_pages(&p),
            vec![Problem::new(
                MediaErrorKind::BadFrames,
                format!(
                    "Ogg lost sync at byte {}: 700 bytes of junk before the next page",
                    starts[10]
                )
            )]
        );

        // Two pages dropped cleanly: a sequence gap.
        let mut gap = clean[..starts[5]].to_vec();
        gap.extend_from_slice(&clean[starts[7]..]);
        let p = write(dir.path(), "gap.ogg", &gap);
        let problems = ogg_pages(&p);
        assert_eq!(kinds(&problems), vec![MediaErrorKind::BadFrames]);
        assert!(
            problems[0]
                .message
                .ends_with("page 7 follows 4 (2 pages lost)"),
            "{problems:?}"
        );

        // Cut inside a page (in its payload, and in its header).
        for cut in [(starts[30] + starts[31]) / 2 + 14, starts[30] + 10] {
            let p = write(dir.path(), "cut.ogg", &clean[..cut]);
            let problems = ogg_pages(&p);
            assert_eq!(
                kinds(&problems),
                vec![MediaErrorKind::Truncated],
                "{problems:?}"
            );
            assert!(problems[0].message.contains("(Ogg page 31 at byte "));
        }
        // Cut exactly between pages: nothing for this check to see.
        let p = write(dir.path(), "whole.ogg", &clean[..starts[30]]);
        assert_eq!(ogg_pages(&p), Vec::<Problem>::new());
    }

    #[test]
    fn every_single_bit_flip_in_ogg_pages_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let clean = ogg_file(&[(5, packets(5, 20, 2000))]);
        let mut rng = synth::Rng::new(11);
        for i in 0..60 {
            let mut b = clean.clone();
            let at = rng.below(clean.len() as u64) as usize;
            b[at] ^= 1 << rng.below(8);
            let p = write(dir.path(), &format!("{i}.ogg"), &b);
            let problems = ogg_pages(&p);
            // The very first capture pattern is searched for, so a flip
            // there only moves the start (the decoder then fails instead).
            if at >= 4 {
                assert!(!problems.is_empty(), "flip at byte {at} not found");
            }
        }
    }

    // --- Real files --------------------------------------------------------

    fn corpus() -> Option<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let found = [
            root.join("../shared/corpus"),
            root.join("../../shared/corpus"),
        ]
        .into_iter()
        .find(|d| d.is_dir());
        if found.is_none() {
            println!("skipped: the shared corpus is absent");
        }
        found
    }

    #[test]
    fn real_opus_file_is_clean_and_its_damage_is_found() {
        let Some(dir) = corpus() else { return };
        let src = dir.join("beets/whitenoise.opus");
        if !src.is_file() {
            println!("skipped: {} is absent", src.display());
            return;
        }
        let clean = std::fs::read(&src).unwrap();
        assert_eq!(ogg_pages(&src), Vec::<Problem>::new());
        let tmp = tempfile::tempdir().unwrap();
        let mut b = clean.clone();
        let mid = b.len() / 2;
        b[mid] ^= 0x08;
        let p = write(tmp.path(), "flip.opus", &b);
        let problems = ogg_pages(&p);
        assert!(
            problems.iter().any(|p| p.kind == MediaErrorKind::Checksum
                && p.message.starts_with("Ogg page CRC mismatch at byte ")),
            "{problems:?}"
        );
        let p = write(tmp.path(), "cut.opus", &clean[..clean.len() - 100]);
        assert_eq!(kinds(&ogg_pages(&p)), vec![MediaErrorKind::Truncated]);
    }

    /// No false alarms on the corpus's Ogg and FLAC files that are meant to
    /// be whole (the test files named for damage are left out), and the
    /// files that were cut to a round size (16384, 3072, 13000 and 10240
    /// bytes; `flac -t` and ffmpeg agree on the FLACs) are found cut.
    #[test]
    fn corpus_ogg_and_flac_files_are_clean_or_found_cut() {
        let Some(dir) = corpus() else { return };
        let damaged = [
            "unparseable",
            "invalid",
            "too-short",
            "overwritten",
            "ooming",
            "short-picture",
        ];
        let cut = [
            "sample_length.oggtheora",
            "sample_bitrate.oggtheora",
            "flac_application.flac",
            "variable-block.flac",
        ];
        let (mut checked, mut wrong) = (0, Vec::new());
        for e in walkdir::WalkDir::new(&dir)
            .into_iter()
            .filter_map(|e| e.ok())
        {
            let p = e.path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if !e.file_type().is_file() || damaged.iter().any(|d| name.contains(d)) {
                continue;
            }
            let problems = match crate::media::sniff(p) {
                Ok(crate::media::Sniffed::Audio(crate::media::Container::Flac)) => flac_frames(p),
                Ok(crate::media::Sniffed::Audio(crate::media::Container::Ogg(_))) => ogg_pages(p),
                _ => continue,
            };
            let expected = if cut.contains(&name.as_str()) {
                vec![MediaErrorKind::Truncated]
            } else {
                vec![]
            };
            if kinds(&problems) != expected {
                wrong.push(format!("{}: {problems:?}", p.display()));
            }
            checked += 1;
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
        assert!(checked >= 20, "only {checked} files checked");
    }
}

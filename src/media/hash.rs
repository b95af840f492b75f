//! BLAKE3 hashes of a file: of every byte (`file_hash`), and, in the same
//! read, of one byte range: the audio run of a FLAC or WAV file (found by
//! `region.rs`), or, for containers symphonia cannot demux (APE, WavPack,
//! Musepack, WMA, DSF, ...), the file minus its tag regions (the
//! `audio_hash` fallback).
//!
//! The fallback strips what taggers rewrite: a leading ID3v2 tag, and at the
//! end an ID3v1 tag, a Lyrics3v2 block and an APEv2 tag (in any order they
//! are stacked). For DSF the ID3v2 chunk the header points at is excluded; for
//! ASF the header object (which holds all WMA metadata) is excluded. So a
//! retag keeps the `audio_hash` of these formats too.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use super::mpeg::id3v2::tag_len as id3v2_len;
use super::mpeg::trailing::{self, Peel};
use super::sniff::Container;

/// BLAKE3 of every byte of the file, read through a 64 KiB buffer (memory
/// stays bounded whatever the file's size).
pub(crate) fn file_hash(path: &Path) -> io::Result<[u8; 32]> {
    let file = File::open(path)?;
    let mut h = blake3::Hasher::new();
    h.update_reader(file)?;
    Ok(*h.finalize().as_bytes())
}

/// One read of the file: the BLAKE3 of every byte, and the BLAKE3 of the
/// bytes in `[start, end)` (the audio region).
pub(crate) fn file_and_region_hash(
    path: &Path,
    start: u64,
    end: u64,
) -> io::Result<([u8; 32], [u8; 32])> {
    let mut file = File::open(path)?;
    let mut whole = blake3::Hasher::new();
    let mut region = blake3::Hasher::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut pos = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let block = &buf[..n];
        whole.update(block);
        let from = start.clamp(pos, pos + n as u64);
        let to = end.clamp(pos, pos + n as u64);
        if from < to {
            region.update(&block[(from - pos) as usize..(to - pos) as usize]);
        }
        pos += n as u64;
    }
    Ok((*whole.finalize().as_bytes(), *region.finalize().as_bytes()))
}

/// Fill `buf` from `pos`: `false` when the file ends first.
pub(crate) fn read_at(file: &mut File, pos: u64, buf: &mut [u8]) -> io::Result<bool> {
    file.seek(SeekFrom::Start(pos))?;
    match file.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

/// The byte range `[start, end)` of `path` holding the audio (tags excluded).
pub(crate) fn audio_region(path: &Path, container: Option<Container>) -> io::Result<(u64, u64)> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    region(&mut file, len, container)
}

/// The byte range `[start, end)` holding the audio.
fn region(file: &mut File, len: u64, container: Option<Container>) -> io::Result<(u64, u64)> {
    let mut head = [0u8; 32];
    let have = read_at(file, 0, &mut head)?;
    match container {
        Some(Container::Dsf) if have => {
            // DSD chunk: "DSD " size(8) total_len(8) metadata_ptr(8).
            let ptr = u64::from_le_bytes(head[20..28].try_into().unwrap_or([0; 8]));
            let end = if ptr > 28 && ptr <= len { ptr } else { len };
            return Ok((0, end));
        }
        Some(Container::Asf) if have => {
            // Skip the header object: GUID(16) size(8).
            let size = u64::from_le_bytes(head[16..24].try_into().unwrap_or([0; 8]));
            let start = if size >= 30 && size <= len { size } else { 0 };
            return Ok((start, len));
        }
        _ => {}
    }
    let start = if have {
        id3v2_len(&head)
            .map(|l| l as u64)
            .filter(|&l| l <= len)
            .unwrap_or(0)
    } else {
        0
    };
    let end = trailing_tags_start(file, start, len)?;
    Ok((start, end))
}

/// Where the trailing tags of a file of `len` bytes begin (`len` when it has
/// none), looking no further back than `start`: an ID3v1 tag, a Lyrics3v2
/// block and an APEv2 tag, peeled in whatever order they are stacked (see
/// [`trailing`]).
pub(crate) fn trailing_tags_start(file: &mut File, start: u64, len: u64) -> io::Result<u64> {
    let mut read = |pos: u64, buf: &mut [u8]| read_at(file, pos, buf);
    trailing::trailing_tags_start(&mut read, start, len, Peel::Standard)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.join(name);
        File::create(&p).unwrap().write_all(bytes).unwrap();
        p
    }

    #[test]
    fn tags_are_stripped_from_both_ends() {
        let dir = tempfile::tempdir().unwrap();
        let audio = b"MAC \x96\x0f some audio bytes that stand for an APE stream".to_vec();
        let plain = write(dir.path(), "a.ape", &audio);

        let mut tagged = Vec::new();
        // ID3v2 with a 5-byte body.
        tagged.extend_from_slice(&[b'I', b'D', b'3', 3, 0, 0, 0, 0, 0, 5]);
        tagged.extend_from_slice(b"xxxxx");
        tagged.extend_from_slice(&audio);
        // APEv2 footer-only tag of 32 + 4 bytes.
        tagged.extend_from_slice(b"item");
        let mut footer = b"APETAGEX".to_vec();
        footer.extend_from_slice(&2000u32.to_le_bytes());
        footer.extend_from_slice(&36u32.to_le_bytes());
        footer.extend_from_slice(&1u32.to_le_bytes());
        footer.extend_from_slice(&0u32.to_le_bytes());
        footer.extend_from_slice(&[0u8; 8]);
        tagged.extend_from_slice(&footer);
        // ID3v1.
        let mut v1 = b"TAG".to_vec();
        v1.resize(128, b' ');
        tagged.extend_from_slice(&v1);
        let tagged = write(dir.path(), "b.ape", &tagged);

        let without_tags = |p: &Path| {
            let (start, end) = audio_region(p, Some(Container::Ape)).unwrap();
            file_and_region_hash(p, start, end).unwrap()
        };
        let (whole_a, a) = without_tags(&plain);
        let (whole_b, b) = without_tags(&tagged);
        assert_eq!(whole_a, file_hash(&plain).unwrap());
        assert_eq!(whole_b, file_hash(&tagged).unwrap());
        assert_eq!(a, b);
        assert_ne!(file_hash(&plain).unwrap(), file_hash(&tagged).unwrap());
        assert_eq!(file_hash(&plain).unwrap(), *blake3::hash(&audio).as_bytes());
    }
}

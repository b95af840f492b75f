//! ASF (WMA) header reading: lofty has no ASF support, so the header object
//! is parsed here for tags (Content Description and Extended Content
//! Description objects, under the names beets/mediafile use) and properties
//! (File and Stream Properties objects). Audio is not decoded.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::props::AudioProps;
use super::Tags;

/// Largest header object read (it holds the cover art too).
const MAX_HEADER: u64 = 16 << 20;

const CONTENT_DESC: [u8; 16] = [
    0x33, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C,
];
const EXT_CONTENT_DESC: [u8; 16] = [
    0x40, 0xA4, 0xD0, 0xD2, 0x07, 0xE3, 0xD2, 0x11, 0x97, 0xF0, 0x00, 0xA0, 0xC9, 0x5E, 0xA8, 0x50,
];
const FILE_PROPS: [u8; 16] = [
    0xA1, 0xDC, 0xAB, 0x8C, 0x47, 0xA9, 0xCF, 0x11, 0x8E, 0xE4, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65,
];
const STREAM_PROPS: [u8; 16] = [
    0x91, 0x07, 0xDC, 0xB7, 0xB7, 0xA9, 0xCF, 0x11, 0x8E, 0xE6, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65,
];

/// What the ASF header holds.
#[derive(Debug, Default)]
pub(crate) struct AsfRead {
    pub tags: Tags,
    pub props: AudioProps,
    pub art: bool,
    pub art_hash: Option<[u8; 32]>,
}

fn utf16(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
        .trim_end_matches('\0')
        .trim()
        .to_string()
}

fn le16(b: &[u8], o: usize) -> Option<usize> {
    Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?) as usize)
}

/// Read the header of an ASF file. `None` when it is not a readable ASF header.
pub(crate) fn read(path: &Path) -> Option<AsfRead> {
    let mut f = File::open(path).ok()?;
    let mut head = [0u8; 30];
    f.read_exact(&mut head).ok()?;
    let size = u64::from_le_bytes(head[16..24].try_into().ok()?);
    if !(30..=MAX_HEADER).contains(&size) {
        return None;
    }
    let mut body = vec![0u8; (size - 30) as usize];
    let n = f.read(&mut body).ok()?;
    body.truncate(n);
    let mut out = AsfRead {
        props: AudioProps {
            format: Some("wma".into()),
            lossless: Some(false),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut ext: Vec<(String, Value)> = Vec::new();
    let mut pos = 0usize;
    while pos + 24 <= body.len() {
        let guid = &body[pos..pos + 16];
        let osize = u64::from_le_bytes(body[pos + 16..pos + 24].try_into().ok()?) as usize;
        if osize < 24 {
            break;
        }
        let obj = &body[pos + 24..(pos.saturating_add(osize)).min(body.len())];
        if guid == CONTENT_DESC {
            let lens: Vec<usize> = (0..5).filter_map(|i| le16(obj, i * 2)).collect();
            let mut at = 10;
            let mut fields = Vec::new();
            for l in lens {
                fields.push(obj.get(at..at + l).map(utf16).unwrap_or_default());
                at += l;
            }
            let get = |i: usize| fields.get(i).filter(|s| !s.is_empty()).cloned();
            out.tags.title = get(0);
            out.tags.artist = get(1);
            out.tags.comments = get(3);
        } else if guid == EXT_CONTENT_DESC {
            ext = ext_items(obj);
        } else if guid == FILE_PROPS && obj.len() >= 80 {
            let play = u64::from_le_bytes(obj[40..48].try_into().ok()?);
            let preroll = u64::from_le_bytes(obj[56..64].try_into().ok()?);
            let secs = play as f64 / 1e7 - preroll as f64 / 1e3;
            if secs > 0.0 {
                out.props.length = Some(secs);
            }
        } else if guid == STREAM_PROPS && obj.len() >= 54 + 12 {
            let wf = &obj[54..];
            out.props.channels = Some(u16::from_le_bytes([wf[2], wf[3]]) as u32);
            out.props.samplerate = Some(u32::from_le_bytes(wf[4..8].try_into().ok()?));
            let avg_bytes = u32::from_le_bytes(wf[8..12].try_into().ok()?);
            if avg_bytes > 0 {
                out.props.bitrate = Some(avg_bytes * 8);
            }
        }
        pos += osize;
    }
    apply_ext(&mut out, &ext);
    Some(out)
}

#[derive(Debug)]
enum Value {
    Text(String),
    Int(i64),
    Bytes(Vec<u8>),
}

fn ext_items(obj: &[u8]) -> Vec<(String, Value)> {
    let mut items = Vec::new();
    let Some(count) = le16(obj, 0) else {
        return items;
    };
    let mut at = 2;
    for _ in 0..count {
        let Some(nl) = le16(obj, at) else { break };
        let Some(name) = obj.get(at + 2..at + 2 + nl).map(utf16) else {
            break;
        };
        at += 2 + nl;
        let (Some(ty), Some(vl)) = (le16(obj, at), le16(obj, at + 2)) else {
            break;
        };
        let Some(v) = obj.get(at + 4..at + 4 + vl) else {
            break;
        };
        at += 4 + vl;
        let int = |n: usize| {
            let mut b = [0u8; 8];
            b[..n.min(v.len())].copy_from_slice(&v[..n.min(v.len())]);
            i64::from_le_bytes(b)
        };
        let value = match ty {
            0 => Value::Text(utf16(v)),
            2 | 3 => Value::Int(int(4)),
            4 => Value::Int(int(8)),
            5 => Value::Int(int(2)),
            _ => Value::Bytes(v.to_vec()),
        };
        items.push((name, value));
    }
    items
}

fn apply_ext(out: &mut AsfRead, items: &[(String, Value)]) {
    let text = |key: &str| {
        items.iter().find_map(|(k, v)| match v {
            Value::Text(s) if k.eq_ignore_ascii_case(key) && !s.is_empty() => Some(s.clone()),
            Value::Int(i) if k.eq_ignore_ascii_case(key) => Some(i.to_string()),
            _ => None,
        })
    };
    let num = |key: &str| {
        text(key).and_then(|s| {
            s.split('/')
                .next()
                .and_then(|p| p.trim().parse::<i64>().ok())
        })
    };
    let t = &mut out.tags;
    t.album = text("WM/AlbumTitle");
    t.albumartist = text("WM/AlbumArtist");
    t.genre = text("WM/Genre");
    t.composer = text("WM/Composer");
    t.year = text("WM/Year").and_then(|s| super::tags::parse_year(&s));
    t.track = num("WM/TrackNumber");
    t.tracktotal = num("TotalTracks");
    t.disc = num("WM/PartOfSet");
    t.disctotal = num("TotalDiscs").or_else(|| {
        text("WM/PartOfSet").and_then(|s| s.split('/').nth(1).and_then(|p| p.trim().parse().ok()))
    });
    t.bpm = num("WM/BeatsPerMinute");
    t.comp = num("WM/IsCompilation").map(|v| v != 0);
    t.lyrics = text("WM/Lyrics");
    if t.comments.is_none() {
        t.comments = text("WM/Comments");
    }
    t.label = text("WM/Publisher");
    t.mb_trackid = text("MusicBrainz/Track Id");
    t.mb_albumid = text("MusicBrainz/Album Id");
    t.mb_artistid = text("MusicBrainz/Artist Id");
    t.mb_releasetrackid = text("MusicBrainz/Release Track Id");
    t.isrc = text("WM/ISRC");
    // WM/Picture: type(1) size(4) mime(UTF-16 z) description(UTF-16 z) data.
    let pictures: Vec<&Vec<u8>> = items
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("WM/Picture"))
        .filter_map(|(_, v)| match v {
            Value::Bytes(b) => Some(b),
            _ => None,
        })
        .collect();
    out.art = !pictures.is_empty();
    let data = |b: &[u8]| -> Option<Vec<u8>> {
        let size = u32::from_le_bytes(b.get(1..5)?.try_into().ok()?) as usize;
        let mut at = 5;
        for _ in 0..2 {
            // Skip a NUL-terminated UTF-16 string.
            while b.get(at..at + 2)? != [0, 0] {
                at += 2;
            }
            at += 2;
        }
        b.get(at..at + size).map(|d| d.to_vec())
    };
    let cover = pictures
        .iter()
        .find(|b| b.first() == Some(&3))
        .or_else(|| pictures.first());
    out.art_hash = cover
        .and_then(|b| data(b))
        .map(|d| *blake3::hash(&d).as_bytes());
}

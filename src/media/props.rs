//! The facts read from one audio file, as plain data: its tags (under
//! beets' field names), its audio properties, and what the decode analysis
//! found it to be. Reading fills them ([`super::read`]); the library stores
//! them in a track row (`library::track`), which re-exports them.

/// Tags read from a file, under beets' field names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tags {
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub albumartist: Option<String>,
    pub genre: Option<String>,
    pub composer: Option<String>,
    pub year: Option<i64>,
    pub track: Option<i64>,
    pub tracktotal: Option<i64>,
    pub disc: Option<i64>,
    pub disctotal: Option<i64>,
    pub bpm: Option<i64>,
    pub comp: Option<bool>,
    pub lyrics: Option<String>,
    pub comments: Option<String>,
    pub label: Option<String>,
    pub mb_trackid: Option<String>,
    pub mb_albumid: Option<String>,
    pub mb_artistid: Option<String>,
    pub mb_releasetrackid: Option<String>,
    pub isrc: Option<String>,
    /// The release's UPC/EAN (BARCODE tag; a 13-digit CATALOG tag), for a
    /// CD's CATALOG.
    pub catalog: Option<String>,
    /// Every genre value, in the file's order (`genre` is the first).
    pub genres: Vec<String>,
    /// Every track artist: the ARTISTS values when the file has them,
    /// else every artist value, in the file's order.
    pub artists: Vec<String>,
}

/// Audio properties of a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AudioProps {
    /// Codec name: mp3, flac, aac, alac, vorbis, opus, pcm, ape, wavpack, ...
    pub format: Option<String>,
    /// Whether the codec is lossless.
    pub lossless: Option<bool>,
    /// Duration in seconds.
    pub length: Option<f64>,
    pub samplerate: Option<u32>,
    pub channels: Option<u32>,
    /// Bits per sample, for lossless formats.
    pub bitdepth: Option<u32>,
    /// Bits per second (overall audio bitrate).
    pub bitrate: Option<u32>,
}

/// What the decode analysis measured about a file's audio
/// (see `media::spectrum`): what it really is, beyond its container.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quality {
    /// Effective audio bandwidth in Hz (where the encoder's cliff is, or
    /// where the content ends).
    pub bandwidth: Option<u32>,
    /// A lossless file made from lossy audio (None: no verdict).
    pub lossy_source: Option<bool>,
    /// A lossy file whose bandwidth is well below its codec and bitrate's
    /// (None: no verdict).
    pub upscaled: Option<bool>,
    /// RMS level of the analysed audio, dBFS.
    pub rms_db: Option<f64>,
    /// Peak level of the analysed audio, dBFS.
    pub peak_db: Option<f64>,
    /// The averaged spectrum, one byte a band (dB + 120).
    pub spectrum: Option<Vec<u8>>,
}

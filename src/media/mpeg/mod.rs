//! The one reader of MPEG audio structure in the crate: frame headers
//! ([`header`]), the Xing/Info/VBRI and LAME tags in the first frame
//! ([`xing`]), the ID3v2 tag header and its sizes ([`id3v2`]), the tags
//! stacked at the end of a file ([`trailing`]) and the frame-chain walk that
//! `verify` runs on every MP3 ([`chain`]), and the stream as a whole as a
//! device sees it: rate, channels, bitrates, CBR or VBR ([`summary`]).
//!
//! Sniffing, hashing, `mixtape check` and `export` (the car rules, the tag
//! stripping of a retagged copy) all call these; none parses the bytes
//! itself, so a fix to a header rule lands everywhere at once.

pub mod chain;
pub mod header;
pub mod id3v2;
pub mod summary;
pub mod trailing;
pub mod xing;

pub use header::{frame_len, FrameHeader};

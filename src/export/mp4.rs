//! AAC and ALAC encoding into an MP4 (.m4a) container.

use super::encode::Pcm;
use crate::error::{Error, Result};

/// Encode AAC-LC in an .m4a.
pub fn encode_aac(
    _samples: &[i32],
    _channels: u16,
    _rate: u32,
    _kbps: Option<u32>,
    _vbr: Option<u8>,
) -> Result<Vec<u8>> {
    Err(Error::Invalid("AAC export is not available yet".into()))
}

/// Encode ALAC in an .m4a.
pub fn encode_alac(_pcm: Pcm<'_>) -> Result<Vec<u8>> {
    Err(Error::Invalid(
        "ALAC export is not available yet; use --format flac or wav".into(),
    ))
}

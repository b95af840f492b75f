//! Export: device profiles (data: built-in usb, car, cd and the user's own), FAT-safe naming, copy/transcode/encode and the sync manifest.

pub mod cd;
pub mod check;
pub mod check_cd;
pub mod check_file;
pub mod device;
pub mod encode;
pub mod extras;
pub mod gapless;
pub mod manifest;
pub mod naming;
pub mod pipeline;
pub mod plan;
pub mod profile;
pub mod profiles;
pub mod report;
pub mod selection;
pub mod set;

pub mod art;
pub mod budget;
pub mod burn;
pub mod compare;
pub mod destination;
pub mod dither;
pub mod loudness;
pub mod mp4;
pub mod ogg;
pub mod produce;
pub mod resample;
pub mod tagging;
pub mod target;
pub mod transcode;

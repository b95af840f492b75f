//! Export: device profiles (usb, car, cd), FAT-safe naming, copy/transcode/encode and the sync manifest.

pub mod encode;

//! The set of playlists a device holds: which selections one destination holds,
//! how a later export changes that set (`--add`, `--drop`, a re-sync with
//! no selection at all), and the room they may take (`--max-size`, else the
//! free space at the destination).
//!
//! The capacity rule, as the plan states it: tracks are taken in playlist
//! order, then track order; a track whose output does not fit in the room
//! left is left off, and a later, smaller one may still be taken. A file in
//! several playlists counts once. A file mixtape already wrote there counts
//! at its real size (it is replaced or kept, never doubled), a new one at
//! its estimate.

use crate::error::{Error, InvalidKind, Result};

/// The playlist files a device gets for each of its playlists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaylistFormat {
    /// UTF-8 extended M3U.
    M3u8,
    /// Extended M3U in Latin-1, for units that read nothing else.
    M3u,
}

impl PlaylistFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            PlaylistFormat::M3u8 => "m3u8",
            PlaylistFormat::M3u => "m3u",
        }
    }
}

/// How much the export may put on the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capacity {
    /// No limit (the free space is unknown, or a test plans without one).
    Unlimited,
    /// `--max-size`.
    Max(u64),
    /// The destination's free space plus what mixtape's own files there take.
    Free(u64),
}

impl Capacity {
    /// The limit in bytes, if any.
    pub fn bytes(self) -> Option<u64> {
        match self {
            Capacity::Unlimited => None,
            Capacity::Max(b) | Capacity::Free(b) => Some(b),
        }
    }
}

/// Room kept free beside the tracks, for the manifest and playlist files.
pub const RESERVE_BYTES: u64 = 1_000_000;

/// Parse a size such as `16G`, `700M`, `4.7GB`, `16GiB` or `123456`
/// (bytes). K, M, G and T are decimal (as devices are sold: 16 GB =
/// 16,000,000,000 bytes); KiB, MiB, GiB and TiB are binary.
pub fn parse_size(s: &str) -> Result<u64> {
    let bad = |why: &str| {
        Error::invalid(
            InvalidKind::Malformed,
            format!("--max-size {s}"),
            format!("{why} (e.g. 16G, 700M, 4.7GB)"),
        )
    };
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| bad("expected a size"))?;
    let unit = unit.trim().to_ascii_lowercase();
    let scale: f64 = match unit.as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0f64.powi(4),
        _ => return Err(bad("unknown unit")),
    };
    let bytes = value * scale;
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 {
        return Err(Error::invalid(
            InvalidKind::OutOfRange,
            format!("--max-size {s}"),
            "must be at least 1 byte",
        ));
    }
    Ok(bytes.round() as u64)
}

/// How this export changes the set of playlists a device holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetChange {
    /// The selections named on the command line, in order.
    pub given: Vec<String>,
    /// `--add`: put `given` beside what the device holds.
    pub add: bool,
    /// `--drop NAME`: take these off the device.
    pub drop: Vec<String>,
    /// `--replace`: `given` replaces what the device holds.
    pub replace: bool,
}

/// The playlists the device will hold after this export, from those it
/// holds now (`held`, from its manifest) and the change asked for. A
/// change that would silently remove playlists is refused.
pub fn resolve_set(dest: &str, held: Option<&[String]>, change: &SetChange) -> Result<Vec<String>> {
    let held_list = held.unwrap_or(&[]);
    let usage = |msg: String| Error::invalid_input(InvalidKind::Conflict, msg);
    let quoted = |v: &[String]| {
        v.iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for d in &change.drop {
        if !held_list.contains(d) && !change.given.contains(d) {
            return Err(usage(if held_list.is_empty() {
                format!("--drop {d:?}: {dest} holds no playlists of mixtape's")
            } else {
                format!(
                    "--drop {d:?}: not on this device (it holds {})",
                    quoted(held_list)
                )
            }));
        }
    }
    let mut set: Vec<String> = if change.given.is_empty() || change.add {
        held_list.to_vec()
    } else {
        change.given.clone()
    };
    if change.add {
        for g in &change.given {
            if !set.contains(g) {
                set.push(g.clone());
            }
        }
    }
    set.retain(|n| !change.drop.contains(n));
    let mut dedup: Vec<String> = Vec::with_capacity(set.len());
    for n in set {
        if !dedup.contains(&n) {
            dedup.push(n);
        }
    }
    if change.given.is_empty() && change.drop.is_empty() && held.is_none() {
        return Err(Error::invalid_input(
            InvalidKind::Malformed,
            format!("name a playlist or give a query to export ({dest} holds no export of mixtape's to re-sync)"),
        ));
    }
    // Naming a different set without --add, --drop or --replace would
    // remove the playlists not named: refused.
    if let Some(held) = held {
        let removes: Vec<String> = held
            .iter()
            .filter(|n| !dedup.contains(n) && !change.drop.contains(n))
            .cloned()
            .collect();
        if !removes.is_empty() && !change.replace {
            return Err(usage(format!(
                "{dest}: holds mixtape's export of {}, not {}; add --add to put {} beside them, --drop NAME to take one off, or --replace to replace them (their files would be removed)",
                quoted(held),
                quoted(&change.given),
                quoted(&change.given),
            )));
        }
    }
    Ok(dedup)
}

/// Take items in order while they fit in `capacity`: returns, per item,
/// whether it is taken, and the bytes the taken ones need.
pub fn fit(costs: &[u64], capacity: Capacity) -> (Vec<bool>, u64) {
    let limit = capacity.bytes().map(|b| b.saturating_sub(RESERVE_BYTES));
    let mut used = 0u64;
    let taken = costs
        .iter()
        .map(|&c| match limit {
            Some(l) if used.saturating_add(c) > l => false,
            _ => {
                used = used.saturating_add(c);
                true
            }
        })
        .collect();
    (taken, used)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_decimal_and_binary() {
        assert_eq!(parse_size("16G").unwrap(), 16_000_000_000);
        assert_eq!(parse_size("700M").unwrap(), 700_000_000);
        assert_eq!(parse_size("4.7GB").unwrap(), 4_700_000_000);
        assert_eq!(parse_size("1GiB").unwrap(), 1 << 30);
        assert_eq!(parse_size("12345").unwrap(), 12345);
        assert_eq!(parse_size(" 2 mb ").unwrap(), 2_000_000);
        assert_eq!(
            parse_size("16X").unwrap_err().to_string(),
            "--max-size 16X: unknown unit (e.g. 16G, 700M, 4.7GB)"
        );
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
    }

    fn change(given: &[&str], add: bool, drop: &[&str], replace: bool) -> SetChange {
        SetChange {
            given: given.iter().map(|s| s.to_string()).collect(),
            add,
            drop: drop.iter().map(|s| s.to_string()).collect(),
            replace,
        }
    }

    #[test]
    fn the_set_changes_only_as_asked() {
        let held: Vec<String> = vec!["Road trip".into(), "Gym".into()];
        let h = Some(held.as_slice());
        // Re-sync: what the device holds.
        assert_eq!(
            resolve_set("/s", h, &change(&[], false, &[], false)).unwrap(),
            held
        );
        // The same set again, in any order.
        assert_eq!(
            resolve_set("/s", h, &change(&["Gym", "Road trip"], false, &[], false)).unwrap(),
            vec!["Gym", "Road trip"]
        );
        assert_eq!(
            resolve_set("/s", h, &change(&["Jazz"], true, &[], false)).unwrap(),
            vec!["Road trip", "Gym", "Jazz"]
        );
        assert_eq!(
            resolve_set("/s", h, &change(&[], false, &["Gym"], false)).unwrap(),
            vec!["Road trip"]
        );
        assert_eq!(
            resolve_set("/s", h, &change(&["Jazz"], false, &[], true)).unwrap(),
            vec!["Jazz"]
        );
        assert_eq!(
            resolve_set("/s", h, &change(&["Jazz"], false, &[], false))
                .unwrap_err()
                .to_string(),
            "/s: holds mixtape's export of \"Road trip\", \"Gym\", not \"Jazz\"; add --add to put \"Jazz\" beside them, --drop NAME to take one off, or --replace to replace them (their files would be removed)"
        );
        assert_eq!(
            resolve_set("/s", h, &change(&[], false, &["Pop"], false))
                .unwrap_err()
                .to_string(),
            "--drop \"Pop\": not on this device (it holds \"Road trip\", \"Gym\")"
        );
        assert!(resolve_set("/s", None, &change(&[], false, &[], false)).is_err());
        assert_eq!(
            resolve_set("/s", None, &change(&["A", "B"], false, &[], false)).unwrap(),
            vec!["A", "B"]
        );
    }

    #[test]
    fn fitting_takes_in_order_and_skips_what_does_not_fit() {
        let mb = 1_000_000;
        let costs = [3 * mb, 5 * mb, 2 * mb, 0, 4 * mb];
        let (taken, used) = fit(&costs, Capacity::Max(9 * mb + RESERVE_BYTES));
        assert_eq!(taken, vec![true, true, false, true, false]);
        assert_eq!(used, 8 * mb);
        let (taken, _) = fit(&costs, Capacity::Unlimited);
        assert!(taken.iter().all(|&t| t));
    }
}

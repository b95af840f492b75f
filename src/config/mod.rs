//! The configuration file: `$XDG_CONFIG_HOME/mixtape/config.toml` (else
//! `~/.config/mixtape/config.toml`), or the file `--config` / `MIXTAPE_CONFIG`
//! names. It holds the library path, organize's default templates, dupes'
//! preferences, scan's ignore globs and device profiles of the user's own
//! (`[profile.NAME]`, optionally `base = "car"`).
//!
//! Precedence, applied by the CLI: a command-line flag, then the
//! environment, then this file, then the built-in default. Every value read
//! keeps the line it came from ([`Sourced`]), so `mixtape config` can say
//! where each effective value comes from.
//!
//! A file that cannot be used is an error naming the file, the line and the
//! key ([`Error::Config`]), and nothing runs: TOML syntax, an unknown key, a
//! value of the wrong type or out of range, a template that does not parse,
//! a profile whose base is unknown or that takes a built-in's name. A
//! missing default file is no error (there is no config); a missing file
//! named explicitly is.

mod locate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Result};
use crate::export::device::DeviceProfile;
use crate::export::profiles::{self, Origin, ProfileSet, ProfileSpec, PROFILE_KEYS};
use crate::organize::template::Template;

pub use locate::line_of;

/// A value read from the config file, with its 1-based line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Its line in the file.
    pub line: usize,
}

/// The dupes preferences.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DupesConfig {
    /// Folders whose tracks rank first as keepers.
    pub prefer: Option<Sourced<Vec<PathBuf>>>,
    /// Also group by tags.
    pub by_tags: Option<Sourced<bool>>,
    /// Fingerprint bit-error rate at or below which two tracks are duplicates.
    pub match_threshold: Option<Sourced<f64>>,
    /// Bit-error rate at or below which two tracks are versions of one tune.
    pub similar_threshold: Option<Sourced<f64>>,
}

/// The organize defaults.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrganizeConfig {
    /// Path template for tracks with an album.
    pub template: Option<Sourced<String>>,
    /// Path template for tracks without an album.
    pub singletons: Option<Sourced<String>>,
    /// Transliterate names to ASCII.
    pub ascii: Option<Sourced<bool>>,
}

/// The whole configuration as read (what the file does not set is `None`).
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file read, if one was.
    pub path: Option<PathBuf>,
    /// The library database.
    pub library: Option<Sourced<PathBuf>>,
    /// organize's defaults.
    pub organize: OrganizeConfig,
    /// dupes' defaults.
    pub dupes: DupesConfig,
    /// Globs of paths scan skips.
    pub scan_ignore: Option<Sourced<Vec<String>>>,
    /// The built-in profiles and the file's own.
    pub profiles: ProfileSet,
}

/// The default config file: `$XDG_CONFIG_HOME/mixtape/config.toml`, else
/// `~/.config/mixtape/config.toml` (None without either variable).
pub fn default_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("mixtape").join("config.toml"))
}

/// Read the config at `path`. When `required` is false a missing file is
/// the empty configuration.
pub fn load(path: &Path, required: bool) -> Result<Config> {
    let text = match std::fs::read(path) {
        Ok(b) => {
            String::from_utf8(b).map_err(|_| config_error(path, None, None, "not UTF-8 text"))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            return Ok(Config::default())
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    parse(path, &text)
}

fn config_error(
    path: &Path,
    line: Option<usize>,
    key: Option<String>,
    reason: impl Into<String>,
) -> Error {
    Error::Config {
        path: path.to_path_buf(),
        line,
        key,
        reason: reason.into(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    library: Option<Spanned<PathBuf>>,
    organize: Option<OrganizeSpec>,
    dupes: Option<DupesSpec>,
    scan: Option<ScanSpec>,
    #[serde(default)]
    profile: BTreeMap<String, Spanned<ProfileSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganizeSpec {
    template: Option<Spanned<String>>,
    singletons: Option<Spanned<String>>,
    ascii: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DupesSpec {
    prefer: Option<Spanned<Vec<PathBuf>>>,
    by_tags: Option<Spanned<bool>>,
    match_threshold: Option<Spanned<f64>>,
    similar_threshold: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScanSpec {
    ignore: Option<Spanned<Vec<String>>>,
}

/// The keys each table takes (checked before typing, for exact lines).
const TABLES: &[(&str, &[&str])] = &[
    ("", &["library", "organize", "dupes", "scan", "profile"]),
    ("organize", &["template", "singletons", "ascii"]),
    (
        "dupes",
        &["prefer", "by_tags", "match_threshold", "similar_threshold"],
    ),
    ("scan", &["ignore"]),
];

/// Parse the text of the config file at `path`.
pub fn parse(path: &Path, text: &str) -> Result<Config> {
    let err = |span: Option<std::ops::Range<usize>>, key: Option<String>, reason: String| {
        let line = span.map(|s| line_of(text, s.start));
        let key = key.or_else(|| line.and_then(|l| locate::key_on_line(text, l)));
        config_error(path, line, key, reason)
    };
    let table: toml::Table =
        toml::from_str(text).map_err(|e| err(e.span(), None, e.message().to_string()))?;
    check_keys(path, text, &table)?;
    let spec: FileSpec =
        toml::from_str(text).map_err(|e| err(e.span(), None, e.message().to_string()))?;
    let sourced = |s: &dyn Spot| line_of(text, s.start());
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut cfg = Config {
        path: Some(path.to_path_buf()),
        ..Config::default()
    };
    if let Some(l) = &spec.library {
        cfg.library = Some(Sourced {
            value: expand(dir, l.get_ref()),
            line: sourced(l),
        });
    }
    if let Some(o) = &spec.organize {
        for (key, t) in [
            ("organize.template", &o.template),
            ("organize.singletons", &o.singletons),
        ] {
            if let Some(t) = t {
                Template::parse(t.get_ref())
                    .map_err(|e| err(Some(t.span()), Some(key.into()), e.to_string()))?;
            }
        }
        let s = |v: &Option<Spanned<String>>| {
            v.as_ref().map(|t| Sourced {
                value: t.get_ref().clone(),
                line: sourced(t),
            })
        };
        cfg.organize = OrganizeConfig {
            template: s(&o.template),
            singletons: s(&o.singletons),
            ascii: o.ascii.as_ref().map(|a| Sourced {
                value: *a.get_ref(),
                line: sourced(a),
            }),
        };
    }
    if let Some(d) = &spec.dupes {
        let threshold = |key: &str, v: &Option<Spanned<f64>>| -> Result<Option<Sourced<f64>>> {
            let Some(v) = v else { return Ok(None) };
            if !(0.0..=0.5).contains(v.get_ref()) {
                return Err(err(
                    Some(v.span()),
                    Some(key.into()),
                    format!("{} is out of range (0 to 0.5)", v.get_ref()),
                ));
            }
            Ok(Some(Sourced {
                value: *v.get_ref(),
                line: sourced(v),
            }))
        };
        cfg.dupes = DupesConfig {
            prefer: d.prefer.as_ref().map(|p| Sourced {
                value: p.get_ref().iter().map(|x| expand(dir, x)).collect(),
                line: sourced(p),
            }),
            by_tags: d.by_tags.as_ref().map(|b| Sourced {
                value: *b.get_ref(),
                line: sourced(b),
            }),
            match_threshold: threshold("dupes.match_threshold", &d.match_threshold)?,
            similar_threshold: threshold("dupes.similar_threshold", &d.similar_threshold)?,
        };
        if let (Some(m), Some(s)) = (&cfg.dupes.match_threshold, &cfg.dupes.similar_threshold) {
            if m.value > s.value {
                return Err(config_error(
                    path,
                    Some(m.line),
                    Some("dupes.match_threshold".into()),
                    "must not be above dupes.similar_threshold",
                ));
            }
        }
    }
    if let Some(s) = spec.scan.as_ref().and_then(|s| s.ignore.as_ref()) {
        for g in s.get_ref() {
            crate::scan::ignore::Glob::parse(g).map_err(|reason| {
                err(
                    Some(s.span()),
                    Some("scan.ignore".into()),
                    format!("{g:?}: {reason}"),
                )
            })?;
        }
        cfg.scan_ignore = Some(Sourced {
            value: s.get_ref().clone(),
            line: sourced(s),
        });
    }
    for (name, spec) in profiles::in_document_order(spec.profile) {
        let key = format!("profile.{name}");
        let line = sourced(&spec);
        if profiles::builtin(&name).is_some() || cfg.profiles.get(&name).is_some() {
            return Err(config_error(
                path,
                Some(line),
                Some(key),
                format!("{name:?} is a built-in profile's name; name yours otherwise and start from it with base = {name:?}"),
            ));
        }
        let base = match spec.get_ref().base_name() {
            Some((b, span)) => match profiles::builtin(b) {
                Some(p) => p.clone(),
                None => {
                    return Err(err(
                        Some(span),
                        Some(format!("{key}.base")),
                        format!(
                            "unknown base profile {b:?} (built-in: {})",
                            profiles::builtin_profiles()
                                .iter()
                                .map(|p| p.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ))
                }
            },
            None => DeviceProfile::default(),
        };
        let p = spec.get_ref().resolve(&name, &base).map_err(|e| {
            err(
                e.span.or(Some(spec.span())),
                Some(format!("{key}.{}", e.key)),
                e.reason,
            )
        })?;
        cfg.profiles.add(
            p,
            Origin::Config {
                path: path.to_path_buf(),
                line,
            },
        );
    }
    Ok(cfg)
}

/// Something with a place in the file.
trait Spot {
    fn start(&self) -> usize;
}

impl<T> Spot for Spanned<T> {
    fn start(&self) -> usize {
        self.span().start
    }
}

/// Every key of the file is one mixtape knows; else name the first that
/// is not, with its line.
fn check_keys(path: &Path, text: &str, table: &toml::Table) -> Result<()> {
    let unknown = |table_name: &str, key: &str| {
        let dotted = if table_name.is_empty() {
            key.to_string()
        } else {
            format!("{table_name}.{key}")
        };
        config_error(
            path,
            locate::key_line(text, table_name, key),
            Some(dotted),
            "unknown key",
        )
    };
    for (name, keys) in TABLES {
        let t = if name.is_empty() {
            Some(table)
        } else {
            table.get(*name).and_then(|v| v.as_table())
        };
        for k in t.into_iter().flat_map(|t| t.keys()) {
            if !keys.contains(&k.as_str()) {
                return Err(unknown(name, k));
            }
        }
    }
    if let Some(profiles) = table.get("profile").and_then(|v| v.as_table()) {
        for (pname, p) in profiles {
            let tname = format!("profile.{}", locate::toml_key(pname));
            for k in p.as_table().into_iter().flat_map(|t| t.keys()) {
                if !PROFILE_KEYS.contains(&k.as_str()) {
                    let line = locate::key_line(text, &tname, k);
                    return Err(config_error(
                        path,
                        line,
                        Some(format!("profile.{pname}.{k}")),
                        "unknown key",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A path from the file: `~/` is the home folder, a relative path is
/// relative to the config file's folder.
fn expand(dir: &Path, p: &Path) -> PathBuf {
    if let Ok(rest) = p.strip_prefix("~") {
        if let Some(home) = std::env::var_os("HOME") {
            return PathBuf::from(home).join(rest);
        }
    }
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
}

#[cfg(test)]
mod tests;

//! Ignore globs: paths a scan skips (the config file's `scan.ignore`).
//!
//! A glob without a `/` matches a file or folder name at any depth
//! (`*.tmp`, `Podcasts`); one with a `/` matches the path relative to the
//! scan root (`Incoming/**`, `*/Demos`). `*` is any run of characters but
//! `/`, `**` any run including `/`, `?` one character, `[abc]`/`[a-z]`/
//! `[!a]` a class. Matching is case-sensitive, as the filesystem is. A
//! folder that matches is not entered; a file that matches is not read; a
//! track already in the library under an ignored path is left as it is
//! (not declared gone).

use std::path::Path;

use regex::Regex;

/// One parsed glob.
#[derive(Debug, Clone)]
pub struct Glob {
    re: Regex,
    /// Matched against the relative path (else against each name).
    anchored: bool,
}

impl Glob {
    /// Parse a glob; `Err` says what is wrong with it.
    pub fn parse(glob: &str) -> Result<Glob, String> {
        let g = glob.trim_start_matches("./").trim_end_matches('/');
        if g.is_empty() {
            return Err("an empty pattern".into());
        }
        let anchored = g.contains('/');
        let mut re = String::from("^");
        let chars: Vec<char> = g.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '*' if chars.get(i + 1) == Some(&'*') => {
                    // `**/` also matches no folder at all.
                    if chars.get(i + 2) == Some(&'/') {
                        re.push_str("(?:.*/)?");
                        i += 3;
                    } else {
                        re.push_str(".*");
                        i += 2;
                    }
                    continue;
                }
                '*' => re.push_str("[^/]*"),
                '?' => re.push_str("[^/]"),
                '[' => {
                    let end = chars[i + 1..]
                        .iter()
                        .position(|&c| c == ']')
                        .map(|p| p + i + 1)
                        .ok_or("an unclosed [")?;
                    let mut class: String = chars[i + 1..end].iter().collect();
                    if let Some(rest) = class.strip_prefix('!') {
                        class = format!("^{rest}");
                    }
                    re.push('[');
                    re.push_str(&class.replace('\\', "\\\\"));
                    re.push(']');
                    i = end;
                }
                c => re.push_str(&regex::escape(&c.to_string())),
            }
            i += 1;
        }
        re.push('$');
        let re = Regex::new(&re).map_err(|e| format!("not a valid pattern ({e})"))?;
        Ok(Glob { re, anchored })
    }

    /// Does the glob match `rel` (a `/`-separated path relative to the root)?
    pub fn matches(&self, rel: &str) -> bool {
        if self.anchored {
            self.re.is_match(rel)
        } else {
            rel.rsplit('/')
                .next()
                .is_some_and(|name| self.re.is_match(name))
        }
    }
}

/// Every ignore glob of a scan.
#[derive(Debug, Clone, Default)]
pub struct IgnoreSet {
    globs: Vec<Glob>,
}

impl IgnoreSet {
    /// Parse every glob; the first bad one is the error, with its reason.
    pub fn new(globs: &[String]) -> Result<IgnoreSet, (String, String)> {
        let globs = globs
            .iter()
            .map(|g| Glob::parse(g).map_err(|e| (g.clone(), e)))
            .collect::<Result<_, _>>()?;
        Ok(IgnoreSet { globs })
    }

    /// Whether nothing is ignored.
    pub fn is_empty(&self) -> bool {
        self.globs.is_empty()
    }

    /// Is `path` (below `root`) ignored: does a glob match it or one of the
    /// folders between `root` and it?
    pub fn ignores(&self, root: &Path, path: &Path) -> bool {
        if self.globs.is_empty() {
            return false;
        }
        let Ok(rel) = path.strip_prefix(root) else {
            return false;
        };
        let mut prefix = String::new();
        for part in rel.iter() {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(&part.to_string_lossy());
            if self.globs.iter().any(|g| g.matches(&prefix)) {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_paths_and_double_stars() {
        let set = IgnoreSet::new(&[
            "*.tmp".into(),
            "Podcasts".into(),
            "Incoming/**/*.mp3".into(),
            "[!A-Z]*.wav".into(),
        ])
        .unwrap();
        let root = Path::new("/m");
        let ig = |p: &str| set.ignores(root, &root.join(p));
        assert!(ig("a/b/x.tmp"));
        assert!(ig("Podcasts/ep1.mp3"));
        assert!(ig("x/Podcasts/ep1.mp3"));
        assert!(!ig("x/MyPodcasts/ep1.mp3"));
        assert!(ig("Incoming/a/b/x.mp3"));
        assert!(ig("Incoming/x.mp3"));
        assert!(!ig("Incoming/x.flac"));
        assert!(!ig("Other/Incoming/x.mp3"));
        assert!(ig("lower.wav"));
        assert!(!ig("Upper.wav"));
        assert!(!set.ignores(root, Path::new("/elsewhere/x.tmp")));
        assert!(Glob::parse("[abc").is_err());
        assert!(Glob::parse("").is_err());
    }
}

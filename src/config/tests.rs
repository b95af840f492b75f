//! Unit tests of the config reader: values with their lines, profiles over
//! a base, and every kind of bad file named by file, line and key.

use super::*;

fn parsed(text: &str) -> Result<Config> {
    parse(Path::new("/c/config.toml"), text)
}

fn error(text: &str) -> String {
    parsed(text).unwrap_err().to_string()
}

#[test]
fn values_keep_their_lines() {
    let c = parsed(
        "library = \"/m/lib.db\"\n[organize]\ntemplate = \"$artist/$title\"\n[dupes]\nprefer = [\"flac\"]\nmatch_threshold = 0.05\n[scan]\nignore = [\"*.tmp\"]\n[profile.mine]\nbase = \"car\"\nbitrate = 192\n",
    )
    .unwrap();
    assert_eq!(
        c.library,
        Some(Sourced {
            value: "/m/lib.db".into(),
            line: 1
        })
    );
    assert_eq!(c.organize.template.as_ref().map(|t| t.line), Some(3));
    assert_eq!(
        c.dupes.prefer.as_ref().map(|p| p.value.clone()),
        Some(vec![PathBuf::from("/c/flac")])
    );
    assert_eq!(
        c.dupes.match_threshold.as_ref().map(|t| (t.value, t.line)),
        Some((0.05, 6))
    );
    assert_eq!(c.scan_ignore.as_ref().map(|s| s.line), Some(8));
    let mine = c.profiles.get("mine").unwrap();
    assert_eq!(
        (mine.bitrate_kbps, mine.files_per_folder),
        (Some(192), Some(255))
    );
    assert_eq!(c.profiles.names(), ["usb", "car", "cd", "mine"]);
}

#[test]
fn bad_files_name_file_line_and_key() {
    assert_eq!(
        error("libary = \"x\"\n"),
        "/c/config.toml:1: libary: unknown key"
    );
    assert_eq!(
        error("\n[profile.m]\nbase = \"car\"\nbitrate = \"999k\"\n"),
        "/c/config.toml:4: profile.m.bitrate: \"999k\" is out of range (8k to 320k)"
    );
    assert_eq!(
        error("[profile.m]\nmax_depth = \"deep\"\n"),
        "/c/config.toml:2: profile.m.max_depth: invalid type: string \"deep\", expected usize"
    );
    assert_eq!(
        error("[scan]\nignore = [\"[abc\"]\n"),
        "/c/config.toml:2: scan.ignore: \"[abc\": an unclosed ["
    );
    assert_eq!(
        error("[dupes]\nmatch_threshold = 0.3\nsimilar_threshold = 0.2\n"),
        "/c/config.toml:2: dupes.match_threshold: must not be above dupes.similar_threshold"
    );
    assert_eq!(
        error("[organize]\ntemplate = \"%nope{}\"\n")
            .split(": ")
            .take(2)
            .collect::<Vec<_>>(),
        ["/c/config.toml:2", "organize.template"]
    );
    assert!(
        error("x = = 1\n").starts_with("/c/config.toml:1: "),
        "{}",
        error("x = = 1\n")
    );
}

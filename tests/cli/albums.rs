//! Integration tests for albums (issue 14): `ls -a`, `albums`, and the
//! offline audit `albums --check` (with `--json` and `--fix`), on real
//! FLAC files whose tags are written with lofty.

use crate::support::*;

/// "Bowie - Low" in m/low/: tracks 1, 2 and 4 of 4, track 4 from another
/// year, track 2 without art; "Various - Hits" in m/hits/ by two artists.
fn collection(env: &TestEnv) {
    for n in [1, 2, 4] {
        let p = env.flac(&format!("m/low/{n:02}.flac"), n as u64, 1.0);
        let year = if n == 4 { "1978" } else { "1977" };
        set_tags(
            &p,
            &[
                ("title", &format!("Low {n}")),
                ("artist", "Bowie"),
                ("album", "Low"),
                ("track", &n.to_string()),
                ("tracktotal", "4"),
                ("year", year),
            ],
        );
        if n != 2 {
            add_cover(&p, jpeg(false, 8, 8));
        }
    }
    for (n, artist) in [(1, "X"), (2, "Y")] {
        let p = env.flac(&format!("m/hits/{n:02}.flac"), 10 + n as u64, 1.0);
        set_tags(
            &p,
            &[
                ("title", &format!("Hit {n}")),
                ("artist", artist),
                ("album", "Hits"),
                ("track", &n.to_string()),
            ],
        );
    }
    env.run(["scan", "--no-fingerprint", "m"]).ok();
}

#[test]
fn albums_are_listed_and_queried_by_album_fields() {
    let env = TestEnv::new();
    collection(&env);
    env.run(["ls", "-a"])
        .ok()
        .assert_stdout("Bowie - Low\nVarious Artists - Hits\n");
    env.run(["albums", "tracks:3"])
        .ok()
        .assert_stdout("Bowie - Low\n");
    env.run(["ls", "-a", "artist:y"])
        .ok()
        .assert_stdout("Various Artists - Hits\n");
    env.run(["ls", "-a", "comp:true , albumtotal:4"])
        .ok()
        .assert_stdout("Bowie - Low\nVarious Artists - Hits\n");
    env.run([
        "ls",
        "-a",
        "-f",
        "$album: $tracks/$albumtotal $format $length",
        "tracks+",
    ])
    .ok()
    .assert_stdout("Hits: 2/ flac 0:02\nLow: 3/4 flac 0:03\n");
    // An album's year is the one most of its tracks have; missing sorts last.
    env.run(["ls", "-a", "-f", "$album $year", "year+", "album+"])
        .ok()
        .assert_stdout("Low 1977\nHits \n");
    let json = env.run(["ls", "-a", "--json", "album:low"]).ok();
    let v = json.json_lines();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["albumartist"], "Bowie");
    assert_eq!(v[0]["tracks"], 3);
    assert_eq!(v[0]["albumtotal"], 4);
    assert_eq!(v[0]["year"], 1977);
    assert_eq!(v[0]["track_ids"].as_array().unwrap().len(), 3);
    let usage = env.run(["albums", "-a"]).expect_code(1);
    assert!(
        usage.stderr.contains("unexpected argument '-a'"),
        "{}",
        usage.stderr
    );
    let bad = env.run(["albums", "trakcs:3"]).expect_code(1);
    assert!(
        bad.stderr.contains("unknown field 'trakcs'"),
        "{}",
        bad.stderr
    );
}

/// The bar: a missing track, a differing year and mixed art are
/// exactly three findings; exit 2; `--fix` proposes the year's modify, and
/// running it leaves two.
#[test]
fn album_check_finds_exactly_the_three_problems_and_proposes_the_fix() {
    let env = TestEnv::new();
    collection(&env);
    let low = env.root().join("m/low");
    let r = env.run(["albums", "--check"]).expect_code(2);
    r.assert_stdout(&format!(
        "Bowie - Low ({0}): missing-tracks: 3 of 4\n\
         Bowie - Low ({0}): differing-year: 1977 (2 tracks), 1978 (1 track)\n\
         Bowie - Low ({0}): art-missing: 1 of 3 tracks have no art\n",
        low.display()
    ));
    r.assert_stderr("checked 2 albums: 3 findings in 1 album\n");
    let j = env.run(["albums", "--check", "--json"]).expect_code(2);
    let kinds: Vec<String> = j
        .json_lines()
        .iter()
        .map(|v| v["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["missing-tracks", "differing-year", "art-missing"]);
    let fix = env.run(["albums", "--check", "--fix"]).expect_code(2);
    let command = format!(
        "mixtape modify path:{} album:=~Low year=1977\n",
        low.display()
    );
    fix.assert_stdout(&command);
    fix.assert_stderr("checked 2 albums: 3 findings in 1 album; 2 not fixable by a tag edit\n");
    let words: Vec<&str> = command.trim().split(' ').skip(1).collect();
    env.run(&words).ok();
    let after = env.run(["albums", "--check", "album:low"]).expect_code(2);
    assert_eq!(after.lines().len(), 2, "{}", after.stdout);
    env.run(["albums", "--check", "album:hits"])
        .ok()
        .assert_stdout("");
}

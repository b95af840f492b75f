//! Issue 17, point 4: what a new user hit. Each test runs the real binary
//! and checks the exact output.

use crate::support::*;

/// A library with one track in it.
fn one_track() -> TestEnv {
    let env = TestEnv::new();
    env.flac("music/a.flac", 1, 1.0);
    env.run([
        "scan",
        "--no-fingerprint",
        env.path("music").to_str().unwrap(),
    ])
    .ok();
    env
}

#[test]
fn a_caret_with_nothing_after_it_is_a_query_error() {
    let env = one_track();
    env.run(["ls", "^"]).expect_code(1).assert_stderr(
        "mixtape: query: ^: '^' excludes the term after it, and none follows at column 1\n",
    );
    env.run(["ls", "artist:x", "^"]).expect_code(1);
}

#[test]
fn an_unknown_sort_field_is_only_unknown() {
    let env = one_track();
    env.run(["ls", "--sort", "badfield"])
        .expect_code(1)
        .assert_stderr("mixtape: query: --sort badfield: unknown field 'badfield' at column 8\n");
}

#[test]
fn exporting_a_playlist_that_does_not_exist_says_so() {
    let env = one_track();
    let to = env.path("stick");
    let to = to.to_str().unwrap();
    env.run(["export", "No such playlist", "--to", to])
        .expect_code(1)
        .assert_stderr(
            "mixtape: \"No such playlist\": there is no playlist of that name (see `mixtape playlist ls`), and no track matches it as words of a query; if you meant a query, name its field, e.g. 'title:No such playlist'\n",
        );
    env.run(["export", "genre:zzz", "--to", to])
        .expect_code(1)
        .assert_stderr("mixtape: genre:zzz: no track matches this query; nothing to export\n");
    assert!(
        !env.path("stick").exists(),
        "a refused export made its folder"
    );
}

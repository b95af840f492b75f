//! The shape of the source tree, checked on every test run: no import cycle
//! between the library's top-level modules or between the files of one
//! folder, files of a size a person can hold, a `//!` paragraph atop every
//! module, printing only in the CLI, and a thin `main.rs`.
//!
//! The dependency graph is read from the source text: every `crate::`,
//! `super::` and `self::` path outside test modules (in `use` trees and in
//! expressions) names the deepest module it reaches. `src/main.rs` and
//! `src/cli/` are the binary crate and are left out of the library's graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The most lines a source file may hold outside its test module.
const MAX_LINES: usize = 700;

/// One library source file: its module path and its text outside tests.
struct Module {
    path: Vec<String>,
    code: String,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file below `src/`: `media/mpeg/mod.rs` is
/// `media::mpeg`, `lib.rs` is the crate root.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

/// The text without its `#[cfg(test)]` items (the test module and any
/// test-only helpers beside it).
fn outside_tests(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut lines = text.split_inclusive('\n');
    while let Some(line) = lines.next() {
        if line.trim() != "#[cfg(test)]" {
            out.push_str(line);
            continue;
        }
        // Skip the item: up to a `;` at depth 0, or its closing brace.
        let mut depth = 0i64;
        let mut opened = false;
        for item in lines.by_ref() {
            for c in item.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            let t = item.trim_end();
            if (opened && depth <= 0) || (!opened && t.ends_with(';')) {
                break;
            }
        }
    }
    out
}

/// `text` without comments and string literals (so that a path in a doc
/// comment or a message is not read as a dependency).
fn strip(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'"' {
            // A raw string r"..." or r#"..."# is rare here; a plain string
            // ends at the first unescaped quote.
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            // A char literal such as '"' or '{'.
            i += 3;
        } else if b[i] == b'\'' && b.get(i + 1) == Some(&b'\\') {
            i += 2;
            while i < b.len() && b[i] != b'\'' {
                i += 1;
            }
            i += 1;
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every path that starts with `crate`, `super` or `self` in `code`,
/// as segments, with `use` trees expanded (`use crate::{a::b, c}` gives
/// `crate::a::b` and `crate::c`).
fn paths(code: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !is_ident(chars[i - 1]) && chars[i - 1] != ':';
        if starts_word && is_ident(chars[i]) {
            let mut j = i;
            while j < chars.len() && is_ident(chars[j]) {
                j += 1;
            }
            let word: String = chars[i..j].iter().collect();
            if matches!(word.as_str(), "crate" | "super" | "self") {
                let mut k = j;
                tree(&chars, &mut k, vec![word], &mut out);
                i = k.max(j);
                continue;
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

/// Read the rest of a path (or use tree) after `prefix`, starting at `*k`.
fn tree(chars: &[char], k: &mut usize, mut prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    loop {
        let save = *k;
        skip_ws(chars, k);
        if chars.get(*k) == Some(&':') && chars.get(*k + 1) == Some(&':') {
            *k += 2;
            skip_ws(chars, k);
            if chars.get(*k) == Some(&'{') {
                *k += 1;
                loop {
                    skip_ws(chars, k);
                    match chars.get(*k) {
                        Some('}') => {
                            *k += 1;
                            return;
                        }
                        Some(',') => *k += 1,
                        Some(c) if is_ident(*c) => {
                            let s = *k;
                            while *k < chars.len() && is_ident(chars[*k]) {
                                *k += 1;
                            }
                            let mut p = prefix.clone();
                            let w: String = chars[s..*k].iter().collect();
                            if w != "self" {
                                p.push(w);
                            }
                            tree(chars, k, p, out);
                        }
                        Some('*') => {
                            *k += 1;
                            out.push(prefix.clone());
                        }
                        Some(_) => *k += 1,
                        None => return,
                    }
                }
            }
            if chars.get(*k) == Some(&'*') {
                *k += 1;
                out.push(prefix);
                return;
            }
            let s = *k;
            while *k < chars.len() && is_ident(chars[*k]) {
                *k += 1;
            }
            if s == *k {
                out.push(prefix);
                return;
            }
            prefix.push(chars[s..*k].iter().collect());
        } else {
            *k = save;
            out.push(prefix);
            return;
        }
    }
}

fn skip_ws(chars: &[char], k: &mut usize) {
    while *k < chars.len() && chars[*k].is_whitespace() {
        *k += 1;
    }
}

fn library_modules() -> Vec<Module> {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .filter_map(|file| {
            let rel = file.strip_prefix(&src).unwrap().to_path_buf();
            if rel == Path::new("main.rs") || rel.starts_with("cli") {
                return None;
            }
            if rel.file_name().is_some_and(|n| n == "tests.rs") {
                return None;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            Some(Module {
                path: module_path(&rel),
                code: strip(&outside_tests(&text)),
            })
        })
        .collect()
}

/// The module each library module depends on, by module path.
fn dependency_graph(modules: &[Module]) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let known: BTreeSet<Vec<String>> = modules.iter().map(|m| m.path.clone()).collect();
    let mut graph = BTreeMap::new();
    for m in modules {
        let mut deps = BTreeSet::new();
        for p in paths(&m.code) {
            // `self` is this module, each `super` its parent, `crate` the root.
            let mut base: Vec<String> = m.path.clone();
            let mut rest = p.as_slice();
            match rest[0].as_str() {
                "crate" => {
                    base.clear();
                    rest = &rest[1..];
                }
                "self" => rest = &rest[1..],
                _ => {
                    while rest.first().is_some_and(|s| s == "super") {
                        base.pop();
                        rest = &rest[1..];
                    }
                }
            }
            let mut target = base.clone();
            let mut deepest = base.clone();
            for seg in rest {
                target.push(seg.clone());
                if known.contains(&target) {
                    deepest = target.clone();
                }
            }
            if deepest != m.path {
                deps.insert(deepest);
            }
        }
        graph.insert(m.path.clone(), deps);
    }
    graph
}

/// The cycles among `nodes` under `edges`, each as its members in order.
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Tarjan's strongly connected components; each component of two or
    // more nodes holds a cycle.
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on_stack: BTreeSet<String>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit(s: &mut State, v: &str) {
        s.index.insert(v.to_string(), s.next);
        s.low.insert(v.to_string(), s.next);
        s.next += 1;
        s.stack.push(v.to_string());
        s.on_stack.insert(v.to_string());
        let succ: Vec<String> = s
            .edges
            .get(v)
            .map(|e| e.iter().cloned().collect())
            .unwrap_or_default();
        for w in succ {
            if !s.index.contains_key(&w) {
                visit(s, &w);
                let lw = s.low[&w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(&w) {
                let iw = s.index[&w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on_stack.remove(&w);
                let done = w == v;
                comp.push(w);
                if done {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

/// Edges between the top-level modules (`media`, `library`, ...), and
/// between the sibling files of each folder (`export::tagging` and
/// `export::transcode`); a file and its own folder's `mod.rs` (the
/// folder's face) are not siblings.
fn layered_edges(
    graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, deps) in graph {
        for to in deps {
            let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
            if common >= from.len() || common >= to.len() {
                continue; // an ancestor and its descendant
            }
            let (a, b) = (sibling(from, common), sibling(to, common));
            edges.entry(a.clone()).or_default().insert(b.clone());
            edges.entry(b).or_default();
        }
    }
    edges
}

/// The ancestor of `path` that is a child of its first `common` segments.
fn sibling(path: &[String], common: usize) -> String {
    path[..=common].join("::")
}

#[test]
fn no_import_cycle_between_modules() {
    let modules = library_modules();
    let graph = dependency_graph(&modules);
    let found = cycles(&layered_edges(&graph));
    let described: Vec<String> = found
        .iter()
        .map(|c| {
            let members: BTreeSet<&String> = c.iter().collect();
            let mut lines = vec![format!("cycle among {}:", c.join(", "))];
            for (from, deps) in &graph {
                for to in deps {
                    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
                    if common < from.len() && common < to.len() {
                        let (a, b) = (sibling(from, common), sibling(to, common));
                        if members.contains(&a) && members.contains(&b) {
                            lines.push(format!("  {} -> {}", from.join("::"), to.join("::")));
                        }
                    }
                }
            }
            lines.join("\n")
        })
        .collect();
    assert!(described.is_empty(), "\n{}", described.join("\n"));
}

#[test]
fn the_dependency_reader_sees_use_trees_and_paths() {
    let code =
        "use crate::{a::{b, c::D}, e};\nuse super::f::G;\nfn x() { crate::h::i(); self::j::k(); }";
    let mut got: Vec<String> = paths(&strip(code)).iter().map(|p| p.join("::")).collect();
    got.sort();
    assert_eq!(
        got,
        [
            "crate::a::b",
            "crate::a::c::D",
            "crate::e",
            "crate::h::i",
            "self::j::k",
            "super::f::G"
        ]
    );
    // Comments and strings are not dependencies.
    assert!(paths(&strip("// crate::a\n/* crate::b */ let s = \"crate::c\";")).is_empty());
    // A cycle is found and a chain is not.
    let mut e: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    e.insert("a".into(), ["b".to_string()].into());
    e.insert("b".into(), ["c".to_string()].into());
    e.insert("c".into(), BTreeSet::new());
    assert!(cycles(&e).is_empty());
    e.insert("c".into(), ["a".to_string()].into());
    assert_eq!(cycles(&e), [vec!["a", "b", "c"]]);
}

#[test]
fn files_are_of_a_size_a_person_can_hold() {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut big = Vec::new();
    for f in files {
        if f.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let n = outside_tests(&text).lines().count();
        if n > MAX_LINES {
            big.push(format!(
                "{}: {n} lines outside tests (at most {MAX_LINES})",
                f.strip_prefix(&src).unwrap().display()
            ));
        }
    }
    assert!(big.is_empty(), "\n{}", big.join("\n"));
}

#[test]
fn every_module_opens_with_its_role_and_only_the_cli_prints() {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap().to_path_buf();
        let text = std::fs::read_to_string(&f).unwrap();
        if !text.trim_start().starts_with("//!") {
            wrong.push(format!(
                "{}: does not open with a //! paragraph",
                rel.display()
            ));
        }
        let is_tests = rel.file_name().is_some_and(|n| n == "tests.rs");
        if rel == Path::new("main.rs") || rel.starts_with("cli") || is_tests {
            continue;
        }
        let code = strip(&outside_tests(&text));
        for bad in ["println!", "eprintln!", "print!(", "eprint!("] {
            if code.contains(bad) {
                wrong.push(format!("{}: the library prints ({bad})", rel.display()));
            }
        }
    }
    let main = std::fs::read_to_string(src.join("main.rs")).unwrap();
    if !main.lines().any(|l| l.trim() == "mod cli;") {
        wrong.push("main.rs: does not say `mod cli;`".into());
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// The layers of the library, lowest first (the README's Layout table): a
/// top-level module uses only modules of lower layers, except that the
/// features may use one another. `config` (the config file, which reads
/// the settings of several features) sits above them all.
const LAYERS: &[&[&str]] = &[
    &["error"],
    &["progress", "names", "guard", "confine"],
    &["media", "cue"],
    &["library", "fsops"],
    &["query"],
    &["playlist", "album"],
    &["journal", "stale"],
    &[
        "scan", "dupes", "organize", "check", "export", "retag", "loudness",
    ],
    &["config"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

#[test]
fn each_module_uses_only_the_layers_below_it() {
    let graph = dependency_graph(&library_modules());
    let features = layer_of("export").unwrap();
    let mut wrong = BTreeSet::new();
    for (from, deps) in &graph {
        let Some(a) = from.first() else { continue };
        for to in deps {
            let Some(b) = to.first() else { continue };
            if a == b {
                continue;
            }
            match (layer_of(a), layer_of(b)) {
                (None, _) => {
                    wrong.insert(format!("{a}: not in the README's layers"));
                }
                (_, None) => {
                    wrong.insert(format!("{b}: not in the README's layers"));
                }
                (Some(x), Some(y)) if y < x || (x == features && y == features) => {}
                _ => {
                    wrong.insert(format!("{} -> {}", from.join("::"), to.join("::")));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "\n{}",
        wrong.into_iter().collect::<Vec<_>>().join("\n")
    );
}

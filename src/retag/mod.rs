//! `mixtape modify`: set or remove tag fields in the selected tracks' files,
//! through the undo journal, never touching the audio.
//!
//! Per file, in order: the file must still be what the library scanned
//! ([`crate::stale`]), be writable, and be of a format lofty writes. The
//! edit goes into a temporary copy beside it, which is read back with the
//! scanner's own reader: its `audio_hash` must equal the original's and
//! every edited field must read back as asked, else the copy is dropped
//! and the file reported. Then the journal records the write (with the
//! bytes it replaces, see [`crate::journal::Patch`]), the copy is fsynced
//! and renamed over the file, the folder is fsynced, and the library takes
//! the new tags, size, time and hash in one transaction with the entry's
//! `done`. The file's modification time is the write's (a rescan sees an
//! unchanged file: the library already holds what it says); its track id
//! stays, so nothing takes it for a new or moved file.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::error::{Error, InvalidKind, Result};
use crate::fsops;
use crate::journal::{self, Operation};
use crate::library::{Library, Track};
use crate::media::tag_edit::{self, ArtEdit, Edits, FieldEdit, TagField};
use crate::media::{self, ReadOptions};
use crate::progress::Cancel;

pub mod art;

/// Split `modify`'s words into query words and field edits: `field=value`
/// sets (a known field name before the first `=`), `field!` removes.
/// Numbers are checked here, before anything is written.
pub fn parse_words(words: &[String]) -> Result<(Vec<String>, Vec<FieldEdit>)> {
    let mut query = Vec::new();
    let mut edits: Vec<FieldEdit> = Vec::new();
    for w in words {
        let (name, value) = if let Some(name) = w.strip_suffix('!') {
            (name, None)
        } else if let Some((name, value)) = w.split_once('=') {
            (name, Some(value.to_string()))
        } else {
            query.push(w.clone());
            continue;
        };
        if name.contains(':') || name.is_empty() {
            query.push(w.clone());
            continue;
        }
        let Some(field) = TagField::parse(name) else {
            return Err(Error::invalid(
                InvalidKind::Unknown,
                name.to_string(),
                format!(
                    "not a field modify can write (one of {})",
                    TagField::names().join(", ")
                ),
            ));
        };
        let value = match value {
            Some(v) if field.is_number() => {
                let ok = v
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| field != TagField::Comp || *n <= 1);
                match ok {
                    Some(n) => Some(n.to_string()),
                    None => {
                        return Err(Error::invalid(
                            InvalidKind::Malformed,
                            w.clone(),
                            if field == TagField::Comp {
                                "comp takes 1 or 0".to_string()
                            } else {
                                format!("{field} takes a whole number")
                            },
                        ))
                    }
                }
            }
            Some(v) if v.trim().is_empty() => None,
            v => v,
        };
        // A comp of 0 is no compilation flag.
        let value = value.filter(|v| !(field == TagField::Comp && v == "0"));
        edits.retain(|(f, _)| *f != field);
        edits.push((field, value));
    }
    if edits.is_empty() {
        return Err(Error::invalid_input(
            InvalidKind::Malformed,
            "nothing to change: give field=value or field! (e.g. genre=Jazz, comments!)",
        ));
    }
    Ok((query, edits))
}

/// One field of one track that would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: TagField,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A change of a file's embedded art (`mixtape art embed` / `clear`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtChange {
    pub edit: ArtEdit,
    /// What `art` shows before and after (e.g. `JPEG 600x600, 45 KB`).
    pub old: Option<String>,
    pub new: Option<String>,
}

/// The changes to one track's file.
#[derive(Debug, Clone)]
pub struct Change {
    pub track: Track,
    pub fields: Vec<FieldChange>,
    pub art: Option<ArtChange>,
}

/// The tracks whose fields would change, with what changes (fields that
/// already hold the value are left out, as are tracks with nothing to do).
pub fn plan(tracks: Vec<Track>, edits: &[FieldEdit]) -> Vec<Change> {
    tracks
        .into_iter()
        .filter_map(|track| {
            let fields: Vec<FieldChange> = edits
                .iter()
                .filter_map(|(field, new)| {
                    let old = field.get(&track.tags);
                    let old = old.filter(|v| !(*field == TagField::Comp && v == "0"));
                    (old != *new).then(|| FieldChange {
                        field: *field,
                        old,
                        new: new.clone(),
                    })
                })
                .collect();
            (!fields.is_empty()).then_some(Change {
                track,
                fields,
                art: None,
            })
        })
        .collect()
}

/// What `execute` did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Time spent reading the rewritten copies back (audio hash, tags,
    /// art): the audio check's share of the run.
    pub verify: std::time::Duration,
    pub modified: usize,
    pub failed: usize,
    pub op_id: Option<i64>,
    pub interrupted: bool,
}

/// Carry out `changes`; `on_item` sees each change with its error, if any.
pub fn execute(
    lib: &Library,
    changes: &[Change],
    cancel: &Cancel,
    on_item: &mut dyn FnMut(&Change, Option<&Error>),
) -> Result<Summary> {
    let mut summary = Summary::default();
    if changes.is_empty() {
        return Ok(summary);
    }
    let kind = if changes.iter().any(|c| c.art.is_some()) {
        "art"
    } else {
        "modify"
    };
    let mut op = Operation::begin(lib, kind, &format!("{kind} {} files", changes.len()))?;
    summary.op_id = Some(op.id());
    for c in changes {
        if cancel.is_cancelled() {
            summary.interrupted = true;
            break;
        }
        match write_one(lib, &mut op, c, &mut summary.verify) {
            Ok(()) => {
                summary.modified += 1;
                on_item(c, None);
            }
            Err(e @ Error::Db { .. }) => return Err(e),
            Err(e) => {
                summary.failed += 1;
                on_item(c, Some(&e));
            }
        }
    }
    op.finish()?;
    Ok(summary)
}

/// The edits of one change, as the writer takes them.
fn edits_of(c: &Change) -> Edits {
    Edits {
        fields: c.fields.iter().map(|f| (f.field, f.new.clone())).collect(),
        art: c.art.as_ref().map(|a| a.edit.clone()),
    }
}

/// The front cover's hash the file must read back with after `c`
/// (`before`: the file's now).
fn art_after(c: &Change, before: Option<[u8; 32]>) -> Option<[u8; 32]> {
    match c.art.as_ref().map(|a| &a.edit) {
        None => before,
        Some(ArtEdit::Clear) => None,
        Some(ArtEdit::Front { data, .. }) => Some(*blake3::hash(data).as_bytes()),
    }
}

fn write_one(
    lib: &Library,
    op: &mut Operation<'_>,
    c: &Change,
    verify: &mut std::time::Duration,
) -> Result<()> {
    let t = &c.track;
    if let Some(cue) = t.cue {
        // Its tags come from the sheet; the image's own tags describe the
        // whole album, so writing this track's values there would be wrong.
        return Err(Error::at(
            &t.path,
            format!(
                "track {} of a CUE image: its tags come from the sheet, edit the .cue instead",
                cue.number
            ),
        ));
    }
    let path = t.path.as_path();
    crate::stale::check_unchanged(t).map_err(|s| Error::at(path, s.to_string()))?;
    let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.permissions().readonly() {
        return Err(Error::at(path, "read-only file; not modified"));
    }
    tag_edit::writable_format(path).map_err(|e| Error::at(path, e.to_string()))?;
    let old = fs::read(path).map_err(|e| Error::io(path, e))?;
    let opts = ReadOptions::fingerprinting(false);
    // What the library holds, unless an older scan left it out.
    let (audio_before, art_before) = match (t.audio_hash, t.art && t.art_hash.is_none()) {
        (Some(h), false) => (Some(h), t.art_hash),
        _ => {
            let now = media::read_media(path, &opts)?;
            (now.audio_hash, now.art_hash)
        }
    };
    let tmp = fsops::temp_name(path);
    let result = (|| -> Result<(Vec<u8>, media::MediaInfo)> {
        fs::write(&tmp, &old).map_err(|e| Error::io(&tmp, e))?;
        fs::set_permissions(&tmp, meta.permissions()).map_err(|e| Error::io(&tmp, e))?;
        tag_edit::write(&tmp, &edits_of(c)).map_err(|e| Error::at(path, e.to_string()))?;
        let started = std::time::Instant::now();
        let read = media::read_media(&tmp, &opts);
        *verify += started.elapsed();
        let read = read?;
        if read.audio_hash.is_none() || read.audio_hash != audio_before {
            return Err(Error::at(
                path,
                "the tag write would change the audio; not modified",
            ));
        }
        if read.art_hash != art_after(c, art_before) {
            let what = if c.art.is_some() {
                "the embedded art does not read back as written"
            } else {
                "the tag write would change the embedded art"
            };
            return Err(Error::at(path, format!("{what}; not modified")));
        }
        for f in &c.fields {
            let got = f
                .field
                .get(&read.tags)
                .filter(|v| !(f.field == TagField::Comp && v == "0"));
            if got != f.new {
                return Err(Error::at(
                    path,
                    format!(
                        "{}: wrote {} but it reads back as {}; not modified",
                        f.field,
                        shown(&f.new),
                        shown(&got)
                    ),
                ));
            }
        }
        fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io(&tmp, e))?;
        let new = fs::read(&tmp).map_err(|e| Error::io(&tmp, e))?;
        Ok((new, read))
    })();
    let (new, read) = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let mut old_tags: BTreeMap<&str, Option<String>> = c
        .fields
        .iter()
        .map(|f| (f.field.name(), f.old.clone()))
        .collect();
    if let Some(a) = &c.art {
        old_tags.insert("art", a.old.clone());
    }
    let old_tags = serde_json::to_string(&old_tags).unwrap_or_default();
    let seq = op.plan_retag(path, Some(t.id), &old, &new, &old_tags)?;
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        op.mark(seq, false, Some(&e.to_string()))?;
        return Err(Error::io(path, e));
    }
    fsops::sync_dir(path.parent().unwrap_or(Path::new(".")))?;
    let row = journal::retagged_row(lib, t, read)?;
    op.settle_retag(seq, t.id, &row)
}

/// A value as `modify` prints it: quoted, or `(none)`.
pub fn shown(v: &Option<String>) -> String {
    match v {
        Some(s) => format!("{s:?}"),
        None => "(none)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn words_split_into_query_and_edits() {
        let (q, e) = parse_words(&words(&[
            "artist:Queen",
            "genre=Rock",
            "comments!",
            "year=1975",
        ]))
        .unwrap();
        assert_eq!(q, ["artist:Queen"]);
        assert_eq!(
            e,
            [
                (TagField::Genre, Some("Rock".into())),
                (TagField::Comments, None),
                (TagField::Year, Some("1975".into()))
            ]
        );
        assert!(parse_words(&words(&["year=soon"])).is_err());
        assert!(parse_words(&words(&["colour=red"])).is_err());
        assert!(parse_words(&words(&["artist:Queen"])).is_err());
        assert!(parse_words(&words(&["comp=2"])).is_err());
    }
}

//! The first step of an export run: the plan compared with the manifest and
//! the disk. An output whose path and content key match and whose size on
//! disk is the recorded one is kept (mtimes are never looked at); one made
//! before under another name is moved; one an interrupted run finished waits
//! in staging; the rest is produced. In an ordered folder (car: play order
//! is the FAT directory order) the old files must be a prefix of the new
//! list, else the whole folder is rebuilt.

use std::collections::{HashMap, HashSet};

use crate::confine::Confined;
use crate::export::destination::{folder_of, present, staged_path};
use crate::export::extras::{abs, changed};
use crate::export::manifest::{unchanged, Entry, Manifest};
use crate::export::plan::{ExportPlan, PlanItem, STAGING_DIR};
use crate::export::report::ExportReport;

/// How the plan compares with what the destination holds.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// Per old manifest entry: is its file there with the recorded size?
    pub old_present: Vec<bool>,
    /// Plan items already in place (same path, same key, file present).
    pub in_place: HashSet<usize>,
    /// Plan items whose output exists under another path: item -> old entry.
    pub moved_from_old: HashMap<usize, usize>,
    /// Plan items finished by an interrupted run, waiting in staging.
    pub staged_before: HashSet<usize>,
    /// Plan items to copy or convert now, in play order.
    pub to_produce: Vec<usize>,
    /// Old entries (indexes) that are no longer wanted anywhere.
    pub obsolete: Vec<usize>,
}

/// Compare `plan` with the `old` manifest and the files on disk (sizes,
/// never mtimes). In an ordered folder the old files must be a prefix of
/// the new list to stay in place; otherwise the folder is rebuilt.
pub fn compare(plan: &ExportPlan, old: &Manifest) -> Comparison {
    let dest = plan.dest.as_path();
    let staging = dest.join(STAGING_DIR);
    let mut c = Comparison {
        old_present: old
            .entries
            .iter()
            .map(|e| present(&abs(dest, &e.path), e.size))
            .collect(),
        ..Comparison::default()
    };
    let ordered = plan.settings.profile.limits().ordered_folders;
    for folder in plan.folders() {
        let new: Vec<&PlanItem> = plan.items.iter().filter(|i| i.folder == folder).collect();
        let olds: Vec<(usize, &Entry)> = old
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| folder_of(&e.path) == folder)
            .collect();
        if ordered {
            let prefix = olds.len() <= new.len()
                && olds
                    .iter()
                    .zip(&new)
                    .all(|((oi, e), it)| e.path == it.rel && e.key == it.key && c.old_present[*oi]);
            if prefix {
                c.in_place
                    .extend(new.iter().take(olds.len()).map(|i| i.index));
            }
        } else {
            for it in &new {
                let found = olds
                    .iter()
                    .find(|(_, e)| e.path == it.rel && e.key == it.key);
                if let Some((oi, _)) = found {
                    if c.old_present[*oi] {
                        c.in_place.insert(it.index);
                    }
                }
            }
        }
    }
    let kept_paths: HashSet<&str> = plan
        .items
        .iter()
        .filter(|i| c.in_place.contains(&i.index))
        .map(|i| i.rel.as_str())
        .collect();
    let mut reusable: HashMap<&str, usize> = HashMap::new(); // key -> old entry index
    for (oi, e) in old.entries.iter().enumerate() {
        if c.old_present[oi] && !kept_paths.contains(e.path.as_str()) {
            reusable.entry(e.key.as_str()).or_insert(oi);
        }
    }
    for it in &plan.items {
        if c.in_place.contains(&it.index) {
            continue;
        }
        if let Some(&oi) = reusable.get(it.key.as_str()) {
            c.moved_from_old.insert(it.index, oi);
        } else if staged_path(&staging, it).is_file() {
            c.staged_before.insert(it.index);
        } else {
            c.to_produce.push(it.index);
        }
    }
    let reused: HashSet<usize> = c.moved_from_old.values().copied().collect();
    c.obsolete = old
        .entries
        .iter()
        .enumerate()
        .filter(|(oi, e)| !kept_paths.contains(e.path.as_str()) && !reused.contains(oi))
        .map(|(oi, _)| oi)
        .collect();
    c
}

/// Outputs the comparison would move (reorder, rename) must still hold the
/// bytes mixtape wrote and lie inside the destination; any other is left
/// alone (reported once) and its item is made anew instead. Returns the old
/// entries left alone.
pub(super) fn verify_moves(
    confine: &Confined,
    old: &Manifest,
    cmp: &mut Comparison,
    report: &mut ExportReport,
) -> HashSet<usize> {
    let mut left_alone = HashSet::new();
    let mut moves: Vec<(usize, usize)> = cmp.moved_from_old.iter().map(|(&i, &o)| (i, o)).collect();
    moves.sort_unstable();
    for (idx, oi) in moves {
        let e = &old.entries[oi];
        let p = abs(confine.root(), &e.path);
        let problem = match confine.check(&p) {
            Err(err) => Some(err.to_string()),
            Ok(()) if !unchanged(&p, e.size, &e.hash) => Some(changed(&p)),
            Ok(()) => None,
        };
        if let Some(why) = problem {
            report.warnings.push(why);
            left_alone.insert(oi);
            cmp.moved_from_old.remove(&idx);
            cmp.to_produce.push(idx);
        }
    }
    cmp.to_produce.sort_unstable();
    left_alone
}

//! Byte copies read once: files that could be copies of each other (same
//! size and extension) are grouped into work units read one after another
//! by one worker, and a copy of a track already in the library takes that
//! track's stored result ([`LibraryCopies`]).

use super::*;

/// Files that could be byte copies of each other: same size, same extension
/// (the extension can steer how a file is probed).
pub(super) type CopyKey = (u64, String);

pub(super) fn copy_key(f: &walk::Found) -> CopyKey {
    (f.size, extension_of(&f.path))
}

pub(super) fn extension_of(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

/// About the most files of one size read in turn by one worker: a larger
/// group (many same-length WAVs, say) is cut into units of about this size,
/// between two file names.
pub(super) const MAX_UNIT: usize = 32;

/// Split the jobs into work units: a file of unique size and extension alone;
/// files that share them together, ordered by file name (a copy in a backup
/// folder usually keeps its name), so a unit's byte copies are read by one
/// worker one after another and the later ones reuse the first one's result.
pub(super) fn work_units(jobs: Vec<Job>) -> Vec<Vec<Job>> {
    let mut groups: HashMap<CopyKey, Vec<Job>> = HashMap::new();
    let mut order: Vec<CopyKey> = Vec::new();
    for j in jobs {
        let k = copy_key(&j.found);
        let g = groups.entry(k.clone()).or_default();
        if g.is_empty() {
            order.push(k);
        }
        g.push(j);
    }
    let name = |j: &Job| j.found.path.file_name().map(|n| n.to_os_string());
    let mut units = Vec::with_capacity(order.len());
    for k in order {
        let mut g = groups.remove(&k).unwrap_or_default();
        g.sort_by(|a, b| {
            name(a)
                .cmp(&name(b))
                .then_with(|| a.found.path.cmp(&b.found.path))
        });
        let mut unit: Vec<Job> = Vec::new();
        for j in g {
            if unit.len() >= MAX_UNIT && unit.last().map(name) != Some(name(&j)) {
                units.push(std::mem::take(&mut unit));
            }
            unit.push(j);
        }
        units.push(unit);
    }
    units
}

/// Library tracks a file may be a byte copy of, looked up by `file_hash`
/// (indexed) through a read-only connection of their own (the writer keeps
/// the main one). Only when fingerprinting: a lookup costs microseconds,
/// the decode it saves tens of milliseconds, while without decoding there
/// is little left to save.
pub(super) struct LibraryCopies {
    pub(super) enabled: bool,
    /// Tracks this scan reads again (changed, or missing a fingerprint):
    /// their stored results are about to be replaced.
    pub(super) rereading: HashSet<i64>,
    pub(super) path: PathBuf,
    pub(super) reader: std::sync::Mutex<Option<Library>>,
}

impl LibraryCopies {
    pub(super) fn load(lib: &Library, jobs: &[Job], fingerprint: bool) -> Result<LibraryCopies> {
        // Any fingerprinted track at all (an index probe, not a table scan).
        let any = fingerprint
            && !jobs.is_empty()
            && lib
                .conn()
                .query_row(
                    "SELECT EXISTS(SELECT 1 FROM tracks WHERE file_hash IS NOT NULL)",
                    [],
                    |r| r.get::<_, bool>(0),
                )
                .map_err(|e| lib.err(e))?;
        let rereading: HashSet<i64> = jobs
            .iter()
            .filter_map(|j| match j.kind {
                JobKind::Changed(id) | JobKind::Refill(id) => Some(id),
                JobKind::New => None,
            })
            .collect();
        Ok(LibraryCopies {
            enabled: any,
            rereading,
            path: lib.path().to_path_buf(),
            reader: std::sync::Mutex::new(None),
        })
    }

    /// The stored result of a present, fingerprinted (or known unfit) library
    /// track with these bytes, size and extension. A lookup that fails (the
    /// reader cannot open, say) is no answer: the file is then read.
    pub(super) fn lookup(&self, key: &CopyKey, hash: &[u8; 32]) -> Option<MediaInfo> {
        if !self.enabled {
            return None;
        }
        let mut reader = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        if reader.is_none() {
            *reader = Library::open_reader(&self.path).ok();
        }
        let tracks = reader.as_ref()?.tracks_with_file_hash(hash).ok()?;
        tracks
            .iter()
            .find(|t| {
                !self.rereading.contains(&t.id)
                    && t.size == key.0
                    && extension_of(&t.path) == key.1
                    && t.analysed == Some(media::ANALYSIS_VERSION)
            })
            .and_then(|t| t.media_info())
    }
}

//! The memory budget of export: how much decoded audio all concurrent
//! transcodes may hold at once, so that several long, high-rate files are
//! not in memory together. The only global state of transcoding.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use crate::library::Track;

/// Bytes of working memory a transcode of this file will likely need:
/// decoded f32 samples plus a resampled copy and the encoded output.
pub(super) fn estimate_bytes(src: &Path, track: &Track) -> u64 {
    let p = &track.props;
    match (p.length, p.samplerate, p.channels) {
        (Some(len), Some(rate), Some(ch)) if len > 0.0 => {
            (len * rate as f64 * ch as f64 * 4.0 * 2.5) as u64
        }
        // Unknown: assume a compressed file expands about tenfold as f32.
        _ => std::fs::metadata(src).map(|m| m.len() * 25).unwrap_or(0),
    }
}

/// How much decoded audio all concurrent transcodes may hold at once.
const MEMORY_BUDGET: u64 = 3 << 30;

pub(super) static MEMORY: MemoryBudget = MemoryBudget::new(MEMORY_BUDGET);

/// A counting semaphore over bytes of working memory. A request larger than
/// the whole budget is granted when nothing else holds any, so one huge file
/// still runs (alone) instead of deadlocking.
pub struct MemoryBudget {
    capacity: u64,
    used: Mutex<u64>,
    freed: Condvar,
    /// Callers waiting in [`MemoryBudget::acquire`] (for tests and
    /// diagnostics: a permit that must wait is seen waiting).
    waiting: AtomicUsize,
}

/// Memory held by one transcode; released on drop.
pub struct MemoryPermit<'a> {
    budget: &'a MemoryBudget,
    bytes: u64,
}

impl MemoryBudget {
    /// A budget of `capacity` bytes.
    pub const fn new(capacity: u64) -> MemoryBudget {
        MemoryBudget {
            capacity,
            used: Mutex::new(0),
            freed: Condvar::new(),
            waiting: AtomicUsize::new(0),
        }
    }

    /// Wait until `bytes` fit, then hold them.
    pub fn acquire(&self, bytes: u64) -> MemoryPermit<'_> {
        let bytes = bytes.min(self.capacity);
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        if *used > 0 && *used + bytes > self.capacity {
            self.waiting.fetch_add(1, Ordering::SeqCst);
            while *used > 0 && *used + bytes > self.capacity {
                used = self.freed.wait(used).unwrap_or_else(|p| p.into_inner());
            }
            self.waiting.fetch_sub(1, Ordering::SeqCst);
        }
        *used += bytes;
        MemoryPermit {
            budget: self,
            bytes,
        }
    }
}

impl MemoryBudget {
    /// Bytes held now.
    pub fn used(&self) -> u64 {
        *self.used.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Callers waiting for memory now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }
}

impl Drop for MemoryPermit<'_> {
    fn drop(&mut self) {
        let mut used = self.budget.used.lock().unwrap_or_else(|p| p.into_inner());
        *used -= self.bytes;
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_permit_that_does_not_fit_waits_until_memory_is_freed() {
        let b = Arc::new(MemoryBudget::new(100));
        let p1 = b.acquire(60);
        // Larger than the whole budget: capped, granted only when alone.
        let b2 = b.clone();
        let t = std::thread::spawn(move || {
            let _p = b2.acquire(500);
            b2.used()
        });
        // The second caller is seen waiting, with the first permit's bytes
        // still the only ones held (no timing involved).
        while b.waiting() == 0 {
            std::thread::yield_now();
        }
        assert_eq!(b.used(), 60, "the second permit must wait");
        drop(p1);
        assert_eq!(t.join().unwrap(), 100);
        assert_eq!(b.used(), 0);
        assert_eq!(b.waiting(), 0);
    }

    #[test]
    fn permits_that_fit_are_granted_together() {
        let b = MemoryBudget::new(100);
        let p1 = b.acquire(40);
        let p2 = b.acquire(60);
        assert_eq!((b.used(), b.waiting()), (100, 0));
        drop(p1);
        drop(p2);
        assert_eq!(b.used(), 0);
    }
}

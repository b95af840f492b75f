//! Panic containment for untrusted input. Parsing libraries (lofty,
//! symphonia, chromaprint) can panic on malformed files; [`catch`] turns such
//! a panic into that file's error message, and the panic hook installed by
//! [`install_quiet_hook`] keeps contained panics off stderr (an uncaught panic
//! elsewhere is still printed).

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Run `f`; a panic inside becomes `Err("parser panicked: <message>")`.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    DEPTH.with(|d| d.set(d.get() + 1));
    let r = panic::catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get() - 1));
    r.map_err(|payload| {
        let msg = LAST.with(|l| l.borrow_mut().take()).unwrap_or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into())
        });
        format!("parser panicked: {msg}")
    })
}

/// Install a panic hook that stays silent for panics contained by [`catch`]
/// and defers to the default hook for every other panic.
pub fn install_quiet_hook() {
    let default = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if DEPTH.with(|d| d.get()) > 0 {
            let msg = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let loc = info
                .location()
                .map(|l| format!(" ({}:{})", l.file(), l.line()))
                .unwrap_or_default();
            LAST.with(|l| *l.borrow_mut() = Some(format!("{msg}{loc}")));
        } else {
            default(info);
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_panics() {
        install_quiet_hook();
        let r: Result<(), String> = catch(|| panic!("boom"));
        assert!(r.unwrap_err().contains("boom"));
        assert_eq!(catch(|| 5).unwrap(), 5);
    }
}

//! Progress bars: the only place that turns the library's [`Progress`]
//! events into indicatif bars. Bars are drawn on stderr, and only when stderr
//! is a terminal and `--quiet` was not given.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mixtape::progress::{Progress, ProgressSink, Stage};

/// A progress sink drawing one bar per stage.
pub struct Bars {
    enabled: bool,
    current: Mutex<Option<(Stage, ProgressBar)>>,
}

impl Bars {
    /// Bars, unless quiet or stderr is not a terminal.
    pub fn new(quiet: bool) -> Self {
        Bars {
            enabled: !quiet && std::io::stderr().is_terminal(),
            current: Mutex::new(None),
        }
    }

    /// Remove the bar from the screen.
    pub fn finish(&self) {
        if let Ok(mut cur) = self.current.lock() {
            if let Some((_, bar)) = cur.take() {
                bar.finish_and_clear();
            }
        }
    }

    fn make_bar(stage: Stage, p: &Progress) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(Some(p.total), ProgressDrawTarget::stderr());
        let template = if p.total_bytes > 0 || p.bytes > 0 {
            "{prefix:>12} [{bar:30}] {pos}/{len} files  {msg}  ETA {eta}"
        } else {
            "{prefix:>12} [{bar:30}] {pos}/{len}  {per_sec}  ETA {eta}"
        };
        bar.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(stage.label());
        bar
    }
}

impl ProgressSink for Bars {
    fn report(&self, p: Progress) {
        if !self.enabled {
            return;
        }
        let Ok(mut cur) = self.current.lock() else {
            return;
        };
        if cur.as_ref().map(|(s, _)| *s != p.stage).unwrap_or(true) {
            if let Some((_, old)) = cur.take() {
                old.finish_and_clear();
            }
            *cur = Some((p.stage, Self::make_bar(p.stage, &p)));
        }
        if let Some((_, bar)) = cur.as_ref() {
            bar.set_length(p.total);
            bar.set_position(p.done);
            if p.bytes > 0 {
                let secs = bar.elapsed().as_secs_f64().max(0.001);
                bar.set_message(format!(
                    "{} / {}  {}/s",
                    indicatif::HumanBytes(p.bytes),
                    indicatif::HumanBytes(p.total_bytes),
                    indicatif::HumanBytes((p.bytes as f64 / secs) as u64)
                ));
            }
        }
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.finish();
    }
}

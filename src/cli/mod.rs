//! The command line: clap definitions, turning arguments into library
//! settings, progress bars and printing. Nothing outside `src/cli/` prints.
//!
//! Exit codes: 0 success, 1 fatal error, 2 finished but some files failed,
//! 130 interrupted. A run stopped by a full destination exits 2 when it did
//! some of its work (journalled, undoable), 1 when it did none. A closed pipe (`mixtape ls | head`) exits quietly.

mod albums;
mod art;
mod check;
mod config;
mod dupes;
mod export;
mod export_print;
mod loudness;
mod ls;
mod modify;
mod organize;
mod output;
mod playlist;
mod progress;
mod scan;
mod stats;
mod undo;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use mixtape::progress::Cancel;
use mixtape::Library;

/// mixtape: scan, query, de-duplicate and export your music, offline.
#[derive(Debug, Parser)]
#[command(name = "mixtape", version, about, max_term_width = 100)]
pub struct Cli {
    /// The library database [default: the config file's `library`, else
    /// $XDG_DATA_HOME/mixtape/library.db]
    #[arg(long, global = true, env = "MIXTAPE_LIBRARY", value_name = "FILE")]
    library: Option<PathBuf>,
    /// The config file [default: $XDG_CONFIG_HOME/mixtape/config.toml]
    #[arg(long, global = true, env = "MIXTAPE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// No progress bars.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// When another mixtape is changing the library, fail at once instead
    /// of waiting for it to finish.
    #[arg(long, global = true)]
    no_wait: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan folders into the library (incremental).
    Scan(scan::ScanArgs),
    /// List tracks matching a query.
    Ls(ls::LsArgs),
    /// List albums (derived from tags), or audit them with --check.
    Albums(albums::AlbumsArgs),
    /// Show library statistics.
    Stats(stats::StatsArgs),
    /// Find duplicate tracks; optionally quarantine all but the best copy.
    Dupes(dupes::DupesArgs),
    /// Undo the last file operation (or a given one).
    Undo(undo::UndoArgs),
    /// Manage playlists.
    Playlist(playlist::PlaylistArgs),
    /// Export a playlist or query to a folder, stick, car stereo or CD.
    Export(Box<export::ExportArgs>),
    /// Set or remove tag fields in the files of the tracks a query selects.
    Modify(modify::ModifyArgs),
    /// Embed, extract or clear the cover art of the tracks a query selects.
    Art(art::ArtArgs),
    /// Organise files into a clean folder layout.
    #[command(alias = "organise")]
    Organize(organize::OrganizeArgs),
    /// Decode tracks in full and list damaged files.
    Check(check::CheckArgs),
    /// Show the effective configuration (each value with where it came
    /// from), or the device profiles.
    Config(config::ConfigArgs),
    /// Measure EBU R128 loudness and true peak of tracks and their albums.
    Loudness(loudness::LoudnessArgs),
}

/// What every command gets: where the library is, whether to be quiet,
/// whether to wait for another writer, and the Ctrl-C flag.
pub struct Context {
    pub library_path: PathBuf,
    /// Where the library path came from: `--library`, `env MIXTAPE_LIBRARY`,
    /// `config FILE:LINE` or `default`.
    pub library_source: String,
    /// The config file as read (empty when there is none).
    pub config: mixtape::config::Config,
    /// The config file's path and where that came from (`--config`, `env
    /// MIXTAPE_CONFIG`, `default`), and whether it was there.
    pub config_file: Option<(PathBuf, String, bool)>,
    pub quiet: bool,
    pub no_wait: bool,
    pub cancel: Cancel,
}

impl Context {
    /// Open the library for reading: never creates it, never waits.
    pub fn read_library(&self) -> anyhow::Result<Library> {
        Ok(Library::open_read(&self.library_path)?)
    }

    /// Open the library for writing (it must exist), holding the writer
    /// lock; see [`Context::open_writer`].
    pub fn write_library(&self) -> anyhow::Result<Library> {
        self.open_writer(false)
    }

    /// Open the library for writing, creating it if `create` (`scan`). If
    /// another mixtape is writing, say once whom we wait for (or, with
    /// `--no-wait`, fail).
    pub fn open_writer(&self, create: bool) -> anyhow::Result<Library> {
        let opts = mixtape::library::open::WriteOptions {
            create,
            wait: if self.no_wait {
                mixtape::library::lock::Wait::No
            } else {
                mixtape::library::lock::Wait::Yes
            },
        };
        let path = &self.library_path;
        Ok(Library::open_write(path, opts, &mut |holder| {
            eprintln!(
                "waiting for {holder} to finish with {}\u{2026}",
                path.display()
            )
        })?)
    }

    /// A progress sink: bars on a terminal, nothing otherwise.
    pub fn progress(&self) -> progress::Bars {
        progress::Bars::new(self.quiet)
    }
}

/// How a command finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything worked.
    Success,
    /// Finished, but some files failed (exit 2).
    PartialFailure,
    /// Stopped by Ctrl-C (exit 130).
    Interrupted,
}

/// An error and its causes, `outer: inner`, down to the first
/// `mixtape::Error`: its message already says its reason, so what caused
/// it (SQLite's or the OS's own text) is not repeated.
fn message(e: &anyhow::Error) -> String {
    let mut parts = Vec::new();
    for cause in e.chain() {
        parts.push(cause.to_string());
        if cause.is::<mixtape::Error>() {
            break;
        }
    }
    parts.join(": ")
}

/// `config FILE:LINE`: where a value of the config file was set.
pub fn config_source(config: &mixtape::config::Config, line: usize) -> String {
    match &config.path {
        Some(p) => format!("config {}:{line}", p.display()),
        None => "config".into(),
    }
}

/// The config file `--config` / `MIXTAPE_CONFIG` names (which must exist),
/// else the default one (which may be missing), read; with its path,
/// where the path came from and whether the file was there.
#[allow(clippy::type_complexity)]
fn load_config(
    cli: &Cli,
    source: &dyn Fn(&str, &str, &str) -> String,
) -> anyhow::Result<(mixtape::config::Config, Option<(PathBuf, String, bool)>)> {
    let (path, from, required) = match &cli.config {
        Some(p) => (
            p.clone(),
            source("config", "--config", "MIXTAPE_CONFIG"),
            true,
        ),
        None => match mixtape::config::default_config_path() {
            Some(p) => (p, "default".to_string(), false),
            None => return Ok((mixtape::config::Config::default(), None)),
        },
    };
    let config = mixtape::config::load(&path, required)?;
    let found = config.path.is_some();
    Ok((config, Some((path, from, found))))
}

/// Parse arguments, run the command, and turn the result into an exit code.
pub fn run() -> ExitCode {
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|c| (c, m)));
    let (cli, matches) = match parsed {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(1),
            };
        }
    };
    mixtape::guard::install_quiet_hook();
    let cancel = Cancel::new();
    {
        let cancel = cancel.clone();
        // A second Ctrl-C while stopping kills the process the hard way.
        let hits = std::sync::atomic::AtomicUsize::new(0);
        let _ = ctrlc::set_handler(move || {
            if hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst) > 0 {
                std::process::exit(130);
            }
            cancel.cancel();
        });
    }
    // The config file is read before anything runs: a bad one stops here.
    let source = |id: &str, flag: &str, var: &str| match matches.value_source(id) {
        Some(ValueSource::EnvVariable) => format!("env {var}"),
        _ => flag.to_string(),
    };
    let (config, config_file) = match load_config(&cli, &source) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mixtape: {}", message(&e));
            return ExitCode::from(1);
        }
    };
    let (library_path, library_source) = match (&cli.library, &config.library) {
        (Some(p), _) => (p.clone(), source("library", "--library", "MIXTAPE_LIBRARY")),
        (None, Some(l)) => (l.value.clone(), config_source(&config, l.line)),
        (None, None) => (mixtape::library::default_library_path(), "default".into()),
    };
    let ctx = Context {
        library_path,
        library_source,
        config,
        config_file,
        quiet: cli.quiet,
        no_wait: cli.no_wait,
        cancel,
    };
    let result = match cli.command {
        Command::Scan(a) => scan::run(a, &ctx),
        Command::Ls(a) => ls::run(a, &ctx),
        Command::Albums(a) => albums::run(a, &ctx),
        Command::Stats(a) => stats::run(a, &ctx),
        Command::Dupes(a) => dupes::run(a, &ctx),
        Command::Undo(a) => undo::run(a, &ctx),
        Command::Playlist(a) => playlist::run(a, &ctx),
        Command::Export(a) => export::run(*a, &ctx),
        Command::Organize(a) => organize::run(a, &ctx),
        Command::Modify(a) => modify::run(a, &ctx),
        Command::Art(a) => art::run(a, &ctx),
        Command::Check(a) => check::run(a, &ctx),
        Command::Config(a) => config::run(a, &ctx),
        Command::Loudness(a) => loudness::run(a, &ctx),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::PartialFailure) => ExitCode::from(2),
        Ok(Outcome::Interrupted) => ExitCode::from(130),
        Err(e) => {
            if output::is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            if matches!(
                e.downcast_ref::<mixtape::Error>(),
                Some(mixtape::Error::Interrupted)
            ) {
                eprintln!("mixtape: interrupted");
                return ExitCode::from(130);
            }
            eprintln!("mixtape: {}", message(&e));
            match e.downcast_ref::<mixtape::Error>() {
                // Stopped by a full destination after doing some of the work.
                Some(mixtape::Error::NoSpace(s)) if s.done > 0 => ExitCode::from(2),
                _ => ExitCode::from(1),
            }
        }
    }
}

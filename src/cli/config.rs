//! `mixtape config`: the effective configuration, one `key = value` line
//! each (TOML values), with where the value came from as a comment:
//! `default`, `config FILE:LINE`, `env NAME` or the flag. `mixtape config
//! profiles` prints every device profile, built-in and the user's, as the
//! `[profile.NAME]` tables a config file takes (the output parses back).

use mixtape::config::Sourced;
use mixtape::dupes::fingerprint::{MATCH_BER, SIMILAR_BER};
use mixtape::export::profiles::Origin;
use mixtape::organize::{DEFAULT_SINGLETONS, DEFAULT_TEMPLATE};

use super::output::Out;
use super::{config_source, Context, Outcome};

/// Arguments of `mixtape config`.
#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    what: Option<ConfigCommand>,
}

#[derive(Debug, clap::Subcommand)]
enum ConfigCommand {
    /// Print every device profile (built-in and your own) in config-file form.
    Profiles,
}

/// Run `mixtape config`.
pub fn run(args: ConfigArgs, ctx: &Context) -> anyhow::Result<Outcome> {
    match args.what {
        Some(ConfigCommand::Profiles) => print_profiles(ctx),
        None => print_config(ctx),
    }?;
    Ok(Outcome::Success)
}

fn string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn print_config(ctx: &Context) -> anyhow::Result<()> {
    let mut out = Out::new();
    let cfg = &ctx.config;
    let mut line =
        |key: &str, value: String, from: String| out.line(format!("{key} = {value}  # {from}"));
    if let Some((p, from, found)) = &ctx.config_file {
        let note = if *found { "" } else { " (not found)" };
        line(
            "config",
            string(&p.to_string_lossy()),
            format!("{from}{note}"),
        )?;
    }
    line(
        "library",
        string(&ctx.library_path.to_string_lossy()),
        ctx.library_source.clone(),
    )?;
    let from = |l: usize| config_source(cfg, l);
    let show = |v: &Option<Sourced<String>>, default: &str| match v {
        Some(s) => (string(&s.value), from(s.line)),
        None => (string(default), "default".into()),
    };
    let (v, f) = show(&cfg.organize.template, DEFAULT_TEMPLATE);
    line("organize.template", v, f)?;
    let (v, f) = show(&cfg.organize.singletons, DEFAULT_SINGLETONS);
    line("organize.singletons", v, f)?;
    let (v, f) = flag(&cfg.organize.ascii, cfg);
    line("organize.ascii", v, f)?;
    let (v, f) = match &cfg.dupes.prefer {
        Some(p) => (paths(&p.value), from(p.line)),
        None => ("[]".into(), "default".into()),
    };
    line("dupes.prefer", v, f)?;
    let (v, f) = flag(&cfg.dupes.by_tags, cfg);
    line("dupes.by_tags", v, f)?;
    for (key, value, default) in [
        (
            "dupes.match_threshold",
            &cfg.dupes.match_threshold,
            MATCH_BER,
        ),
        (
            "dupes.similar_threshold",
            &cfg.dupes.similar_threshold,
            SIMILAR_BER,
        ),
    ] {
        let (v, f) = match value {
            Some(s) => (toml::Value::Float(s.value).to_string(), from(s.line)),
            None => (toml::Value::Float(default).to_string(), "default".into()),
        };
        line(key, v, f)?;
    }
    let (v, f) = match &cfg.scan_ignore {
        Some(s) => (strings(&s.value), from(s.line)),
        None => ("[]".into(), "default".into()),
    };
    line("scan.ignore", v, f)?;
    for (p, origin) in cfg.profiles.iter() {
        let f = match origin {
            Origin::Builtin => "built-in".to_string(),
            Origin::Config { line, .. } => from(*line),
        };
        let key = format!("profile.{}", mixtape::export::device::toml_key(&p.name));
        line(&key, string(&p.description), f)?;
    }
    Ok(())
}

/// A boolean setting and its source.
fn flag(v: &Option<Sourced<bool>>, cfg: &mixtape::config::Config) -> (String, String) {
    match v {
        Some(s) => (s.value.to_string(), config_source(cfg, s.line)),
        None => ("false".into(), "default".into()),
    }
}

fn strings(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| string(s)).collect();
    format!("[{}]", items.join(", "))
}

fn paths(v: &[std::path::PathBuf]) -> String {
    let items: Vec<String> = v.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    strings(&items)
}

fn print_profiles(ctx: &Context) -> anyhow::Result<()> {
    let mut out = Out::new();
    out.line("# mixtape's device profiles: built-in, then those of the config file.")?;
    out.line("# A table of your own takes these keys; `base = \"car\"` starts from a built-in.")?;
    for (p, origin) in ctx.config.profiles.iter() {
        out.line("")?;
        match origin {
            Origin::Builtin => out.line("# built-in")?,
            Origin::Config { path, line } => out.line(format!("# {}:{line}", path.display()))?,
        }
        for l in p.to_toml().lines() {
            out.line(l)?;
        }
    }
    Ok(())
}

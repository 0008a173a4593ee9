//! Choosing the rules a command runs: a source file or a built artifact, or a ruleset id
//! looked up in a registry by date, with an agency profile and parameter overrides.

use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use serde_json::Value as Json;
use waymark::profile::Profile;
use waymark::registry::Registry;
use waymark::{OpenError, Ruleset};
use waymark_ir::Date;

use crate::Format;

pub const FAILED: u8 = 1;
pub const USAGE: u8 = 2;

/// How the rules are chosen (shared by every command that takes a RULESET).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Select {
    /// A registry folder of ruleset versions (source or built artifacts). RULESET may then
    /// be a ruleset id, such as `marac.referral`.
    #[arg(long, value_name = "DIR")]
    pub registry: Option<PathBuf>,
    /// With `--registry`: use the version in force on this date (YYYY-MM-DD); today when
    /// not given.
    #[arg(long, value_name = "DATE", requires = "registry")]
    pub as_of: Option<String>,
    /// An agency profile (TOML or JSON) whose parameter values apply.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// Require built artifacts signed by this Ed25519 public key (a file of 64 hex digits,
    /// as `waymark keygen` writes); source files are then refused.
    #[arg(long, value_name = "FILE")]
    pub verify_key: Option<PathBuf>,
    /// Override a parameter: `--param vhr_threshold=13` (the value is JSON or a bare word).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
}

/// The rules chosen, and the date they were chosen for.
pub struct Chosen {
    pub rules: Ruleset,
    pub as_of: Option<String>,
    pub profile: Option<Profile>,
}

pub fn print_open_error(e: &OpenError, format: Format) {
    match e {
        OpenError::Diagnostics(d) => crate::cmd::print_diagnostics(&d.0, format),
        other => eprintln!("error: {other}"),
    }
}

pub fn read_key(path: &Path) -> Result<VerifyingKey, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read key `{}`: {e}", path.display()))?;
    waymark::artifact::verifying_key_from_hex(&text)
        .map_err(|e| format!("key `{}`: {e}", path.display()))
}

/// Today, for "the version in force now".
pub fn today() -> Date {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    Date(i32::try_from(days).unwrap_or(0))
}

pub fn parse_params(params: &[String]) -> Result<Vec<(String, Json)>, String> {
    params
        .iter()
        .map(|p| {
            let (name, value) = p
                .split_once('=')
                .ok_or_else(|| format!("`--param {p}` must be NAME=VALUE"))?;
            let value =
                serde_json::from_str(value).unwrap_or_else(|_| Json::String(value.to_string()));
            Ok((name.trim().to_string(), value))
        })
        .collect()
}

impl Select {
    /// Opens the rules for `spec` (a path, or an id with `--registry`), applies the profile
    /// and parameters, and reports every problem.
    pub fn open(&self, spec: &Path, format: Format) -> Result<Chosen, u8> {
        let key = match &self.verify_key {
            Some(p) => Some(read_key(p).map_err(|e| {
                eprintln!("error: {e}");
                USAGE
            })?),
            None => None,
        };
        let profile = match &self.profile {
            Some(p) => Some(Profile::from_path(p).map_err(|e| {
                for m in e.0 {
                    eprintln!("error: {m}");
                }
                USAGE
            })?),
            None => None,
        };
        let mut as_of = None;
        let rules = match &self.registry {
            Some(dir) if !spec.is_file() => {
                let (registry, problems) = Registry::open(dir, key.as_ref()).map_err(|e| {
                    eprintln!("error: {e}");
                    USAGE
                })?;
                for p in &problems {
                    eprintln!(
                        "warning: registry file {} was not loaded: {}",
                        p.path.display(),
                        p.error
                    );
                }
                let id = spec.to_string_lossy();
                let date = match &self.as_of {
                    Some(d) => Date::parse(d).ok_or_else(|| {
                        eprintln!("error: `--as-of {d}` is not a date (YYYY-MM-DD)");
                        USAGE
                    })?,
                    None => today(),
                };
                let pinned = profile
                    .as_ref()
                    .and_then(|p| p.rulesets.get(id.as_ref()))
                    .and_then(|s| s.version.clone());
                let entry = match (&pinned, &self.as_of) {
                    // A profile that pins a version, with no date asked for: that version.
                    (Some(v), None) => registry.find(&id, v, None).ok_or_else(|| {
                        format!("the registry has no version {v} of `{id}` (the profile pins it)")
                    }),
                    _ => registry.as_of(&id, date),
                }
                .map_err(|e| {
                    eprintln!("error: {e}");
                    FAILED
                })?;
                as_of = Some(date.to_string());
                entry.rules.clone()
            }
            _ => {
                if !spec.is_file() {
                    eprintln!(
                        "error: no such ruleset file: `{}`{}",
                        spec.display(),
                        if self.registry.is_none() && !spec.to_string_lossy().contains(['/', '.']) {
                            " (to choose a ruleset by id, give `--registry DIR`)"
                        } else {
                            ""
                        }
                    );
                    return Err(USAGE);
                }
                Ruleset::open(spec, key.as_ref()).map_err(|e| {
                    print_open_error(&e, format);
                    FAILED
                })?
            }
        };
        let rules = match &profile {
            Some(p) => p.apply(&rules).map_err(|e| {
                for m in e.0 {
                    eprintln!("error: profile: {m}");
                }
                FAILED
            })?,
            None => rules,
        };
        let overrides = parse_params(&self.params).map_err(|e| {
            eprintln!("error: {e}");
            USAGE
        })?;
        let rules = if overrides.is_empty() {
            rules
        } else {
            rules.with_params(&overrides).map_err(|e| {
                for f in &e.0 {
                    eprintln!("error: {}", f.message);
                }
                FAILED
            })?
        };
        Ok(Chosen {
            rules,
            as_of,
            profile,
        })
    }
}

//! The Waymark checker: syntax trees in, a resolved and typed [`hir::Ruleset`] out.
//!
//! [`check_path`] reads a ruleset file through a [`Loader`], follows its imports, and
//! returns every diagnostic of every file it read (syntax ones included) together with the
//! checked ruleset when there is no error. Checking never fails and never panics: broken
//! input is data, and a [`Check`] always comes back.
//!
//! What is checked: names across imports, types (an `answer` is never silently a condition),
//! rules that conflict or can never fire, unreachable table rows, outputs nothing sets,
//! unused inputs, parameters and derived values, cycles, parameter ranges, duplicate names,
//! and tests and properties that name things that do not exist.
//!
//! ```
//! use std::path::{Path, PathBuf};
//! use waymark_check::{check_path, MemoryLoader};
//!
//! let loader = MemoryLoader::new([(
//!     PathBuf::from("demo.wm"),
//!     "ruleset demo version 1.0.0\n\
//!      input q1: answer \"Injured\"\n\
//!      output injured: bool \"Injured\" default false\n\
//!      rule r { when q1 is yes set injured to true }\n"
//!         .to_string(),
//! )]);
//! let check = check_path(Path::new("demo.wm"), &loader);
//! assert!(check.diagnostics.is_empty());
//! assert_eq!(check.ruleset.map(|r| r.rules.len()), Some(1));
//! ```

pub mod hir;

mod checker;
mod conflict;
mod consts;
mod declare;
mod expr;
mod load;
mod logic;
mod names;
mod order;
mod rules;
mod testdecl;
mod ty;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use waymark_diagnostics::{Code, Diagnostic, SourceFile};

pub use load::normalize;

/// Reads ruleset files: the root and the files it imports.
///
/// Import paths are resolved relative to the importing file's folder, then normalised
/// (see [`normalize`]) before they reach the loader.
pub trait Loader {
    /// The text of a file, or a short lowercase reason why it cannot be read.
    fn load(&self, path: &Path) -> Result<String, String>;

    /// The bytes of a file. The default reads the text; loaders that read raw bytes
    /// override it so that text that is not UTF-8 gets a located diagnostic.
    fn load_bytes(&self, path: &Path) -> Result<Vec<u8>, String> {
        self.load(path).map(String::into_bytes)
    }
}

/// Reads files from disk.
#[derive(Clone, Copy, Debug, Default)]
pub struct FsLoader;

impl Loader for FsLoader {
    fn load(&self, path: &Path) -> Result<String, String> {
        let bytes = self.load_bytes(path)?;
        String::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_string())
    }

    fn load_bytes(&self, path: &Path) -> Result<Vec<u8>, String> {
        if path.is_dir() {
            return Err("it is a folder, not a file".to_string());
        }
        std::fs::read(path).map_err(|e| io_reason(&e))
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let text = e.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text).to_string();
            let mut chars = text.chars();
            match chars.next() {
                Some(c) => c.to_lowercase().chain(chars).collect(),
                None => "unreadable".to_string(),
            }
        }
    }
}

/// Reads files from memory: a map from path to text. Used where there is no file system,
/// such as the WebAssembly component and the HTTP service.
#[derive(Clone, Debug, Default)]
pub struct MemoryLoader {
    files: HashMap<PathBuf, String>,
}

impl MemoryLoader {
    /// A loader holding these files. Paths are normalised, so `a/../b.wm` and `b.wm` are
    /// the same file.
    pub fn new(files: impl IntoIterator<Item = (PathBuf, String)>) -> MemoryLoader {
        MemoryLoader {
            files: files.into_iter().map(|(p, t)| (normalize(&p), t)).collect(),
        }
    }

    /// Adds or replaces a file.
    pub fn insert(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) {
        self.files.insert(normalize(&path.into()), text.into());
    }
}

impl Loader for MemoryLoader {
    fn load(&self, path: &Path) -> Result<String, String> {
        self.files
            .get(&normalize(path))
            .cloned()
            .ok_or_else(|| "no such file".to_string())
    }
}

/// The result of checking a ruleset.
#[derive(Debug)]
#[non_exhaustive]
pub struct Check {
    /// The checked ruleset: `Some` exactly when no diagnostic is an error.
    pub ruleset: Option<hir::Ruleset>,
    /// Every diagnostic of the root file and of every imported file, syntax ones included,
    /// each with its file set, sorted by file, position and code.
    pub diagnostics: Vec<Diagnostic>,
}

impl Check {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads, parses and checks the file at `path` and everything it imports.
pub fn check_path(path: &Path, loader: &dyn Loader) -> Check {
    let name = path.display().to_string();
    match loader.load_bytes(path) {
        Ok(bytes) => {
            let parse = waymark_syntax::parse_bytes(&name, &bytes);
            check_parsed(&parse, path, loader)
        }
        Err(reason) => {
            let file = SourceFile::new(name.clone(), "");
            let d = Diagnostic::new(Code::ReadFailed, format!("cannot read `{name}`: {reason}"))
                .with_help("check the path and that the file can be read")
                .in_file(&file);
            Check {
                ruleset: None,
                diagnostics: vec![d],
            }
        }
    }
}

/// Checks a root file that is already parsed; `path` is where it lives, so that its imports
/// can be found relative to it.
pub fn check_parsed(parse: &waymark_syntax::Parse, path: &Path, loader: &dyn Loader) -> Check {
    let loaded = load::load(parse, path, loader);
    let (ruleset, mut diagnostics) = checker::run(&loaded);
    waymark_diagnostics::sort(&mut diagnostics);
    diagnostics.dedup();
    let ruleset = if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        ruleset
    };
    Check {
        ruleset,
        diagnostics,
    }
}

#[cfg(test)]
mod tests;

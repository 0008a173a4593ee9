//! Reading the root file's imports: the tree of import instances and the files behind it.
//!
//! Each `import` makes an *instance*: one copy of the imported file's declarations under a
//! prefix (`ric.`, or `marac.ric.` when nested). The same file imported twice under two
//! aliases is two instances, but it is read and parsed once.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use waymark_diagnostics::{Code, Diagnostic, SourceFile};
use waymark_syntax::ast;

use crate::Loader;
use crate::hir::FileId;

/// The most import instances one check follows, so that repeated imports of imports cannot
/// make the check explode.
const MAX_INSTANCES: usize = 1000;

/// A file that was read and parsed.
pub(crate) struct FileData<'a> {
    /// Normalised path.
    pub path: PathBuf,
    /// The text, for diagnostics.
    pub source: Arc<SourceFile>,
    /// Its syntax tree.
    pub ast: Cow<'a, ast::Ruleset>,
    /// True when the parser reported an error: some items may be missing.
    pub broken: bool,
}

/// Index of an instance in [`Loaded::instances`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct InstId(pub usize);

/// One copy of a file's declarations.
pub(crate) struct Instance {
    /// The file.
    pub file: FileId,
    /// The prefix of its names: `""` for the root, `"ric."` for an import.
    pub prefix: String,
    /// The instance that imports it, and the index of the `import` item in that file.
    pub parent: Option<(InstId, usize)>,
    /// The instances it imports: alias, child, index of the `import` item.
    pub children: Vec<(String, InstId, usize)>,
}

/// Everything read for one check.
pub(crate) struct Loaded<'a> {
    /// The root file first, then each imported file once.
    pub files: Vec<FileData<'a>>,
    /// The root instance first.
    pub instances: Vec<Instance>,
    /// Syntax diagnostics of every file and import diagnostics.
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Loaded<'a> {
    pub fn file(&self, id: FileId) -> Option<&FileData<'a>> {
        self.files.get(id.0 as usize)
    }

    pub fn instance(&self, id: InstId) -> Option<&Instance> {
        self.instances.get(id.0)
    }
}

/// A path with `.` and `..` resolved without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            _ => out.push(c),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// Reads the imports of an already parsed root file, recursively.
pub(crate) fn load<'a>(
    parse: &'a waymark_syntax::Parse,
    path: &Path,
    loader: &dyn Loader,
) -> Loaded<'a> {
    let root_path = normalize(path);
    let mut loaded = Loaded {
        files: vec![FileData {
            path: root_path.clone(),
            source: Arc::clone(&parse.file),
            ast: Cow::Borrowed(&parse.ruleset),
            broken: parse.has_errors(),
        }],
        instances: vec![Instance {
            file: FileId(0),
            prefix: String::new(),
            parent: None,
            children: Vec::new(),
        }],
        diagnostics: parse
            .diagnostics
            .iter()
            .map(|d| d.clone().in_file_if_unset(&parse.file))
            .collect(),
    };
    // Files already read, by normalised path; `None` when reading failed.
    let mut by_path: HashMap<PathBuf, Option<FileId>> = HashMap::new();
    by_path.insert(root_path, Some(FileId(0)));
    let mut failed_reasons: HashMap<PathBuf, String> = HashMap::new();
    let mut next = 0usize;
    let mut too_many_reported = false;
    while next < loaded.instances.len() {
        let inst = InstId(next);
        next += 1;
        let Some(file_id) = loaded.instance(inst).map(|i| i.file) else {
            continue;
        };
        let Some(file) = loaded.file(file_id) else {
            continue;
        };
        let importer_path = file.path.clone();
        let importer_source = Arc::clone(&file.source);
        let imports: Vec<(usize, ast::Import)> = file
            .ast
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| match item {
                ast::Item::Import(imp) => Some((i, imp.clone())),
                _ => None,
            })
            .collect();
        for (item_index, imp) in imports {
            let dir = importer_path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            let target = normalize(&dir.join(&imp.path.value));
            if imp.path.value.trim().is_empty() {
                let d = import_not_found(&imp, &display(&target), "the path is empty");
                loaded.diagnostics.push(d.in_file(&importer_source));
                continue;
            }
            if target == importer_path {
                loaded
                    .diagnostics
                    .push(self_import(&imp, &display(&target)).in_file(&importer_source));
                continue;
            }
            // The files on the way from the root to this instance.
            let chain = ancestors(&loaded, inst);
            if let Some(pos) = chain
                .iter()
                .position(|f| loaded.file(*f).is_some_and(|d| d.path == target))
            {
                let names: Vec<String> = chain
                    .get(pos..)
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|f| loaded.file(*f).map(|d| d.source.name.clone()))
                    .collect();
                loaded
                    .diagnostics
                    .push(import_cycle(&imp, &names).in_file(&importer_source));
                continue;
            }
            let fid = match by_path.get(&target) {
                Some(Some(fid)) => *fid,
                Some(None) => {
                    let reason = failed_reasons.get(&target).cloned().unwrap_or_default();
                    loaded.diagnostics.push(
                        import_not_found(&imp, &display(&target), &reason)
                            .in_file(&importer_source),
                    );
                    continue;
                }
                None => match loader.load_bytes(&target) {
                    Ok(bytes) => {
                        let parse = waymark_syntax::parse_bytes(&display(&target), &bytes);
                        let fid = FileId(loaded.files.len() as u32);
                        let broken = parse.has_errors();
                        loaded.diagnostics.extend(
                            parse
                                .diagnostics
                                .iter()
                                .map(|d| d.clone().in_file_if_unset(&parse.file)),
                        );
                        loaded.files.push(FileData {
                            path: target.clone(),
                            source: Arc::clone(&parse.file),
                            ast: Cow::Owned(parse.ruleset),
                            broken,
                        });
                        by_path.insert(target, Some(fid));
                        fid
                    }
                    Err(reason) => {
                        loaded.diagnostics.push(
                            import_not_found(&imp, &display(&target), &reason)
                                .in_file(&importer_source),
                        );
                        by_path.insert(target.clone(), None);
                        failed_reasons.insert(target, reason);
                        continue;
                    }
                },
            };
            if loaded.instances.len() >= MAX_INSTANCES {
                if !too_many_reported {
                    too_many_reported = true;
                    loaded
                        .diagnostics
                        .push(too_many_imports(&imp).in_file(&importer_source));
                }
                continue;
            }
            let prefix = format!(
                "{}{}.",
                loaded
                    .instance(inst)
                    .map(|i| i.prefix.as_str())
                    .unwrap_or(""),
                imp.alias.name
            );
            let child = InstId(loaded.instances.len());
            loaded.instances.push(Instance {
                file: fid,
                prefix,
                parent: Some((inst, item_index)),
                children: Vec::new(),
            });
            if let Some(parent) = loaded.instances.get_mut(inst.0) {
                parent
                    .children
                    .push((imp.alias.name.clone(), child, item_index));
            }
        }
    }
    loaded
}

/// The files from the root down to `inst`, root first.
fn ancestors(loaded: &Loaded<'_>, inst: InstId) -> Vec<FileId> {
    let mut chain = Vec::new();
    let mut at = Some(inst);
    while let Some(i) = at {
        let Some(data) = loaded.instance(i) else {
            break;
        };
        chain.push(data.file);
        at = data.parent.map(|(p, _)| p);
        if chain.len() > loaded.instances.len() {
            break;
        }
    }
    chain.reverse();
    chain
}

fn import_not_found(imp: &ast::Import, looked_for: &str, reason: &str) -> Diagnostic {
    Diagnostic::new(
        Code::ImportNotFound,
        format!(
            "cannot read the imported file `{}`: {reason}",
            imp.path.value
        ),
    )
    .with_primary(imp.path.span, "imported here")
    .with_help(format!(
        "looked for `{looked_for}`; import paths are relative to the folder of the importing file"
    ))
}

fn self_import(imp: &ast::Import, path: &str) -> Diagnostic {
    Diagnostic::new(Code::SelfImport, format!("`{path}` imports itself"))
        .with_primary(imp.path.span, "this is the file being checked")
        .with_help("remove this import: a ruleset can already use its own names")
}

fn import_cycle(imp: &ast::Import, chain: &[String]) -> Diagnostic {
    let mut path: Vec<String> = chain.iter().map(|n| format!("`{n}`")).collect();
    if let Some(first) = path.first().cloned() {
        path.push(first);
    }
    Diagnostic::new(
        Code::ImportCycle,
        format!("files import each other: {}", path.join(" → ")),
    )
    .with_primary(imp.path.span, "this import closes the cycle")
    .with_help("move what both files need into a third file that each of them imports")
}

fn too_many_imports(imp: &ast::Import) -> Diagnostic {
    Diagnostic::new(
        Code::ImportNotFound,
        format!(
            "too many imported rulesets: more than {MAX_INSTANCES} imports in all, counting repeats"
        ),
    )
    .with_primary(imp.path.span, "not read")
    .with_help("import each file once and pass values down with `with`")
}

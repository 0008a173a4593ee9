//! The Waymark workbench: the page that `waymark serve` shows at `/`, where policy teams
//! read a ruleset, change its settings or its rules, try cases, run its tests and see
//! which decisions a change would move, group by group, before it is published.
//!
//! The page is plain HTML, CSS and JavaScript modules kept in `assets/`. Every file is
//! built into the binary with `include_bytes!`, so the workbench works on a closed
//! network: nothing is fetched from anywhere but the server that serves it, and it needs
//! no build step of its own.
//!
//! The service mounts it as `GET /` → [`asset`]`("index.html")` and
//! `GET /assets/{*path}` → [`asset`]`(path)`:
//!
//! ```
//! let page = waymark_workbench::asset("index.html").expect("the page is built in");
//! assert_eq!(page.content_type, "text/html; charset=utf-8");
//! assert!(waymark_workbench::asset("../Cargo.toml").is_none());
//! ```

/// One static file of the workbench.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    /// The file's bytes.
    pub body: &'static [u8],
    /// The `Content-Type` to send with it.
    pub content_type: &'static str,
}

macro_rules! files {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/", $path)) as &[u8])),*]
    };
}

/// Every file of the page, by its path under `assets/`. A test keeps this list equal to
/// the folder.
const FILES: &[(&str, &[u8])] = files![
    "index.html",
    "icon.svg",
    "css/workbench.css",
    "js/api.js",
    "js/dom.js",
    "js/editor.js",
    "js/explain.js",
    "js/highlight.js",
    "js/main.js",
    "js/markdown.js",
    "js/model.js",
    "js/session.js",
    "js/views/edit.js",
    "js/views/impact.js",
    "js/views/read.js",
    "js/views/start.js",
    "js/views/tests.js",
    "js/views/try.js",
];

/// The file at `path` (relative to the assets folder, such as `index.html` or
/// `js/main.js`), or `None` when there is no such file. Only the built-in files are ever
/// returned, whatever the path holds.
pub fn asset(path: &str) -> Option<Asset> {
    let path = path.strip_prefix('/').unwrap_or(path);
    FILES
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(name, body)| Asset {
            body,
            content_type: content_type(name),
        })
}

/// The paths of every built-in file.
pub fn paths() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(name, _)| *name)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                let rel = path.strip_prefix(base).unwrap();
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }

    #[test]
    fn every_file_in_the_assets_folder_is_built_in() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
        let mut on_disk = Vec::new();
        walk(&base, &base, &mut on_disk);
        on_disk.sort();
        let mut built_in: Vec<String> = paths().map(String::from).collect();
        built_in.sort();
        assert_eq!(on_disk, built_in, "add new files to FILES in src/lib.rs");
    }

    #[test]
    fn paths_outside_the_table_are_refused() {
        for p in [
            "",
            "../Cargo.toml",
            "js/../index.html",
            "/etc/passwd",
            "assets/index.html",
            "JS/main.js",
        ] {
            assert!(asset(p).is_none(), "{p}");
        }
        assert!(asset("/index.html").is_some());
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(
            asset("js/main.js").unwrap().content_type,
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            asset("css/workbench.css").unwrap().content_type,
            "text/css; charset=utf-8"
        );
        assert_eq!(asset("icon.svg").unwrap().content_type, "image/svg+xml");
    }

    #[test]
    fn the_page_loads_nothing_from_elsewhere_and_stores_nothing() {
        for path in paths() {
            let text = std::str::from_utf8(asset(path).unwrap().body).unwrap();
            for banned in [
                "localStorage",
                "sessionStorage",
                "indexedDB",
                "document.cookie",
            ] {
                assert!(!text.contains(banned), "{path} mentions `{banned}`");
            }
            if path.ends_with(".html") || path.ends_with(".css") {
                assert!(!text.contains("://"), "{path} names another server");
            }
            if path.ends_with(".js") {
                for line in text.lines().filter(|l| l.starts_with("import ")) {
                    assert!(
                        line.contains("from \"./") || line.contains("from \"../"),
                        "{path}: {line}"
                    );
                }
            }
        }
    }
}

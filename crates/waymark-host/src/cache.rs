//! The precompiled-artifact cache: a component compiled by Cranelift is serialized to
//! `CACHE_DIR/waymark-KEY.cwasm`, where KEY hashes the component's bytes, the wasmtime
//! version and the engine settings that affect code generation. Later loads memory-map it.

use std::hash::{BuildHasher, Hash, Hasher};
use std::path::Path;

use sha2::{Digest, Sha256};
use wasmtime::component::Component;

use crate::Error;

/// The component from the cache when possible (true), else compiled (false) and cached.
/// A cache that cannot be read or written is skipped: only a missing or invalid
/// component file is an error.
pub(crate) fn load(
    engine: &wasmtime::Engine,
    wasm: &Path,
    cache_dir: Option<&Path>,
) -> Result<(Component, bool), Error> {
    let load_error = |message: String| Error::Load {
        path: wasm.display().to_string(),
        message,
    };
    let bytes = std::fs::read(wasm).map_err(|e| {
        load_error(format!(
            "{e}; build it with `bash scripts/component`, or set WAYMARK_COMPONENT to its path"
        ))
    })?;
    let Some(dir) = cache_dir else {
        return Component::new(engine, &bytes)
            .map(|c| (c, false))
            .map_err(|e| load_error(format!("{e:#}")));
    };
    let file = dir.join(format!("waymark-{}.cwasm", key(engine, &bytes)));
    if file.is_file()
        && let Ok(component) = deserialize(engine, &file)
    {
        return Ok((component, true));
    }
    let component = Component::new(engine, &bytes).map_err(|e| load_error(format!("{e:#}")))?;
    if let Ok(artifact) = component.serialize() {
        // Best effort: a read-only or full disk only costs the next process a compile.
        let _ = write_atomically(dir, &file, &artifact);
    }
    Ok((component, false))
}

/// Reads a compiled artifact that [`load`] wrote.
#[allow(unsafe_code)]
fn deserialize(engine: &wasmtime::Engine, file: &Path) -> wasmtime::Result<Component> {
    // SAFETY: `deserialize_file` trusts the file to be the output of `serialize` by a
    // compatible engine, because it maps it as executable code. The file is named by the
    // hash of the component and the engine settings and was written by `load` (atomically,
    // through a rename) into the cache folder, which sits beside the component and is as
    // trusted as the component itself (or is the folder the embedder chose). wasmtime
    // still checks the artifact's header, version and engine settings and rejects a
    // mismatch with an error, on which `load` compiles afresh.
    unsafe { Component::deserialize_file(engine, file) }
}

/// The artifact's name: SHA-256 over the component's length and two fixed-seed 64-bit
/// hashes of its bytes (foldhash, several GB/s: hashing the 1.2 MB file with SHA-256 alone
/// would cost most of a cached load), the wasmtime version and the engine's compatibility
/// hash. The key only has to tell builds apart: whoever can change the component or the
/// cache folder can run code in this process anyway.
fn key(engine: &wasmtime::Engine, bytes: &[u8]) -> String {
    struct Feed(Sha256);
    impl Hasher for Feed {
        fn finish(&self) -> u64 {
            0
        }
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
    }
    let mut feed = Feed(Sha256::new());
    feed.0.update((bytes.len() as u64).to_le_bytes());
    for seed in [0x5761_796d_6172_6b31, 0x636f_6d70_6f6e_656e] {
        let h = foldhash::quality::FixedState::with_seed(seed).hash_one(bytes);
        feed.0.update(h.to_le_bytes());
    }
    feed.0.update(b"\0wasmtime-48.0.8\0");
    engine.precompile_compatibility_hash().hash(&mut feed);
    feed.0
        .finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn write_atomically(dir: &Path, file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".tmp-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, file).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

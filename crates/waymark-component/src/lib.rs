//! Waymark as a WebAssembly component: a thin shim over the `waymark` facade.
//!
//! The contract is `wit/engine.wit` (package `waymark:engine@0.1.0`). This crate only
//! translates between the WIT types and the facade's: it holds no engine logic. Build it
//! for `wasm32-wasip2` with `bash scripts/component`; compiled for any other target the
//! library is empty, so `cargo build --workspace` on the host is unaffected.

#[cfg(target_arch = "wasm32")]
mod guest;

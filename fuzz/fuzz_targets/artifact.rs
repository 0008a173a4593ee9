//! Fuzz target: `waymark_tests::fuzz::check_artifact` on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| waymark_tests::fuzz::check_artifact(data));

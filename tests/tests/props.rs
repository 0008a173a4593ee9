//! Properties of the parser and the formatter over generated input.
//!
//! * Formatting a generated ruleset keeps its tree and its comments, and is idempotent.
//! * Parsing and checking arbitrary bytes, damaged rulesets and strings of language words
//!   never panic, and every diagnostic points inside its file.

use proptest::prelude::*;
use waymark_tests::fuzz::{check_format, try_check, try_parse};
use waymark_tests::strategies::{mutated_source, ruleset_source, token_soup};

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn format_keeps_the_tree_and_is_idempotent(src in ruleset_source()) {
        if let Err(e) = check_format(&src) {
            prop_assert!(false, "{e}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_bytes(data in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Err(e) = try_parse(&data) {
            prop_assert!(false, "{e}");
        }
    }

    #[test]
    fn parse_never_panics_on_damaged_rulesets(data in mutated_source()) {
        if let Err(e) = try_parse(&data) {
            prop_assert!(false, "{e}");
        }
    }

    #[test]
    fn parse_never_panics_on_token_soup(src in token_soup()) {
        if let Err(e) = try_parse(src.as_bytes()) {
            prop_assert!(false, "{e}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn check_never_panics_on_generated_rulesets(src in ruleset_source()) {
        if let Err(e) = try_check(src.as_bytes()) {
            prop_assert!(false, "{e}");
        }
    }

    #[test]
    fn check_never_panics_on_damaged_rulesets(data in mutated_source()) {
        if let Err(e) = try_check(&data) {
            prop_assert!(false, "{e}");
        }
    }

    #[test]
    fn check_never_panics_on_bytes(data in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Err(e) = try_check(&data) {
            prop_assert!(false, "{e}");
        }
    }
}

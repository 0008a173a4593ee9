//! Unit tests of the checker: each goes through one helper and asserts messages, help
//! lines and the underlined text.

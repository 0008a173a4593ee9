//! Shared test support for Waymark: golden runners, strategies and fuzz checks.

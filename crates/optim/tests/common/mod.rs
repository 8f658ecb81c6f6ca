//! Helpers shared by the test files.

#![allow(dead_code)] // each test file uses its own subset

use std::panic::Location;

/// An error's message without its trailing call site, after checking that the call site is in
/// the file that called this helper (so `#[track_caller]` carried it out of the library).
#[track_caller]
pub fn message(e: &optim::Error) -> String {
    let site = e.site();
    let here = Location::caller().file();
    assert_eq!(site.0.file(), here, "the error should name the caller's file: {e}");
    let text = e.to_string();
    text.strip_suffix(&format!(" (at {site})")).unwrap_or_else(|| panic!("{text} should end with its site")).to_string()
}

/// [`message`] as a method.
pub trait ErrorMessage {
    /// See [`message`].
    fn message(&self) -> String;
}

impl ErrorMessage for optim::Error {
    #[track_caller]
    fn message(&self) -> String {
        message(self)
    }
}

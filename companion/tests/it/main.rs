//! Integration tests of the companion: in-process through poem's test client
//! on a real SQLite file, and the real binary started as a user starts it.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bad_input;
mod cli;
mod cors;
mod durability;
mod endpoints;
mod found_by_fuzzing;
mod hardening;
mod keypair;
mod lockout;
mod logging;
mod login;
mod pages;
mod password;
mod python_client;
mod recovery;
#[cfg(feature = "saml")]
mod saml;
mod sessions;
mod several;
mod signup;
mod smtp;
mod sso;
mod support;
mod throttle;
mod tls;
mod totp;

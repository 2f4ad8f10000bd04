//! Types and rules shared by the baigate companion (native) and extension
//! (wasm32): the wire types of the Backend.AI login endpoints, problem
//! answers, identity canonicalisation, the password policy and Backend.AI's
//! request signing.
//!
//! No I/O lives here, so every rule runs the same on both sides and is tested
//! natively.

#[cfg(feature = "parsers")]
pub mod authorization;
#[cfg(feature = "parsers")]
pub mod body;
pub mod cloud;
#[cfg(feature = "parsers")]
pub mod encoded;
#[cfg(feature = "parsers")]
pub mod forwarded;
#[cfg(feature = "unicode")]
pub mod identity;
pub mod keypair;
pub mod password;
pub mod problem;
pub mod sessions;
pub mod signing;
pub mod summary;
pub mod totp;
pub mod webserver;

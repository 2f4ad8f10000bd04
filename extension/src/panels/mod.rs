//! One component per panel of the popup. Each reads the state from context
//! and turns clicks into actions; none talks to the network itself.

mod conflict;
mod locked;
mod login;
mod otp;
mod start;

pub use conflict::ConflictPanel;
pub use locked::LockedPanel;
pub use login::LoginPanel;
pub use otp::OtpPanel;
pub use start::StartPanel;

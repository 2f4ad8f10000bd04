//! One component per panel of the popup. Each gets its panel's own data as
//! properties (`state::Panel`), reads the rest of the state from context and
//! turns clicks into actions; none talks to the network itself.

mod conflict;
mod forgot;
mod locked;
mod login;
mod mail_sent;
mod otp;
mod signup;
mod start;
mod totp_off;
mod totp_setup;

pub use conflict::ConflictPanel;
pub use forgot::ForgotPanel;
pub use locked::LockedPanel;
pub use login::{LOGIN_FORM_MARK, LoginPanel};
pub use mail_sent::MailSentPanel;
pub use otp::OtpPanel;
pub use signup::SignupPanel;
pub use start::StartPanel;
pub use totp_off::TotpOffPanel;
pub use totp_setup::TotpSetupPanel;

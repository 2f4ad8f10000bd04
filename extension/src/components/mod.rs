//! Components the panels share: messages, form fields, the health pill, the
//! password checklist, copy buttons, QR codes and the header's tools. (Hooks
//! are in `hooks`, formatting in `format`.)

mod checklist;
mod copy;
mod fields;
mod health_pill;
mod notice;
mod qr_code;
mod tools;

pub use checklist::{Checklist, acceptable, manual_rule};
pub use copy::CopyButton;
pub use fields::{FieldError, FieldErrorProps, PasswordField, PasswordFieldProps, input_value};
pub use health_pill::{
    HealthPill, HealthPillProps, InsecureEndpointWarning, InsecureEndpointWarningProps, health_slug,
};
pub use notice::{NoticeProps, NoticeView};
pub use qr_code::QrCode;
pub use tools::HeaderTools;

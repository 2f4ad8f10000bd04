//! A message to show, with its values: what the popup and the options page
//! say about what just happened.

use baigate_shared::problem::ProblemType;

use crate::platform::net::NetError;
use crate::protocol::{FormRefusal, LoginRefusal};
use crate::sso::SsoRefusal;
use crate::text::Text;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: Text,
    pub values: Vec<String>,
    pub error: bool,
    /// The problem type of the refusal shown (its slug: `auth-failed`),
    /// for scripts (`data-problem`); none for other messages.
    pub problem: Option<String>,
}

impl Notice {
    pub fn error(text: Text) -> Self {
        Self {
            text,
            values: Vec::new(),
            error: true,
            problem: None,
        }
    }

    pub fn error_with(text: Text, value: impl Into<String>) -> Self {
        Self {
            text,
            values: vec![value.into()],
            error: true,
            problem: None,
        }
    }

    pub fn info(text: Text) -> Self {
        Self {
            text,
            values: Vec::new(),
            error: false,
            problem: None,
        }
    }

    pub fn info_with(text: Text, value: impl Into<String>) -> Self {
        Self {
            text,
            values: vec![value.into()],
            error: false,
            problem: None,
        }
    }

    /// The same message, for a refusal of this problem type.
    pub fn for_problem(mut self, problem: &ProblemType) -> Self {
        self.problem = Some(problem.slug().to_owned());
        self
    }

    /// The message for a refused login, with the problem type that says so.
    pub fn login_refused(refusal: &LoginRefusal) -> Self {
        let notice = Self::login_refused_words(refusal);
        match refusal_problem(refusal) {
            Some(problem) => notice.for_problem(&problem),
            None => notice,
        }
    }

    fn login_refused_words(refusal: &LoginRefusal) -> Self {
        match refusal {
            LoginRefusal::Mismatch => Self::error(Text::ErrorMismatch),
            LoginRefusal::NeedsVerification => Self::error(Text::ErrorNeedsVerification),
            LoginRefusal::AccountDisabled => Self::error(Text::ErrorAccountDisabled),
            LoginRefusal::PasswordExpired => Self::error(Text::ErrorPasswordExpired),
            LoginRefusal::PasswordLoginOff => Self::error(Text::ErrorPasswordLoginOff),
            LoginRefusal::AlreadyLoggedIn => Self::error(Text::ErrorAlreadyLoggedIn),
            LoginRefusal::SsoTokenInvalid => Self::error(Text::SsoTokenInvalid),
            LoginRefusal::BadRequest(field) => {
                Self::error_with(Text::ErrorBadRequest, field.clone())
            }
            LoginRefusal::BadGateway => Self::error(Text::ErrorBadGateway),
            LoginRefusal::Other(words) => Self::error_with(Text::ErrorOther, words.clone()),
        }
    }

    /// The message for a single sign-on the endpoint sent back without a
    /// token (its `bai_error`). Cancelling was the user's own choice: not
    /// an error.
    pub fn sso_refused(refusal: &SsoRefusal) -> Self {
        match refusal {
            SsoRefusal::AccessDenied => Self::info(Text::SsoAccessDenied),
            SsoRefusal::InvalidSession => Self::error(Text::SsoInvalidSession),
            SsoRefusal::NotAuthenticated => Self::error(Text::SsoNotAuthenticated),
            SsoRefusal::ProviderUnavailable => Self::error(Text::SsoProviderUnavailable),
            SsoRefusal::EmailNotVerified => Self::error(Text::SsoEmailNotVerified),
            SsoRefusal::AccountNotFound => Self::error(Text::SsoAccountNotFound),
            SsoRefusal::Other(code) => Self::error_with(Text::SsoOther, code.clone()),
        }
    }

    /// The message for a refused form.
    pub fn form_refused(refusal: &FormRefusal) -> Self {
        let notice = match &refusal.detail {
            Some(detail) => Self::error_with(refusal.text, detail.clone()),
            None => Self::error(refusal.text),
        };
        Self {
            problem: refusal.problem.clone(),
            ..notice
        }
    }

    /// The message for a request that got no answer.
    pub fn network(error: NetError, endpoint: &str) -> Self {
        match error {
            NetError::Offline => Self::error(Text::ErrorOffline),
            NetError::Unreachable => Self::error_with(Text::ErrorUnreachable, endpoint),
        }
    }
}

/// The problem type a Backend.AI server (or a companion) sends for a
/// refused login; none for words of its own.
fn refusal_problem(refusal: &LoginRefusal) -> Option<ProblemType> {
    Some(match refusal {
        LoginRefusal::Mismatch | LoginRefusal::NeedsVerification => ProblemType::AuthFailed,
        LoginRefusal::AccountDisabled => ProblemType::AccountDisabled,
        LoginRefusal::PasswordExpired => ProblemType::PasswordExpired,
        LoginRefusal::PasswordLoginOff => ProblemType::PasswordLoginDisabled,
        LoginRefusal::AlreadyLoggedIn => ProblemType::GenericBadRequest,
        LoginRefusal::SsoTokenInvalid => ProblemType::RejectedByHook,
        LoginRefusal::BadRequest(_) => ProblemType::InvalidApiParams,
        LoginRefusal::BadGateway => ProblemType::BadGateway,
        LoginRefusal::Other(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::FormField;

    #[test]
    fn refusals_and_network_failures_say_which() {
        assert_eq!(
            Notice::network(NetError::Offline, "x"),
            Notice::error(Text::ErrorOffline)
        );
        assert_eq!(
            Notice::network(NetError::Unreachable, "http://a"),
            Notice::error_with(Text::ErrorUnreachable, "http://a")
        );
        assert_eq!(
            Notice::login_refused(&LoginRefusal::PasswordLoginOff),
            Notice::error(Text::ErrorPasswordLoginOff)
                .for_problem(&ProblemType::PasswordLoginDisabled)
        );
        let mismatch = Notice::login_refused(&LoginRefusal::Mismatch);
        assert_eq!(mismatch.problem.as_deref(), Some("auth-failed"));
        assert_eq!(
            Notice::login_refused(&LoginRefusal::Other("words".into())).problem,
            None
        );
        assert_eq!(
            Notice::sso_refused(&SsoRefusal::from_code("openid-access-denied")),
            Notice::info(Text::SsoAccessDenied)
        );
        assert_eq!(
            Notice::sso_refused(&SsoRefusal::from_code("x-unknown")),
            Notice::error_with(Text::SsoOther, "x-unknown")
        );
        let refusal = FormRefusal {
            text: Text::ErrorPasswordPolicy,
            detail: Some("at least 8".into()),
            field: Some(FormField::Password),
            problem: Some("rejected-by-hook".into()),
        };
        assert_eq!(
            Notice::form_refused(&refusal),
            Notice::error_with(Text::ErrorPasswordPolicy, "at least 8")
                .for_problem(&ProblemType::RejectedByHook)
        );
    }
}

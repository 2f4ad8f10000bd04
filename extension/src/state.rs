//! The popup's state and every change to it, as a reducer: pure, so each
//! transition is tested natively. Effects (network, storage, timers) live in
//! the components and come back here as actions.

use std::fmt;
use std::rc::Rc;

use baigate_shared::sessions::SessionSummary;
use baigate_shared::summary::Summary;
use baigate_shared::webserver::AccountInfo;
use yew::Reducible;

use crate::platform::net::NetError;
use crate::protocol::{Health, LoginOutcome, Refusal};
use crate::text::Text;

/// The endpoint a fresh popup points at: a companion on this machine.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:8090";
/// How many endpoints the history keeps.
pub const HISTORY_LENGTH: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    /// Reading storage and checking a remembered session.
    Loading,
    Login,
    Otp,
    Locked,
    Conflict,
    Start,
}

/// What was typed to log in, kept while a second step (code, conflict) runs.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// A message to show, with its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: Text,
    pub values: Vec<String>,
    pub error: bool,
}

impl Notice {
    pub fn error(text: Text) -> Self {
        Self {
            text,
            values: Vec::new(),
            error: true,
        }
    }

    pub fn error_with(text: Text, value: impl Into<String>) -> Self {
        Self {
            text,
            values: vec![value.into()],
            error: true,
        }
    }

    pub fn info(text: Text) -> Self {
        Self {
            text,
            values: Vec::new(),
            error: false,
        }
    }
}

/// The logged-in session the start panel shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: String,
    pub account: AccountInfo,
    /// When it ends, milliseconds since the epoch, if the server said.
    pub expires_ms: Option<f64>,
    /// The companion's extra view (absent on other servers).
    pub summary: Option<Summary>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub panel: Panel,
    pub endpoint: String,
    pub history: Vec<String>,
    pub health: Health,
    pub busy: bool,
    pub notice: Option<Notice>,
    pub credentials: Option<Credentials>,
    /// The sessions a conflict answer listed, and the one picked to end.
    pub conflict: Vec<SessionSummary>,
    pub conflict_pick: Option<String>,
    /// The user chose to end another session, but the code that passed with
    /// the password is spent: the forced login waits for a fresh code.
    pub force_pending: bool,
    /// Whether the last answered attempt carried a one-time code.
    pub code_sent: bool,
    /// When a lock ends (ms since the epoch), if the server said.
    pub locked_until_ms: Option<f64>,
    pub session: Option<Session>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            panel: Panel::Loading,
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            history: Vec::new(),
            health: Health::Checking,
            busy: false,
            notice: None,
            credentials: None,
            conflict: Vec::new(),
            conflict_pick: None,
            force_pending: false,
            code_sent: false,
            locked_until_ms: None,
            session: None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Action {
    /// Storage was read; `session` is a remembered session still live.
    Loaded {
        endpoint: String,
        history: Vec<String>,
        session: Option<Session>,
        notice: Option<Notice>,
    },
    EndpointChanged(String),
    HealthChecked {
        endpoint: String,
        health: Health,
    },
    /// A login (or its second step) was sent.
    Submitted,
    /// Its answer; `code_sent` says whether the attempt carried a one-time
    /// code; `now_ms` is the time the answer came.
    Answered {
        credentials: Credentials,
        code_sent: bool,
        outcome: Result<LoginOutcome, NetError>,
        now_ms: f64,
    },
    /// The session after login, with what the start panel shows.
    LoggedIn(Session),
    PickSession(String),
    /// End the picked session and log in: needs a fresh code when the
    /// attempt's code was spent.
    ForceWithFreshCode,
    /// Back to the login form (cancel a conflict, leave the code step, a
    /// lock that ended).
    BackToLogin,
    Extended {
        expires_ms: f64,
    },
    /// A check found the session live, ending then.
    Refreshed {
        expires_ms: f64,
    },
    SummaryLoaded(Summary),
    /// Logged out, or the session ended on its own.
    SessionEnded(Option<Notice>),
    Notice(Notice),
}

/// The list with `endpoint` first, without repeats, at most [`HISTORY_LENGTH`].
pub fn remember(history: &[String], endpoint: &str) -> Vec<String> {
    std::iter::once(endpoint.to_owned())
        .chain(history.iter().filter(|e| *e != endpoint).cloned())
        .take(HISTORY_LENGTH)
        .collect()
}

/// The message for a refusal.
pub fn refusal_notice(refusal: &Refusal) -> Notice {
    match refusal {
        Refusal::Mismatch => Notice::error(Text::ErrorMismatch),
        Refusal::NeedsVerification => Notice::error(Text::ErrorNeedsVerification),
        Refusal::AccountDisabled => Notice::error(Text::ErrorAccountDisabled),
        Refusal::PasswordExpired => Notice::error(Text::ErrorPasswordExpired),
        Refusal::PasswordLoginOff => Notice::error(Text::ErrorPasswordLoginOff),
        Refusal::AlreadyLoggedIn => Notice::error(Text::ErrorAlreadyLoggedIn),
        Refusal::BadRequest(field) => Notice::error_with(Text::ErrorBadRequest, field.clone()),
        Refusal::BadGateway => Notice::error(Text::ErrorBadGateway),
        Refusal::Other(words) => Notice::error_with(Text::ErrorOther, words.clone()),
    }
}

impl State {
    fn answered(
        mut self,
        credentials: Credentials,
        code_sent: bool,
        outcome: Result<LoginOutcome, NetError>,
        now_ms: f64,
    ) -> Self {
        self.busy = false;
        self.notice = None;
        self.code_sent = code_sent;
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(NetError::Offline) => {
                self.notice = Some(Notice::error(Text::ErrorOffline));
                return self;
            }
            Err(NetError::Unreachable) => {
                self.notice = Some(Notice::error_with(
                    Text::ErrorUnreachable,
                    self.endpoint.clone(),
                ));
                return self;
            }
        };
        match outcome {
            // The caller loads the session and dispatches `LoggedIn`.
            LoginOutcome::LoggedIn { .. } => {
                self.busy = true;
                self.credentials = None;
            }
            LoginOutcome::OtpRequired => {
                self.panel = Panel::Otp;
                self.credentials = Some(credentials);
            }
            LoginOutcome::OtpInvalid => {
                self.panel = Panel::Otp;
                self.credentials = Some(credentials);
                self.notice = Some(Notice::error(Text::OtpInvalid));
            }
            LoginOutcome::TotpRegistration(_) => {
                self.panel = Panel::Login;
                self.credentials = None;
                self.notice = Some(Notice::error(Text::ErrorTotpRegistration));
            }
            LoginOutcome::Conflict(sessions) => {
                self.panel = Panel::Conflict;
                self.force_pending = false;
                self.conflict_pick = sessions.first().map(|s| s.id.clone());
                self.conflict = sessions;
                self.credentials = Some(credentials);
            }
            LoginOutcome::Locked(seconds) => {
                self.panel = Panel::Locked;
                self.credentials = None;
                self.locked_until_ms = seconds.map(|s| now_ms + s as f64 * 1000.0);
            }
            LoginOutcome::RateLimited(seconds) => {
                self.notice = Some(match seconds {
                    Some(s) => Notice::error_with(Text::ErrorRateLimited, s.to_string()),
                    None => Notice::error(Text::ErrorRateLimitedNoTime),
                });
            }
            LoginOutcome::Refused(refusal) => {
                // A refused code step goes back to the form with the reason.
                self.panel = Panel::Login;
                self.credentials = None;
                self.force_pending = false;
                self.notice = Some(refusal_notice(&refusal));
            }
        }
        self
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Loaded {
                endpoint,
                history,
                session,
                notice,
            } => {
                next.endpoint = endpoint;
                next.history = history;
                next.panel = if session.is_some() {
                    Panel::Start
                } else {
                    Panel::Login
                };
                next.session = session;
                next.notice = notice;
            }
            Action::EndpointChanged(endpoint) => {
                if endpoint != next.endpoint {
                    next.endpoint = endpoint;
                    next.health = Health::Checking;
                }
            }
            Action::HealthChecked { endpoint, health } => {
                // An answer for an address typed over since is stale.
                if endpoint == next.endpoint {
                    next.health = health;
                }
            }
            Action::Submitted => {
                next.busy = true;
                next.notice = None;
            }
            Action::Answered {
                credentials,
                code_sent,
                outcome,
                now_ms,
            } => next = next.answered(credentials, code_sent, outcome, now_ms),
            Action::LoggedIn(session) => {
                next.busy = false;
                next.panel = Panel::Start;
                next.history = remember(&next.history, &next.endpoint);
                next.session = Some(session);
                next.credentials = None;
                next.conflict.clear();
                next.conflict_pick = None;
                next.force_pending = false;
                next.notice = None;
            }
            Action::PickSession(id) => next.conflict_pick = Some(id),
            Action::ForceWithFreshCode => {
                next.panel = Panel::Otp;
                next.force_pending = true;
                next.notice = Some(Notice::info(Text::OtpFreshCode));
            }
            Action::BackToLogin => {
                next.panel = Panel::Login;
                next.busy = false;
                next.credentials = None;
                next.conflict.clear();
                next.conflict_pick = None;
                next.force_pending = false;
                next.locked_until_ms = None;
            }
            Action::Extended { expires_ms } => {
                if let Some(session) = next.session.as_mut() {
                    session.expires_ms = Some(expires_ms);
                }
                next.busy = false;
                next.notice = Some(Notice::info(Text::Extended));
            }
            Action::Refreshed { expires_ms } => {
                if let Some(session) = next.session.as_mut() {
                    session.expires_ms = Some(expires_ms);
                }
            }
            Action::SummaryLoaded(summary) => {
                if let Some(session) = next.session.as_mut() {
                    session.summary = Some(summary);
                }
            }
            Action::SessionEnded(notice) => {
                next.session = None;
                next.panel = Panel::Login;
                next.busy = false;
                next.notice = notice;
            }
            Action::Notice(notice) => {
                next.busy = false;
                next.notice = Some(notice);
            }
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials {
            username: "alice".into(),
            password: "S3cret!pass".into(),
        }
    }

    fn reduce(state: State, action: Action) -> State {
        (*Rc::new(state).reduce(action)).clone()
    }

    fn answered(state: State, outcome: LoginOutcome) -> State {
        reduce(
            state,
            Action::Answered {
                credentials: creds(),
                code_sent: false,
                outcome: Ok(outcome),
                now_ms: 1_000_000.0,
            },
        )
    }

    fn login_panel() -> State {
        State {
            panel: Panel::Login,
            ..State::default()
        }
    }

    #[test]
    fn each_login_answer_leads_to_its_panel() {
        let otp = answered(login_panel(), LoginOutcome::OtpRequired);
        assert_eq!(otp.panel, Panel::Otp);
        assert_eq!(otp.credentials, Some(creds()), "kept for the code step");

        let wrong_code = answered(otp.clone(), LoginOutcome::OtpInvalid);
        assert_eq!(wrong_code.panel, Panel::Otp);
        assert_eq!(wrong_code.notice, Some(Notice::error(Text::OtpInvalid)));

        let locked = answered(login_panel(), LoginOutcome::Locked(Some(1199)));
        assert_eq!(locked.panel, Panel::Locked);
        assert_eq!(locked.locked_until_ms, Some(1_000_000.0 + 1_199_000.0));
        assert_eq!(locked.credentials, None, "the password is not kept");

        let conflict = answered(login_panel(), LoginOutcome::Conflict(Vec::new()));
        assert_eq!(conflict.panel, Panel::Conflict);
        assert_eq!(conflict.credentials, Some(creds()));

        let refused = answered(otp, LoginOutcome::Refused(Refusal::Mismatch));
        assert_eq!(refused.panel, Panel::Login);
        assert_eq!(refused.notice, Some(Notice::error(Text::ErrorMismatch)));
        assert_eq!(refused.credentials, None);

        let limited = answered(login_panel(), LoginOutcome::RateLimited(Some(30)));
        assert_eq!(limited.panel, Panel::Login);
        assert_eq!(
            limited.notice,
            Some(Notice::error_with(Text::ErrorRateLimited, "30"))
        );
    }

    #[test]
    fn ending_another_session_after_a_code_asks_for_a_fresh_one() {
        let conflict = reduce(
            login_panel(),
            Action::Answered {
                credentials: creds(),
                code_sent: true,
                outcome: Ok(LoginOutcome::Conflict(Vec::new())),
                now_ms: 0.0,
            },
        );
        assert!(conflict.code_sent);
        let fresh = reduce(conflict, Action::ForceWithFreshCode);
        assert_eq!(fresh.panel, Panel::Otp);
        assert!(fresh.force_pending);
        assert_eq!(fresh.credentials, Some(creds()));
        let back = reduce(fresh, Action::BackToLogin);
        assert!(!back.force_pending);
        assert_eq!(back.credentials, None);
    }

    #[test]
    fn network_failures_say_which() {
        let state = reduce(
            login_panel(),
            Action::Answered {
                credentials: creds(),
                code_sent: false,
                outcome: Err(NetError::Unreachable),
                now_ms: 0.0,
            },
        );
        assert_eq!(
            state.notice,
            Some(Notice::error_with(Text::ErrorUnreachable, DEFAULT_ENDPOINT))
        );
        assert!(!state.busy);
        let state = reduce(
            login_panel(),
            Action::Answered {
                credentials: creds(),
                code_sent: false,
                outcome: Err(NetError::Offline),
                now_ms: 0.0,
            },
        );
        assert_eq!(state.notice, Some(Notice::error(Text::ErrorOffline)));
    }

    #[test]
    fn health_answers_for_an_old_address_are_ignored() {
        let state = reduce(login_panel(), Action::EndpointChanged("http://a".into()));
        assert_eq!(state.health, Health::Checking);
        let stale = reduce(
            state.clone(),
            Action::HealthChecked {
                endpoint: "http://old".into(),
                health: Health::Unreachable,
            },
        );
        assert_eq!(stale.health, Health::Checking);
        let fresh = reduce(
            state,
            Action::HealthChecked {
                endpoint: "http://a".into(),
                health: Health::Companion("0.1.0".into()),
            },
        );
        assert_eq!(fresh.health, Health::Companion("0.1.0".into()));
    }

    #[test]
    fn history_keeps_the_latest_first_without_repeats() {
        let history: Vec<String> = (0..10).map(|i| format!("http://h{i}")).collect();
        let next = remember(&history, "http://h3");
        assert_eq!(next[0], "http://h3");
        assert_eq!(next.len(), HISTORY_LENGTH);
        assert_eq!(next.iter().filter(|e| *e == "http://h3").count(), 1);
    }

    #[test]
    fn logging_in_and_out() {
        let session = Session {
            id: "tok".into(),
            account: AccountInfo {
                access_key: "AK".into(),
                role: "user".into(),
                status: "active".into(),
            },
            expires_ms: Some(5.0),
            summary: None,
        };
        let state = reduce(login_panel(), Action::LoggedIn(session));
        assert_eq!(state.panel, Panel::Start);
        assert_eq!(state.history, vec![DEFAULT_ENDPOINT.to_owned()]);
        let state = reduce(state, Action::Extended { expires_ms: 9.0 });
        assert_eq!(state.session.as_ref().unwrap().expires_ms, Some(9.0));
        let state = reduce(
            state,
            Action::SessionEnded(Some(Notice::error(Text::ErrorSessionEnded))),
        );
        assert_eq!(state.panel, Panel::Login);
        assert!(state.session.is_none());
    }

    #[test]
    fn credentials_never_print() {
        assert!(!format!("{:?}", creds()).contains("S3cret"));
    }
}

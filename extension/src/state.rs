//! The popup's state and every change to it, as a reducer: pure, so each
//! transition is tested natively. Effects (network, storage, timers) live in
//! `actions` and come back here as actions.

use std::fmt;
use std::rc::Rc;

use baigate_shared::password::PasswordPolicy;
use baigate_shared::sessions::SessionSummary;
use baigate_shared::summary::Summary;
use baigate_shared::webserver::AccountInfo;
use yew::Reducible;

use crate::platform::net::NetError;
use crate::profiles::{self, Mode, Profile};
use crate::protocol::{Features, Health, LoginOutcome, Refusal};
use crate::text::Text;

/// The endpoint a fresh popup points at: a companion on this machine.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:8090";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    /// Reading storage and checking a remembered session.
    Loading,
    Login,
    Otp,
    Locked,
    Conflict,
    Start,
    Signup,
    Forgot,
    /// "Check your mail", after signup or a password-change request.
    MailSent,
    /// Two-factor setup: first login, or from the start panel.
    TotpSetup,
    /// Turning two-factor authentication off (from the start panel).
    TotpOff,
}

/// What was typed to log in, kept while a second step (code, conflict,
/// 2FA setup) runs.
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

    pub fn info_with(text: Text, value: impl Into<String>) -> Self {
        Self {
            text,
            values: vec![value.into()],
            error: false,
        }
    }
}

/// How the popup acts for the account.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// A webserver session: its id goes in `X-BackendAI-SessionID`.
    Session(String),
    /// API mode: every request is signed with the secret key.
    Keypair { secret_key: String },
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Session(_) => f.write_str("Session(..)"),
            Self::Keypair { .. } => f.write_str("Keypair { .. }"),
        }
    }
}

/// The logged-in account the start panel shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub credential: Credential,
    pub account: AccountInfo,
    /// When it ends, milliseconds since the epoch, if the server said.
    pub expires_ms: Option<f64>,
    /// The companion's extra view (absent on other servers).
    pub summary: Option<Summary>,
    /// Whether 2FA is on, when the endpoint says (`GET /func/totp`).
    pub totp_enabled: Option<bool>,
}

impl Session {
    /// The session id, in session mode.
    pub fn id(&self) -> Option<&str> {
        match &self.credential {
            Credential::Session(id) => Some(id),
            Credential::Keypair { .. } => None,
        }
    }
}

/// A secret to register, as the endpoint gave it.
#[derive(Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// Base32, for typing into an authenticator by hand.
    pub key: String,
    /// `otpauth://…`, for the QR code.
    pub uri: String,
}

impl fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Enrolment { .. }")
    }
}

/// Where a two-factor setup stands.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TotpSetup {
    /// First login: the token the login answer gave (the kept credentials log
    /// in once setup is done). `None` when a logged-in user turns 2FA on.
    pub registration: Option<String>,
    pub enrolment: Option<Enrolment>,
    /// Shown once, after the code confirmed the setup.
    pub recovery_codes: Vec<String>,
}

impl fmt::Debug for TotpSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpSetup")
            .field("first_login", &self.registration.is_some())
            .field("enrolled", &self.enrolment.is_some())
            .field("recovery_codes", &self.recovery_codes.len())
            .finish()
    }
}

/// Which mail is on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailSent {
    /// The new account must confirm this address.
    Verification {
        email: String,
    },
    PasswordChange,
}

/// What the endpoint in use offers, once known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointInfo {
    pub endpoint: String,
    pub features: Features,
    /// The endpoint's own policy (a companion's); `None` means the
    /// Backend.AI manual's rule applies.
    pub policy: Option<PasswordPolicy>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub panel: Panel,
    pub mode: Mode,
    pub endpoint: String,
    /// Set by an administrator (managed storage) or the build: the endpoint
    /// cannot be changed and "Advanced" is hidden. Also true until managed
    /// storage has answered.
    pub pinned: bool,
    /// The build's pinned endpoint (`settings.json`), if any.
    pub build_pin: Option<String>,
    /// Whether managed storage has answered, and the endpoint it pinned.
    pub policy_read: bool,
    pub policy_pin: Option<String>,
    pub profiles: Vec<Profile>,
    pub health: Health,
    pub info: Option<EndpointInfo>,
    pub busy: bool,
    pub notice: Option<Notice>,
    /// The username the form starts with (the endpoint's last one, or a
    /// new account's).
    pub username_hint: Option<String>,
    /// An invitation token found in the tab the popup was opened on.
    pub invitation: Option<String>,
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
    pub totp_setup: Option<TotpSetup>,
    pub mail_sent: Option<MailSent>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            panel: Panel::Loading,
            mode: Mode::Session,
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            pinned: false,
            build_pin: None,
            policy_read: false,
            policy_pin: None,
            profiles: Vec::new(),
            health: Health::Checking,
            info: None,
            busy: false,
            notice: None,
            username_hint: None,
            invitation: None,
            credentials: None,
            conflict: Vec::new(),
            conflict_pick: None,
            force_pending: false,
            code_sent: false,
            locked_until_ms: None,
            session: None,
            totp_setup: None,
            mail_sent: None,
        }
    }
}

/// What storage and the browser said when the popup opened.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub endpoint: String,
    /// The build's pinned endpoint.
    pub pinned: Option<String>,
    pub profiles: Vec<Profile>,
    /// A remembered session, still live.
    pub session: Option<Session>,
    pub notice: Option<Notice>,
    /// An invitation link open in the current tab.
    pub invitation: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Action {
    Loaded(Loaded),
    /// Managed storage answered: the endpoint an administrator pinned.
    PolicyPin(Option<String>),
    EndpointChanged(String),
    HealthChecked {
        endpoint: String,
        health: Health,
    },
    InfoLoaded(EndpointInfo),
    SetMode(Mode),
    /// A request was sent.
    Submitted,
    /// A login answer; `code_sent` says whether the attempt carried a
    /// one-time code; `now_ms` is the time the answer came.
    Answered {
        credentials: Credentials,
        code_sent: bool,
        outcome: Result<LoginOutcome, NetError>,
        now_ms: f64,
    },
    /// Logged in (either mode), with what the start panel shows and the
    /// username typed (session mode), for the endpoint's profile.
    LoggedIn {
        session: Session,
        username: Option<String>,
    },
    PickSession(String),
    /// End the picked session and log in: needs a fresh code when the
    /// attempt's code was spent.
    ForceWithFreshCode,
    /// Back to the login form (cancel, a lock that ended, done elsewhere).
    BackToLogin,
    ShowSignup,
    ShowForgot,
    /// A mail is on its way.
    MailSent(MailSent),
    /// A new account that may log in at once.
    SignedUp {
        username: String,
    },
    Extended {
        expires_ms: f64,
    },
    /// A check found the session live, ending then.
    Refreshed {
        expires_ms: f64,
    },
    SummaryLoaded(Summary),
    TotpStatus(bool),
    /// Turn 2FA on from the start panel.
    StartTotpSetup,
    TotpEnrolment(Enrolment),
    TotpConfirmed(Vec<String>),
    /// The recovery codes were seen: log in (first login) or back to start.
    TotpSetupDone,
    ShowTotpOff,
    TotpDisabled,
    /// Back to the start panel from a 2FA form.
    BackToStart,
    /// Logged out, or the session ended on its own.
    SessionEnded(Option<Notice>),
    Notice(Notice),
    /// A request ended without anything to show here (a form shows it).
    Idle,
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

/// The message for a request that got no answer.
pub fn net_notice(error: NetError, endpoint: &str) -> Notice {
    match error {
        NetError::Offline => Notice::error(Text::ErrorOffline),
        NetError::Unreachable => Notice::error_with(Text::ErrorUnreachable, endpoint),
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
            Err(error) => {
                self.notice = Some(net_notice(error, &self.endpoint));
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
            LoginOutcome::TotpRegistration(token) => {
                self.panel = Panel::TotpSetup;
                self.credentials = Some(credentials);
                self.totp_setup = Some(TotpSetup {
                    registration: Some(token),
                    ..TotpSetup::default()
                });
            }
            LoginOutcome::Conflict(sessions) => {
                self.panel = Panel::Conflict;
                self.force_pending = false;
                self.conflict_pick = sessions.iter().find(|s| !s.current).map(|s| s.id.clone());
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
                // A refused second step goes back to the form with the reason.
                self.panel = Panel::Login;
                self.credentials = None;
                self.force_pending = false;
                self.notice = Some(refusal_notice(&refusal));
            }
        }
        self
    }

    /// Leaves every second step and shows the login form.
    fn show_login(&mut self) {
        self.panel = Panel::Login;
        self.busy = false;
        self.credentials = None;
        self.conflict.clear();
        self.conflict_pick = None;
        self.force_pending = false;
        self.locked_until_ms = None;
        self.totp_setup = None;
        self.mail_sent = None;
    }

    /// The start panel again, after a 2FA form.
    fn show_start(&mut self) {
        self.panel = if self.session.is_some() {
            Panel::Start
        } else {
            Panel::Login
        };
        self.busy = false;
        self.totp_setup = None;
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Loaded(mut loaded) => {
                // Managed storage answered first: its pin wins.
                if let Some(policy) = &next.policy_pin
                    && *policy != loaded.endpoint
                {
                    loaded.endpoint = policy.clone();
                    loaded.session = None;
                    loaded.invitation = None;
                }
                next.mode = profiles::find(&loaded.profiles, &loaded.endpoint)
                    .map(|p| p.mode)
                    .unwrap_or_default();
                next.username_hint = profiles::find(&loaded.profiles, &loaded.endpoint)
                    .and_then(|p| p.username.clone());
                next.endpoint = loaded.endpoint;
                next.pinned =
                    loaded.pinned.is_some() || next.policy_pin.is_some() || !next.policy_read;
                next.build_pin = loaded.pinned;
                next.profiles = loaded.profiles;
                next.notice = loaded.notice;
                next.panel = if loaded.session.is_some() {
                    Panel::Start
                } else if loaded.invitation.is_some() {
                    Panel::Signup
                } else {
                    Panel::Login
                };
                next.session = loaded.session;
                next.invitation = loaded.invitation;
            }
            Action::PolicyPin(policy) => {
                next.policy_read = true;
                next.policy_pin = policy.clone();
                next.pinned = policy.is_some() || next.build_pin.is_some();
                // The policy wins over the build; a session shown for another
                // endpoint gives way to the pinned endpoint's login form.
                if let Some(endpoint) = policy
                    && endpoint != next.endpoint
                {
                    next.username_hint =
                        profiles::find(&next.profiles, &endpoint).and_then(|p| p.username.clone());
                    next.endpoint = endpoint;
                    next.health = Health::Checking;
                    next.info = None;
                    next.session = None;
                    next.invitation = None;
                    if next.panel != Panel::Loading {
                        next.panel = Panel::Login;
                    }
                }
            }
            Action::EndpointChanged(endpoint) => {
                if endpoint != next.endpoint && !next.pinned {
                    // A remembered endpoint brings back its username and mode.
                    if let Some(profile) = profiles::find(&next.profiles, &endpoint) {
                        next.mode = profile.mode;
                        next.username_hint = profile.username.clone();
                    }
                    next.endpoint = endpoint;
                    next.health = Health::Checking;
                    next.info = None;
                }
            }
            Action::HealthChecked { endpoint, health } => {
                // An answer for an address typed over since is stale.
                if endpoint == next.endpoint {
                    next.health = health;
                }
            }
            Action::InfoLoaded(info) => {
                if info.endpoint == next.endpoint {
                    next.info = Some(info);
                }
            }
            Action::SetMode(mode) => {
                next.mode = mode;
                next.notice = None;
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
            Action::LoggedIn { session, username } => {
                if username.is_some() {
                    next.username_hint.clone_from(&username);
                }
                next.profiles = profiles::remember(
                    &next.profiles,
                    Profile {
                        endpoint: next.endpoint.clone(),
                        username,
                        mode: next.mode,
                    },
                );
                next.show_login();
                next.panel = Panel::Start;
                next.session = Some(session);
                next.notice = None;
            }
            Action::PickSession(id) => next.conflict_pick = Some(id),
            Action::ForceWithFreshCode => {
                next.panel = Panel::Otp;
                next.force_pending = true;
                next.notice = Some(Notice::info(Text::OtpFreshCode));
            }
            Action::BackToLogin => {
                next.show_login();
            }
            Action::ShowSignup => {
                next.show_login();
                next.panel = Panel::Signup;
                next.notice = None;
            }
            Action::ShowForgot => {
                next.show_login();
                next.panel = Panel::Forgot;
                next.notice = None;
            }
            Action::MailSent(mail) => {
                next.show_login();
                next.panel = Panel::MailSent;
                next.mail_sent = Some(mail);
                next.invitation = None;
                next.notice = None;
            }
            Action::SignedUp { username } => {
                next.show_login();
                next.invitation = None;
                next.username_hint = Some(username);
                next.notice = Some(Notice::info(Text::AccountCreated));
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
                    session.totp_enabled = Some(summary.account.totp_enabled);
                    session.summary = Some(summary);
                }
            }
            Action::TotpStatus(enabled) => {
                if let Some(session) = next.session.as_mut() {
                    session.totp_enabled = Some(enabled);
                }
            }
            Action::StartTotpSetup => {
                next.panel = Panel::TotpSetup;
                next.notice = None;
                next.totp_setup = Some(TotpSetup::default());
            }
            Action::TotpEnrolment(enrolment) => {
                next.busy = false;
                if let Some(setup) = next.totp_setup.as_mut() {
                    setup.enrolment = Some(enrolment);
                }
            }
            Action::TotpConfirmed(codes) => {
                next.busy = false;
                next.notice = None;
                if let Some(setup) = next.totp_setup.as_mut() {
                    setup.recovery_codes = codes;
                }
                if let Some(session) = next.session.as_mut() {
                    session.totp_enabled = Some(true);
                }
            }
            Action::TotpSetupDone => {
                let first_login = next
                    .totp_setup
                    .as_ref()
                    .is_some_and(|s| s.registration.is_some());
                if first_login && next.credentials.is_some() {
                    // The confirming code is spent: log in with the next one.
                    next.totp_setup = None;
                    next.panel = Panel::Otp;
                    next.notice = Some(Notice::info(Text::OtpAfterSetup));
                } else if first_login {
                    next.show_login();
                    next.notice = Some(Notice::info(Text::TotpOnLogIn));
                } else {
                    next.show_start();
                    next.notice = Some(Notice::info(Text::TotpOnNotice));
                }
            }
            Action::ShowTotpOff => {
                next.panel = Panel::TotpOff;
                next.notice = None;
            }
            Action::TotpDisabled => {
                next.show_start();
                if let Some(session) = next.session.as_mut() {
                    session.totp_enabled = Some(false);
                    if let Some(summary) = session.summary.as_mut() {
                        summary.account.totp_enabled = false;
                    }
                }
                next.notice = Some(Notice::info(Text::TotpOffNotice));
            }
            Action::BackToStart => {
                next.show_start();
                next.notice = None;
            }
            Action::SessionEnded(notice) => {
                next.show_login();
                next.session = None;
                next.notice = notice;
            }
            Action::Notice(notice) => {
                next.busy = false;
                next.notice = Some(notice);
            }
            Action::Idle => next.busy = false,
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

    fn session(credential: Credential) -> Session {
        Session {
            credential,
            account: AccountInfo {
                access_key: "AK".into(),
                role: "user".into(),
                status: "active".into(),
            },
            expires_ms: Some(5.0),
            summary: None,
            totp_enabled: None,
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

        let setup = answered(login_panel(), LoginOutcome::TotpRegistration("tok".into()));
        assert_eq!(setup.panel, Panel::TotpSetup);
        assert_eq!(
            setup.totp_setup.unwrap().registration.as_deref(),
            Some("tok")
        );

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
    fn first_login_two_factor_setup_ends_at_the_code_step() {
        let setup = answered(login_panel(), LoginOutcome::TotpRegistration("tok".into()));
        let enrolled = reduce(
            setup,
            Action::TotpEnrolment(Enrolment {
                key: "KEY".into(),
                uri: "otpauth://totp/x".into(),
            }),
        );
        assert!(enrolled.totp_setup.as_ref().unwrap().enrolment.is_some());
        let confirmed = reduce(
            enrolled,
            Action::TotpConfirmed(vec!["A".into(), "B".into()]),
        );
        assert_eq!(confirmed.panel, Panel::TotpSetup);
        assert_eq!(
            confirmed.totp_setup.as_ref().unwrap().recovery_codes.len(),
            2
        );
        let done = reduce(confirmed, Action::TotpSetupDone);
        assert_eq!(done.panel, Panel::Otp);
        assert_eq!(
            done.credentials,
            Some(creds()),
            "log in with the kept password"
        );
        assert_eq!(done.notice, Some(Notice::info(Text::OtpAfterSetup)));
        assert!(done.totp_setup.is_none());
    }

    #[test]
    fn two_factor_from_the_start_panel_returns_there() {
        let mut state = reduce(
            login_panel(),
            Action::LoggedIn {
                session: session(Credential::Session("s".into())),
                username: None,
            },
        );
        state = reduce(state, Action::StartTotpSetup);
        assert_eq!(state.panel, Panel::TotpSetup);
        state = reduce(state, Action::TotpConfirmed(vec!["A".into()]));
        assert_eq!(state.session.as_ref().unwrap().totp_enabled, Some(true));
        state = reduce(state, Action::TotpSetupDone);
        assert_eq!(state.panel, Panel::Start);
        assert_eq!(state.notice, Some(Notice::info(Text::TotpOnNotice)));
        state = reduce(state, Action::ShowTotpOff);
        assert_eq!(state.panel, Panel::TotpOff);
        state = reduce(state, Action::TotpDisabled);
        assert_eq!(state.panel, Panel::Start);
        assert_eq!(state.session.as_ref().unwrap().totp_enabled, Some(false));
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
        assert_eq!(
            net_notice(NetError::Offline, "x"),
            Notice::error(Text::ErrorOffline)
        );
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
    fn a_remembered_endpoint_brings_back_its_username_and_mode() {
        let mut state = login_panel();
        state.profiles = vec![Profile {
            endpoint: "http://b".into(),
            username: Some("bob".into()),
            mode: Mode::Api,
        }];
        let state = reduce(state, Action::EndpointChanged("http://b".into()));
        assert_eq!(state.mode, Mode::Api);
        assert_eq!(state.username_hint.as_deref(), Some("bob"));
    }

    #[test]
    fn a_pinned_endpoint_does_not_change() {
        let state = State {
            pinned: true,
            endpoint: "https://pinned".into(),
            ..login_panel()
        };
        let state = reduce(state, Action::EndpointChanged("http://other".into()));
        assert_eq!(state.endpoint, "https://pinned");
    }

    #[test]
    fn the_endpoint_stays_locked_until_managed_storage_answers() {
        let loaded = |pinned: Option<&str>| Loaded {
            endpoint: "http://stored".into(),
            pinned: pinned.map(str::to_owned),
            ..Loaded::default()
        };
        // No policy: locked while unknown, then free.
        let state = reduce(State::default(), Action::Loaded(loaded(None)));
        assert!(state.pinned);
        let state = reduce(state, Action::PolicyPin(None));
        assert!(!state.pinned);
        assert_eq!(state.endpoint, "http://stored");

        // A policy answering after the form: the pinned endpoint's form.
        let state = reduce(State::default(), Action::Loaded(loaded(None)));
        let state = reduce(state, Action::PolicyPin(Some("https://policy".into())));
        assert!(state.pinned);
        assert_eq!(
            (state.endpoint.as_str(), state.panel),
            ("https://policy", Panel::Login)
        );

        // A policy answering first still wins, over the build's pin too.
        let state = reduce(
            State::default(),
            Action::PolicyPin(Some("https://policy".into())),
        );
        let state = reduce(state, Action::Loaded(loaded(Some("https://build"))));
        assert_eq!(state.endpoint, "https://policy");

        // The build's pin stays when the policy has none.
        let state = reduce(
            State::default(),
            Action::Loaded(loaded(Some("https://build"))),
        );
        let state = reduce(state, Action::PolicyPin(None));
        assert!(state.pinned);
    }

    #[test]
    fn logging_in_remembers_the_profile_and_logging_out_forgets_the_session() {
        let state = reduce(
            login_panel(),
            Action::LoggedIn {
                session: session(Credential::Session("tok".into())),
                username: Some("alice".into()),
            },
        );
        assert_eq!(state.panel, Panel::Start);
        assert_eq!(
            state.profiles,
            vec![Profile {
                endpoint: DEFAULT_ENDPOINT.into(),
                username: Some("alice".into()),
                mode: Mode::Session,
            }]
        );
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
    fn signup_leads_to_mail_or_to_the_form() {
        let signup = reduce(login_panel(), Action::ShowSignup);
        assert_eq!(signup.panel, Panel::Signup);
        let sent = reduce(
            signup.clone(),
            Action::MailSent(MailSent::Verification {
                email: "a@example.com".into(),
            }),
        );
        assert_eq!(sent.panel, Panel::MailSent);
        let created = reduce(
            signup,
            Action::SignedUp {
                username: "a@example.com".into(),
            },
        );
        assert_eq!(created.panel, Panel::Login);
        assert_eq!(created.username_hint.as_deref(), Some("a@example.com"));
        assert_eq!(created.notice, Some(Notice::info(Text::AccountCreated)));
    }

    #[test]
    fn an_invitation_in_the_tab_opens_signup_unless_logged_in() {
        let loaded = |session| Loaded {
            endpoint: DEFAULT_ENDPOINT.into(),
            invitation: Some("tok".into()),
            session,
            ..Loaded::default()
        };
        assert_eq!(
            reduce(State::default(), Action::Loaded(loaded(None))).panel,
            Panel::Signup
        );
        let logged_in = Some(session(Credential::Session("s".into())));
        assert_eq!(
            reduce(State::default(), Action::Loaded(loaded(logged_in))).panel,
            Panel::Start
        );
    }

    #[test]
    fn secrets_never_print() {
        assert!(!format!("{:?}", creds()).contains("S3cret"));
        let keypair = Credential::Keypair {
            secret_key: "SECRETKEY".into(),
        };
        assert!(!format!("{keypair:?}").contains("SECRETKEY"));
        let setup = TotpSetup {
            registration: Some("REGTOKEN".into()),
            enrolment: Some(Enrolment {
                key: "BASE32KEY".into(),
                uri: "otpauth://x".into(),
            }),
            recovery_codes: vec!["RECOVERY".into()],
        };
        let printed = format!("{setup:?}");
        assert!(
            !printed.contains("REGTOKEN")
                && !printed.contains("BASE32KEY")
                && !printed.contains("RECOVERY")
        );
    }
}

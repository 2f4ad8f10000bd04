//! The popup's state and every change to it, as a reducer: pure, so each
//! transition is tested natively. Effects (network, storage, timers) live in
//! `actions` and come back here as actions; none runs in here.
//!
//! The panel on screen carries its own data ([`Panel`]): the password kept
//! for a second step, the sessions of a conflict, the end of a lock. Leaving
//! a panel drops what belonged to it, and what can be derived (whether the
//! endpoint is pinned) is computed, not stored.

use std::fmt;
use std::rc::Rc;

use baigate_shared::problem::ProblemType;
use baigate_shared::sessions::SessionSummary;
use baigate_shared::summary::Summary;
use baigate_shared::webserver::AccountInfo;
use yew::Reducible;

use crate::notice::Notice;
use crate::platform::net::NetError;
use crate::profiles::{self, Mode, Profile};
use crate::protocol::{EndpointInfo, Enrolment, Health, NotLoggedIn};
use crate::sso::TokenProof;
use crate::stored::{DEFAULT_ENDPOINT, StoredKeypair};
use crate::text::Text;

/// What was typed to log in.
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

/// What a login proves who the user is with, kept while a second step
/// (code, conflict, 2FA setup) runs, which sends it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// The password typed (`/server/login`).
    Password(Credentials),
    /// A single sign-on's one-time token (`/server/token-login`).
    Token(TokenProof),
}

/// The panel on screen, with what it needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Panel {
    /// Reading storage and checking a remembered session.
    Loading,
    Login,
    /// The one-time code, for the password typed (or the token given) before.
    Otp {
        proof: Proof,
        /// Set when the user chose to end another session after the code
        /// sent with the password was spent: this code goes with that login.
        force: Option<ForcedLogin>,
    },
    /// Login is paused for the account; when it resumes (ms since the
    /// epoch), if the server said.
    Locked {
        until_ms: Option<f64>,
    },
    /// The account has as many sessions as it may.
    Conflict(Conflict),
    /// Logged in: the start panel shows [`State::session`].
    Start,
    Signup,
    Forgot,
    /// "Check your mail", after signup or a password-change request.
    MailSent(MailSent),
    /// Two-factor setup: first login, or from the start panel.
    TotpSetup(TotpSetup),
    /// Turning two-factor authentication off (from the start panel).
    TotpOff,
}

/// A login that ends another session, waiting for a fresh code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForcedLogin {
    /// The session picked to end (`None`: the endpoint chooses).
    pub end_session: Option<String>,
}

/// "Logged in elsewhere": the attempt and the sessions the endpoint listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub proof: Proof,
    /// The account's sessions, when the endpoint lists them.
    pub sessions: Vec<SessionSummary>,
    /// The session picked to end.
    pub pick: Option<String>,
    /// Whether the attempt carried a one-time code (spent now).
    pub code_sent: bool,
}

/// Where a two-factor setup stands.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TotpSetup {
    /// At first login: what the login answer asked for. `None` when a
    /// logged-in user turns 2FA on.
    pub first_login: Option<FirstLogin>,
    pub enrolment: Option<Enrolment>,
    /// Shown once, after the code confirmed the setup.
    pub recovery_codes: Vec<String>,
}

/// A first login that must set up 2FA before it can finish.
#[derive(Clone, PartialEq, Eq)]
pub struct FirstLogin {
    /// The registration token the login answer gave.
    pub token: String,
    /// The password typed (or the token given), which logs in once setup
    /// is done.
    pub proof: Proof,
}

impl TotpSetup {
    /// The registration token, at first login.
    pub fn registration(&self) -> Option<&str> {
        self.first_login.as_ref().map(|first| first.token.as_str())
    }
}

impl fmt::Debug for TotpSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpSetup")
            .field("first_login", &self.first_login.is_some())
            .field("enrolled", &self.enrolment.is_some())
            .field("recovery_codes", &self.recovery_codes.len())
            .finish()
    }
}

impl fmt::Debug for FirstLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FirstLogin")
            .field("proof", &self.proof)
            .finish_non_exhaustive()
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

/// How the popup acts for the account.
#[derive(Clone, PartialEq, Eq)]
pub enum Access {
    /// A webserver session: its id goes in the session header.
    Session(String),
    /// API mode: every request is signed with the secret key.
    Keypair { secret_key: String },
}

impl fmt::Debug for Access {
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
    pub access: Access,
    pub account: AccountInfo,
    /// Who the account is, as far as the login told: the email the server
    /// gave, or the login name typed. (A Backend.AI webserver's answer has
    /// only the access key.)
    pub name: Option<String>,
    /// When it ends, milliseconds since the epoch, if the server said.
    pub expires_ms: Option<f64>,
    /// The companion's extra view (absent on other servers).
    pub summary: Option<Summary>,
    /// Whether 2FA is on, when the endpoint says (`GET /func/totp`).
    pub totp_enabled: Option<bool>,
}

impl Session {
    /// A session as the endpoint first describes it; the summary and the
    /// 2FA status come later.
    pub fn new(access: Access, account: AccountInfo, expires_ms: Option<f64>) -> Self {
        Self {
            access,
            account,
            name: None,
            expires_ms,
            summary: None,
            totp_enabled: None,
        }
    }

    /// The same session, known as `name`.
    pub fn named(mut self, name: Option<String>) -> Self {
        self.name = name;
        self
    }

    /// What the start panel calls the account: the companion's email, the
    /// login's name, or the access key.
    pub fn who(&self) -> String {
        self.summary
            .as_ref()
            .map(|summary| summary.account.email.clone())
            .or_else(|| self.name.clone())
            .unwrap_or_else(|| self.account.access_key.clone())
    }

    /// API mode, with keys checked before.
    pub fn keypair(keypair: StoredKeypair) -> Self {
        Self::new(
            Access::Keypair {
                secret_key: keypair.secret_key,
            },
            AccountInfo {
                access_key: keypair.access_key,
                role: keypair.role,
                status: "active".to_owned(),
            },
            None,
        )
    }

    /// The session id, in session mode.
    pub fn id(&self) -> Option<&str> {
        match &self.access {
            Access::Session(id) => Some(id),
            Access::Keypair { .. } => None,
        }
    }
}

/// What managed storage (an administrator's policy) says of the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// Not answered yet: the endpoint stays locked meanwhile.
    Unread,
    Unpinned,
    Pinned(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub panel: Panel,
    pub mode: Mode,
    pub endpoint: String,
    /// The build's pinned endpoint (`settings.json`), if any.
    pub build_pin: Option<String>,
    pub policy: Policy,
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
    pub session: Option<Session>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            panel: Panel::Loading,
            mode: Mode::Session,
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            build_pin: None,
            policy: Policy::Unread,
            profiles: Vec::new(),
            health: Health::Checking,
            info: None,
            busy: false,
            notice: None,
            username_hint: None,
            invitation: None,
            session: None,
        }
    }
}

impl State {
    /// Whether the endpoint is fixed (by an administrator or the build) and
    /// "Advanced" hidden; also while managed storage has not answered.
    pub fn pinned(&self) -> bool {
        self.build_pin.is_some() || self.policy != Policy::Unpinned
    }

    /// The session id of the logged-in session, if any.
    pub fn session_id(&self) -> Option<&str> {
        self.session.as_ref().and_then(Session::id)
    }

    /// The password or token kept for the second step on screen.
    pub fn kept_proof(&self) -> Option<&Proof> {
        match &self.panel {
            Panel::Otp { proof, .. } => Some(proof),
            Panel::Conflict(conflict) => Some(&conflict.proof),
            Panel::TotpSetup(setup) => setup.first_login.as_ref().map(|f| &f.proof),
            _ => None,
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
    /// A login answer that did not log in (or no answer at all);
    /// `code_sent` says whether the attempt carried a one-time code;
    /// `now_ms` is the time the answer came. A login that succeeded comes
    /// as `LoggedIn`, once its session has been read.
    Answered {
        proof: Proof,
        code_sent: bool,
        outcome: Result<NotLoggedIn, NetError>,
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

impl State {
    fn answered(
        mut self,
        proof: Proof,
        code_sent: bool,
        outcome: Result<NotLoggedIn, NetError>,
        now_ms: f64,
    ) -> Self {
        self.busy = false;
        self.notice = None;
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(error) => {
                self.notice = Some(Notice::network(error, &self.endpoint));
                return self;
            }
        };
        // A code step that ends another session stays one until it succeeds.
        let force = match &self.panel {
            Panel::Otp { force, .. } => force.clone(),
            _ => None,
        };
        match outcome {
            NotLoggedIn::OtpRequired => self.panel = Panel::Otp { proof, force },
            NotLoggedIn::OtpInvalid => {
                self.panel = Panel::Otp { proof, force };
                self.notice =
                    Some(Notice::error(Text::OtpInvalid).for_problem(&ProblemType::RejectedByHook));
            }
            NotLoggedIn::TotpRegistration(token) => {
                self.panel = Panel::TotpSetup(TotpSetup {
                    first_login: Some(FirstLogin { token, proof }),
                    ..TotpSetup::default()
                });
            }
            NotLoggedIn::Conflict(sessions) => {
                let pick = sessions.iter().find(|s| !s.current).map(|s| s.id.clone());
                self.panel = Panel::Conflict(Conflict {
                    proof,
                    sessions,
                    pick,
                    code_sent,
                });
            }
            NotLoggedIn::Locked(seconds) => {
                self.panel = Panel::Locked {
                    until_ms: seconds.map(|s| now_ms + s as f64 * 1000.0),
                };
            }
            NotLoggedIn::RateLimited(seconds) => {
                let notice = match seconds {
                    Some(s) => Notice::error_with(Text::ErrorRateLimited, s.to_string()),
                    None => Notice::error(Text::ErrorRateLimitedNoTime),
                };
                self.notice = Some(notice.for_problem(&ProblemType::RateLimitExceeded));
            }
            NotLoggedIn::Refused(refusal) => {
                // A refused second step goes back to the form with the reason.
                self.panel = Panel::Login;
                self.notice = Some(Notice::login_refused(&refusal));
            }
        }
        self
    }

    /// Shows `panel`, with no request in flight.
    fn show(&mut self, panel: Panel) {
        self.panel = panel;
        self.busy = false;
    }

    /// The start panel again, after a 2FA form.
    fn show_start(&mut self) {
        self.show(if self.session.is_some() {
            Panel::Start
        } else {
            Panel::Login
        });
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Loaded(mut loaded) => {
                // Managed storage answered first: its pin wins.
                if let Policy::Pinned(policy) = &next.policy
                    && *policy != loaded.endpoint
                {
                    loaded.endpoint = policy.clone();
                    loaded.session = None;
                    loaded.invitation = None;
                }
                let profile = profiles::find(&loaded.profiles, &loaded.endpoint);
                next.mode = profile.map(|p| p.mode).unwrap_or_default();
                next.username_hint = profile.and_then(|p| p.username.clone());
                next.endpoint = loaded.endpoint;
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
                next.policy = match &policy {
                    Some(endpoint) => Policy::Pinned(endpoint.clone()),
                    None => Policy::Unpinned,
                };
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
                if endpoint != next.endpoint && !next.pinned() {
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
                proof,
                code_sent,
                outcome,
                now_ms,
            } => next = next.answered(proof, code_sent, outcome, now_ms),
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
                next.show(Panel::Start);
                next.session = Some(session);
                next.notice = None;
            }
            Action::PickSession(id) => {
                if let Panel::Conflict(conflict) = &mut next.panel {
                    conflict.pick = Some(id);
                }
            }
            Action::ForceWithFreshCode => {
                if let Panel::Conflict(conflict) = &next.panel {
                    next.panel = Panel::Otp {
                        proof: conflict.proof.clone(),
                        force: Some(ForcedLogin {
                            end_session: conflict.pick.clone(),
                        }),
                    };
                    next.notice = Some(Notice::info(Text::OtpFreshCode));
                }
            }
            Action::BackToLogin => next.show(Panel::Login),
            Action::ShowSignup => {
                next.show(Panel::Signup);
                next.notice = None;
            }
            Action::ShowForgot => {
                next.show(Panel::Forgot);
                next.notice = None;
            }
            Action::MailSent(mail) => {
                next.show(Panel::MailSent(mail));
                next.invitation = None;
                next.notice = None;
            }
            Action::SignedUp { username } => {
                next.show(Panel::Login);
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
                next.panel = Panel::TotpSetup(TotpSetup::default());
                next.notice = None;
            }
            Action::TotpEnrolment(enrolment) => {
                next.busy = false;
                if let Panel::TotpSetup(setup) = &mut next.panel {
                    setup.enrolment = Some(enrolment);
                }
            }
            Action::TotpConfirmed(codes) => {
                next.busy = false;
                next.notice = None;
                if let Panel::TotpSetup(setup) = &mut next.panel {
                    setup.recovery_codes = codes;
                }
                if let Some(session) = next.session.as_mut() {
                    session.totp_enabled = Some(true);
                }
            }
            Action::TotpSetupDone => {
                let first_login = match &next.panel {
                    Panel::TotpSetup(setup) => setup.first_login.clone(),
                    _ => None,
                };
                match first_login {
                    // The confirming code is spent: log in with the next one.
                    Some(first) => {
                        next.panel = Panel::Otp {
                            proof: first.proof,
                            force: None,
                        };
                        next.notice = Some(Notice::info(Text::OtpAfterSetup));
                    }
                    None => {
                        next.show_start();
                        next.notice = Some(Notice::info(Text::TotpOnNotice));
                    }
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
                next.show(Panel::Login);
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
    use crate::protocol::LoginRefusal;

    fn creds() -> Credentials {
        Credentials {
            username: "alice".into(),
            password: "S3cret!pass".into(),
        }
    }

    fn password() -> Proof {
        Proof::Password(creds())
    }

    fn reduce(state: State, action: Action) -> State {
        (*Rc::new(state).reduce(action)).clone()
    }

    fn answered(state: State, outcome: NotLoggedIn) -> State {
        reduce(
            state,
            Action::Answered {
                proof: password(),
                code_sent: false,
                outcome: Ok(outcome),
                now_ms: 1_000_000.0,
            },
        )
    }

    /// The login form of an endpoint nobody pinned.
    fn login_panel() -> State {
        State {
            panel: Panel::Login,
            policy: Policy::Unpinned,
            ..State::default()
        }
    }

    fn session(access: Access) -> Session {
        Session::new(
            access,
            AccountInfo {
                access_key: "AK".into(),
                role: "user".into(),
                status: "active".into(),
            },
            Some(5.0),
        )
    }

    fn otp_step(force: Option<ForcedLogin>) -> Panel {
        Panel::Otp {
            proof: password(),
            force,
        }
    }

    #[test]
    fn each_login_answer_leads_to_its_panel() {
        let otp = answered(login_panel(), NotLoggedIn::OtpRequired);
        assert_eq!(
            otp.panel,
            otp_step(None),
            "the password kept for the code step"
        );

        let wrong_code = answered(otp.clone(), NotLoggedIn::OtpInvalid);
        assert_eq!(wrong_code.panel, otp_step(None));
        assert_eq!(
            wrong_code.notice,
            Some(Notice::error(Text::OtpInvalid).for_problem(&ProblemType::RejectedByHook))
        );

        let locked = answered(login_panel(), NotLoggedIn::Locked(Some(1199)));
        assert_eq!(
            locked.panel,
            Panel::Locked {
                until_ms: Some(1_000_000.0 + 1_199_000.0)
            }
        );
        assert_eq!(locked.kept_proof(), None, "the password is not kept");

        let conflict = answered(login_panel(), NotLoggedIn::Conflict(Vec::new()));
        assert!(matches!(conflict.panel, Panel::Conflict(_)));
        assert_eq!(conflict.kept_proof(), Some(&password()));

        let setup = answered(login_panel(), NotLoggedIn::TotpRegistration("tok".into()));
        let Panel::TotpSetup(totp) = &setup.panel else {
            panic!("{:?}", setup.panel);
        };
        assert_eq!(totp.registration(), Some("tok"));
        assert_eq!(setup.kept_proof(), Some(&password()));

        let refused = answered(otp, NotLoggedIn::Refused(LoginRefusal::Mismatch));
        assert_eq!(refused.panel, Panel::Login);
        assert_eq!(
            refused.notice,
            Some(Notice::error(Text::ErrorMismatch).for_problem(&ProblemType::AuthFailed))
        );
        assert_eq!(refused.kept_proof(), None);

        let limited = answered(login_panel(), NotLoggedIn::RateLimited(Some(30)));
        assert_eq!(limited.panel, Panel::Login);
        assert_eq!(
            limited.notice,
            Some(
                Notice::error_with(Text::ErrorRateLimited, "30")
                    .for_problem(&ProblemType::RateLimitExceeded)
            )
        );
    }

    #[test]
    fn ending_another_session_after_a_code_asks_for_a_fresh_one() {
        let listed = |id: &str, current: bool| SessionSummary {
            id: id.into(),
            created_at: "2026-11-22T08:00:00Z".into(),
            last_seen_at: "2026-11-22T08:00:00Z".into(),
            expires_at: "2026-11-22T09:00:00Z".into(),
            ip: None,
            user_agent: None,
            current,
        };
        let conflict = reduce(
            login_panel(),
            Action::Answered {
                proof: password(),
                code_sent: true,
                outcome: Ok(NotLoggedIn::Conflict(vec![
                    listed("here", true),
                    listed("a", false),
                    listed("b", false),
                ])),
                now_ms: 0.0,
            },
        );
        let Panel::Conflict(shown) = &conflict.panel else {
            panic!("{:?}", conflict.panel);
        };
        assert!(shown.code_sent);
        assert_eq!(shown.pick.as_deref(), Some("a"), "the first other one");
        let picked = reduce(conflict, Action::PickSession("b".into()));
        let fresh = reduce(picked, Action::ForceWithFreshCode);
        let forced = Some(ForcedLogin {
            end_session: Some("b".into()),
        });
        assert_eq!(fresh.panel, otp_step(forced.clone()));
        assert_eq!(fresh.notice, Some(Notice::info(Text::OtpFreshCode)));
        // A wrong code keeps the forced login for the next one.
        let wrong = answered(fresh.clone(), NotLoggedIn::OtpInvalid);
        assert_eq!(wrong.panel, otp_step(forced));
        let back = reduce(fresh, Action::BackToLogin);
        assert_eq!(back.panel, Panel::Login);
        assert_eq!(back.kept_proof(), None);
    }

    #[test]
    fn a_single_sign_on_token_goes_through_the_second_steps() {
        let token = Proof::Token(TokenProof {
            token: "TOKEN-SECRET".into(),
            code_verifier: Some("VERIFIER-SECRET".into()),
        });
        let answered_with = |state: State, outcome: NotLoggedIn| {
            reduce(
                state,
                Action::Answered {
                    proof: token.clone(),
                    code_sent: false,
                    outcome: Ok(outcome),
                    now_ms: 0.0,
                },
            )
        };
        let otp = answered_with(login_panel(), NotLoggedIn::OtpRequired);
        assert_eq!(
            otp.panel,
            Panel::Otp {
                proof: token.clone(),
                force: None
            },
            "the code goes with the same token"
        );

        // The token login names the session to end, as a password login does.
        let other = SessionSummary {
            id: "a".into(),
            created_at: "2026-11-22T08:00:00Z".into(),
            last_seen_at: "2026-11-22T08:00:00Z".into(),
            expires_at: "2026-11-22T09:00:00Z".into(),
            ip: None,
            user_agent: None,
            current: false,
        };
        let conflict = answered_with(login_panel(), NotLoggedIn::Conflict(vec![other]));
        let Panel::Conflict(shown) = &conflict.panel else {
            panic!("{:?}", conflict.panel);
        };
        assert_eq!(shown.sessions.len(), 1);
        assert_eq!(shown.pick.as_deref(), Some("a"));
        assert_eq!(conflict.kept_proof(), Some(&token));

        // First-login 2FA setup ends at the code step, with the token.
        let setup = answered_with(login_panel(), NotLoggedIn::TotpRegistration("reg".into()));
        let confirmed = reduce(setup, Action::TotpConfirmed(vec!["A".into()]));
        let done = reduce(confirmed, Action::TotpSetupDone);
        assert_eq!(
            done.panel,
            Panel::Otp {
                proof: token.clone(),
                force: None
            }
        );

        // A token that expired meanwhile: back to the form, saying so.
        let expired = answered_with(otp, NotLoggedIn::Refused(LoginRefusal::SsoTokenInvalid));
        assert_eq!(expired.panel, Panel::Login);
        assert_eq!(
            expired.notice,
            Some(Notice::error(Text::SsoTokenInvalid).for_problem(&ProblemType::RejectedByHook))
        );
        assert_eq!(expired.kept_proof(), None);
        let printed = format!("{done:?}");
        assert!(!printed.contains("TOKEN-SECRET") && !printed.contains("VERIFIER-SECRET"));
    }

    #[test]
    fn first_login_two_factor_setup_ends_at_the_code_step() {
        let setup_of = |state: &State| match &state.panel {
            Panel::TotpSetup(setup) => setup.clone(),
            other => panic!("{other:?}"),
        };
        let setup = answered(login_panel(), NotLoggedIn::TotpRegistration("tok".into()));
        let enrolled = reduce(
            setup,
            Action::TotpEnrolment(Enrolment {
                key: "KEY".into(),
                uri: "otpauth://totp/x".into(),
            }),
        );
        assert!(setup_of(&enrolled).enrolment.is_some());
        let confirmed = reduce(
            enrolled,
            Action::TotpConfirmed(vec!["A".into(), "B".into()]),
        );
        assert_eq!(setup_of(&confirmed).recovery_codes.len(), 2);
        let done = reduce(confirmed, Action::TotpSetupDone);
        assert_eq!(done.panel, otp_step(None), "log in with the kept password");
        assert_eq!(done.notice, Some(Notice::info(Text::OtpAfterSetup)));
    }

    #[test]
    fn two_factor_from_the_start_panel_returns_there() {
        let mut state = reduce(
            login_panel(),
            Action::LoggedIn {
                session: session(Access::Session("s".into())),
                username: None,
            },
        );
        state = reduce(state, Action::StartTotpSetup);
        assert_eq!(state.panel, Panel::TotpSetup(TotpSetup::default()));
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
                proof: password(),
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
        assert_eq!(state.panel, Panel::Login, "the form stays, to try again");
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
            build_pin: Some("https://pinned".into()),
            endpoint: "https://pinned".into(),
            ..login_panel()
        };
        assert!(state.pinned());
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
        assert!(state.pinned());
        let state = reduce(state, Action::PolicyPin(None));
        assert!(!state.pinned());
        assert_eq!(state.endpoint, "http://stored");

        // A policy answering after the form: the pinned endpoint's form.
        let state = reduce(State::default(), Action::Loaded(loaded(None)));
        let state = reduce(state, Action::PolicyPin(Some("https://policy".into())));
        assert!(state.pinned());
        assert_eq!(
            (state.endpoint.as_str(), &state.panel),
            ("https://policy", &Panel::Login)
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
        assert!(state.pinned());
    }

    #[test]
    fn logging_in_remembers_the_profile_and_logging_out_forgets_the_session() {
        let state = reduce(
            login_panel(),
            Action::LoggedIn {
                session: session(Access::Session("tok".into())),
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
        let mail = MailSent::Verification {
            email: "a@example.com".into(),
        };
        let sent = reduce(signup.clone(), Action::MailSent(mail.clone()));
        assert_eq!(sent.panel, Panel::MailSent(mail));
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
        let logged_in = Some(session(Access::Session("s".into())));
        assert_eq!(
            reduce(State::default(), Action::Loaded(loaded(logged_in))).panel,
            Panel::Start
        );
    }

    #[test]
    fn secrets_never_print() {
        assert!(!format!("{:?}", creds()).contains("S3cret"));
        let keypair = Access::Keypair {
            secret_key: "SECRETKEY".into(),
        };
        assert!(!format!("{keypair:?}").contains("SECRETKEY"));
        let setup = TotpSetup {
            first_login: Some(FirstLogin {
                token: "REGTOKEN".into(),
                proof: password(),
            }),
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
        let panel = format!("{:?}", Panel::TotpSetup(setup));
        assert!(!panel.contains("REGTOKEN") && !panel.contains("S3cret"));
    }
}

//! The popup's effects: they talk to the endpoint, to storage and to the
//! browser, then dispatch what happened to the reducer. The reducer never
//! calls back here: each effect finishes its own work before it reports.

use baigate_shared::cloud::SignupRequest;
use baigate_shared::totp::ReauthRequest;
use baigate_shared::webserver::{AccountInfo, LoginRequest, SESSION_HEADER};
use serde::Deserialize;
use yew::UseReducerHandle;

use crate::client::{self, ExtendOutcome, MailRequest};
use crate::messages::{SsoServer, WorkerMessage};
use crate::notice::Notice;
use crate::platform::clock::{now_ms, parse_time};
use crate::platform::net::{self, NetError};
use crate::platform::permissions::{self, Grant};
use crate::platform::storage::{self, Area};
use crate::platform::{runtime, tabs};
use crate::profiles::{self, Profile};
use crate::protocol::{self, FormRefusal, Health, KeypairCheck, LoginOutcome};
use crate::sso::{SsoRefusal, SsoReport, SsoResult, SsoVendor};
use crate::state::{Access, Action, Credentials, Loaded, MailSent, Proof, Session, State};
use crate::stored::{
    DEFAULT_ENDPOINT, ENDPOINT_KEY, PINNED_KEY, PROFILES_KEY, SSO_REPORT_KEY, StoredKeypair,
    keypair_key, session_key,
};
use crate::text::Text;

pub type Handle = UseReducerHandle<State>;

/// The endpoint the build pinned, if any.
async fn build_pin() -> Option<String> {
    #[derive(Deserialize)]
    struct Settings {
        pinned_endpoint: Option<String>,
    }
    // Written by `scripts/build-extension.sh` when BAIGATE_PINNED_ENDPOINT is set.
    let reply = net::send("GET", "settings.json", None, None).await.ok()?;
    let settings: Settings = serde_json::from_str(&reply.body).ok()?;
    protocol::normalize_endpoint(&settings.pinned_endpoint?)
}

/// The endpoint an administrator pinned by policy, if any. Right after the
/// browser starts, managed storage can take seconds to answer: the popup
/// does not wait for it, but keeps the endpoint locked until it has.
async fn policy_pin(state: Handle) {
    let pinned = storage::managed_text(PINNED_KEY)
        .await
        .and_then(|managed| protocol::normalize_endpoint(&managed));
    state.dispatch(Action::PolicyPin(pinned));
}

/// Reads storage, the pinned endpoint, a remembered session (checked live)
/// and an invitation link in the current tab.
pub async fn load(state: Handle) {
    wasm_bindgen_futures::spawn_local(policy_pin(state.clone()));
    let pinned = build_pin().await;
    let endpoint = match &pinned {
        Some(endpoint) => endpoint.clone(),
        None => storage::get(Area::Local, ENDPOINT_KEY)
            .await
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned()),
    };
    let profiles: Vec<Profile> = storage::get(Area::Local, PROFILES_KEY)
        .await
        .unwrap_or_default();
    let mut notice = None;
    let mut session = None;
    if let Some(keypair) =
        storage::get::<StoredKeypair>(Area::Session, &keypair_key(&endpoint)).await
    {
        session = Some(Session::keypair(keypair));
    } else if let Some(id) = storage::get::<String>(Area::Session, &session_key(&endpoint)).await {
        match client::login_check(&endpoint, &id).await {
            Ok(Some(check)) => {
                let expires_ms = check.expires.as_deref().and_then(parse_time);
                // The name last typed here is the one logged in with.
                let name = profiles::find(&profiles, &endpoint).and_then(|p| p.username.clone());
                session =
                    Some(Session::new(Access::Session(id), check.account, expires_ms).named(name));
            }
            Ok(None) => {
                storage::remove(Area::Session, &session_key(&endpoint)).await;
                notice = Some(Notice::error(Text::ErrorSessionEnded));
            }
            // Offline or unreachable: show the form; the health pill says why.
            Err(_) => {}
        }
    }
    // An invitation link open in the tab: sign up there, with its token.
    let mut invitation = None;
    let mut endpoint = endpoint;
    if session.is_none()
        && let Some(url) = tabs::active_tab_url().await
        && url.contains("token=")
        && let (Some(token), Some(origin)) = (
            protocol::invitation_token(&url),
            protocol::link_origin(&url),
        )
        && (pinned.is_none() || pinned.as_deref() == Some(origin.as_str()))
    {
        invitation = Some(token);
        endpoint = origin;
    }
    let logged_in = session.as_ref().and_then(|s| s.id().map(str::to_owned));
    state.dispatch(Action::Loaded(Loaded {
        endpoint: endpoint.clone(),
        pinned: pinned.clone(),
        profiles,
        session,
        notice,
        invitation,
    }));
    // A single sign-on that ended while the popup was closed: its next step
    // or its message (a session it made was found above).
    if let Some(report) = storage::get::<SsoReport>(Area::Session, SSO_REPORT_KEY).await {
        storage::remove(Area::Session, SSO_REPORT_KEY).await;
        if logged_in.is_none() && report.result != SsoResult::LoggedIn {
            show_sso_report(state.clone(), &endpoint, report).await;
        }
    }
    if let Some(id) = logged_in {
        load_account(state, endpoint, id).await;
    }
}

/// Checks what the endpoint is (for the health pill), then what it offers.
pub async fn check_health(state: Handle, endpoint: String) {
    let url = protocol::normalize_endpoint(&endpoint);
    let health = match &url {
        Some(url) => match client::probe(url).await {
            // Maybe only because the browser blocks the address for now.
            Health::Unreachable => match protocol::access_pattern(url) {
                Some(pattern) if !permissions::granted(&pattern).await => Health::NeedsAccess,
                _ => Health::Unreachable,
            },
            health => health,
        },
        None => Health::InvalidAddress,
    };
    let usable = matches!(health, Health::Companion(_) | Health::BackendAi(_));
    state.dispatch(Action::HealthChecked {
        endpoint: endpoint.clone(),
        health,
    });
    if let (true, Some(url)) = (usable, url) {
        let mut info = client::endpoint_info(&url).await;
        // Keyed by what the user typed, as the state compares.
        info.endpoint = endpoint;
        state.dispatch(Action::InfoLoaded(info));
    }
}

/// The companion's summary and the 2FA status, when the endpoint has them.
async fn load_account(state: Handle, endpoint: String, session: String) {
    if let Ok(Some(summary)) = client::summary(&endpoint, &session).await {
        state.dispatch(Action::SummaryLoaded(summary));
    } else if let Some(enabled) = client::totp_status(&endpoint, &session).await {
        state.dispatch(Action::TotpStatus(enabled));
    }
}

/// Remembers a new endpoint (when it is one).
pub async fn save_endpoint(endpoint: String) {
    if protocol::normalize_endpoint(&endpoint).is_some() {
        storage::set(Area::Local, ENDPOINT_KEY, &endpoint).await;
        session_changed();
    }
}

/// Tells the service worker, without waiting for it, that a session or the
/// endpoint in use changed: it redraws the badge and resets its alarms.
fn session_changed() {
    wasm_bindgen_futures::spawn_local(async {
        runtime::tell_worker(WorkerMessage::SessionChanged).await;
    });
}

/// Writes the endpoint profiles; then the service worker hears of it, so it
/// registers the sidebar script on a new endpoint's pages.
pub async fn save_profiles(profiles: Vec<Profile>) {
    storage::set(Area::Local, PROFILES_KEY, &profiles).await;
    runtime::tell_worker(WorkerMessage::SessionChanged).await;
}

/// The endpoint in use, or a notice saying it is not one.
fn endpoint_of(state: &Handle) -> Option<String> {
    let endpoint = protocol::normalize_endpoint(&state.endpoint);
    if endpoint.is_none() {
        state.dispatch(Action::Notice(Notice::error(Text::HealthInvalid)));
    }
    endpoint
}

/// Waits for the host permission the click asked for.
async fn access_granted(state: &Handle, grant: Grant) -> bool {
    if grant.granted().await {
        return true;
    }
    state.dispatch(Action::Notice(Notice::error_with(
        Text::ErrorAccessDenied,
        state.endpoint.clone(),
    )));
    false
}

/// Asks for the endpoint's host permission; call it inside the click.
pub fn request_access(state: &State) -> Grant {
    let pattern =
        protocol::normalize_endpoint(&state.endpoint).and_then(|e| protocol::access_pattern(&e));
    permissions::request(pattern)
}

/// Remembers the endpoint logged in to (its profile follows from the state).
async fn remember_endpoint(endpoint: &str) {
    storage::set(Area::Local, ENDPOINT_KEY, endpoint).await;
}

/// The first login step, from the form: waits for the permission the click
/// asked for, then sends the password.
pub async fn login_with_access(state: Handle, credentials: Credentials, grant: Grant) {
    if access_granted(&state, grant).await {
        login(state, Proof::Password(credentials), None, false, None).await;
    }
}

/// One login step: the password or a single sign-on's token (and `otp` /
/// `force`, with the session to end, for the second steps).
pub async fn login(
    state: Handle,
    proof: Proof,
    otp: Option<String>,
    force: bool,
    end_session: Option<String>,
) {
    let Some(endpoint) = endpoint_of(&state) else {
        return;
    };
    state.dispatch(Action::Submitted);
    let code_sent = otp.is_some();
    let answer = match &proof {
        Proof::Password(credentials) => {
            let request = LoginRequest {
                username: Some(credentials.username.clone()),
                password: Some(credentials.password.clone()),
                otp,
                force: force.then_some(true),
                end_session: end_session.filter(|_| force),
                ..LoginRequest::default()
            };
            client::login(&endpoint, &request).await
        }
        Proof::Token(token) => {
            client::token_login(&endpoint, token, otp, force, end_session.filter(|_| force)).await
        }
    };
    let (session_id, account, email) = match answer {
        Ok(LoginOutcome::LoggedIn {
            session_id,
            account,
            email,
        }) => (session_id, account, email),
        Ok(LoginOutcome::NotLoggedIn(why)) => {
            return answered_login(&state, proof, code_sent, Ok(why));
        }
        Err(error) => return answered_login(&state, proof, code_sent, Err(error)),
    };
    // The session id travels in the session header; without it the popup
    // cannot act for the session.
    let Some(id) = session_id else {
        state.dispatch(Action::Notice(Notice::error_with(
            Text::ErrorOther,
            SESSION_HEADER,
        )));
        return;
    };
    storage::set(Area::Session, &session_key(&endpoint), &id).await;
    remember_endpoint(&endpoint).await;
    session_changed();
    let username = match proof {
        Proof::Password(credentials) => Some(credentials.username),
        Proof::Token(_) => None,
    };
    let name = email.or_else(|| username.clone());
    show_session(state, endpoint, id, account, name, username).await;
}

/// The start panel for a session just made (its end asked of the endpoint),
/// then what the endpoint tells of the account.
async fn show_session(
    state: Handle,
    endpoint: String,
    id: String,
    account: AccountInfo,
    name: Option<String>,
    username: Option<String>,
) {
    let expires_ms = match client::login_check(&endpoint, &id).await {
        Ok(Some(check)) => check.expires.as_deref().and_then(parse_time),
        _ => None,
    };
    state.dispatch(Action::LoggedIn {
        session: Session::new(Access::Session(id.clone()), account, expires_ms).named(name),
        username,
    });
    load_account(state, endpoint, id).await;
}

/// "Login with <realm>" or "Login with SAML": waits for the permission the
/// click asked for, then has the service worker run the single sign-on
/// (this popup closes when the sign-in window takes the focus), and shows
/// how it ended.
pub async fn single_sign_on(state: Handle, grant: Grant, vendor: SsoVendor) {
    if !access_granted(&state, grant).await {
        return;
    }
    let Some(endpoint) = endpoint_of(&state) else {
        return;
    };
    // A companion binds the token to this extension; a Backend.AI
    // webserver's plugin sends it to the webserver's own origin only.
    let server = match state.health {
        Health::Companion(_) => SsoServer::Companion,
        _ => SsoServer::Webserver,
    };
    state.dispatch(Action::Submitted);
    let message = WorkerMessage::SingleSignOn {
        endpoint: endpoint.clone(),
        server,
        vendor,
    };
    let report = runtime::tell_worker(message)
        .await
        .and_then(runtime::read_message::<SsoReport>);
    match report {
        Some(report) => {
            // Seen here: not again by the next popup.
            storage::remove(Area::Session, SSO_REPORT_KEY).await;
            show_sso_report(state, &endpoint, report).await;
        }
        None => state.dispatch(Action::Notice(Notice::error(Text::SsoNotStarted))),
    }
}

/// Shows how a single sign-on on `endpoint` ended: the start panel, the
/// next step with the token (a code, 2FA setup, ending another session),
/// or why not. A report for another endpoint, or one whose token has
/// expired, is not shown.
async fn show_sso_report(state: Handle, endpoint: &str, report: SsoReport) {
    if report.endpoint != endpoint || !report.fresh(now_ms()) {
        state.dispatch(Action::Idle);
        return;
    }
    let notice = match report.result {
        SsoResult::LoggedIn => return show_stored_session(state, report.endpoint).await,
        SsoResult::NextStep { proof, step } => {
            state.dispatch(Action::Answered {
                proof: Proof::Token(proof),
                code_sent: false,
                outcome: Ok(step),
                now_ms: report.finished_ms,
            });
            return;
        }
        SsoResult::Refused { code } => Notice::sso_refused(&SsoRefusal::from_code(&code)),
        // The user's own choice: not an error.
        SsoResult::WindowClosed => Notice::info(Text::SsoWindowClosed),
        SsoResult::NoAnswer { error } => Notice::network(error, endpoint),
        SsoResult::Busy => Notice::error(Text::SsoBusy),
        SsoResult::NotStarted => Notice::error(Text::SsoNotStarted),
    };
    state.dispatch(Action::Notice(notice));
}

/// The start panel for the session the service worker stored.
async fn show_stored_session(state: Handle, endpoint: String) {
    let Some(id) = storage::get::<String>(Area::Session, &session_key(&endpoint)).await else {
        state.dispatch(Action::Notice(Notice::error(Text::ErrorSessionEnded)));
        return;
    };
    match client::login_check(&endpoint, &id).await {
        Ok(Some(check)) => {
            let expires_ms = check.expires.as_deref().and_then(parse_time);
            state.dispatch(Action::LoggedIn {
                session: Session::new(Access::Session(id.clone()), check.account, expires_ms),
                username: None,
            });
            load_account(state, endpoint, id).await;
        }
        Ok(None) => ended(state, &endpoint).await,
        Err(error) => state.dispatch(Action::Notice(Notice::network(error, &endpoint))),
    }
}

/// A login answer that did not log in: the reducer shows what comes next.
fn answered_login(
    state: &Handle,
    proof: Proof,
    code_sent: bool,
    outcome: Result<protocol::NotLoggedIn, NetError>,
) {
    state.dispatch(Action::Answered {
        proof,
        code_sent,
        outcome,
        now_ms: now_ms(),
    });
}

/// API mode: checks the keypair with a signed request, then keeps it for
/// this browser session only.
pub async fn login_with_keypair(
    state: Handle,
    access_key: String,
    secret_key: String,
    grant: Grant,
) {
    if !access_granted(&state, grant).await {
        return;
    }
    let Some(endpoint) = endpoint_of(&state) else {
        return;
    };
    state.dispatch(Action::Submitted);
    let notice = match client::check_keypair(&endpoint, &access_key, &secret_key).await {
        Ok(KeypairCheck::Valid { role }) => {
            let keypair = StoredKeypair {
                access_key,
                secret_key,
                role,
            };
            storage::set(Area::Session, &keypair_key(&endpoint), &keypair).await;
            remember_endpoint(&endpoint).await;
            session_changed();
            state.dispatch(Action::LoggedIn {
                session: Session::keypair(keypair),
                username: None,
            });
            return;
        }
        Ok(KeypairCheck::Mismatch) => Notice::error(Text::ErrorKeypairMismatch),
        Ok(KeypairCheck::ClockSkew) => Notice::error(Text::ErrorClockSkew),
        Ok(KeypairCheck::Refused(refusal)) => Notice::form_refused(&refusal),
        Err(error) => Notice::network(error, &endpoint),
    };
    state.dispatch(Action::Notice(notice));
}

/// A refusal that belongs to a field is shown there by the form; any
/// other is the form's notice.
fn show_refusal(state: &Handle, refusal: &FormRefusal) {
    if refusal.field.is_some() {
        state.dispatch(Action::Idle);
    } else {
        state.dispatch(Action::Notice(Notice::form_refused(refusal)));
    }
}

/// A form's request: the answer, or a notice already shown for a network
/// failure (the form keeps its fields).
async fn answered<T>(
    state: &Handle,
    endpoint: &str,
    answer: client::Answer<T>,
) -> Option<Result<T, FormRefusal>> {
    match answer {
        Ok(result) => Some(result),
        Err(error) => {
            state.dispatch(Action::Notice(Notice::network(error, endpoint)));
            None
        }
    }
}

/// Signs up; a refusal comes back for the form to show by its field.
pub async fn signup(
    state: Handle,
    request: SignupRequest,
    grant: Grant,
) -> Result<(), FormRefusal> {
    if !access_granted(&state, grant).await {
        return Ok(());
    }
    let Some(endpoint) = endpoint_of(&state) else {
        return Ok(());
    };
    state.dispatch(Action::Submitted);
    let Some(result) = answered(&state, &endpoint, client::signup(&endpoint, &request).await).await
    else {
        return Ok(());
    };
    let response = result.inspect_err(|refusal| show_refusal(&state, refusal))?;
    let email = request.email.unwrap_or_default();
    let waits_for_mail = response.verification.is_some()
        || response.status.as_deref().is_some_and(|s| s != "active");
    if waits_for_mail {
        state.dispatch(Action::MailSent(MailSent::Verification { email }));
    } else {
        state.dispatch(Action::SignedUp { username: email });
    }
    Ok(())
}

/// Asks for a password-change mail.
pub async fn forgot_password(
    state: Handle,
    email: String,
    grant: Grant,
) -> Result<(), FormRefusal> {
    if !access_granted(&state, grant).await {
        return Ok(());
    }
    let Some(endpoint) = endpoint_of(&state) else {
        return Ok(());
    };
    state.dispatch(Action::Submitted);
    let answer = client::send_mail(&endpoint, MailRequest::PasswordChange, &email).await;
    let Some(result) = answered(&state, &endpoint, answer).await else {
        return Ok(());
    };
    result.inspect_err(|refusal| show_refusal(&state, refusal))?;
    state.dispatch(Action::MailSent(MailSent::PasswordChange));
    Ok(())
}

/// Sends the address-confirmation link again.
pub async fn resend_verification(state: Handle, email: String) {
    let Some(endpoint) = endpoint_of(&state) else {
        return;
    };
    state.dispatch(Action::Submitted);
    let answer = client::send_mail(&endpoint, MailRequest::Verification, &email).await;
    match answered(&state, &endpoint, answer).await {
        Some(Ok(())) => state.dispatch(Action::Notice(Notice::info(Text::VerificationResent))),
        Some(Err(refusal)) => state.dispatch(Action::Notice(Notice::form_refused(&refusal))),
        None => {}
    }
}

/// The session id of the logged-in session, if any.
fn session_id(state: &State) -> Option<String> {
    state.session_id().map(str::to_owned)
}

/// Fetches the secret to register: with the registration token at first
/// login, for the logged-in session otherwise.
pub async fn totp_enrol(state: Handle, registration: Option<String>) {
    let Some(endpoint) = endpoint_of(&state) else {
        return;
    };
    let session = session_id(&state);
    let answer = client::totp_enrol(&endpoint, session.as_deref(), registration.as_deref()).await;
    match answered(&state, &endpoint, answer).await {
        Some(Ok(enrolment)) => state.dispatch(Action::TotpEnrolment(enrolment)),
        Some(Err(refusal)) => state.dispatch(Action::Notice(Notice::form_refused(&refusal))),
        None => {}
    }
}

/// Confirms the setup with a code from the authenticator.
pub async fn totp_confirm(
    state: Handle,
    registration: Option<String>,
    code: String,
) -> Result<(), FormRefusal> {
    let Some(endpoint) = endpoint_of(&state) else {
        return Ok(());
    };
    state.dispatch(Action::Submitted);
    let session = session_id(&state);
    let answer = client::totp_confirm(
        &endpoint,
        session.as_deref(),
        registration.as_deref(),
        &code,
    )
    .await;
    match answered(&state, &endpoint, answer).await {
        Some(Ok(codes)) => {
            // An endpoint without recovery codes has nothing more to show.
            let none = codes.is_empty();
            state.dispatch(Action::TotpConfirmed(codes));
            if none {
                state.dispatch(Action::TotpSetupDone);
            }
            Ok(())
        }
        Some(Err(refusal)) => {
            show_refusal(&state, &refusal);
            Err(refusal)
        }
        None => Ok(()),
    }
}

/// Turns 2FA off with a current code or the password.
pub async fn totp_disable(state: Handle, proof: ReauthRequest) {
    let (Some(endpoint), Some(session)) = (endpoint_of(&state), session_id(&state)) else {
        return;
    };
    state.dispatch(Action::Submitted);
    match answered(
        &state,
        &endpoint,
        client::totp_disable(&endpoint, &session, proof).await,
    )
    .await
    {
        Some(Ok(())) => {
            state.dispatch(Action::TotpDisabled);
            load_account(state, endpoint, session).await;
        }
        Some(Err(refusal)) => state.dispatch(Action::Notice(Notice::form_refused(&refusal))),
        None => {}
    }
}

/// Extends the session.
pub async fn extend(state: Handle) {
    let (Some(endpoint), Some(session)) = (endpoint_of(&state), session_id(&state)) else {
        return;
    };
    state.dispatch(Action::Submitted);
    match client::extend(&endpoint, &session).await {
        Ok(ExtendOutcome::Extended(expires)) => match parse_time(&expires) {
            Some(expires_ms) => {
                state.dispatch(Action::Extended { expires_ms });
                session_changed();
            }
            None => state.dispatch(Action::Notice(Notice::error(Text::ExtendUnsupported))),
        },
        Ok(ExtendOutcome::Ended) => ended(state, &endpoint).await,
        Ok(ExtendOutcome::Unsupported) => {
            state.dispatch(Action::Notice(Notice::error(Text::ExtendUnsupported)))
        }
        Err(error) => state.dispatch(Action::Notice(Notice::network(error, &endpoint))),
    }
}

/// The session ended on the server's side: forget it.
pub async fn ended(state: Handle, endpoint: &str) {
    storage::remove(Area::Session, &session_key(endpoint)).await;
    session_changed();
    state.dispatch(Action::SessionEnded(Some(Notice::error(
        Text::ErrorSessionEnded,
    ))));
}

/// Checks the session is still live (it may have ended elsewhere, or been
/// extended), then reads the summary again.
pub async fn refresh(state: Handle) {
    let (Some(endpoint), Some(session)) = (
        protocol::normalize_endpoint(&state.endpoint),
        session_id(&state),
    ) else {
        return;
    };
    match client::login_check(&endpoint, &session).await {
        Ok(None) => ended(state, &endpoint).await,
        Ok(Some(check)) => {
            if let Some(expires_ms) = check.expires.as_deref().and_then(parse_time) {
                state.dispatch(Action::Refreshed { expires_ms });
            }
            load_account(state, endpoint, session).await;
        }
        // Unreachable for a moment: keep showing what is known.
        Err(NetError::Offline | NetError::Unreachable) => {}
    }
}

/// Logs out (session mode) or forgets the keys (API mode).
pub async fn logout(state: Handle) {
    let Some(endpoint) = protocol::normalize_endpoint(&state.endpoint) else {
        return;
    };
    state.dispatch(Action::Submitted);
    if let Some(session) = session_id(&state) {
        // Forget it whatever the server says: the user asked to be logged out.
        let _ = client::logout(&endpoint, &session).await;
    }
    storage::remove(Area::Session, &session_key(&endpoint)).await;
    storage::remove(Area::Session, &keypair_key(&endpoint)).await;
    session_changed();
    state.dispatch(Action::SessionEnded(None));
}

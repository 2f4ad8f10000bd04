//! Two-factor authentication with TOTP (RFC 6238: SHA-1, 6 digits, 30 s,
//! one step of skew either way), single-use recovery codes, and first-login
//! registration.
//!
//! A code is accepted once: the last accepted time step is stored, and only
//! a later step is taken, by one conditional update (of two logins racing
//! with one code, exactly one wins). The code that confirmed enrolment is
//! such a step too, so it cannot then log in. Wrong codes have their own
//! lockout counter, apart from passwords.

use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

use super::auth::{LiveSession, LoginRefusal};
use super::lockout::{Admission, admit, release};
use super::tokens::{is_url_token_shaped, new_url_token, random_bytes, token_hash};
use super::{Domain, DomainError};
use crate::clock::UnixTime;
use crate::model::{AuditEvent, AuditKind, ClientInfo, User};
use crate::store::totp::{BeginOutcome, RegistrationState};

pub const DIGITS: usize = 6;
pub const STEP_SECONDS: i64 = 30;
const SECRET_BYTES: usize = 20;
/// How long a first-login registration token works.
pub const REGISTRATION_LIFETIME: i64 = 5 * 60;
pub const RECOVERY_CODE_COUNT: usize = 10;
/// Characters of a recovery code (base32: 5 bits each, 80 bits in all).
const RECOVERY_CODE_CHARS: usize = 16;
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A new secret to show: the key to type in and the URI to scan.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub key: String,
    pub uri: String,
    /// The URI as a QR code, SVG.
    pub qr_svg: String,
}

/// Why a one-time code was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpRefusal {
    /// Wrong, malformed, or already used.
    Invalid,
    /// Too many wrong codes in a row.
    Locked { retry_after: i64 },
}

#[derive(Debug, thiserror::Error)]
pub enum TotpError {
    #[error("two-factor authentication is already on")]
    AlreadyActive,
    #[error("two-factor authentication is not on")]
    NotActive,
    #[error("no enrolment was started")]
    NotStarted,
    #[error("the registration token has expired")]
    ExpiredToken,
    #[error("the registration token is not valid")]
    InvalidToken,
    #[error("the code is not valid")]
    InvalidCode,
    #[error("too many wrong codes; try again in {retry_after} seconds")]
    Locked { retry_after: i64 },
    #[error("the password is not right")]
    WrongPassword,
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<OtpRefusal> for TotpError {
    fn from(refusal: OtpRefusal) -> Self {
        match refusal {
            OtpRefusal::Invalid => Self::InvalidCode,
            OtpRefusal::Locked { retry_after } => Self::Locked { retry_after },
        }
    }
}

fn totp(secret: &[u8], account: &str, issuer: &str) -> Result<TOTP, DomainError> {
    // The otpauth label may not contain ':'; account names never do, but be safe.
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        1,
        u64::try_from(STEP_SECONDS).unwrap_or(30),
        secret.to_vec(),
        Some(issuer.replace(':', " ")),
        account.replace(':', " "),
    )
    .map_err(|e| DomainError::Internal(format!("TOTP setup failed: {e}")))
}

/// The code for a time step.
pub fn code_for_step(secret: &[u8], step: i64) -> Result<String, DomainError> {
    let totp = totp(secret, "x", "x")?;
    Ok(totp.generate(u64::try_from(step * STEP_SECONDS).unwrap_or(0)))
}

/// The time step within one step of `now` whose code this is, comparing in
/// constant time. A code that is not six ASCII digits never matches.
pub fn matching_step(secret: &[u8], code: &str, now: UnixTime) -> Result<Option<i64>, DomainError> {
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let current = now.div_euclid(STEP_SECONDS);
    let mut found = None;
    for step in current - 1..=current + 1 {
        let expected = code_for_step(secret, step)?;
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) && found.is_none() {
            found = Some(step);
        }
    }
    Ok(found)
}

/// What the user typed, without spaces (and without hyphens for recovery codes).
fn compact(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whether typed text has the shape of a recovery code.
fn recovery_form(code: &str) -> Option<String> {
    let letters: String = compact(code)
        .chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (letters.len() == RECOVERY_CODE_CHARS && letters.bytes().all(|b| BASE32.contains(&b)))
        .then_some(letters)
}

fn new_recovery_code() -> Result<String, DomainError> {
    let mut code = String::with_capacity(RECOVERY_CODE_CHARS + 3);
    for (i, byte) in random_bytes::<RECOVERY_CODE_CHARS>()?.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        code.push(char::from(BASE32[usize::from(byte % 32)]));
    }
    Ok(code)
}

fn otp_key(user: &User) -> String {
    format!("otp:user:{}", user.id)
}

fn event(
    kind: AuditKind,
    at: UnixTime,
    user_id: i64,
    client: ClientInfo,
    detail: &str,
) -> AuditEvent {
    AuditEvent {
        at,
        kind,
        user_id: Some(user_id),
        identifier: None,
        client,
        detail: Some(detail.to_owned()),
    }
}

impl Domain {
    fn totp_context(&self, user: &User) -> Vec<u8> {
        format!("totp:{}", user.uuid).into_bytes()
    }

    /// Whether the account has confirmed 2FA.
    pub async fn totp_enabled(&self, user: &User) -> Result<bool, DomainError> {
        Ok(self
            .store
            .totp_credential(user.id)
            .await?
            .is_some_and(|c| c.confirmed))
    }

    /// Starts (or shows again) an enrolment: a secret not yet confirmed.
    async fn begin_enrolment(&self, user: &User) -> Result<Enrolment, TotpError> {
        let context = self.totp_context(user);
        let fresh = random_bytes::<SECRET_BYTES>()?;
        let sealed = self.keys.seal(&fresh, &context)?;
        let secret = match self
            .store
            .begin_totp(user.id, sealed, self.now())
            .await
            .map_err(DomainError::from)?
        {
            BeginOutcome::Started => fresh.to_vec(),
            // Reloading the setup page shows the secret already scanned.
            BeginOutcome::Pending(sealed) => self.keys.open(&sealed, &context)?,
            BeginOutcome::AlreadyActive => return Err(TotpError::AlreadyActive),
        };
        let totp = totp(&secret, &user.email, &self.totp_issuer)?;
        let uri = totp.get_url();
        let qr_svg = qrcode::QrCode::new(uri.as_bytes())
            .map_err(|e| DomainError::Internal(format!("QR code failed: {e}")))?
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build();
        Ok(Enrolment {
            key: totp.get_secret_base32(),
            uri,
            qr_svg,
        })
    }

    /// Confirms an enrolment with a code from the authenticator; returns the
    /// new recovery codes (shown once).
    async fn confirm_enrolment(
        &self,
        user: &User,
        code: &str,
        registration: Option<[u8; 32]>,
        client: ClientInfo,
    ) -> Result<Vec<String>, TotpError> {
        let credential = self
            .store
            .totp_credential(user.id)
            .await
            .map_err(DomainError::from)?
            .ok_or(TotpError::NotStarted)?;
        if credential.confirmed {
            return Err(TotpError::AlreadyActive);
        }
        let secret = self
            .keys
            .open(&credential.secret_sealed, &self.totp_context(user))?;
        self.admit_otp(user).await??;
        let Some(step) = matching_step(&secret, &compact(code), self.now())? else {
            self.otp_failed(user, &client, "wrong code at enrolment")
                .await?;
            return Err(TotpError::InvalidCode);
        };
        self.release_otp(user).await?;
        let (codes, hashes) = self.new_recovery_codes()?;
        let now = self.now();
        let confirmed = self
            .store
            .confirm_totp(
                user.id,
                step,
                hashes,
                registration,
                now,
                event(
                    AuditKind::TotpEnrolled,
                    now,
                    user.id,
                    client,
                    "two-factor authentication on",
                ),
            )
            .await
            .map_err(DomainError::from)?;
        if !confirmed {
            return Err(TotpError::InvalidToken);
        }
        tracing::info!(user = %user.uuid, "two-factor authentication on");
        Ok(codes)
    }

    fn new_recovery_codes(&self) -> Result<(Vec<String>, Vec<[u8; 32]>), DomainError> {
        let mut codes = Vec::with_capacity(RECOVERY_CODE_COUNT);
        let mut hashes = Vec::with_capacity(RECOVERY_CODE_COUNT);
        for _ in 0..RECOVERY_CODE_COUNT {
            let code = new_recovery_code()?;
            let normalized = recovery_form(&code).unwrap_or_default();
            hashes.push(self.keys.mac(normalized.as_bytes())?);
            codes.push(code);
        }
        Ok((codes, hashes))
    }

    /// Counts a one-time-code attempt against the account's own lockout
    /// counter (apart from passwords); refuses while it is locked.
    async fn admit_otp(&self, user: &User) -> Result<Result<(), OtpRefusal>, DomainError> {
        let now = self.now();
        let policy = self.lockout;
        let admission = self
            .store
            .update_guard(otp_key(user), Some(user.id), now, move |state| {
                admit(state, now, &policy)
            })
            .await?;
        Ok(match admission {
            Admission::Locked { retry_after } => Err(OtpRefusal::Locked { retry_after }),
            Admission::Disabled => Err(OtpRefusal::Locked {
                retry_after: policy.duration,
            }),
            Admission::Admitted { .. } => Ok(()),
        })
    }

    /// A right code clears the counter.
    async fn release_otp(&self, user: &User) -> Result<(), DomainError> {
        self.store
            .update_guard(otp_key(user), Some(user.id), self.now(), |state| {
                (release(state), ())
            })
            .await?;
        Ok(())
    }

    async fn otp_failed(
        &self,
        user: &User,
        client: &ClientInfo,
        detail: &str,
    ) -> Result<(), DomainError> {
        tracing::info!(user = %user.uuid, detail, "one-time code refused");
        self.store
            .record(event(
                AuditKind::OtpFailed,
                self.now(),
                user.id,
                client.clone(),
                detail,
            ))
            .await?;
        Ok(())
    }

    /// At login: checks a six-digit code (each step once) or a recovery code
    /// (each once) for an account with 2FA on.
    pub(crate) async fn check_login_otp(
        &self,
        user: &User,
        code: &str,
        client: &ClientInfo,
    ) -> Result<Result<(), OtpRefusal>, DomainError> {
        let Some(credential) = self.store.totp_credential(user.id).await? else {
            return Ok(Err(OtpRefusal::Invalid));
        };
        if let Some(recovery) = recovery_form(code) {
            return self.use_recovery_code(user, &recovery, client).await;
        }
        let secret = self
            .keys
            .open(&credential.secret_sealed, &self.totp_context(user))?;
        if let Err(refusal) = self.admit_otp(user).await? {
            return Ok(Err(refusal));
        }
        let Some(step) = matching_step(&secret, &compact(code), self.now())? else {
            self.otp_failed(user, client, "wrong one-time code").await?;
            return Ok(Err(OtpRefusal::Invalid));
        };
        // Only a step later than the last one accepted: replays lose here.
        if !self.store.accept_totp_step(user.id, step).await? {
            self.otp_failed(user, client, "one-time code used before")
                .await?;
            return Ok(Err(OtpRefusal::Invalid));
        }
        self.release_otp(user).await?;
        Ok(Ok(()))
    }

    async fn use_recovery_code(
        &self,
        user: &User,
        normalized: &str,
        client: &ClientInfo,
    ) -> Result<Result<(), OtpRefusal>, DomainError> {
        let hash = self.keys.mac(normalized.as_bytes())?;
        if let Err(refusal) = self.admit_otp(user).await? {
            return Ok(Err(refusal));
        }
        let now = self.now();
        let used = event(
            AuditKind::RecoveryCodeUsed,
            now,
            user.id,
            client.clone(),
            "recovery code used",
        );
        if !self
            .store
            .use_recovery_code(user.id, hash, now, used)
            .await?
        {
            self.otp_failed(user, client, "wrong recovery code").await?;
            return Ok(Err(OtpRefusal::Invalid));
        }
        self.release_otp(user).await?;
        tracing::info!(user = %user.uuid, "recovery code used");
        Ok(Ok(()))
    }

    /// At login for an account without 2FA when it is required: a token that
    /// lets it register (256-bit, stored hashed, five minutes, single use).
    pub(crate) async fn issue_registration(&self, user: &User) -> Result<String, DomainError> {
        let (token, hash) = new_url_token()?;
        let now = self.now();
        self.store
            .issue_registration(user.id, hash, now, now + REGISTRATION_LIFETIME)
            .await?;
        Ok(token)
    }

    async fn registration_user(&self, token: &str) -> Result<(User, [u8; 32]), TotpError> {
        if !is_url_token_shaped(token) {
            return Err(TotpError::InvalidToken);
        }
        let hash = token_hash(token);
        match self
            .store
            .registration_state(hash, self.now())
            .await
            .map_err(DomainError::from)?
        {
            RegistrationState::Valid(user_id) => {
                let user = self
                    .store
                    .find_user_by_id(user_id)
                    .await
                    .map_err(DomainError::from)?
                    .ok_or(TotpError::InvalidToken)?;
                Ok((user, hash))
            }
            RegistrationState::Expired => Err(TotpError::ExpiredToken),
            RegistrationState::Invalid => Err(TotpError::InvalidToken),
        }
    }

    /// `/func/totp/anon`: the secret to register, with a registration token.
    pub async fn anonymous_enrolment(&self, token: &str) -> Result<Enrolment, TotpError> {
        let (user, _) = self.registration_user(token).await?;
        self.begin_enrolment(&user).await
    }

    /// `/func/totp/anon/verify`: confirms it; the token is spent.
    pub async fn anonymous_confirmation(
        &self,
        token: &str,
        code: &str,
        client: ClientInfo,
    ) -> Result<Vec<String>, TotpError> {
        let (user, hash) = self.registration_user(token).await?;
        self.confirm_enrolment(&user, code, Some(hash), client)
            .await
    }

    /// `POST /func/totp` (logged in).
    pub async fn enrolment(&self, live: &LiveSession) -> Result<Enrolment, TotpError> {
        self.begin_enrolment(&live.user).await
    }

    /// `POST /func/totp/verify` (logged in).
    pub async fn confirmation(
        &self,
        live: &LiveSession,
        code: &str,
        client: ClientInfo,
    ) -> Result<Vec<String>, TotpError> {
        self.confirm_enrolment(&live.user, code, None, client).await
    }

    /// Proves the caller is the account holder: a current code or the password.
    async fn reauthenticate(
        &self,
        live: &LiveSession,
        code: Option<&str>,
        password: Option<&str>,
        client: &ClientInfo,
        lang: crate::i18n::Lang,
    ) -> Result<(), TotpError> {
        let user = &live.user;
        if let Some(code) = code {
            return match self.check_login_otp(user, code, client).await? {
                Ok(()) => Ok(()),
                Err(refusal) => Err(refusal.into()),
            };
        }
        let Some(password) = password else {
            return Err(TotpError::WrongPassword);
        };
        match self
            .guarded_verify(Some(user), &user.username, password, client, lang)
            .await?
        {
            Ok(()) => Ok(()),
            Err(LoginRefusal::Locked { retry_after }) => Err(TotpError::Locked { retry_after }),
            Err(_) => Err(TotpError::WrongPassword),
        }
    }

    /// A new keypair for the caller, after the password (and a current code
    /// when 2FA is on).
    pub async fn rotate_own_keypair(
        &self,
        live: &LiveSession,
        password: &str,
        code: Option<&str>,
        client: ClientInfo,
        lang: crate::i18n::Lang,
    ) -> Result<(User, String), TotpError> {
        self.reauthenticate(live, None, Some(password), &client, lang)
            .await?;
        if self.totp_enabled(&live.user).await? {
            let code = code.ok_or(TotpError::InvalidCode)?;
            self.reauthenticate(live, Some(code), None, &client, lang)
                .await?;
        }
        Ok(self.rotate_keypair(&live.user, client).await?)
    }

    /// `DELETE /func/totp`: turns 2FA off, after a current code or the password.
    pub async fn disable_totp(
        &self,
        live: &LiveSession,
        code: Option<&str>,
        password: Option<&str>,
        client: ClientInfo,
        lang: crate::i18n::Lang,
    ) -> Result<(), TotpError> {
        if !self.totp_enabled(&live.user).await? {
            return Err(TotpError::NotActive);
        }
        self.reauthenticate(live, code, password, &client, lang)
            .await?;
        let now = self.now();
        self.store
            .delete_totp(
                live.user.id,
                None,
                event(
                    AuditKind::TotpDisabled,
                    now,
                    live.user.id,
                    client,
                    "turned off by the account",
                ),
            )
            .await
            .map_err(DomainError::from)?;
        tracing::info!(user = %live.user.uuid, "two-factor authentication off");
        Ok(())
    }

    /// New recovery codes replace the old ones, after a current code or the password.
    pub async fn regenerate_recovery_codes(
        &self,
        live: &LiveSession,
        code: Option<&str>,
        password: Option<&str>,
        client: ClientInfo,
        lang: crate::i18n::Lang,
    ) -> Result<Vec<String>, TotpError> {
        if !self.totp_enabled(&live.user).await? {
            return Err(TotpError::NotActive);
        }
        self.reauthenticate(live, code, password, &client, lang)
            .await?;
        let (codes, hashes) = self.new_recovery_codes()?;
        let now = self.now();
        self.store
            .replace_recovery_codes(
                live.user.id,
                hashes,
                now,
                event(
                    AuditKind::RecoveryCodesRenewed,
                    now,
                    live.user.id,
                    client,
                    "recovery codes replaced",
                ),
            )
            .await
            .map_err(DomainError::from)?;
        Ok(codes)
    }

    /// `baigate user reset-2fa`: 2FA off and every session ended, so the
    /// account holder sets it up again at the next login (if required).
    pub async fn admin_reset_totp(&self, login_name: &str) -> Result<Option<User>, DomainError> {
        let Ok(canonical) = baigate_shared::identity::canonical_identifier(login_name) else {
            return Ok(None);
        };
        let Some(user) = self.store.find_user_by_login_name(canonical).await? else {
            return Ok(None);
        };
        let now = self.now();
        let client = ClientInfo {
            ip: None,
            user_agent: Some("baigate cli".into()),
        };
        self.store
            .delete_totp(
                user.id,
                Some(()),
                event(
                    AuditKind::TotpDisabled,
                    now,
                    user.id,
                    client,
                    "reset by an administrator; all sessions ended",
                ),
            )
            .await?;
        Ok(Some(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1, truncated to six digits.
    #[test]
    fn rfc6238_vectors() {
        let secret = b"12345678901234567890";
        let cases = [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ];
        for (time, code) in cases {
            assert_eq!(
                code_for_step(secret, time / STEP_SECONDS).unwrap(),
                code,
                "{time}"
            );
        }
    }

    #[test]
    fn one_step_of_skew_either_way() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_111;
        let step = now / STEP_SECONDS;
        for offset in [-1, 0, 1] {
            let code = code_for_step(secret, step + offset).unwrap();
            assert_eq!(
                matching_step(secret, &code, now).unwrap(),
                Some(step + offset)
            );
        }
        for offset in [-2, 2] {
            let code = code_for_step(secret, step + offset).unwrap();
            assert_eq!(matching_step(secret, &code, now).unwrap(), None, "{offset}");
        }
        for malformed in ["12345", "1234567", "12 345", "١٢٣٤٥٦", "abcdef", ""] {
            assert_eq!(
                matching_step(secret, malformed, now).unwrap(),
                None,
                "{malformed}"
            );
        }
    }

    #[test]
    fn recovery_codes_have_a_shape_of_their_own() {
        let code = new_recovery_code().unwrap();
        assert_eq!(code.len(), 19);
        assert_eq!(code.matches('-').count(), 3);
        let normalized = recovery_form(&code).unwrap();
        assert_eq!(
            recovery_form(&code.to_lowercase()).as_deref(),
            Some(normalized.as_str())
        );
        assert_eq!(
            recovery_form(&code.replace('-', " ")).as_deref(),
            Some(normalized.as_str())
        );
        assert!(recovery_form("123456").is_none());
        assert!(
            recovery_form("ABCD-EFGH-IJKL-MNO1").is_none(),
            "1 is not base32"
        );
    }
}

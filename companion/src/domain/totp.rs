//! Two-factor authentication with TOTP: enrolment (logged in, or at first
//! login with a registration token when 2FA is required), single-use
//! recovery codes, turning it off, and the administrator's reset.
//!
//! A code is accepted once: the last accepted time step is stored, and only
//! a later step is taken, by one conditional update (of two logins racing
//! with one code, exactly one wins). The code that confirmed enrolment is
//! such a step too, so it cannot then log in. Checking codes, with their own
//! lockout counter, is [`super::credentials`]'s; the arithmetic is
//! [`super::otp`]'s.

use super::credentials::{OtpRefusal, ReauthError, totp_context};
use super::otp::{RECOVERY_CODE_COUNT, new_recovery_code, recovery_form, totp};
use super::sessions::LiveSession;
use super::tokens::{is_url_token_shaped, new_url_token, random_bytes, token_hash};
use super::{Domain, DomainError};
use crate::i18n::Lang;
use crate::model::{AuditEvent, AuditKind, ClientInfo, User};
use crate::store::StoreError;
use crate::store::totp::{BeginOutcome, RegistrationState};

const SECRET_BYTES: usize = 20;
/// How long a first-login registration token works.
pub const REGISTRATION_LIFETIME: i64 = 5 * 60;

/// A new secret to show: the key to type in and the URI to scan.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub key: String,
    pub uri: String,
    /// The URI as a QR code, SVG.
    pub qr_svg: String,
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
    /// The code confirming an enrolment was wrong.
    #[error("the code is not valid")]
    InvalidCode,
    #[error("too many wrong codes; try again in {retry_after} seconds")]
    Locked { retry_after: i64 },
    #[error("two-factor login is off after too many wrong codes")]
    CodesDisabled,
    /// Proving who one is, before turning 2FA off or renewing codes, failed.
    #[error(transparent)]
    Reauth(#[from] ReauthError),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<OtpRefusal> for TotpError {
    fn from(refusal: OtpRefusal) -> Self {
        match refusal {
            OtpRefusal::Invalid => Self::InvalidCode,
            OtpRefusal::Locked { retry_after } => Self::Locked { retry_after },
            OtpRefusal::Disabled => Self::CodesDisabled,
        }
    }
}

impl From<StoreError> for TotpError {
    fn from(error: StoreError) -> Self {
        Self::Domain(error.into())
    }
}

impl Domain {
    /// Starts (or shows again) an enrolment: a secret not yet confirmed.
    async fn begin_enrolment(&self, user: &User) -> Result<Enrolment, TotpError> {
        let context = totp_context(user);
        let fresh = random_bytes::<SECRET_BYTES>()?;
        let sealed = self.keys.seal(&fresh, &context)?;
        let secret = match self.store.begin_totp(user.id, sealed, self.now()).await? {
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
            .await?
            .ok_or(TotpError::NotStarted)?;
        if credential.confirmed {
            return Err(TotpError::AlreadyActive);
        }
        let secret = self
            .keys
            .open(&credential.secret_sealed, &totp_context(user))?;
        let step = self
            .check_enrolment_code(user, &secret, code, &client)
            .await??;
        let (codes, hashes) = self.new_recovery_codes()?;
        let now = self.now();
        let enrolled = AuditEvent::new(AuditKind::TotpEnrolled, now, Some(user.id), client)
            .with_detail("two-factor authentication on");
        let confirmed = self
            .store
            .confirm_totp(user.id, step, hashes, registration, now, enrolled)
            .await?;
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
        match self.store.registration_state(hash, self.now()).await? {
            RegistrationState::Valid(user_id) => {
                let user = self
                    .store
                    .find_user_by_id(user_id)
                    .await?
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

    /// `DELETE /func/totp`: turns 2FA off, after a current code or the password.
    pub async fn disable_totp(
        &self,
        live: &LiveSession,
        code: Option<&str>,
        password: Option<&str>,
        client: ClientInfo,
        lang: Lang,
    ) -> Result<(), TotpError> {
        if !self.totp_enabled(&live.user).await? {
            return Err(TotpError::NotActive);
        }
        self.reauthenticate(&live.user, code, password, &client, lang)
            .await?;
        let turned_off = AuditEvent::new(
            AuditKind::TotpDisabled,
            self.now(),
            Some(live.user.id),
            client,
        )
        .with_detail("turned off by the account");
        self.store
            .delete_totp(live.user.id, None, turned_off)
            .await?;
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
        lang: Lang,
    ) -> Result<Vec<String>, TotpError> {
        if !self.totp_enabled(&live.user).await? {
            return Err(TotpError::NotActive);
        }
        self.reauthenticate(&live.user, code, password, &client, lang)
            .await?;
        let (codes, hashes) = self.new_recovery_codes()?;
        let now = self.now();
        let renewed = AuditEvent::new(
            AuditKind::RecoveryCodesRenewed,
            now,
            Some(live.user.id),
            client,
        )
        .with_detail("recovery codes replaced");
        self.store
            .replace_recovery_codes(live.user.id, hashes, now, renewed)
            .await?;
        Ok(codes)
    }

    /// `baigate user reset-2fa`: 2FA off and every session ended, so the
    /// account holder sets it up again at the next login (if required).
    pub async fn admin_reset_totp(
        &self,
        login_name: &str,
        client: ClientInfo,
    ) -> Result<Option<User>, DomainError> {
        let Some(user) = self.find_account(login_name).await? else {
            return Ok(None);
        };
        let reset = AuditEvent::new(AuditKind::TotpDisabled, self.now(), Some(user.id), client)
            .with_detail("reset by an administrator; all sessions ended");
        self.store.delete_totp(user.id, Some(()), reset).await?;
        Ok(Some(user))
    }
}

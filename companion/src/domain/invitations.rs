//! Invitations: 256-bit tokens, stored hashed, with a use count and an
//! expiry, optionally bound to one email address.

use baigate_shared::identity::Email;

use super::tokens::{is_url_token_shaped, new_url_token, token_hash};
use super::{Domain, DomainError};
use crate::model::{AuditEvent, AuditKind, ClientInfo, Invitation, NewInvitation};

/// A new invitation and its token, which exists only in this answer.
#[derive(Debug)]
pub struct IssuedInvitation {
    pub token: String,
    pub invitation: Invitation,
    /// A page of this server where the token signs up.
    pub signup_link: String,
}

#[derive(Debug, thiserror::Error)]
pub enum InvitationError {
    #[error("--uses must be at least 1")]
    NoUses,
    #[error("--expires must be at least one minute")]
    TooShort,
    #[error("--email: {0}")]
    Email(baigate_shared::identity::IdentityError),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl Domain {
    /// Creates an invitation with `uses` uses, valid for `lifetime` seconds.
    pub async fn create_invitation(
        &self,
        uses: i64,
        lifetime: i64,
        email: Option<&str>,
    ) -> Result<IssuedInvitation, InvitationError> {
        if uses < 1 {
            return Err(InvitationError::NoUses);
        }
        if lifetime < 60 {
            return Err(InvitationError::TooShort);
        }
        let email = email
            .map(Email::parse)
            .transpose()
            .map_err(InvitationError::Email)?
            .map(|email| email.canonical);
        let (token, hash) = new_url_token()?;
        let now = self.now();
        let invitation = self
            .store
            .insert_invitation(
                NewInvitation {
                    token_hash: hash,
                    email,
                    uses,
                    created_at: now,
                    expires_at: now.saturating_add(lifetime),
                },
                AuditEvent {
                    at: now,
                    kind: AuditKind::InvitationCreated,
                    user_id: None,
                    identifier: None,
                    client: ClientInfo::default(),
                    detail: None,
                },
            )
            .await
            .map_err(DomainError::from)?;
        Ok(IssuedInvitation {
            signup_link: format!("{}/signup?token={token}", self.public_origin),
            token,
            invitation,
        })
    }

    pub async fn list_invitations(&self) -> Result<Vec<Invitation>, DomainError> {
        Ok(self.store.list_invitations().await?)
    }

    /// Revokes an invitation by id; false when there was none to revoke.
    pub async fn revoke_invitation(&self, id: i64) -> Result<bool, DomainError> {
        let now = self.now();
        Ok(self
            .store
            .revoke_invitation(
                id,
                now,
                AuditEvent {
                    at: now,
                    kind: AuditKind::InvitationRevoked,
                    user_id: None,
                    identifier: None,
                    client: ClientInfo::default(),
                    detail: None,
                },
            )
            .await?)
    }

    /// The usable invitation a token belongs to, for the signup page.
    pub async fn usable_invitation(&self, token: &str) -> Result<Option<Invitation>, DomainError> {
        if !is_url_token_shaped(token) {
            return Ok(None);
        }
        let now = self.now();
        Ok(self
            .store
            .find_invitation(token_hash(token))
            .await?
            .filter(|invitation| invitation.usable(now)))
    }
}

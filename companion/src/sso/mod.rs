//! Talking to identity providers for single sign-on: an OpenID Connect
//! relying party ([`openid`]) over an HTTP client that follows no redirects
//! and gives up quickly ([`http_client`]), and a SAML 2.0 service provider
//! (`saml`, with the `saml` feature). What a verified identity may do
//! here (which account, which token) is the domain's business
//! (`domain::sso`).

pub mod http_client;
pub mod openid;
#[cfg(feature = "saml")]
pub mod saml;

/// Who the provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The provider's issuer (OpenID) or entity id (SAML).
    pub issuer: String,
    /// The provider's stable id of the person.
    pub subject: String,
    pub email: Option<String>,
    /// Whether the provider vouches that the email address is the person's.
    pub email_verified: bool,
    pub name: Option<String>,
}

//! The SAML 2.0 service provider: the identity provider's metadata read at
//! start (its signing certificate required), the AuthnRequest sent with the
//! HTTP-Redirect binding, and the checks on every Response that comes back
//! with the HTTP-POST binding.
//!
//! The XML signature work is samael's (over libxmlsec1): every signature in
//! the document must verify against the metadata's certificates with an
//! allowed algorithm (RSA or ECDSA with SHA-256 or stronger; never SHA-1),
//! and only the signed subtree is read afterwards, so an unsigned assertion
//! placed beside a signed one (signature wrapping) is never looked at.
//! samael also checks the Destination, InResponseTo, Recipient and Issuer.
//! Before it, this module refuses what no identity provider sends and what
//! attacks XML parsers or the split between signing and reading: a document
//! type declaration (entity expansion, XXE), comments (a NameID cut in two by
//! a comment keeps its signature), another encoding than UTF-8, and
//! encrypted assertions (the companion publishes no encryption key). After
//! it, the audience must name this service provider and the validity window
//! must hold on the companion's own clock, with at most 60 seconds of skew.

use std::sync::Mutex;

use base64::Engine as _;
use samael::crypto::AllowedSignatureAlgorithm;
use samael::metadata::{EntityDescriptor, HTTP_REDIRECT_BINDING};
use samael::schema::Assertion;
use samael::service_provider::{ServiceProvider, ServiceProviderBuilder};

use super::Identity;
use super::http_client::{ProviderHttp, error_chain};
use crate::clock::UnixTime;
use crate::config::SamlConfig;

/// Clock skew allowed between the identity provider and the companion.
pub const MAX_SKEW: i64 = 60;
/// The most a decoded Response may hold (they are a few KiB).
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
const TRANSIENT_NAME_ID: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

/// Signature algorithms accepted: SHA-256 or stronger.
const ALLOWED_ALGORITHMS: [AllowedSignatureAlgorithm; 6] = [
    AllowedSignatureAlgorithm::RsaSha256,
    AllowedSignatureAlgorithm::RsaSha384,
    AllowedSignatureAlgorithm::RsaSha512,
    AllowedSignatureAlgorithm::EcdsaSha256,
    AllowedSignatureAlgorithm::EcdsaSha384,
    AllowedSignatureAlgorithm::EcdsaSha512,
];

/// libxml2 and xmlsec keep global state; one document at a time.
static XML_SECURITY: Mutex<()> = Mutex::new(());

/// Why the provider could not be set up; the companion does not start.
#[derive(Debug, thiserror::Error)]
pub enum SamlSetupError {
    #[error("the metadata could not be read: {0}")]
    Unreadable(String),
    #[error("the metadata is not SAML metadata: {0}")]
    Malformed(String),
    #[error(
        "the metadata has no signing certificate; SAML without a checked signature is no \
         authentication"
    )]
    NoSigningCertificate,
    #[error("the metadata offers no SingleSignOnService with the HTTP-Redirect binding")]
    NoRedirectBinding,
    #[error("the service provider could not be set up: {0}")]
    ServiceProvider(String),
}

/// Why a Response was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SamlRefusal {
    /// The provider says the person did not sign in (cancelled, refused).
    #[error("the identity provider answered {0}")]
    Denied(String),
    /// The document does not check out.
    #[error("{0}")]
    Invalid(String),
}

/// A Response that passed every check.
#[derive(Debug, Clone)]
pub struct VerifiedAssertion {
    pub identity: Identity,
    /// The assertion's ID, accepted once.
    pub assertion_id: String,
    /// Until when it could be presented (for the replay cache).
    pub valid_until: UnixTime,
}

/// The identity provider, as its metadata describes it, and this service
/// provider.
pub struct SamlProvider {
    sp: ServiceProvider,
    sso_url: String,
    entity_id: String,
    idp_entity_id: String,
    email_attribute: Option<String>,
    metadata_xml: String,
}

impl std::fmt::Debug for SamlProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SamlProvider")
            .field("entity_id", &self.entity_id)
            .field("idp_entity_id", &self.idp_entity_id)
            .field("sso_url", &self.sso_url)
            .finish_non_exhaustive()
    }
}

impl SamlProvider {
    /// Reads the provider's metadata (a file or a URL) and sets up this
    /// service provider at `public_origin`.
    pub async fn load(config: &SamlConfig, public_origin: &str) -> Result<Self, SamlSetupError> {
        let source = config.idp_metadata.trim();
        let metadata = if source.starts_with("http://") || source.starts_with("https://") {
            let http =
                ProviderHttp::new().map_err(|e| SamlSetupError::Unreadable(e.to_string()))?;
            let body = http.get(source).await.map_err(|e| {
                SamlSetupError::Unreadable(format!("{source}: {}", error_chain(&e)))
            })?;
            String::from_utf8(body)
                .map_err(|_| SamlSetupError::Malformed(format!("{source}: not UTF-8")))?
        } else {
            tokio::fs::read_to_string(source)
                .await
                .map_err(|e| SamlSetupError::Unreadable(format!("{source}: {e}")))?
        };
        Self::from_metadata(&metadata, config, public_origin)
    }

    /// Sets up from the metadata's text.
    pub fn from_metadata(
        metadata: &str,
        config: &SamlConfig,
        public_origin: &str,
    ) -> Result<Self, SamlSetupError> {
        refuse_unsafe_xml(metadata.as_bytes()).map_err(SamlSetupError::Malformed)?;
        let idp = metadata
            .parse::<EntityDescriptor>()
            .map_err(|e| SamlSetupError::Malformed(e.to_string()))?;
        let idp_entity_id = idp
            .entity_id
            .clone()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| SamlSetupError::Malformed("it names no entityID".into()))?;
        let origin = public_origin.trim_end_matches('/');
        let entity_id = config
            .entity_id
            .clone()
            .unwrap_or_else(|| format!("{origin}/func/saml/metadata"));
        let acs_url = format!("{origin}/func/saml/acs");
        let sp = ServiceProviderBuilder::default()
            .entity_id(Some(entity_id.clone()))
            .metadata_url(Some(format!("{origin}/func/saml/metadata")))
            .acs_url(Some(acs_url))
            .slo_url(None::<String>)
            .idp_metadata(idp)
            .allow_idp_initiated(false)
            .max_clock_skew(chrono_seconds(MAX_SKEW))
            .allowed_signature_algorithms(Some(ALLOWED_ALGORITHMS.to_vec()))
            .build()
            .map_err(|e| SamlSetupError::ServiceProvider(e.to_string()))?;
        // samael would read an unsigned Response as trusted without these.
        match sp.idp_signing_certs() {
            Ok(Some(certificates)) if !certificates.is_empty() => {}
            Ok(_) => return Err(SamlSetupError::NoSigningCertificate),
            Err(e) => return Err(SamlSetupError::Malformed(e.to_string())),
        }
        let sso_url = sp
            .sso_binding_location(HTTP_REDIRECT_BINDING)
            .ok_or(SamlSetupError::NoRedirectBinding)?;
        let metadata_xml =
            service_provider_metadata(&entity_id, &format!("{origin}/func/saml/acs"));
        Ok(Self {
            sp,
            sso_url,
            entity_id,
            idp_entity_id,
            email_attribute: config.email_attribute.clone(),
            metadata_xml,
        })
    }

    /// This service provider's entity id (the audience assertions name).
    pub fn entity_id(&self) -> &str {
        &self.entity_id
    }

    /// The identity provider's entity id.
    pub fn idp_entity_id(&self) -> &str {
        &self.idp_entity_id
    }

    /// This service provider's metadata, for the identity provider.
    pub fn metadata(&self) -> &str {
        &self.metadata_xml
    }

    /// The address to send the browser to: an AuthnRequest with id
    /// `request_id` (HTTP-Redirect binding) and `relay_state`.
    pub fn login_url(&self, request_id: &str, relay_state: &str) -> Result<String, SamlRefusal> {
        let mut request = self
            .sp
            .make_authentication_request(&self.sso_url)
            .map_err(|e| SamlRefusal::Invalid(e.to_string()))?;
        request.id = request_id.to_owned();
        request
            .redirect(relay_state)
            .map_err(|e| SamlRefusal::Invalid(e.to_string()))?
            .map(String::from)
            .ok_or_else(|| SamlRefusal::Invalid("no SingleSignOnService address".into()))
    }

    /// Checks a base64 `SAMLResponse` answering the AuthnRequest
    /// `request_id`, at `now`. Blocking (XML signature work): run it off
    /// the async threads.
    pub fn verify(
        &self,
        encoded: &str,
        request_id: &str,
        now: UnixTime,
    ) -> Result<VerifiedAssertion, SamlRefusal> {
        let compact: String = encoded
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|_| SamlRefusal::Invalid("SAMLResponse is not base64".into()))?;
        if bytes.len() > MAX_RESPONSE_BYTES {
            return Err(SamlRefusal::Invalid("the Response is too large".into()));
        }
        refuse_unsafe_xml(&bytes).map_err(SamlRefusal::Invalid)?;
        let xml = std::str::from_utf8(&bytes)
            .map_err(|_| SamlRefusal::Invalid("the Response is not UTF-8".into()))?;
        if let Some(status) = failed_status(xml) {
            return Err(SamlRefusal::Denied(status));
        }
        let assertion = {
            let _one_at_a_time = XML_SECURITY
                .lock()
                .map_err(|_| SamlRefusal::Invalid("XML security is unavailable".into()))?;
            self.sp
                .parse_xml_response(xml, Some(&[request_id]))
                .map_err(|e| SamlRefusal::Invalid(e.to_string()))?
        };
        self.accepted(&assertion, now)
    }

    /// Our checks on the signed assertion samael returned.
    fn accepted(
        &self,
        assertion: &Assertion,
        now: UnixTime,
    ) -> Result<VerifiedAssertion, SamlRefusal> {
        let invalid = |reason: &str| Err(SamlRefusal::Invalid(reason.to_owned()));
        if assertion.issuer.value.as_deref() != Some(self.idp_entity_id.as_str()) {
            return invalid("the assertion's Issuer is not the identity provider");
        }
        let Some(conditions) = &assertion.conditions else {
            return invalid("the assertion has no Conditions");
        };
        let ours = conditions
            .audience_restrictions
            .iter()
            .flatten()
            .any(|restriction| restriction.audience.contains(&self.entity_id));
        if !ours {
            return invalid("the assertion's Audience is not this service provider");
        }
        let Some(not_on_or_after) = conditions.not_on_or_after.map(|t| t.timestamp()) else {
            return invalid("the assertion has no NotOnOrAfter");
        };
        if now >= not_on_or_after + MAX_SKEW {
            return invalid("the assertion has expired");
        }
        if conditions
            .not_before
            .is_some_and(|t| now + MAX_SKEW < t.timestamp())
        {
            return invalid("the assertion is not valid yet");
        }
        let confirmed_until = assertion
            .subject
            .iter()
            .flat_map(|subject| subject.subject_confirmations.iter().flatten())
            .filter_map(|c| c.subject_confirmation_data.as_ref())
            .filter_map(|data| data.not_on_or_after.map(|t| t.timestamp()))
            .max();
        if confirmed_until.is_none_or(|until| now >= until + MAX_SKEW) {
            return invalid("the assertion's SubjectConfirmation has expired");
        }
        let Some(name_id) = assertion.subject.as_ref().and_then(|s| s.name_id.as_ref()) else {
            return invalid("the assertion names nobody (no NameID)");
        };
        let name = name_id.value.trim();
        if name.is_empty() {
            return invalid("the assertion's NameID is empty");
        }
        let email = match &self.email_attribute {
            Some(attribute) => attribute_value(assertion, attribute),
            None => looks_like_email(name).then(|| name.to_owned()),
        };
        // A transient NameID changes at every login: the email is the
        // stable name then.
        let subject = if name_id.format.as_deref() == Some(TRANSIENT_NAME_ID) {
            match &email {
                Some(email) => email.clone(),
                None => return invalid("a transient NameID and no email address"),
            }
        } else {
            name.to_owned()
        };
        Ok(VerifiedAssertion {
            identity: Identity {
                issuer: self.idp_entity_id.clone(),
                subject,
                email,
                // The organisation's provider vouches for its own directory.
                email_verified: true,
                name: attribute_value(assertion, "displayName"),
            },
            assertion_id: assertion.id.clone(),
            valid_until: not_on_or_after.max(confirmed_until.unwrap_or(not_on_or_after)) + MAX_SKEW,
        })
    }
}

/// This service provider's metadata: who it is and where assertions go
/// (HTTP-POST); it wants them signed, signs no requests and publishes no
/// encryption key (no single logout either).
fn service_provider_metadata(entity_id: &str, acs_url: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"{}\">\n\
         \x20 <md:SPSSODescriptor AuthnRequestsSigned=\"false\" WantAssertionsSigned=\"true\" \
         protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\n\
         \x20   <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>\n\
         \x20   <md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" \
         Location=\"{}\" index=\"0\" isDefault=\"true\"/>\n\
         \x20 </md:SPSSODescriptor>\n\
         </md:EntityDescriptor>\n",
        xml_attribute(entity_id),
        xml_attribute(acs_url)
    )
}

fn xml_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn chrono_seconds(seconds: i64) -> chrono::Duration {
    chrono::Duration::seconds(seconds)
}

fn looks_like_email(text: &str) -> bool {
    text.split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !text.chars().any(char::is_whitespace)
}

/// The first value of the attribute named (or friendly-named) `name`.
fn attribute_value(assertion: &Assertion, name: &str) -> Option<String> {
    assertion
        .attribute_statements
        .iter()
        .flatten()
        .flat_map(|statement| statement.attributes.iter())
        .filter(|attribute| {
            attribute.name.as_deref() == Some(name)
                || attribute.friendly_name.as_deref() == Some(name)
        })
        .flat_map(|attribute| attribute.values.iter())
        .find_map(|value| value.value.as_ref())
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// Refuses what no identity provider sends and what attacks the parser or
/// the gap between what is signed and what is read.
fn refuse_unsafe_xml(bytes: &[u8]) -> Result<(), String> {
    if bytes
        .iter()
        .any(|b| *b == 0 || (*b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')))
    {
        return Err("control characters (or another encoding than UTF-8)".into());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_owned())?;
    if text.contains("<!DOCTYPE") || text.contains("<!ENTITY") {
        return Err("a document type declaration".into());
    }
    if text.contains("<!--") {
        return Err("a comment".into());
    }
    if let Some(declaration) = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .strip_prefix("<?xml")
        .and_then(|rest| rest.split_once("?>").map(|(inside, _)| inside))
        && let Some((_, encoding)) = declaration.split_once("encoding")
    {
        let name = encoding
            .trim_start()
            .trim_start_matches('=')
            .trim_start()
            .trim_start_matches(['"', '\''])
            .split(['"', '\''])
            .next()
            .unwrap_or_default();
        if !name.eq_ignore_ascii_case("utf-8") {
            return Err(format!("encoding {name:?} (only UTF-8 is read)"));
        }
    }
    if assertion_elements(text) > 1 {
        return Err("more than one assertion".into());
    }
    if text.contains("EncryptedAssertion") {
        return Err(
            "an encrypted assertion (this service provider publishes no encryption \
                    key; configure the provider to sign, not encrypt)"
                .into(),
        );
    }
    Ok(())
}

/// How many `Assertion` elements (any prefix) the document opens: one
/// Response from a login carries one, and a second is how signature
/// wrapping hides a forged one beside (or inside) the signed one.
fn assertion_elements(text: &str) -> usize {
    text.split('<')
        .skip(1)
        .filter(|tag| {
            let name = tag
                .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .next()
                .unwrap_or_default();
            name == "Assertion"
                || name
                    .rsplit_once(':')
                    .is_some_and(|(_, local)| local == "Assertion")
        })
        .count()
}

/// The top-level status of a Response when it is not Success (checked
/// before the signature: a refusal needs no assertion, and an attacker who
/// forges one gains nothing but a refusal).
fn failed_status(xml: &str) -> Option<String> {
    let start = xml.find("StatusCode")?;
    let value = xml[start..].split_once("Value=")?.1;
    let quote = value.chars().next()?;
    let code = value.get(1..)?.split(quote).next()?;
    (code != SUCCESS).then(|| code.rsplit(':').next().unwrap_or(code).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_documents_are_refused_before_parsing() {
        let refused = |xml: &str| refuse_unsafe_xml(xml.as_bytes()).is_err();
        assert!(refused("<!DOCTYPE r [<!ENTITY a \"a\">]><r>&a;</r>"));
        assert!(refused("<r><n>user@evil.com<!---->.example.com</n></r>"));
        assert!(refused("<?xml version=\"1.0\" encoding=\"UTF-16\"?><r/>"));
        assert!(refused("<r>\u{0}</r>"));
        assert!(refused("<r><saml:EncryptedAssertion/></r>"));
        assert!(refused(
            "<r><saml:Assertion ID=\"a\"/><x><Assertion ID=\"b\"></Assertion></x></r>"
        ));
        assert!(!refused(
            "<r><saml:Assertion ID=\"a\"><saml:AssertionX/></saml:Assertion></r>"
        ));
        assert!(!refused(
            "<?xml version=\"1.0\" encoding='utf-8'?>\n<r a=\"b\">text</r>"
        ));
        assert!(!refused("<r/>"));
    }

    #[test]
    fn a_failed_status_is_read() {
        let denied = "<samlp:Response><samlp:Status><samlp:StatusCode \
                      Value=\"urn:oasis:names:tc:SAML:2.0:status:Responder\"/>";
        assert_eq!(failed_status(denied).as_deref(), Some("Responder"));
        let success =
            "<samlp:Status><samlp:StatusCode Value='urn:oasis:names:tc:SAML:2.0:status:Success'/>";
        assert_eq!(failed_status(success), None);
    }

    #[test]
    fn email_shapes() {
        assert!(looks_like_email("alice@example.com"));
        assert!(!looks_like_email("alice"));
        assert!(!looks_like_email("a b@example.com"));
        assert!(!looks_like_email("@example.com"));
    }
}

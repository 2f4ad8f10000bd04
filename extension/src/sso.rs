//! Single sign-on (OpenID Connect or SAML through the endpoint), as pure rules: the
//! addresses a sign-in starts at and lands on, the PKCE-style pair that
//! binds a companion's one-time token to this extension, what a landing
//! address says, and what the service worker reports to the popup. The
//! service worker runs the sign-in (the popup closes when the sign-in window
//! takes the focus); the popup shows its outcome.
//!
//! Two ways, by the endpoint:
//! - a baigate companion: `GET <endpoint>/func/<openid|saml>/login?redirect_to=…&
//!   code_challenge=…`, in `chrome.identity.launchWebAuthFlow`'s window,
//!   ending at `https://<extension id>.chromiumapp.org/sso?sToken=…`; or, if
//!   that window cannot load, the same start in a tab that lands on the
//!   endpoint's own `/func/ping`;
//! - a Backend.AI webserver, whose plugin only sends tokens to its own
//!   origin: a tab whose extension page posts the WebUI's form with
//!   `redirect_to=<endpoint>/func/ping?baigate_sso=<flow>`, read from the
//!   tab's address, then closed.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::platform::net::NetError;
use crate::protocol::NotLoggedIn;

/// The path of `chrome.identity.getRedirectURL` a sign-in window ends at.
pub const REDIRECT_PATH: &str = "sso";
/// The extension page that posts the sign-in form in a tab.
pub const FORM_PAGE: &str = "sso.html";
/// The landing's query parameter naming the sign-in it belongs to.
pub const FLOW_PARAMETER: &str = "baigate_sso";
/// How long a finished sign-in's report is worth showing: the endpoint's
/// one-time token lasts a minute.
pub const REPORT_LIFETIME_MS: f64 = 60_000.0;
/// What `launchWebAuthFlow` says when the user closed its window.
const WINDOW_CLOSED: &str = "The user did not approve access.";

pub use baigate_shared::webserver::SsoVendor;

/// A one-time token from the endpoint, and the verifier that proves this
/// extension started its sign-in (companions only). Kept for the second
/// steps, which send the same token again.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenProof {
    pub token: String,
    pub code_verifier: Option<String>,
}

impl fmt::Debug for TokenProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenProof")
            .field("code_verifier", &self.code_verifier.is_some())
            .finish_non_exhaustive()
    }
}

/// Why the endpoint sent the sign-in back without a token (`bai_error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoRefusal {
    /// Cancelled at the identity provider.
    AccessDenied,
    /// The sign-in was not this browser's, or took too long.
    InvalidSession,
    /// The provider's answer did not prove who signed in.
    NotAuthenticated,
    ProviderUnavailable,
    EmailNotVerified,
    AccountNotFound,
    /// A code this version does not know (or none).
    Other(String),
}

impl SsoRefusal {
    /// From a `bai_error` code, of either vendor.
    pub fn from_code(code: &str) -> Self {
        match code {
            "openid-access-denied" | "saml-access-denied" => Self::AccessDenied,
            "invalid-openid-session" | "invalid-saml-session" => Self::InvalidSession,
            "openid-not-authenticated" | "saml-not-authenticated" => Self::NotAuthenticated,
            "openid-provider-unavailable" | "saml-provider-unavailable" => {
                Self::ProviderUnavailable
            }
            "openid-email-not-verified" | "saml-email-not-verified" => Self::EmailNotVerified,
            "openid-account-not-found" | "saml-account-not-found" => Self::AccountNotFound,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// How a sign-in ended, as the service worker tells the popup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum SsoResult {
    /// Logged in: the session is stored, as after a password login.
    LoggedIn,
    /// The token login needs a next step (a code, 2FA setup, ending another
    /// session) or was refused; the popup takes it from here with the token.
    NextStep {
        proof: TokenProof,
        step: NotLoggedIn,
    },
    /// The endpoint sent the sign-in back with this `bai_error` code.
    Refused { code: String },
    /// The user closed the sign-in window or tab.
    WindowClosed,
    /// The endpoint did not answer the token login.
    NoAnswer { error: NetError },
    /// Another sign-in is under way.
    Busy,
    /// No sign-in window or tab could be opened.
    NotStarted,
}

/// A finished sign-in, kept for a popup that opens after it (the one that
/// started it may have closed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SsoReport {
    pub endpoint: String,
    /// When it finished (ms since the epoch).
    pub finished_ms: f64,
    pub result: SsoResult,
}

impl SsoReport {
    /// Whether it is still worth showing at `now_ms` (its token still works).
    pub fn fresh(&self, now_ms: f64) -> bool {
        (0.0..REPORT_LIFETIME_MS).contains(&(now_ms - self.finished_ms))
    }
}

/// What a landing address carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Landing {
    Token(String),
    /// `bai_error`'s code.
    Refused(String),
}

/// Where a sign-in is expected to land: the address without its query,
/// and the flow it must name (the tab ways).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub address: String,
    pub flow: Option<String>,
}

/// A verifier from 32 random bytes: base64url, 43 characters (RFC 7636).
pub fn verifier(random: &[u8; 32]) -> String {
    base64url(random)
}

/// The S256 challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    base64url(&Sha256::digest(verifier.as_bytes()))
}

/// A flow id from random bytes (hex).
pub fn flow_id(random: &[u8]) -> String {
    random.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Base64url without padding.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let word = chunk.iter().enumerate().fold(0u32, |word, (i, byte)| {
            word | u32::from(*byte) << (16 - 8 * i)
        });
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(word >> (18 - 6 * i) & 0x3f) as usize]));
        }
    }
    out
}

/// A URL query value, percent-encoded (all but the unreserved characters).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A query value decoded (`+` is a space, as form encoding writes it).
fn decode(value: &str) -> String {
    let hex = |byte: u8| {
        char::from(byte)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some([b'%', high, low]) => hex(*high).zip(hex(*low)),
            _ => None,
        };
        match (escaped, bytes[i]) {
            (Some((high, low)), _) => {
                out.push(high * 16 + low);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, byte) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A URL split into the address before its query and its decoded query
/// pairs (the fragment dropped).
fn split_url(url: &str) -> (&str, Vec<(String, String)>) {
    let url = url.split('#').next().unwrap_or_default();
    let (address, query) = url.split_once('?').unwrap_or((url, ""));
    let pairs = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect();
    (address, pairs)
}

/// The companion's start: `GET <endpoint>/func/<vendor>/login`, sending
/// the token to `redirect_to`, bound to `challenge`.
pub fn start_url(endpoint: &str, vendor: SsoVendor, redirect_to: &str, challenge: &str) -> String {
    format!(
        "{endpoint}/func/{}/login?redirect_to={}&code_challenge={}",
        vendor.path(),
        encode(redirect_to),
        encode(challenge)
    )
}

/// Where a sign-in in a tab lands: the endpoint's health answer (plain
/// JSON, so no page script takes the token first), naming the flow.
pub fn tab_landing(endpoint: &str, flow: &str) -> Expected {
    Expected {
        address: format!("{endpoint}/func/ping"),
        flow: Some(flow.to_owned()),
    }
}

impl Expected {
    /// The landing address to give as `redirect_to`.
    pub fn redirect_to(&self) -> String {
        match &self.flow {
            Some(flow) => format!("{}?{FLOW_PARAMETER}={}", self.address, encode(flow)),
            None => self.address.clone(),
        }
    }
}

/// The extension page's address (relative) that posts the WebUI's form to
/// `<endpoint>/func/<vendor>/login` with `redirect_to`. The page is sandboxed
/// (the only one whose CSP lets a form post leave the extension), so it has
/// no `chrome.i18n`: it shows the words it is given, `opening` while it
/// posts and `failed` for an address it will not post to.
pub fn form_page(
    endpoint: &str,
    vendor: SsoVendor,
    redirect_to: &str,
    opening: &str,
    failed: &str,
) -> String {
    format!(
        "{FORM_PAGE}?action={}&redirect_to={}&opening={}&failed={}",
        encode(&format!("{endpoint}/func/{}/login", vendor.path())),
        encode(redirect_to),
        encode(opening),
        encode(failed)
    )
}

/// What `url` carries, if it is the expected landing with a token or a
/// refusal (`None`: another address, another flow, or neither).
pub fn landing(url: &str, expected: &Expected) -> Option<Landing> {
    let (address, pairs) = split_url(url);
    if !address.eq_ignore_ascii_case(&expected.address) {
        return None;
    }
    let value = |names: &[&str]| {
        pairs
            .iter()
            .find(|(key, value)| names.contains(&key.as_str()) && !value.is_empty())
            .map(|(_, value)| value.clone())
    };
    if let Some(flow) = &expected.flow
        && value(&[FLOW_PARAMETER]).as_ref() != Some(flow)
    {
        return None;
    }
    // `stoken` is the WebUI's older spelling.
    if let Some(token) = value(&["sToken", "stoken"]) {
        return Some(Landing::Token(token));
    }
    value(&["bai_error"]).map(Landing::Refused)
}

/// Whether `launchWebAuthFlow` failed because the user closed its window
/// (any other failure falls back to a tab).
pub fn closed_by_user(message: &str) -> bool {
    message.contains(WINDOW_CLOSED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636_s256() {
        // RFC 7636, appendix B.
        let random: [u8; 32] = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let verifier = verifier(&random);
        assert_eq!(verifier, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            challenge(&verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(flow_id(&[0, 15, 255]), "000fff");
    }

    #[test]
    fn start_addresses_are_encoded() {
        assert_eq!(
            start_url(
                "http://127.0.0.1:8090",
                SsoVendor::OpenId,
                "https://kkddbdcblenceacjpknibiiglhjplaad.chromiumapp.org/sso",
                "E9M-c_"
            ),
            "http://127.0.0.1:8090/func/openid/login?redirect_to=https%3A%2F%2F\
             kkddbdcblenceacjpknibiiglhjplaad.chromiumapp.org%2Fsso&code_challenge=E9M-c_"
        );
        assert!(
            start_url("http://127.0.0.1:8090", SsoVendor::Saml, "x", "y")
                .starts_with("http://127.0.0.1:8090/func/saml/login?redirect_to=x&")
        );
        let landing = tab_landing("https://ai.example.com/backend", "ab12");
        assert_eq!(
            landing.redirect_to(),
            "https://ai.example.com/backend/func/ping?baigate_sso=ab12"
        );
        assert_eq!(
            form_page(
                "https://ai.example.com",
                SsoVendor::OpenId,
                &landing.redirect_to(),
                "Opening…",
                "No & no"
            ),
            "sso.html?action=https%3A%2F%2Fai.example.com%2Ffunc%2Fopenid%2Flogin\
             &redirect_to=https%3A%2F%2Fai.example.com%2Fbackend%2Ffunc%2Fping%3Fbaigate_sso%3Dab12\
             &opening=Opening%E2%80%A6&failed=No%20%26%20no"
        );
        assert_eq!(encode("a b&é"), "a%20b%26%C3%A9");
    }

    #[test]
    fn landings_carry_a_token_or_a_refusal_for_the_right_flow_only() {
        let window = Expected {
            address: "https://id.chromiumapp.org/sso".into(),
            flow: None,
        };
        assert_eq!(
            landing("https://id.chromiumapp.org/sso?sToken=abc%2Bd", &window),
            Some(Landing::Token("abc+d".into()))
        );
        assert_eq!(
            landing(
                "https://id.chromiumapp.org/sso?bai_error=openid-access-denied#x",
                &window
            ),
            Some(Landing::Refused("openid-access-denied".into()))
        );
        assert_eq!(landing("https://id.chromiumapp.org/sso", &window), None);
        assert_eq!(
            landing("https://id.chromiumapp.org/ssox?sToken=a", &window),
            None,
            "another address"
        );

        let tab = tab_landing("http://127.0.0.1:8090", "f1");
        assert_eq!(
            landing(
                "http://127.0.0.1:8090/func/ping?baigate_sso=f1&sToken=tok",
                &tab
            ),
            Some(Landing::Token("tok".into()))
        );
        assert_eq!(
            landing(
                "http://127.0.0.1:8090/func/ping?baigate_sso=f2&sToken=tok",
                &tab
            ),
            None,
            "another sign-in's"
        );
        assert_eq!(
            landing("http://127.0.0.1:8090/func/ping?stoken=old", &tab),
            None,
            "no flow named"
        );
        assert_eq!(
            landing(
                "http://127.0.0.1:8090/func/openid/login?baigate_sso=f1&sToken=t",
                &tab
            ),
            None,
            "not the landing yet"
        );
        assert_eq!(decode("a%2"), "a%2", "a cut escape stays as it is");
        assert_eq!(decode("%E3%81%82+x"), "あ x");
    }

    #[test]
    fn every_bai_error_code_has_its_refusal() {
        for code in baigate_shared::webserver::SSO_ERRORS {
            assert!(
                !matches!(SsoRefusal::from_code(code), SsoRefusal::Other(_)),
                "{code}"
            );
        }
        let known = [
            ("openid-access-denied", SsoRefusal::AccessDenied),
            ("invalid-openid-session", SsoRefusal::InvalidSession),
            ("openid-not-authenticated", SsoRefusal::NotAuthenticated),
            (
                "openid-provider-unavailable",
                SsoRefusal::ProviderUnavailable,
            ),
            ("openid-email-not-verified", SsoRefusal::EmailNotVerified),
            ("openid-account-not-found", SsoRefusal::AccountNotFound),
            ("saml-access-denied", SsoRefusal::AccessDenied),
            ("invalid-saml-session", SsoRefusal::InvalidSession),
            ("saml-account-not-found", SsoRefusal::AccountNotFound),
        ];
        for (code, refusal) in known {
            assert_eq!(SsoRefusal::from_code(code), refusal);
        }
        assert_eq!(
            SsoRefusal::from_code("saml-x"),
            SsoRefusal::Other("saml-x".into())
        );
    }

    #[test]
    fn reports_go_stale_with_the_token_and_cross_as_json() {
        let report = SsoReport {
            endpoint: "http://a".into(),
            finished_ms: 1_000.0,
            result: SsoResult::NextStep {
                proof: TokenProof {
                    token: "TOKEN".into(),
                    code_verifier: Some("VERIFIER".into()),
                },
                step: NotLoggedIn::OtpRequired,
            },
        };
        assert!(report.fresh(1_000.0) && report.fresh(60_999.0));
        assert!(!report.fresh(61_000.0) && !report.fresh(999.0));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["result"]["outcome"], "next-step");
        assert_eq!(serde_json::from_value::<SsoReport>(json).unwrap(), report);
        let printed = format!("{report:?}");
        assert!(!printed.contains("TOKEN") && !printed.contains("VERIFIER"));
        assert!(closed_by_user("The user did not approve access."));
        assert!(!closed_by_user("Authorization page could not be loaded."));
    }
}

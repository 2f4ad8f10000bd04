//! A real SAML 2.0 identity provider for the single sign-on tests:
//! SimpleSAMLphp from Debian (`simplesamlphp`, with `php-cli` and `php-xml`,
//! installed by `scripts/setup.sh test`), served by `php -S` on a free
//! loopback port from a configuration this harness writes into a temporary
//! directory, with its own RSA key made by `openssl`. Its people sign in
//! with `<name>-pass`; see [`PEOPLE`].
//!
//! Service providers are registered while it runs ([`SamlIdp::register`]):
//! SimpleSAMLphp reads its metadata files at every request.
//!
//! [`SamlSignIn`] drives the provider's login form over HTTP as a browser
//! would, and returns the form the provider would post to the companion;
//! the end-to-end tests fill the same form in Chromium
//! ([`fill_sign_in`]).
//!
//! [`resign`] lets a test alter a real Response and sign it again with the
//! provider's key (or another), with `xmlsec1`: the way to build documents
//! that are signed by the provider and still wrong.

// Test-harness code: a failed step is a failed test, so it panics with a
// message rather than threading errors through every test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use url::Url;

use crate::cookies::{CookieJar, step_agent};

/// Who can sign in: (name, email). Each signs in with `<name>-pass`.
pub const PEOPLE: [(&str, &str); 5] = [
    ("alice", "alice@example.com"),
    ("bob", "bob@example.com"),
    ("carol", "carol@example.com"),
    ("dave", "dave@example.com"),
    // For the comment attack: an address that starts like alice's.
    ("mallory", "alice@example.com.evil.test"),
];

const WWW: &str = "/usr/share/simplesamlphp/www";

/// The provider, running; stopped when dropped (or when the test binary
/// ends: it is started behind a shell that stops it when its input closes).
#[derive(Debug)]
pub struct SamlIdp {
    child: Child,
    pub base: String,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

fn php_string(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// An RSA key and a self-signed certificate, PEM, made by `openssl`.
pub fn rsa_pair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let key = dir.join(format!("{name}.key"));
    let cert = dir.join(format!("{name}.crt"));
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        ])
        .args(["-subj", &format!("/CN={name}")])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("run openssl (is it installed?)");
    assert!(status.success(), "openssl made no key pair");
    (key, cert)
}

impl SamlIdp {
    pub fn start() -> Self {
        assert!(
            Path::new(WWW).join("saml2/idp/SSOService.php").exists(),
            "SimpleSAMLphp is not installed: run scripts/setup.sh test"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        for sub in ["config/metadata/sp", "cert", "log", "data", "tmp"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        rsa_pair(&root.join("cert"), "idp");
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let path = |sub: &str| php_string(&format!("{}/{sub}", root.display()));
        std::fs::write(
            root.join("config/config.php"),
            format!(
                "<?php\n$config = [\n\
                 'baseurlpath' => '{base}/',\n\
                 'metadatadir' => {},\n\
                 'certdir' => {},\n\
                 'loggingdir' => {},\n\
                 'datadir' => {},\n\
                 'tempdir' => {},\n\
                 'secretsalt' => 'test-only-salt-{port}',\n\
                 'auth.adminpassword' => 'test-only-admin',\n\
                 'technicalcontact_email' => 'na@example.org',\n\
                 'timezone' => 'UTC',\n\
                 'enable.saml20-idp' => true,\n\
                 'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true],\n\
                 'logging.level' => SimpleSAML\\Logger::WARNING,\n\
                 'logging.handler' => 'file',\n\
                 'store.type' => 'phpsession',\n\
                 'session.cookie.secure' => false,\n\
                 ];\n",
                path("config/metadata/"),
                path("cert/"),
                path("log/"),
                path("data/"),
                path("tmp"),
            ),
        )
        .unwrap();
        let people: String = PEOPLE
            .iter()
            .map(|(name, email)| {
                format!(
                    "    '{name}:{name}-pass' => ['uid' => ['{name}'], 'mail' => ['{email}'], \
                     'displayName' => ['{name}']],\n"
                )
            })
            .collect();
        std::fs::write(
            root.join("config/authsources.php"),
            format!(
                "<?php\n$config = [\n'admin' => ['core:AdminPassword'],\n\
                 'people' => ['exampleauth:UserPass',\n{people}],\n];\n"
            ),
        )
        .unwrap();
        std::fs::write(
            root.join("config/metadata/saml20-idp-hosted.php"),
            format!(
                "<?php\n$metadata['{base}/saml2/idp/metadata.php'] = [\n\
                 'host' => '__DEFAULT__', 'privatekey' => 'idp.key', 'certificate' => 'idp.crt',\n\
                 'auth' => 'people', 'saml20.sign.response' => true, 'saml20.sign.assertion' => true,\n\
                 ];\n"
            ),
        )
        .unwrap();
        std::fs::write(
            root.join("config/metadata/saml20-sp-remote.php"),
            "<?php\nforeach (glob(__DIR__ . '/sp/*.php') as $file) { include $file; }\n",
        )
        .unwrap();
        // `php -S` behind a shell that stops it when the test binary's end
        // closes the shell's input. Several workers: one alone serves one
        // connection at a time, and a browser's speculative connection that
        // sends nothing would hold every other test's sign-in.
        let script = format!(
            "php -S 127.0.0.1:{port} -t {WWW} >{log} 2>&1 & server=$!; cat >/dev/null; \
             pkill -P $server; kill $server",
            log = root.join("log/php.log").display()
        );
        let child = Command::new("sh")
            .args(["-c", &script])
            .env("SIMPLESAMLPHP_CONFIG_DIR", root.join("config"))
            .env("PHP_CLI_SERVER_WORKERS", "8")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start php (is php-cli installed?)");
        let idp = Self { child, base, dir };
        let started = Instant::now();
        while ureq::get(&idp.metadata_url()).call().is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "SimpleSAMLphp did not answer at {}",
                idp.metadata_url()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        idp
    }

    /// One provider for the whole test binary, started at first use.
    pub fn shared() -> &'static Self {
        static SHARED: std::sync::OnceLock<SamlIdp> = std::sync::OnceLock::new();
        SHARED.get_or_init(Self::start)
    }

    /// Its entity id, which is also where its metadata is served.
    pub fn metadata_url(&self) -> String {
        format!("{}/saml2/idp/metadata.php", self.base)
    }

    /// Its metadata, as served.
    pub fn metadata(&self) -> String {
        ureq::get(&self.metadata_url())
            .call()
            .expect("the metadata")
            .body_mut()
            .read_to_string()
            .unwrap()
    }

    /// Its signing key and certificate (PEM files).
    pub fn signing_pair(&self) -> (PathBuf, PathBuf) {
        let cert = self.dir.path().join("cert");
        (cert.join("idp.key"), cert.join("idp.crt"))
    }

    /// Makes the provider know a service provider: its entity id and its
    /// assertion consumer service. Its NameID is the person's email.
    pub fn register(&self, entity_id: &str, acs_url: &str) {
        let file = format!(
            "<?php\n$metadata[{}] = [\n\
             'AssertionConsumerService' => {},\n\
             'NameIDFormat' => 'urn:oasis:names:tc:SAML:2.0:nameid-format:emailAddress',\n\
             'simplesaml.nameidattribute' => 'mail',\n\
             ];\n",
            php_string(entity_id),
            php_string(acs_url)
        );
        let name = hex_of(entity_id.as_bytes());
        // Written aside, then renamed: a request meanwhile includes every
        // `sp/*.php` and must never read half a file.
        let sp = self.dir.path().join("config/metadata/sp");
        let partial = sp.join(format!("{name}.partial"));
        std::fs::write(&partial, file).unwrap();
        std::fs::rename(partial, sp.join(format!("{name}.php"))).unwrap();
    }
}

impl Drop for SamlIdp {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn hex_of(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Fills the provider's login form on `page` (Chromium) and submits it.
/// The submission may end the window (the provider's answer goes on to
/// the companion, which sends the sign-in window to its end) before
/// chromedriver has seen the click through: that is no failure, and the
/// caller checks the outcome.
pub async fn fill_sign_in(page: &crate::Popup<'_>, name: &str) -> anyhow::Result<()> {
    page.wait_for("#username").await?;
    page.type_into("#username", name).await?;
    page.type_into("#password", &format!("{name}-pass")).await?;
    match page.click("#submit_button").await {
        Err(e) if window_went_away(&e) => Ok(()),
        other => other,
    }
}

fn window_went_away(error: &anyhow::Error) -> bool {
    let text = format!("{error:#}");
    [
        "cannot determine loading status",
        "no such window",
        "target window already closed",
    ]
    .iter()
    .any(|sign| text.contains(sign))
}

/// The form the provider has the browser post to the service provider.
#[derive(Debug, Clone)]
pub struct PostedAnswer {
    /// Where it is posted (the assertion consumer service).
    pub action: String,
    pub saml_response: String,
    pub relay_state: String,
}

impl PostedAnswer {
    /// The Response, decoded.
    pub fn xml(&self) -> String {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.saml_response)
            .expect("base64");
        String::from_utf8(bytes).expect("UTF-8")
    }

    /// The same answer carrying another Response.
    pub fn with_xml(&self, xml: &str) -> Self {
        Self {
            saml_response: base64::engine::general_purpose::STANDARD.encode(xml),
            ..self.clone()
        }
    }
}

/// A browser's part of a sign-in at the provider, over HTTP.
#[derive(Debug, Default)]
pub struct SamlSignIn {
    cookies: CookieJar,
}

/// The `value` of the input named `name` in `page`, unescaped.
fn input_value(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = page.find(&marker)?;
    let rest = &page[at..];
    let value = rest.split("value=\"").nth(1)?.split('"').next()?;
    Some(unescape(value))
}

fn unescape(text: &str) -> String {
    text.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

impl SamlSignIn {
    fn get(&mut self, url: &Url) -> (Option<Url>, String) {
        let mut response = step_agent()
            .get(url.as_str())
            .header("cookie", self.cookies.header())
            .call()
            .expect("the identity provider answers");
        self.cookies.keep(&response);
        let next = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .and_then(|l| url.join(l).ok());
        let page = response.body_mut().read_to_string().unwrap_or_default();
        (next, page)
    }

    /// Opens the provider's login address (the companion's redirect), signs
    /// in as `name`, and returns the form the provider posts back.
    pub fn sign_in(&mut self, login_url: &str, name: &str) -> PostedAnswer {
        let mut url = Url::parse(login_url).expect("a login address");
        let mut page = String::new();
        for _ in 0..5 {
            let (next, text) = self.get(&url);
            page = text;
            match next {
                Some(next) => url = next,
                None => break,
            }
        }
        if input_value(&page, "SAMLResponse").is_none() {
            let state = input_value(&page, "AuthState")
                .unwrap_or_else(|| panic!("no login form at {url}: {page}"));
            let body = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("username", name)
                .append_pair("password", &format!("{name}-pass"))
                .append_pair("AuthState", &state)
                .finish();
            let mut target = url.clone();
            target.set_query(None);
            let mut response = step_agent()
                .post(target.as_str())
                .header("cookie", self.cookies.header())
                .header("content-type", "application/x-www-form-urlencoded")
                .send(body.as_bytes())
                .expect("the provider takes the form");
            self.cookies.keep(&response);
            page = response.body_mut().read_to_string().unwrap_or_default();
        }
        let action = page
            .split("action=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(unescape)
            .unwrap_or_else(|| panic!("the sign-in as {name} was refused: {page}"));
        PostedAnswer {
            action,
            saml_response: input_value(&page, "SAMLResponse").expect("a SAMLResponse"),
            relay_state: input_value(&page, "RelayState").unwrap_or_default(),
        }
    }
}

/// The ID attribute of the first element named `element` (prefix
/// included, e.g. `saml:Assertion`).
pub fn id_of(xml: &str, element: &str) -> String {
    let at = xml
        .find(&format!("<{element} "))
        .unwrap_or_else(|| panic!("no {element} in the document"));
    xml[at..]
        .split(" ID=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an ID")
        .to_owned()
}

/// `xml` without its signatures.
pub fn unsigned(xml: &str) -> String {
    let mut out = xml.to_owned();
    while let Some(start) = out.find("<ds:Signature") {
        let end = out[start..]
            .find("</ds:Signature>")
            .map(|at| start + at + "</ds:Signature>".len())
            .expect("a closed signature");
        out.replace_range(start..end, "");
    }
    out
}

/// A signature template for the element with `id`, for `xmlsec1 --sign`.
fn template(id: &str) -> String {
    format!(
        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>\
         <ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\
         <ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>\
         <ds:Reference URI=\"#{id}\"><ds:Transforms>\
         <ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\
         <ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms>\
         <ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\
         <ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/>\
         <ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>"
    )
}

/// Which element a re-signed Response carries its signature on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed {
    /// The assertion only (the Response around it is unsigned).
    Assertion,
    /// The whole Response (the assertion inside unsigned).
    Response,
}

/// `xml` (a Response) with its signatures removed and `what` signed again
/// with `key` and `cert` (PEM files).
pub fn resign(xml: &str, key: &Path, cert: &Path, what: Signed) -> String {
    let mut xml = unsigned(xml);
    let (element, namespace_attr) = match what {
        Signed::Assertion => (
            "saml:Assertion",
            "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
        ),
        Signed::Response => (
            "samlp:Response",
            "urn:oasis:names:tc:SAML:2.0:protocol:Response",
        ),
    };
    let id = id_of(&xml, element);
    // The signature goes right after the element's Issuer.
    let start = xml
        .find(&format!("<{element} "))
        .expect("the element to sign");
    let issuer_end = xml[start..]
        .find("</saml:Issuer>")
        .map(|at| start + at + "</saml:Issuer>".len())
        .expect("the element's issuer");
    xml.insert_str(issuer_end, &template(&id));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.xml");
    std::fs::File::create(&input)
        .and_then(|mut file| file.write_all(xml.as_bytes()))
        .unwrap();
    let output = Command::new("xmlsec1")
        .args(["--sign", "--privkey-pem"])
        .arg(format!("{},{}", key.display(), cert.display()))
        .args(["--id-attr:ID", namespace_attr])
        .arg(&input)
        .output()
        .expect("run xmlsec1 (is it installed?)");
    assert!(
        output.status.success(),
        "xmlsec1 could not sign: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

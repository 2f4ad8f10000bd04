//! A certificate authority made for one test, and server certificates from
//! it: what an organisation's CA or `mkcert` gives a team, without touching
//! the machine's trust store.

use std::path::Path;

use anyhow::Result;
use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PublicKeyData as _,
};
use sha2::{Digest as _, Sha256};

/// The CA: its certificate in PEM (for a client to trust) and its key.
#[derive(Debug)]
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pub pem: String,
}

/// A server certificate and its key, as the companion reads them.
#[derive(Debug, Clone)]
pub struct ServerCertificate {
    pub cert_pem: String,
    pub key_pem: String,
    /// The certificate, DER: what a client sees in the handshake.
    pub der: Vec<u8>,
    /// base64(SHA-256(SubjectPublicKeyInfo)), Chromium's
    /// `--ignore-certificate-errors-spki-list` form.
    pub spki_sha256: String,
}

impl TestCa {
    pub fn new(name: &str) -> Result<Self> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        let mut subject = DistinguishedName::new();
        subject.push(DnType::CommonName, name);
        params.distinguished_name = subject;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate()?;
        let certificate = params.self_signed(&key)?;
        Ok(Self {
            issuer: Issuer::new(params, key),
            pem: certificate.pem(),
        })
    }

    /// A certificate for `names` (DNS names or IP addresses), signed by
    /// this CA, with a fresh key.
    pub fn issue(&self, names: &[&str]) -> Result<ServerCertificate> {
        let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
        let mut params = CertificateParams::new(names)?;
        let mut subject = DistinguishedName::new();
        subject.push(DnType::CommonName, "baigate test server");
        params.distinguished_name = subject;
        let key = KeyPair::generate()?;
        let certificate = params.signed_by(&key, &self.issuer)?;
        let spki = Sha256::digest(key.subject_public_key_info());
        Ok(ServerCertificate {
            cert_pem: certificate.pem(),
            key_pem: key.serialize_pem(),
            der: certificate.der().to_vec(),
            spki_sha256: base64::engine::general_purpose::STANDARD.encode(spki),
        })
    }

    /// Writes the CA certificate to `path`, for clients told to trust it.
    pub fn write_to(&self, path: &Path) -> Result<()> {
        std::fs::write(path, &self.pem)?;
        Ok(())
    }
}

impl ServerCertificate {
    /// Replaces the pair at `cert` and `key` the way a renewal tool does:
    /// each file written beside and renamed over the old one.
    pub fn install(&self, cert: &Path, key: &Path) -> Result<()> {
        replace(key, &self.key_pem)?;
        replace(cert, &self.cert_pem)
    }
}

fn replace(path: &Path, contents: &str) -> Result<()> {
    let fresh = path.with_extension("new");
    std::fs::write(&fresh, contents)?;
    std::fs::rename(&fresh, path)?;
    Ok(())
}

//! The data-directory key that seals secrets at rest.
//!
//! The key file (`<data dir>/secret.key`, 32 random bytes, owner-only) is
//! created on first start. Secrets are sealed with AES-256-GCM; the access key
//! is the associated data, so a sealed secret cannot be moved to another row.

use std::fs;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

use super::DomainError;
use super::tokens::random_bytes;

const KEY_FILE: &str = "secret.key";
const NONCE_LEN: usize = 12;

#[derive(Clone)]
pub struct KeyRing {
    cipher: Aes256Gcm,
    /// Keys the hashes of recovery codes, so the database alone cannot be
    /// searched for them.
    mac_key: [u8; 32],
    /// Names the key without revealing it (several companions must hold
    /// the same one; the database records it).
    fingerprint: String,
    /// Where the key was read from.
    path: std::path::PathBuf,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyRing(..)")
    }
}

impl KeyRing {
    /// Loads the key from the data directory, creating it (mode 0600) if absent.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, DomainError> {
        let path = data_dir.join(KEY_FILE);
        let key = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key_file(&path)?,
            Err(e) => {
                return Err(DomainError::Internal(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| {
            DomainError::Internal(format!(
                "{} must hold exactly 32 bytes; it holds {}",
                path.display(),
                key.len()
            ))
        })?;
        let mac_key = {
            use sha2::{Digest, Sha256};
            let mut hasher = Sha256::new();
            hasher.update(b"baigate recovery codes v1\0");
            hasher.update(&key);
            hasher.finalize().into()
        };
        let fingerprint = {
            use sha2::{Digest, Sha256};
            let mut hasher = Sha256::new();
            hasher.update(b"baigate key fingerprint v1\0");
            hasher.update(&key);
            hex::encode(&hasher.finalize()[..8])
        };
        Ok(Self {
            cipher,
            mac_key,
            fingerprint,
            path,
        })
    }

    /// A short, one-way name of the key: equal keys, equal fingerprints.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The key file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// HMAC-SHA256 of `data` under the data-directory key.
    pub fn mac(&self, data: &[u8]) -> Result<[u8; 32], DomainError> {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.mac_key)
            .map_err(|_| DomainError::Internal("HMAC refused its key".into()))?;
        mac.update(data);
        Ok(mac.finalize().into_bytes().into())
    }

    /// Encrypts `secret`, bound to `context`.
    pub fn seal(&self, secret: &[u8], context: &[u8]) -> Result<Vec<u8>, DomainError> {
        let nonce_bytes = random_bytes::<NONCE_LEN>()?;
        let ciphertext = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce_bytes),
                Payload {
                    msg: secret,
                    aad: context,
                },
            )
            .map_err(|_| DomainError::Internal("sealing a secret failed".into()))?;
        let mut sealed = nonce_bytes.to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Decrypts what [`KeyRing::seal`] made with the same `context`.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, DomainError> {
        if sealed.len() < NONCE_LEN {
            return Err(DomainError::Internal("a sealed secret is truncated".into()));
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context,
                },
            )
            .map_err(|_| {
                DomainError::Internal(
                    "a sealed secret does not open with this data directory's key".into(),
                )
            })
    }
}

fn create_key_file(path: &Path) -> Result<Vec<u8>, DomainError> {
    let key = random_bytes::<32>()?;
    crate::private_files::write_new(path, &key)
        .map_err(|e| DomainError::Internal(format!("cannot create {}: {e}", path.display())))?;
    Ok(key.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_created_once_owner_only_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let ring = KeyRing::load_or_create(dir.path()).unwrap();
        let sealed = ring.seal(b"secret", b"AKIA1").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = KeyRing::load_or_create(dir.path()).unwrap();
        assert_eq!(again.open(&sealed, b"AKIA1").unwrap(), b"secret");
        assert!(
            again.open(&sealed, b"AKIA2").is_err(),
            "bound to its context"
        );
        let other = KeyRing::load_or_create(tempfile::tempdir().unwrap().path()).unwrap();
        assert!(
            other.open(&sealed, b"AKIA1").is_err(),
            "another key cannot open it"
        );
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
    }

    #[test]
    fn a_bad_key_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(KEY_FILE), b"short").unwrap();
        let err = KeyRing::load_or_create(dir.path()).unwrap_err().to_string();
        assert!(err.contains("32 bytes"), "{err}");
    }
}

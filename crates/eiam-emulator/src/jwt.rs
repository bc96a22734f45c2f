//! The id_token signing key, id_token minting and the JWKS document.
//!
//! Choices (inferred; the vendor documents RS256 with a `kid`, but no JWKS location for the
//! SDK's id_tokens):
//!
//! * The key is RSA-2048. Unless the configuration gives one, a key is generated once per
//!   process and shared by every emulator of the process (generation takes a moment).
//! * The `kid` of a generated or given key is its RFC 7638 JWK thumbprint (SHA-256,
//!   base64url), unless set with [`SigningKey::with_kid`].
//! * The public key is served as a JWKS at `GET /api/v1/oauth2/jwks`, announced by an OIDC
//!   discovery document at `GET /api/v1/oauth2/.well-known/openid-configuration`, under the
//!   issuer `{base_url}/api/v1/oauth2` (the vendor's `iss` layout).

use std::fmt;
use std::sync::{Arc, Mutex};

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, Header};
use serde::Serialize;

use crate::error::EmulatorError;

/// An RSA private key that signs id_tokens (RS256), with its `kid`.
///
/// Cheap to clone. Its `Debug` output shows the `kid` only.
#[derive(Clone)]
pub struct SigningKey(Arc<KeyInner>);

struct KeyInner {
    kid: String,
    /// The parsed private key. Parsing (and checking) an RSA key costs about twice a
    /// signature, so it is done once per key, not once per token as
    /// `jsonwebtoken::encode` would.
    pair: Arc<KeyPair>,
    /// `base64url(header)` of this key's tokens: `{"typ":"JWT","alg":"RS256","kid":…}`.
    header_b64: String,
    /// Public modulus, big-endian without leading zeros.
    n: Vec<u8>,
    /// Public exponent, big-endian without leading zeros.
    e: Vec<u8>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.0.kid)
            .finish_non_exhaustive()
    }
}

/// The process-wide generated key (see the module documentation).
static SHARED_KEY: Mutex<Option<SigningKey>> = Mutex::new(None);

impl SigningKey {
    /// Generates a new RSA-2048 key.
    ///
    /// # Errors
    /// [`EmulatorError::Key`] if generation fails.
    pub fn generate() -> Result<Self, EmulatorError> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| EmulatorError::Key)?;
        let pkcs8 = pair.as_der().map_err(|_| EmulatorError::Key)?;
        Self::from_pkcs8_der(pkcs8.as_ref())
    }

    /// The key shared by all emulators of this process, generated on first use.
    pub(crate) fn shared() -> Result<Self, EmulatorError> {
        // The lock only guards the cache; a poisoned cache is still a valid `Option`.
        let mut cached = SHARED_KEY.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(key) = cached.as_ref() {
            return Ok(key.clone());
        }
        let key = Self::generate()?;
        *cached = Some(key.clone());
        Ok(key)
    }

    /// Parses a DER-encoded PKCS#8 (RFC 5208) RSA private key of 2048 to 8192 bits.
    ///
    /// # Errors
    /// [`EmulatorError::Key`] if `der` is not such a key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, EmulatorError> {
        KeyPair::from_pkcs8(der).map_err(|_| EmulatorError::Key)?;
        let pkcs1 = pkcs1_of_pkcs8(der).ok_or(EmulatorError::Key)?;
        Self::from_pkcs1_der(pkcs1)
    }

    /// The PKCS#1 `RSAPrivateKey` inside a DER-encoded PKCS#8 `PrivateKeyInfo`, for tools
    /// that need the key in the other encoding (e.g. `jsonwebtoken::EncodingKey::from_rsa_der`);
    /// `None` if `der` is not laid out as one.
    pub fn pkcs1_of_pkcs8(der: &[u8]) -> Option<&[u8]> {
        pkcs1_of_pkcs8(der)
    }

    /// Parses a DER-encoded PKCS#1 (RFC 8017 `RSAPrivateKey`) RSA private key of 2048 to
    /// 8192 bits.
    ///
    /// # Errors
    /// [`EmulatorError::Key`] if `der` is not such a key.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, EmulatorError> {
        let pair = KeyPair::from_der(der).map_err(|_| EmulatorError::Key)?;
        let public = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        let kid = thumbprint(&public.n, &public.e);
        Ok(Self(Arc::new(KeyInner {
            header_b64: header_b64(&kid)?,
            kid,
            pair: Arc::new(pair),
            n: public.n,
            e: public.e,
        })))
    }

    /// The same key with another `kid`.
    #[must_use]
    pub fn with_kid(self, kid: impl Into<String>) -> Self {
        let kid = kid.into();
        Self(Arc::new(KeyInner {
            // The header of a plain string `kid` always serializes.
            header_b64: header_b64(&kid).unwrap_or_default(),
            kid,
            pair: Arc::clone(&self.0.pair),
            n: self.0.n.clone(),
            e: self.0.e.clone(),
        }))
    }

    /// The key id, sent as the `kid` of every id_token header and in the JWKS.
    pub fn kid(&self) -> &str {
        &self.0.kid
    }

    /// The public key as a JWKS document:
    /// `{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid","n","e"}]}`.
    pub(crate) fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "RSA",
                "use": "sig",
                "alg": "RS256",
                "kid": self.0.kid,
                "n": URL_SAFE_NO_PAD.encode(&self.0.n),
                "e": URL_SAFE_NO_PAD.encode(&self.0.e),
            }]
        })
    }

    /// Signs `claims` as an RS256 JWT with this key's `kid`: the same token as
    /// `jsonwebtoken::encode` makes, with the key parsed once.
    pub(crate) fn sign<T: Serialize>(&self, claims: &T) -> Result<String, EmulatorError> {
        let claims = serde_json::to_vec(claims).map_err(|_| EmulatorError::Signing)?;
        let modulus_len = self.0.pair.public_modulus_len();
        let mut token = String::with_capacity(
            self.0.header_b64.len() + 2 + (claims.len() + modulus_len) * 4 / 3 + 4,
        );
        token.push_str(&self.0.header_b64);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&claims, &mut token);
        let mut signature = vec![0; modulus_len];
        self.0
            .pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                token.as_bytes(),
                &mut signature,
            )
            .map_err(|_| EmulatorError::Signing)?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        Ok(token)
    }
}

/// The claims of an id_token (research notes §5).
#[derive(Serialize)]
pub(crate) struct IdTokenClaims<'a> {
    pub(crate) iss: String,
    pub(crate) aud: &'a str,
    pub(crate) sub: &'a str,
    pub(crate) exp: i64,
    pub(crate) iat: i64,
    pub(crate) nbf: i64,
    pub(crate) jti: String,
    pub(crate) id: &'a str,
    pub(crate) name: &'a str,
    #[serde(rename = "userName")]
    pub(crate) user_name: &'a str,
    pub(crate) mobile: &'a str,
    pub(crate) email: &'a str,
}

/// `base64url` of the RS256 JWT header with `kid`, as `jsonwebtoken` writes it.
fn header_b64(kid: &str) -> Result<String, EmulatorError> {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let json = serde_json::to_vec(&header).map_err(|_| EmulatorError::Key)?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

/// The RFC 7638 thumbprint of an RSA public key.
fn thumbprint(n: &[u8], e: &[u8]) -> String {
    let canonical = format!(
        r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(e),
        URL_SAFE_NO_PAD.encode(n)
    );
    URL_SAFE_NO_PAD.encode(digest(&SHA256, canonical.as_bytes()).as_ref())
}

/// Reads one DER TLV: `(tag, value, rest)`.
fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let (bytes, after) = rest.split_at_checked(count)?;
        rest = after;
        bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    let (value, rest) = rest.split_at_checked(len)?;
    Some((tag, value, rest))
}

/// The PKCS#1 `RSAPrivateKey` inside a PKCS#8 `PrivateKeyInfo`
/// (`SEQUENCE { INTEGER version, SEQUENCE algorithm, OCTET STRING privateKey, ... }`).
fn pkcs1_of_pkcs8(der: &[u8]) -> Option<&[u8]> {
    let (0x30, info, _) = read_tlv(der)? else {
        return None;
    };
    let (0x02, _, rest) = read_tlv(info)? else {
        return None;
    };
    let (0x30, _, rest) = read_tlv(rest)? else {
        return None;
    };
    let (0x04, key, _) = read_tlv(rest)? else {
        return None;
    };
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_reader() {
        assert_eq!(
            read_tlv(&[0x04, 0x02, 1, 2, 9]),
            Some((0x04, &[1u8, 2][..], &[9u8][..]))
        );
        assert_eq!(
            read_tlv(&[0x04, 0x81, 0x01, 7]),
            Some((0x04, &[7u8][..], &[][..]))
        );
        assert_eq!(read_tlv(&[0x04, 0x03, 1]), None);
        assert_eq!(read_tlv(&[0x04, 0x85, 1, 1, 1, 1, 1]), None);
        assert_eq!(read_tlv(&[0x04]), None);
        assert_eq!(pkcs1_of_pkcs8(&[0x30, 0x00]), None);
        assert!(SigningKey::from_pkcs8_der(b"not a key").is_err());
        assert!(SigningKey::from_pkcs1_der(b"not a key").is_err());
    }

    #[test]
    fn generated_key_round_trip() -> Result<(), EmulatorError> {
        let key = SigningKey::shared()?;
        let again = SigningKey::shared()?;
        assert_eq!(key.kid(), again.kid());
        assert_eq!(key.0.n.len(), 256);
        assert_eq!(key.0.e, vec![1, 0, 1]);
        let debug = format!("{key:?}");
        assert!(debug.contains(key.kid()));
        let renamed = key.clone().with_kid("k1");
        assert_eq!(renamed.kid(), "k1");
        assert_eq!(renamed.jwks()["keys"][0]["kid"], "k1");
        Ok(())
    }

    #[test]
    fn tokens_are_those_jsonwebtoken_makes() -> Result<(), EmulatorError> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| EmulatorError::Key)?;
        let pkcs8 = pair.as_der().map_err(|_| EmulatorError::Key)?;
        let key = SigningKey::from_pkcs8_der(pkcs8.as_ref())?.with_kid("k1");
        let pkcs1 = pkcs1_of_pkcs8(pkcs8.as_ref()).ok_or(EmulatorError::Key)?;
        let claims = serde_json::json!({"sub": "alice", "exp": 2_000_000_000_i64, "name": "Ålice"});
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("k1".into());
        // RSASSA-PKCS1-v1_5 is deterministic: the same key and input give the same token.
        let expected = jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_rsa_der(pkcs1),
        )
        .map_err(|_| EmulatorError::Signing)?;
        assert_eq!(key.sign(&claims)?, expected);
        Ok(())
    }
}

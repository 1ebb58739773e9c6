//! EKS bearer tokens (docs/eks.md): a presigned STS `GetCallerIdentity` URL, wrapped the way
//! EKS (aws-iam-authenticator) expects it.
//!
//! The API server of an EKS cluster authenticates a request by taking the token apart: it
//! decodes the URL, checks that it is an STS `GetCallerIdentity` call whose signed headers
//! include `x-k8s-aws-id: CLUSTER` (so a token made for one cluster is refused by another),
//! that it was signed less than 15 minutes ago, and sends it to STS, which checks the
//! signature and says who signed it. So the token is:
//!
//! ```text
//! k8s-aws-v1. + base64url, no padding, of
//! https://sts.REGION.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15
//!     &X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=…&X-Amz-Date=…&X-Amz-Expires=60
//!     &X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=…&X-Amz-Security-Token=…
//! ```
//!
//! signed with SigV4 in the query string (AWS's "Authenticating requests: using query
//! parameters") by the SDK's own signer, `aws-sigv4`, over the empty body. No request is sent
//! here: making a token costs no network call.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use aws_sdk_sts::config::Credentials;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;

use super::credentials::SigningKeys;
use super::sts::StsSettings;
use crate::secret::SecretString;

/// What every EKS token starts with.
pub const TOKEN_PREFIX: &str = "k8s-aws-v1.";
/// The signed header that names the cluster.
pub const CLUSTER_HEADER: &str = "x-k8s-aws-id";
/// `X-Amz-Expires` of the presigned URL, seconds. EKS ignores it and accepts a token for 15
/// minutes after `X-Amz-Date`; aws-iam-authenticator and `aws eks get-token` send 60.
pub const URL_EXPIRES_SECS: u64 = 60;
/// How long EKS accepts a token after it was signed.
pub const EKS_ACCEPTS_SECS: u64 = 15 * 60;
/// How long a token is declared valid to kubectl: a minute less than EKS accepts it, so that
/// kubectl asks for a new one before the server refuses the old one.
pub const TOKEN_LIFETIME_SECS: u64 = EKS_ACCEPTS_SECS - 60;

/// The query of the presigned call, before the signature's parameters.
const QUERY: &str = "Action=GetCallerIdentity&Version=2011-06-15";

/// A bearer token for an EKS cluster, and until when kubectl may use it.
#[derive(Debug)]
pub struct EksToken {
    /// `k8s-aws-v1.…`: whoever holds it can act as the signer on the cluster until it expires.
    pub token: SecretString,
    /// Unix seconds: [`TOKEN_LIFETIME_SECS`] after signing, or the credentials' own expiry if
    /// that is sooner.
    pub expiration: u64,
}

/// Why no token could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EksError {
    /// The STS endpoint (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`) is not a URL that can be
    /// signed.
    #[error("cannot sign a request to the STS endpoint {endpoint}: {reason}")]
    Endpoint { endpoint: String, reason: String },
    /// The credentials expire before the token could be used.
    #[error("the credentials expired at {expiration} (Unix seconds)")]
    Expired { expiration: u64 },
}

/// The token for `cluster`, signed with `keys` (which expire at `expiration`) at `now` (Unix
/// seconds) for the STS endpoint of `settings`.
pub fn token(
    keys: &dyn SigningKeys,
    expiration: u64,
    settings: &StsSettings,
    cluster: &str,
    now: u64,
) -> Result<EksToken, EksError> {
    if expiration <= now {
        return Err(EksError::Expired { expiration });
    }
    let url = presigned_url(keys, settings, cluster, now)?;
    let mut token = String::with_capacity(TOKEN_PREFIX.len() + url.expose().len() * 4 / 3 + 4);
    token.push_str(TOKEN_PREFIX);
    base64url_into(url.expose().as_bytes(), &mut token);
    Ok(EksToken {
        token: SecretString::new(token),
        expiration: expiration.min(now + TOKEN_LIFETIME_SECS),
    })
}

/// The presigned `GetCallerIdentity` URL: `GET` on the endpoint's root with [`QUERY`], the
/// `host` and [`CLUSTER_HEADER`] headers signed, `X-Amz-Expires` = [`URL_EXPIRES_SECS`], the
/// payload hash of the empty body, and the session token (when there is one) as
/// `X-Amz-Security-Token`, signed too (STS requires it in the canonical query).
pub fn presigned_url(
    keys: &dyn SigningKeys,
    settings: &StsSettings,
    cluster: &str,
    now: u64,
) -> Result<SecretString, EksError> {
    let endpoint = settings.endpoint();
    let base = format!("{}/?{QUERY}", endpoint.trim_end_matches('/'));
    let failed = |reason: String| EksError::Endpoint {
        endpoint: endpoint.clone(),
        reason,
    };
    let identity = Credentials::new(
        keys.access_key_id(),
        keys.secret_access_key().expose(),
        keys.session_token().map(|t| t.expose().to_owned()),
        None,
        "mfa",
    )
    .into();
    let mut signing = SigningSettings::default();
    signing.signature_location = SignatureLocation::QueryParams;
    signing.expires_in = Some(Duration::from_secs(URL_EXPIRES_SECS));
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&settings.region)
        .name("sts")
        .time(SystemTime::UNIX_EPOCH + Duration::from_secs(now))
        .settings(signing)
        .build()
        .map_err(|e| failed(e.to_string()))?
        .into();
    let request = SignableRequest::new(
        "GET",
        Cow::Borrowed(base.as_str()),
        [(CLUSTER_HEADER, cluster)].into_iter(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| failed(e.to_string()))?;
    let (instructions, _signature) = sign(request, &params)
        .map_err(|e| failed(e.to_string()))?
        .into_parts();
    let mut url = base;
    for (name, value) in instructions.params() {
        url.push('&');
        url.push_str(name);
        url.push('=');
        percent_encode_into(value, &mut url);
    }
    Ok(SecretString::new(url))
}

/// Appends `value` percent-encoded: every byte but RFC 3986's unreserved characters becomes
/// `%XX`, as SigV4's canonical query string does.
fn percent_encode_into(value: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in value.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0F)]));
        }
    }
}

/// Appends `bytes` in base64url without padding (RFC 4648 §5).
fn base64url_into(bytes: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let sextet = |n: u32, shift: u32| char::from(ALPHABET[((n >> shift) & 0x3F) as usize]);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        out.push(sextet(n, 18));
        out.push(sextet(n, 12));
        if chunk.len() > 1 {
            out.push(sextet(n, 6));
        }
        if chunk.len() > 2 {
            out.push(sextet(n, 0));
        }
    }
}

#[cfg(test)]
mod tests;

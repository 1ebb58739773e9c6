//! The presigned URL checked by an independent SigV4 computation (AWS's "Authenticating
//! requests: using query parameters"), itself checked first against the example AWS documents
//! for a presigned S3 GET.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::*;
use crate::aws::credentials::SessionCredentials;

/// 2023-11-14T22:13:20Z.
const NOW: u64 = 1_700_000_000;
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn credentials(expiration: u64) -> SessionCredentials {
    SessionCredentials {
        access_key_id: "ASIAEXAMPLE000000001".into(),
        secret_access_key: SecretString::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into()),
        session_token: SecretString::new("FQoGZXIvYXdzE+/token=".into()),
        expiration,
    }
}

fn settings(region: &str, endpoint: Option<&str>) -> StsSettings {
    StsSettings {
        endpoint_url: endpoint.map(str::to_owned),
        ..StsSettings::new(region)
    }
}

// --- an independent SigV4 verifier --------------------------------------------------------

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn uri_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn uri_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A URL taken apart: scheme, host (with port), path, decoded query parameters.
struct Parsed {
    host: String,
    path: String,
    params: Vec<(String, String)>,
}

fn parse(url: &str) -> Parsed {
    let rest = url.split_once("://").unwrap().1;
    let (authority, path_query) = rest.split_at(rest.find('/').unwrap());
    let (path, query) = path_query.split_once('?').unwrap();
    let params = query
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            (uri_decode(k), uri_decode(v))
        })
        .collect();
    Parsed {
        host: authority.to_owned(),
        path: path.to_owned(),
        params,
    }
}

impl Parsed {
    fn get(&self, name: &str) -> &str {
        &self.params.iter().find(|(k, _)| k == name).unwrap().1
    }
}

/// The signature SigV4 expects for `url` (its `X-Amz-Signature` left out of the canonical
/// query), with `headers` (lowercase names; `host` included) and `payload_hash`.
fn expected_signature(
    url: &Parsed,
    headers: &[(&str, &str)],
    payload_hash: &str,
    secret: &str,
) -> String {
    let mut query: Vec<(String, String)> = url
        .params
        .iter()
        .filter(|(k, _)| k != "X-Amz-Signature")
        .map(|(k, v)| (uri_encode(k), uri_encode(v)))
        .collect();
    query.sort();
    let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut headers = headers.to_vec();
    headers.sort();
    let canonical_headers: String = headers
        .iter()
        .map(|(k, v)| format!("{k}:{}\n", v.trim()))
        .collect();
    let signed: Vec<&str> = headers.iter().map(|(k, _)| *k).collect();
    let canonical = format!(
        "GET\n{}\n{}\n{canonical_headers}\n{}\n{payload_hash}",
        url.path,
        query.join("&"),
        signed.join(";")
    );
    let date_time = url.get("X-Amz-Date");
    let credential = url.get("X-Amz-Credential");
    let (_, scope) = credential.split_once('/').unwrap();
    let parts: Vec<&str> = scope.split('/').collect();
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{date_time}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), parts[0]);
    for part in &parts[1..] {
        key = hmac(&key, part);
    }
    hex(&hmac(&key, &to_sign))
}

#[test]
fn the_verifier_reproduces_the_aws_documented_presigned_url() {
    // AWS S3 documentation, "Authenticating Requests: Using Query Parameters (AWS Signature
    // Version 4)": GET examplebucket/test.txt, 24 May 2013, valid 86400 s.
    let url = parse(
        "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
         &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
         &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
    );
    let signature = expected_signature(
        &url,
        &[("host", "examplebucket.s3.amazonaws.com")],
        "UNSIGNED-PAYLOAD",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    );
    assert_eq!(signature, url.get("X-Amz-Signature"));
}

#[test]
fn the_presigned_url_is_a_signed_get_caller_identity_for_the_cluster() {
    let keys = credentials(NOW + 3600);
    let url = presigned_url(&keys, &settings("eu-west-1", None), "test-cluster", NOW).unwrap();
    let url = url.expose();
    assert!(
        url.starts_with(
            "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&"
        ),
        "{url}"
    );
    let parsed = parse(url);
    assert_eq!(parsed.host, "sts.eu-west-1.amazonaws.com");
    assert_eq!(parsed.path, "/");
    assert_eq!(parsed.get("X-Amz-Algorithm"), "AWS4-HMAC-SHA256");
    assert_eq!(
        parsed.get("X-Amz-Credential"),
        "ASIAEXAMPLE000000001/20231114/eu-west-1/sts/aws4_request"
    );
    assert_eq!(parsed.get("X-Amz-Date"), "20231114T221320Z");
    assert_eq!(parsed.get("X-Amz-Expires"), "60");
    assert_eq!(parsed.get("X-Amz-SignedHeaders"), "host;x-k8s-aws-id");
    assert_eq!(parsed.get("X-Amz-Security-Token"), "FQoGZXIvYXdzE+/token=");
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let headers = [
        ("host", parsed.host.as_str()),
        ("x-k8s-aws-id", "test-cluster"),
    ];
    assert_eq!(
        expected_signature(&parsed, &headers, EMPTY_SHA256, secret),
        parsed.get("X-Amz-Signature")
    );
    // The cluster is part of what is signed: the same URL does not verify for another one.
    let other = [
        ("host", "sts.eu-west-1.amazonaws.com"),
        ("x-k8s-aws-id", "other-cluster"),
    ];
    assert_ne!(
        expected_signature(&parsed, &other, EMPTY_SHA256, secret),
        parsed.get("X-Amz-Signature")
    );
}

#[test]
fn an_endpoint_override_is_signed_with_its_host_and_port() {
    let keys = credentials(NOW + 3600);
    let url = presigned_url(
        &keys,
        &settings("us-east-1", Some("http://127.0.0.1:4566/")),
        "c",
        NOW,
    )
    .unwrap();
    let url = url.expose();
    assert!(
        url.starts_with("http://127.0.0.1:4566/?Action=GetCallerIdentity&Version=2011-06-15&"),
        "{url}"
    );
    let parsed = parse(url);
    let headers = [("host", "127.0.0.1:4566"), ("x-k8s-aws-id", "c")];
    assert_eq!(
        expected_signature(
            &parsed,
            &headers,
            EMPTY_SHA256,
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        ),
        parsed.get("X-Amz-Signature")
    );
}

#[test]
fn the_token_is_the_url_in_unpadded_base64url_behind_the_prefix() {
    let keys = credentials(NOW + 3600);
    let settings = settings("eu-west-1", None);
    let token = token(&keys, keys.expiration, &settings, "test-cluster", NOW).unwrap();
    let text = token.token.expose();
    let encoded = text.strip_prefix("k8s-aws-v1.").unwrap();
    assert!(!encoded.contains(['=', '+', '/']), "{encoded}");
    let url = presigned_url(&keys, &settings, "test-cluster", NOW).unwrap();
    assert_eq!(decode_base64url(encoded), url.expose());
}

#[test]
fn the_token_expires_within_15_minutes_and_not_after_the_credentials() {
    let settings = settings("eu-west-1", None);
    let long = credentials(NOW + 3600);
    let token_long = token(&long, long.expiration, &settings, "c", NOW).unwrap();
    assert_eq!(token_long.expiration, NOW + 14 * 60);
    let short = credentials(NOW + 120);
    let token_short = token(&short, short.expiration, &settings, "c", NOW).unwrap();
    assert_eq!(token_short.expiration, NOW + 120);
    assert_eq!(
        token(&short, short.expiration, &settings, "c", NOW + 120).unwrap_err(),
        EksError::Expired {
            expiration: NOW + 120
        }
    );
}

#[test]
fn debug_hides_the_token() {
    let keys = credentials(NOW + 3600);
    let token = token(
        &keys,
        keys.expiration,
        &settings("eu-west-1", None),
        "c",
        NOW,
    )
    .unwrap();
    let text = format!("{token:?}");
    assert!(!text.contains("k8s-aws-v1"), "{text}");
}

#[test]
fn base64url_matches_rfc_4648_without_padding() {
    // RFC 4648 §10, padding dropped; then the two characters only base64url has.
    for (input, expected) in [
        ("", ""),
        ("f", "Zg"),
        ("fo", "Zm8"),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg"),
        ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ] {
        let mut out = String::new();
        base64url_into(input.as_bytes(), &mut out);
        assert_eq!(out, expected, "{input:?}");
    }
    let mut out = String::new();
    base64url_into(&[0xFB, 0xFF, 0xBF], &mut out);
    assert_eq!(out, "-_-_");
}

#[test]
fn query_values_are_percent_encoded_except_unreserved_characters() {
    let mut out = String::new();
    percent_encode_into("AZaz09-_.~ /+=;%", &mut out);
    assert_eq!(out, "AZaz09-_.~%20%2F%2B%3D%3B%25");
}

fn decode_base64url(text: &str) -> String {
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.chars() {
        bits = bits << 6 | alphabet.find(c).unwrap() as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    String::from_utf8(out).unwrap()
}

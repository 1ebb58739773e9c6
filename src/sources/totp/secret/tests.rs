#![allow(clippy::unwrap_used)]

use super::*;

const SHA1_SEED: &[u8] = b"12345678901234567890";
const SHA256_SEED: &[u8] = b"12345678901234567890123456789012";
const SHA512_SEED: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

fn uri_for(seed: &[u8], algorithm: &str) -> String {
    format!(
        "otpauth://totp/RFC:6238?secret={}&algorithm={algorithm}&digits=8",
        encode_base32(seed).as_str()
    )
}

/// RFC 6238 appendix B, through the same path as a pasted URI.
#[test]
fn rfc6238_vectors_for_every_algorithm() {
    let table: [(u64, &str, &str, &str); 6] = [
        (59, "94287082", "46119246", "90693936"),
        (1111111109, "07081804", "68084774", "25091201"),
        (1111111111, "14050471", "67062674", "99943326"),
        (1234567890, "89005924", "91819424", "93441116"),
        (2000000000, "69279037", "90698825", "38618901"),
        (20000000000, "65353130", "77737706", "47863826"),
    ];
    let sha1 = TotpSecret::parse(&uri_for(SHA1_SEED, "SHA1")).unwrap();
    let sha256 = TotpSecret::parse(&uri_for(SHA256_SEED, "SHA256")).unwrap();
    let sha512 = TotpSecret::parse(&uri_for(SHA512_SEED, "sha512")).unwrap();
    assert_eq!(sha512.params().algorithm, HashAlgorithm::Sha512);
    for (time, one, two, five) in table {
        assert_eq!(sha1.code_at(time).expose(), one, "SHA1 at {time}");
        assert_eq!(sha256.code_at(time).expose(), two, "SHA256 at {time}");
        assert_eq!(sha512.code_at(time).expose(), five, "SHA512 at {time}");
        assert_eq!(sha1.step_at(time), time / 30);
    }
}

#[test]
fn six_digit_codes_keep_leading_zeros() {
    let secret = TotpSecret::new(SHA1_SEED.to_vec().into(), TotpParams::default()).unwrap();
    // RFC 6238's 07081804 at 1111111109, cut to 6 digits.
    assert_eq!(secret.code_at(1111111109).expose(), "081804");
}

#[test]
fn base32_accepts_spaces_lower_case_and_padding() {
    let canonical = TotpSecret::parse("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
    assert_eq!(canonical.seed().expose(), SHA1_SEED);
    assert_eq!(canonical.params(), &TotpParams::default());
    for variant in [
        "gezd gnbv gy3t qojq gezd gnbv gy3t qojq",
        "  GEZDGNBVGY3TQOJQ\tGEZDGNBVGY3TQOJQ\n",
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ====",
    ] {
        assert_eq!(
            TotpSecret::parse(variant).unwrap(),
            canonical,
            "{variant:?}"
        );
    }
    // 16 bytes: 26 characters plus padding, or none.
    let sixteen = TotpSecret::parse("GEZDGNBVGY3TQOJQGEZDGNBVGY======").unwrap();
    assert_eq!(sixteen.seed().len(), 16);
}

#[test]
fn base32_mistakes_are_named_without_the_secret() {
    assert_eq!(TotpSecret::parse(""), Err(SecretError::Empty));
    assert_eq!(TotpSecret::parse("   \n"), Err(SecretError::Empty));
    assert_eq!(TotpSecret::parse("===="), Err(SecretError::Empty));
    assert_eq!(
        TotpSecret::parse("GEZDGNBV1Y3TQOJQ"),
        Err(SecretError::NotBase32 { position: 9 })
    );
    assert_eq!(
        TotpSecret::parse("GEZDGNBVGY3TQOJQ=A"),
        Err(SecretError::NotBase32 { position: 18 })
    );
    assert_eq!(
        TotpSecret::parse("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQO"),
        Err(SecretError::BadLength { chars: 30 })
    );
    // "123456" is a code, not a seed: '1' is not Base32. "234567" decodes, but to 3 bytes.
    assert_eq!(
        TotpSecret::parse("123456"),
        Err(SecretError::NotBase32 { position: 1 })
    );
    assert_eq!(
        TotpSecret::parse("23456723"),
        Err(SecretError::TooShort { bits: 40 })
    );
    let long = "A".repeat(400);
    assert_eq!(
        TotpSecret::parse(&long),
        Err(SecretError::TooLong { bytes: 250 })
    );
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQO";
    let message = TotpSecret::parse(secret).unwrap_err().to_string();
    assert!(!message.contains(secret), "{message}");
}

#[test]
fn aws_style_uri() {
    let uri = "otpauth://totp/Amazon%20Web%20Services:alice@123456789012\
               ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Amazon%20Web%20Services";
    let secret = TotpSecret::parse(uri).unwrap();
    assert_eq!(secret.seed().expose(), SHA1_SEED);
    let p = secret.params();
    assert_eq!(p.issuer.as_deref(), Some("Amazon Web Services"));
    assert_eq!(p.account.as_deref(), Some("alice@123456789012"));
    assert_eq!(
        (p.algorithm, p.digits, p.period),
        (HashAlgorithm::Sha1, 6, 30)
    );
}

#[test]
fn uri_parameters_and_label_forms() {
    let s = TotpSecret::parse(
        "OTPAUTH://TOTP/Example%3Abob?SECRET=gezdgnbvgy3tqojqgezdgnbvgy3tqojq\
         &digits=8&period=60&algorithm=sha256&image=https%3A%2F%2Fx&counter=3#frag",
    )
    .unwrap();
    let p = s.params();
    assert_eq!(p.issuer.as_deref(), Some("Example"));
    assert_eq!(p.account.as_deref(), Some("bob"));
    assert_eq!(
        (p.algorithm, p.digits, p.period),
        (HashAlgorithm::Sha256, 8, 60)
    );
    assert_eq!(s.step_at(120), 2);

    // The issuer parameter wins over the label's prefix; `+` is a space in the query.
    let s = TotpSecret::parse(
        "otpauth://totp/Old:%20carol?issuer=New+Corp&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
    )
    .unwrap();
    assert_eq!(s.params().issuer.as_deref(), Some("New Corp"));
    assert_eq!(s.params().account.as_deref(), Some("carol"));

    // No label at all.
    let s = TotpSecret::parse("otpauth://totp?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
    assert_eq!(
        (s.params().issuer.clone(), s.params().account.clone()),
        (None, None)
    );
}

#[test]
fn bad_uris_are_refused_clearly() {
    let seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let cases: Vec<(String, SecretError)> = vec![
        (
            format!("otpauth://hotp/x?secret={seed}&counter=0"),
            SecretError::Hotp,
        ),
        (format!("otpauth://HOTP/x?secret={seed}"), SecretError::Hotp),
        (
            format!("otpauth://steam/x?secret={seed}"),
            SecretError::UnknownType {
                kind: "steam".into(),
            },
        ),
        (
            "otpauth://totp/x?issuer=a".into(),
            SecretError::MissingSecret,
        ),
        (
            format!("otpauth://totp/x?secret={seed}&secret={seed}"),
            SecretError::Duplicate {
                name: "secret".into(),
            },
        ),
        (
            format!("otpauth://totp/x?secret={seed}&algorithm=MD5"),
            SecretError::Algorithm {
                value: "MD5".into(),
            },
        ),
        (
            format!("otpauth://totp/x?secret={seed}&digits=7"),
            SecretError::Digits { value: "7".into() },
        ),
        (
            format!("otpauth://totp/x?secret={seed}&period=0"),
            SecretError::Period { value: "0".into() },
        ),
        (
            format!("otpauth://totp/x?secret={seed}&period=thirty"),
            SecretError::Period {
                value: "thirty".into(),
            },
        ),
        (
            format!("otpauth://totp/a%2?secret={seed}"),
            SecretError::Malformed {
                detail: "a `%` is not followed by two hex digits".into(),
            },
        ),
        (
            format!("otpauth://totp/%FF?secret={seed}"),
            SecretError::Malformed {
                detail: "it is not UTF-8 once percent-decoded".into(),
            },
        ),
        (
            format!("otpauth:totp/x?secret={seed}"),
            SecretError::Malformed {
                detail: "it must start with otpauth://totp/".into(),
            },
        ),
        (
            format!("https://example.com/?secret={seed}"),
            SecretError::NotOtpauth {
                scheme: "https".into(),
            },
        ),
        (
            "otpauth://totp/x?secret=GEZ1".into(),
            SecretError::NotBase32 { position: 4 },
        ),
    ];
    for (uri, expected) in cases {
        let err = TotpSecret::parse(&uri).unwrap_err();
        assert_eq!(err, expected, "{uri}");
        assert!(!err.to_string().contains(seed), "{err}");
    }
}

#[test]
fn canonical_uri_round_trips() {
    for input in [
        "otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Amazon%20Web%20Services",
        "otpauth://totp/x:y%3Az?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGE&algorithm=SHA512&digits=8&period=45",
        "otpauth://totp/only-issuer:?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
    ] {
        let secret = TotpSecret::parse(input).unwrap();
        let uri = secret.to_uri();
        assert!(
            uri.expose().starts_with("otpauth://totp/"),
            "{}",
            uri.expose()
        );
        assert!(uri.expose().contains("&algorithm="));
        assert_eq!(TotpSecret::parse(uri.expose()).unwrap(), secret, "{input}");
    }
    let aws = TotpSecret::parse("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
    assert_eq!(
        aws.to_uri().expose(),
        "otpauth://totp/?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA1&digits=6&period=30"
    );
}

#[test]
fn new_checks_the_parameters() {
    let seed = || SecretBytes::new(SHA1_SEED.to_vec());
    let with = |digits, period| TotpParams {
        digits,
        period,
        ..TotpParams::default()
    };
    assert!(TotpSecret::new(seed(), with(6, 30)).is_ok());
    assert!(TotpSecret::new(seed(), with(8, 3600)).is_ok());
    assert!(matches!(
        TotpSecret::new(seed(), with(9, 30)),
        Err(SecretError::Digits { .. })
    ));
    assert!(matches!(
        TotpSecret::new(seed(), with(6, 0)),
        Err(SecretError::Period { .. })
    ));
    assert!(matches!(
        TotpSecret::new(SecretBytes::new(vec![1; 9]), with(6, 30)),
        Err(SecretError::TooShort { bits: 72 })
    ));
}

#[test]
fn debug_shows_parameters_not_the_seed() {
    let secret = TotpSecret::parse("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
    let debug = format!("{secret:?}");
    assert!(
        debug.contains("redacted") && debug.contains("Sha1"),
        "{debug}"
    );
    assert!(
        !debug.contains("GEZD") && !debug.contains("49, 50"),
        "{debug}"
    );
}

#[test]
fn pasted_unicode_across_byte_eight_panicked() {
    // A seed with a two-byte character at bytes 7–8, and other multi-byte pastes: each is an
    // error, never a panic (whose message would quote the seed).
    for input in [
        "GEZDGNBé",
        "GEZDGNBéVGY3TQOJQ",
        "otpauth\u{301}://totp/x?secret=GEZDGNBV",
        "ééééé",
        "\u{1F600}\u{1F600}\u{1F600}",
        "OTPAUTH://totp/\u{e9}?secret=GEZDGNBVGY3TQOJQ",
    ] {
        let result = std::panic::catch_unwind(|| TotpSecret::parse(input).map(|_| ()));
        assert!(result.is_ok(), "{input:?} panicked");
    }
}

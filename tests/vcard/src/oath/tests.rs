//! OATH application tests: RFC vectors, calculation, chaining, capacity, touch, parsing.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use crate::testutil::*;
use crate::{CardConfig, OathCard, TouchMode};

const SEED_SHA1: &[u8] = b"12345678901234567890";
const SEED_SHA256: &[u8] = b"12345678901234567890123456789012";
const SEED_SHA512: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

#[test]
fn rfc6238_vectors_through_calculate() {
    // RFC 6238 appendix B: time, SHA1, SHA256, SHA512 (8 digits, 30 s).
    let vectors: [(u64, &str, &str, &str); 6] = [
        (59, "94287082", "46119246", "90693936"),
        (1111111109, "07081804", "68084774", "25091201"),
        (1111111111, "14050471", "67062674", "99943326"),
        (1234567890, "89005924", "91819424", "93441116"),
        (2000000000, "69279037", "90698825", "38618901"),
        (20000000000, "65353130", "77737706", "47863826"),
    ];
    let mut card = card();
    select(&mut card);
    for (name, kind, seed) in [
        ("sha1", 0x21, SEED_SHA1),
        ("sha256", 0x22, SEED_SHA256),
        ("sha512", 0x23, SEED_SHA512),
    ] {
        let put = Put {
            digits: 8,
            kind,
            ..Put::totp(name, seed)
        };
        assert_eq!(put.send(&mut card), 0x9000);
    }
    for (time, sha1, sha256, sha512) in vectors {
        let challenge = time_challenge(time, 30);
        assert_eq!(code(&mut card, "sha1", &challenge).unwrap(), sha1, "{time}");
        assert_eq!(
            code(&mut card, "sha256", &challenge).unwrap(),
            sha256,
            "{time}"
        );
        assert_eq!(
            code(&mut card, "sha512", &challenge).unwrap(),
            sha512,
            "{time}"
        );
    }
}

#[test]
fn full_response_is_the_untruncated_hmac() {
    let mut card = card();
    select(&mut card);
    let put = Put {
        digits: 8,
        kind: 0x23,
        ..Put::totp("sha512", SEED_SHA512)
    };
    assert_eq!(put.send(&mut card), 0x9000);
    let mut data = tlv(0x71, b"sha512");
    data.extend(tlv(0x74, &time_challenge(59, 30)));
    let (resp, sw) = transmit(&mut card, &apdu(0xA2, 0, 0, &data));
    assert_eq!(sw, 0x9000);
    let value = tlvs(&resp).remove(&0x75).unwrap();
    assert_eq!((value[0], value.len()), (8, 65));
    let mac = &value[1..];
    let offset = usize::from(mac[63] & 0x0F);
    let mut truncated = vec![8];
    truncated.extend_from_slice(&mac[offset..offset + 4]);
    assert_eq!(format_code(&truncated), "90693936");
}

#[test]
fn rfc4226_hotp_vectors_and_imf() {
    let expected = [
        "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
        "520489",
    ];
    let mut card = card();
    select(&mut card);
    let hotp = Put {
        kind: 0x11,
        ..Put::totp("hotp", SEED_SHA1)
    };
    assert_eq!(hotp.send(&mut card), 0x9000);
    for want in expected {
        // HOTP ignores the challenge; ykman sends an empty one.
        assert_eq!(code(&mut card, "hotp", &[]).unwrap(), want);
    }
    let from_five = Put {
        kind: 0x11,
        imf: Some(5),
        ..Put::totp("hotp5", SEED_SHA1)
    };
    assert_eq!(from_five.send(&mut card), 0x9000);
    assert_eq!(code(&mut card, "hotp5", &[]).unwrap(), expected[5]);
    assert_eq!(code(&mut card, "hotp5", &[1, 2, 3]).unwrap(), expected[6]);
}

#[test]
fn calculate_all_reports_each_kind() {
    let mut card = card();
    select(&mut card);
    Put::totp("plain", SEED_SHA1).send(&mut card);
    Put {
        kind: 0x11,
        ..Put::totp("counter", SEED_SHA1)
    }
    .send(&mut card);
    Put {
        touch: true,
        ..Put::totp("touchy", SEED_SHA1)
    }
    .send(&mut card);
    Put {
        digits: 8,
        ..Put::totp("60/slow", SEED_SHA1)
    }
    .send(&mut card);
    let (resp, sw) = transmit(
        &mut card,
        &apdu(0xA4, 0, 1, &tlv(0x74, &time_challenge(59, 30))),
    );
    assert_eq!(sw, 0x9000);
    let items = crate::tlv::parse_all(&resp).unwrap();
    let pairs: Vec<(&[u8], u8, &[u8])> = items
        .chunks(2)
        .map(|p| (p[0].value, p[1].tag, p[1].value))
        .collect();
    assert_eq!(pairs[0].0, b"plain");
    assert_eq!(
        (pairs[0].1, format_code(pairs[0].2).as_str()),
        (0x76, "287082")
    );
    assert_eq!(
        (pairs[1].0, pairs[1].1, pairs[1].2),
        (&b"counter"[..], 0x77, &[6u8][..])
    );
    assert_eq!(
        (pairs[2].0, pairs[2].1, pairs[2].2),
        (&b"touchy"[..], 0x7C, &[6u8][..])
    );
    // Another period is calculated with the challenge given; the host recalculates it.
    assert_eq!(
        (pairs[3].1, format_code(pairs[3].2).as_str()),
        (0x76, "94287082")
    );
    // No touch was asked for, and the HOTP counter did not move.
    assert_eq!(card.touch_count(), 0);
    assert_eq!(code(&mut card, "counter", &[]).unwrap(), "755224");
}

#[test]
fn chaining_with_32_accounts_of_60_byte_names() {
    let mut card = card();
    select(&mut card);
    let names: Vec<String> = (0..32)
        .map(|i| format!("{i:02}{}", "n".repeat(58)))
        .collect();
    for name in &names {
        assert_eq!(name.len(), 60);
        assert_eq!(Put::totp(name, SEED_SHA1).send(&mut card), 0x9000);
    }
    // A 33rd account does not fit; overwriting one still works.
    assert_eq!(Put::totp("one too many", SEED_SHA1).send(&mut card), 0x6A84);
    let sha256 = Put {
        kind: 0x22,
        ..Put::totp(&names[3], SEED_SHA256)
    };
    assert_eq!(sha256.send(&mut card), 0x9000);

    // LIST: 32 × 63 bytes, in pieces of at most 256 with exact 61xx counts.
    let (first, sw) = send(&mut card, &apdu(0xA1, 0, 0, &[]));
    assert_eq!((first.len(), sw), (256, 0x6100));
    let mut all = first;
    let mut remaining = 32 * 63 - 256;
    loop {
        let (more, sw) = send(&mut card, &[0, 0xA5, 0, 0]);
        all.extend_from_slice(&more);
        remaining -= more.len();
        if remaining == 0 {
            assert_eq!(sw, 0x9000);
            break;
        }
        let expect = if remaining >= 256 {
            0x6100
        } else {
            0x6100 | remaining as u16
        };
        assert_eq!(sw, expect);
    }
    let listed = crate::tlv::parse_all(&all).unwrap();
    assert_eq!(listed.len(), 32);
    assert_eq!(&listed[5].value[1..], names[5].as_bytes());
    assert_eq!(listed[3].value[0], 0x22);

    // CALCULATE ALL: 32 × (62 + 7) bytes.
    let (resp, sw) = transmit(
        &mut card,
        &apdu(0xA4, 0, 1, &tlv(0x74, &time_challenge(59, 30))),
    );
    assert_eq!((resp.len(), sw), (32 * 69, 0x9000));
    let items = crate::tlv::parse_all(&resp).unwrap();
    assert_eq!(items.len(), 64);
    assert_eq!(format_code(items[1].value), "287082");

    // Another command drops the pending rest.
    let (_, sw) = send(&mut card, &apdu(0xA1, 0, 0, &[]));
    assert_eq!(sw, 0x6100);
    select(&mut card);
    let (rest, sw) = send(&mut card, &[0, 0xA5, 0, 0]);
    assert_eq!((rest.len(), sw), (0, 0x9000));
}

#[test]
fn touch_modes() {
    let mut card = OathCard::new(CardConfig {
        touch: TouchMode::Deny,
        ..CardConfig::default()
    });
    select(&mut card);
    Put {
        touch: true,
        ..Put::totp("touchy", SEED_SHA1)
    }
    .send(&mut card);
    let challenge = time_challenge(59, 30);
    assert_eq!(code(&mut card, "touchy", &challenge), Err(0x6982));
    assert_eq!(card.touch_count(), 1);
    card.set_touch(TouchMode::Approve);
    assert_eq!(code(&mut card, "touchy", &challenge).unwrap(), "287082");
    card.set_touch(TouchMode::Delay(Duration::from_millis(60)));
    let start = Instant::now();
    assert_eq!(code(&mut card, "touchy", &challenge).unwrap(), "287082");
    assert!(start.elapsed() >= Duration::from_millis(60));
    assert_eq!(card.touch_count(), 3);
    // Accounts without touch never ask.
    Put::totp("plain", SEED_SHA1).send(&mut card);
    card.set_touch(TouchMode::Deny);
    assert_eq!(code(&mut card, "plain", &challenge).unwrap(), "287082");
    assert_eq!(card.touch_count(), 3);
}

#[test]
fn put_parsing_rules() {
    let mut card = card();
    select(&mut card);
    // The PROPERTY quirk: bare `78 02`. A length byte is not understood.
    let mut data = Put::totp("p", SEED_SHA1).data();
    data.extend([0x78, 0x01, 0x02]);
    assert_eq!(send(&mut card, &apdu(0x01, 0, 0, &data)).1, 0x6A80);
    // Names: 1..=64 bytes.
    assert_eq!(
        Put::totp(&"x".repeat(64), SEED_SHA1).send(&mut card),
        0x9000
    );
    assert_eq!(
        Put::totp(&"x".repeat(65), SEED_SHA1).send(&mut card),
        0x6A80
    );
    assert_eq!(Put::totp("", SEED_SHA1).send(&mut card), 0x6A80);
    // Digits, type and algorithm are checked.
    for (kind, digits) in [(0x21, 5), (0x21, 9), (0x31, 6), (0x24, 6), (0x20, 6)] {
        let put = Put {
            kind,
            digits,
            ..Put::totp("bad", SEED_SHA1)
        };
        assert_eq!(put.send(&mut card), 0x6A80, "{kind:02X} {digits}");
    }
    // IMF must be 4 bytes.
    let mut data = Put::totp("i", SEED_SHA1).data();
    data.extend([0x7A, 0x02, 0, 1]);
    assert_eq!(send(&mut card, &apdu(0x01, 0, 0, &data)).1, 0x6A80);
    // A key longer than the hash block gives the same codes as its hash; short keys work.
    let long = [0x33u8; 100];
    let hashed = {
        use sha1::Digest;
        sha1::Sha1::digest(long).to_vec()
    };
    Put::totp("long", &long).send(&mut card);
    Put::totp("hashed", &hashed).send(&mut card);
    Put::totp("short", b"ab").send(&mut card);
    Put::totp("padded", &[b"ab".as_slice(), &[0; 12]].concat()).send(&mut card);
    let c = time_challenge(1234567890, 30);
    assert_eq!(code(&mut card, "long", &c), code(&mut card, "hashed", &c));
    assert_eq!(code(&mut card, "short", &c), code(&mut card, "padded", &c));
}

#[test]
fn delete_rename_and_missing_accounts() {
    let mut card = card();
    select(&mut card);
    Put::totp("a", SEED_SHA1).send(&mut card);
    Put::totp("b", SEED_SHA1).send(&mut card);
    let rename = |old: &[u8], new: &[u8]| [tlv(0x71, old), tlv(0x71, new)].concat();
    assert_eq!(
        send(&mut card, &apdu(0x05, 0, 0, &rename(b"a", b"Issuer:a"))).1,
        0x9000
    );
    assert_eq!(
        send(&mut card, &apdu(0x05, 0, 0, &rename(b"a", b"c"))).1,
        0x6984
    );
    assert_eq!(
        send(&mut card, &apdu(0x05, 0, 0, &rename(b"b", b"Issuer:a"))).1,
        0x6A80
    );
    assert_eq!(card.accounts(), ["Issuer:a", "b"]);
    assert_eq!(
        send(&mut card, &apdu(0x02, 0, 0, &tlv(0x71, b"b"))).1,
        0x9000
    );
    assert_eq!(
        send(&mut card, &apdu(0x02, 0, 0, &tlv(0x71, b"b"))).1,
        0x6984
    );
    assert_eq!(code(&mut card, "b", &[0; 8]), Err(0x6984));
    assert_eq!(card.accounts(), ["Issuer:a"]);

    // RENAME exists from firmware 5.3.1.
    let mut old = OathCard::new(CardConfig {
        version: [5, 2, 7],
        ..CardConfig::default()
    });
    assert_eq!(select(&mut old)[&0x79], [5, 2, 7]);
    Put::totp("a", SEED_SHA1).send(&mut old);
    assert_eq!(
        send(&mut old, &apdu(0x05, 0, 0, &rename(b"a", b"z"))).1,
        0x6D00
    );
}

//! `udev/70-mfa-yubikey.rules` and `udev/70-mfa-nitrokey.rules`: every line is one udev(7)
//! accepts, and the rules give the seat's user (`TAG+="uaccess"`) the tokens with a CCID
//! interface — vendor 1050, exactly the product ids Yubico lists with CCID; vendor 20a0, exactly
//! the Nitrokey 3 in normal operation — and nothing else.
//!
//! systemd's `udevadm verify` (v253 and later) checks syntax only; Debian 12 ships v252 without
//! it, so the rules are parsed here by udev(7)'s grammar: comma-separated `KEY`, `KEY{attr}`
//! pairs, an operator, a double-quoted value.

use std::collections::{BTreeSet, HashSet};

const YUBIKEY_RULES: &str = include_str!("../udev/70-mfa-yubikey.rules");
const NITROKEY_RULES: &str = include_str!("../udev/70-mfa-nitrokey.rules");
/// Every rule file, by name.
const FILES: &[(&str, &str)] = &[
    ("70-mfa-yubikey.rules", YUBIKEY_RULES),
    ("70-mfa-nitrokey.rules", NITROKEY_RULES),
];

/// Nitrokey's USB product ids (Nitrokey's 41-nitrokey.rules), with whether the device has a CCID
/// interface with the secrets app.
const NITROKEY_PIDS: &[(&str, &str, bool)] = &[
    ("42b2", "Nitrokey 3A Mini/3A NFC/3C NFC", true),
    ("42dd", "Nitrokey 3A NFC/3C NFC bootloader", false),
    ("42e8", "Nitrokey 3A Mini bootloader", false),
    ("42b1", "Nitrokey FIDO2", false),
    ("4287", "Nitrokey FIDO U2F", false),
    ("4108", "Nitrokey Pro (OpenPGP card, no secrets app)", false),
    (
        "4211",
        "Nitrokey Start (OpenPGP card, no secrets app)",
        false,
    ),
    ("4230", "Nitrokey HSM (no secrets app)", false),
];

/// Yubico's USB product ids (yubikit's `UsbPid`; "YubiKey USB ID Values" in Yubico's support
/// pages), with whether the interface set includes CCID.
const YUBICO_PIDS: &[(&str, &str, bool)] = &[
    ("0010", "YubiKey Standard OTP", false),
    ("0110", "NEO OTP", false),
    ("0111", "NEO OTP+CCID", true),
    ("0112", "NEO CCID", true),
    ("0113", "NEO FIDO", false),
    ("0114", "NEO OTP+FIDO", false),
    ("0115", "NEO FIDO+CCID", true),
    ("0116", "NEO OTP+FIDO+CCID", true),
    ("0120", "Security Key FIDO", false),
    ("0401", "YubiKey 4/5 OTP", false),
    ("0402", "YubiKey 4/5 FIDO", false),
    ("0403", "YubiKey 4/5 OTP+FIDO", false),
    ("0404", "YubiKey 4/5 CCID", true),
    ("0405", "YubiKey 4/5 OTP+CCID", true),
    ("0406", "YubiKey 4/5 FIDO+CCID", true),
    ("0407", "YubiKey 4/5 OTP+FIDO+CCID", true),
    ("0410", "YubiKey Plus OTP+FIDO", false),
];

/// One `KEY{attr}OP"value"` of a rule line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pair {
    key: String,
    attr: Option<String>,
    op: String,
    value: String,
}

/// Keys udev(7) knows, with whether they take `{attr}` (`Some(true)`: required, `None`:
/// optional, `Some(false)`: never) and whether they are assignments (`=`, `+=`, `-=`, `:=`)
/// rather than matches (`==`, `!=`).
fn key_kind(key: &str) -> Option<(Option<bool>, bool)> {
    Some(match key {
        "ACTION" | "DEVPATH" | "KERNEL" | "KERNELS" | "NAME" | "SYMLINK" | "SUBSYSTEM"
        | "SUBSYSTEMS" | "DRIVER" | "DRIVERS" | "TAG" | "TAGS" | "TEST" | "PROGRAM" | "RESULT"
        | "CONST" => (Some(false), false),
        "ATTR" | "ATTRS" | "SYSCTL" | "ENV" => (Some(true), false),
        "OWNER" | "GROUP" | "MODE" | "RUN" | "LABEL" | "GOTO" | "IMPORT" | "OPTIONS" => {
            (None, true)
        }
        _ => return None,
    })
}

/// Parses one rule line into its pairs, or says what udev would refuse.
fn parse_line(line: &str) -> Result<Vec<Pair>, String> {
    let mut pairs = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let key_end = rest
            .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .ok_or("a key without an operator")?;
        let key = &rest[..key_end];
        rest = &rest[key_end..];
        let (attr_rule, _) = key_kind(key).ok_or_else(|| format!("unknown key `{key}`"))?;
        let attr = match rest.strip_prefix('{') {
            Some(inner) => {
                let end = inner.find('}').ok_or("an unclosed `{`")?;
                let attr = &inner[..end];
                if attr.is_empty() || attr.contains(['"', ' ']) {
                    return Err(format!("a bad attribute `{attr}`"));
                }
                rest = &inner[end + 1..];
                Some(attr.to_owned())
            }
            None => None,
        };
        match (attr_rule, &attr) {
            (Some(true), None) => return Err(format!("`{key}` needs {{attribute}}")),
            (Some(false), Some(_)) => return Err(format!("`{key}` takes no {{attribute}}")),
            _ => {}
        }
        let op = ["==", "!=", "+=", "-=", ":=", "="]
            .into_iter()
            .find(|op| rest.starts_with(op))
            .ok_or_else(|| format!("`{key}` is not followed by an operator"))?;
        rest = rest[op.len()..]
            .strip_prefix('"')
            .ok_or_else(|| format!("the value of `{key}` is not double-quoted"))?;
        let end = rest.find('"').ok_or("an unclosed `\"`")?;
        let value = rest[..end].to_owned();
        rest = rest[end + 1..].trim_start();
        if !rest.is_empty() {
            rest = rest
                .strip_prefix(',')
                .ok_or("pairs must be separated by commas")?
                .trim_start();
            if rest.is_empty() {
                return Err("a trailing comma".into());
            }
        }
        let matching = matches!(op, "==" | "!=");
        let assigning = key_kind(key).is_some_and(|(_, assign)| assign);
        // Keys that are only matched or only assigned (LABEL, GOTO are assigned with `=`).
        if assigning && matching {
            return Err(format!("`{key}` is assigned, not matched"));
        }
        if !assigning && !matching && !matches!(key, "TAG" | "ENV" | "ATTR" | "SYMLINK" | "NAME") {
            return Err(format!("`{key}` is matched, not assigned"));
        }
        pairs.push(Pair {
            key: key.to_owned(),
            attr,
            op: op.to_owned(),
            value,
        });
    }
    Ok(pairs)
}

/// The rule lines (not comments, not blank) with their line numbers.
fn rule_lines(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .collect()
}

fn rules(text: &str) -> Vec<(usize, Vec<Pair>)> {
    rule_lines(text)
        .into_iter()
        .map(|(number, line)| {
            let pairs = parse_line(line).unwrap_or_else(|e| panic!("line {number}: {e}: {line}"));
            (number, pairs)
        })
        .collect()
}

fn find<'a>(pairs: &'a [Pair], key: &str, attr: Option<&str>) -> Option<&'a Pair> {
    pairs
        .iter()
        .find(|p| p.key == key && p.attr.as_deref() == attr)
}

#[test]
fn every_line_is_a_comment_a_blank_or_pairs_udev_accepts() {
    for (name, text) in FILES {
        check_lines(name, text);
    }
}

fn check_lines(name: &str, text: &str) {
    assert!(!text.contains('\t'), "{name}: tabs");
    assert!(text.ends_with('\n'), "{name}");
    assert!(!text.contains("\\\n"), "{name}: no line continuations");
    let rules = rules(text);
    assert!(!rules.is_empty(), "{name}");

    // Every GOTO has its LABEL, after it; every LABEL is unique.
    let mut labels = HashSet::new();
    for (_, pairs) in &rules {
        if let Some(label) = find(pairs, "LABEL", None) {
            assert!(
                labels.insert(label.value.clone()),
                "LABEL {} twice",
                label.value
            );
        }
    }
    for (number, pairs) in &rules {
        if let Some(goto) = find(pairs, "GOTO", None) {
            let label_line = rules
                .iter()
                .find(|(_, p)| find(p, "LABEL", None).is_some_and(|l| l.value == goto.value))
                .map(|(n, _)| *n)
                .unwrap_or_else(|| panic!("GOTO {} has no LABEL", goto.value));
            assert!(label_line > *number, "GOTO {} jumps backwards", goto.value);
        }
    }
}

#[test]
fn the_checker_refuses_what_udev_refuses() {
    for bad in [
        "SUBSYSTEM==usb",
        "SUBSYSTEM=\"usb\"x",
        "SUBSYSTEM==\"usb\" TAG+=\"uaccess\"",
        "SUBSYSTEMX==\"usb\"",
        "ATTRS==\"1050\"",
        "ATTRS{idVendor==\"1050\"",
        "ACTION{x}==\"add\"",
        "SUBSYSTEM==\"usb\",",
        "SUBSYSTEM=>\"usb\"",
        "GOTO==\"end\"",
        "SUBSYSTEM==\"usb",
    ] {
        assert!(parse_line(bad).is_err(), "accepted: {bad}");
    }
    assert_eq!(
        parse_line("ATTRS{idVendor}==\"1050\", TAG+=\"uaccess\"")
            .unwrap_or_default()
            .len(),
        2
    );
}

#[test]
fn yubikeys_with_ccid_get_uaccess_and_nothing_else_does() {
    check_tagging(YUBIKEY_RULES, "1050", YUBICO_PIDS);
}

#[test]
fn nitrokey_3_gets_uaccess_and_nothing_else_does() {
    check_tagging(NITROKEY_RULES, "20a0", NITROKEY_PIDS);
}

/// Every tagging rule in `text` is `SUBSYSTEM=="usb"`, `vendor`, and products that are exactly
/// those of `pids` with CCID.
fn check_tagging(text: &str, vendor_id: &str, pids: &[(&str, &str, bool)]) {
    let rules = rules(text);
    let tagging: Vec<&Vec<Pair>> = rules
        .iter()
        .map(|(_, pairs)| pairs)
        .filter(|pairs| pairs.iter().any(|p| p.key == "TAG"))
        .collect();
    assert!(!tagging.is_empty(), "no rule tags a device");
    let mut products = BTreeSet::new();
    for pairs in tagging {
        let tag = find(pairs, "TAG", None).unwrap_or_else(|| unreachable!());
        assert_eq!((tag.op.as_str(), tag.value.as_str()), ("+=", "uaccess"));
        let subsystem = find(pairs, "SUBSYSTEM", None).expect("the rule names its subsystem");
        assert_eq!(
            (subsystem.op.as_str(), subsystem.value.as_str()),
            ("==", "usb")
        );
        let vendor = find(pairs, "ATTRS", Some("idVendor")).expect("the rule names the vendor");
        assert_eq!(
            (vendor.op.as_str(), vendor.value.as_str()),
            ("==", vendor_id)
        );
        let product = find(pairs, "ATTRS", Some("idProduct")).expect("the rule names products");
        assert_eq!(product.op, "==");
        products.extend(product.value.split('|').map(str::to_owned));
    }
    let ccid: BTreeSet<String> = pids
        .iter()
        .filter(|(_, _, ccid)| *ccid)
        .map(|(pid, _, _)| (*pid).to_owned())
        .collect();
    assert_eq!(products, ccid, "the products tagged are the ones with CCID");
    for (pid, name, _) in pids.iter().filter(|(_, _, ccid)| !*ccid) {
        assert!(
            !products.contains(*pid),
            "{pid} ({name}) has no CCID interface"
        );
    }
}

#[test]
fn only_device_additions_and_changes_are_tagged() {
    for (name, text) in FILES {
        let rules = rules(text);
        let (_, first) = rules.first().unwrap_or_else(|| unreachable!());
        let action = find(first, "ACTION", None).expect("the first rule filters on ACTION");
        assert_eq!(
            (action.op.as_str(), action.value.as_str()),
            ("!=", "add|change"),
            "{name}"
        );
        assert!(find(first, "GOTO", None).is_some(), "{name}");
    }
}

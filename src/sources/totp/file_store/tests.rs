#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;

use super::*;

const ARN: &str = "arn:aws:iam::123456789012:mfa/alice";
const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn secret() -> TotpSecret {
    TotpSecret::parse(SEED).unwrap()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn default_dir_follows_xdg_with_an_absolute_path_only() {
    let home = Path::new("/home/alice");
    assert_eq!(
        FileStore::default_dir(None, home),
        Path::new("/home/alice/.local/share/mfa/totp")
    );
    assert_eq!(
        FileStore::default_dir(Some(OsStr::new("/data")), home),
        Path::new("/data/mfa/totp")
    );
    assert_eq!(
        FileStore::default_dir(Some(OsStr::new("relative/dir")), home),
        Path::new("/home/alice/.local/share/mfa/totp")
    );
    assert_eq!(
        FileStore::default_dir(Some(OsStr::new("")), home),
        Path::new("/home/alice/.local/share/mfa/totp")
    );
}

#[test]
fn put_creates_a_private_directory_and_file_holding_the_uri() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("share/mfa/totp");
    let store = FileStore::new(&dir);
    assert_eq!(store.get(ARN).unwrap(), None);
    assert!(store.names().unwrap().is_empty());

    store.put(ARN, &secret()).unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&root.path().join("share/mfa")), 0o700);
    let path = store.path_of(ARN);
    assert_eq!(
        path.file_name().unwrap(),
        "arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Falice.totp"
    );
    assert_eq!(mode(&path), 0o600);
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text, format!("{}\n", secret().to_uri().expose()));
    assert_eq!(store.get(ARN).unwrap(), Some(secret()));
    assert_eq!(store.names().unwrap(), [ARN]);
}

#[test]
fn replacing_is_atomic_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    store.put(ARN, &secret()).unwrap();
    let other = TotpSecret::parse(&format!("otpauth://totp/x?secret={SEED}&digits=8")).unwrap();
    store.put(ARN, &other).unwrap();
    assert_eq!(store.get(ARN).unwrap(), Some(other));
    assert_eq!(entries(dir.path()), [file_name(ARN)]);
    assert_eq!(mode(&store.path_of(ARN)), 0o600);
}

#[test]
fn a_failed_replace_keeps_nothing_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    // A directory where the file should go: the rename fails.
    fs::create_dir(store.path_of("blocked")).unwrap();
    fs::write(store.path_of("blocked").join("x"), "x").unwrap();
    let err = store.put("blocked", &secret()).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Io {
                action: "replace",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(entries(dir.path()), [file_name("blocked")]);
    assert!(matches!(
        store.get("blocked"),
        Err(StoreError::NotAFile { .. })
    ));
}

#[test]
fn a_crashed_write_leaves_only_an_ignored_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    store.put(ARN, &secret()).unwrap();
    let stale = dir
        .path()
        .join(format!(".{}.0011223344556677.tmp", file_name(ARN)));
    fs::write(&stale, "otpauth://totp/half").unwrap();
    assert_eq!(store.names().unwrap(), [ARN]);
    assert_eq!(store.get(ARN).unwrap(), Some(secret()));
}

#[test]
fn group_or_world_accessible_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    store.put(ARN, &secret()).unwrap();
    let path = store.path_of(ARN);
    for bad in [0o644, 0o640, 0o604, 0o660, 0o602] {
        fs::set_permissions(&path, fs::Permissions::from_mode(bad)).unwrap();
        match store.get(ARN) {
            Err(StoreError::Exposed { path: p, mode }) => {
                assert_eq!((p.as_path(), mode), (path.as_path(), bad));
            }
            other => panic!("mode {bad:o}: {other:?}"),
        }
    }
    let message = store.get(ARN).unwrap_err().to_string();
    assert!(message.contains("mode 602"), "{message}");
    assert!(!message.contains(SEED));
    fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
    assert_eq!(store.get(ARN).unwrap(), Some(secret()));
}

#[test]
fn files_of_another_user_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    store.put(ARN, &secret()).unwrap();
    // Only root can give a file away; as another user, check the comparison is made at all.
    if current_uid() == 0 {
        std::os::unix::fs::chown(store.path_of(ARN), Some(4242), None).unwrap();
        assert!(matches!(
            store.get(ARN),
            Err(StoreError::ForeignOwner { uid: 4242, .. })
        ));
    } else {
        let meta = fs::metadata(store.path_of(ARN)).unwrap();
        assert_eq!(meta.uid(), current_uid());
    }
}

#[test]
fn symlinks_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    store.put("real", &secret()).unwrap();
    std::os::unix::fs::symlink(store.path_of("real"), store.path_of("link")).unwrap();
    assert!(matches!(
        store.get("link"),
        Err(StoreError::NotAFile { .. })
    ));
}

#[test]
fn a_loose_directory_is_tightened() {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    FileStore::new(dir.path()).put(ARN, &secret()).unwrap();
    assert_eq!(mode(dir.path()), 0o700);
}

#[test]
fn corrupt_files_are_reported_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    for (name, content) in [
        ("garbage", "hello\n".to_owned()),
        ("hotp", format!("otpauth://hotp/x?secret={SEED}\n")),
        (
            "huge",
            format!("otpauth://totp/x?secret={SEED}&x={}\n", "a".repeat(5000)),
        ),
    ] {
        let path = store.path_of(name);
        write_new(&path, content.as_bytes()).unwrap();
        match store.get(name) {
            Err(StoreError::Corrupt { location, detail }) => {
                assert!(location.contains(name), "{location}");
                assert!(!detail.contains(SEED), "{detail}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn names_round_trip_and_foreign_files_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    let names = ["..", "a/b", "100%", "été", "with space", ".hidden", ARN];
    for name in names {
        store.put(name, &secret()).unwrap();
        assert_eq!(store.get(name).unwrap(), Some(secret()), "{name}");
        let file = store.path_of(name);
        assert_eq!(file.parent().unwrap(), dir.path(), "{name}");
        assert!(!file.file_name().unwrap().to_str().unwrap().starts_with('.'));
    }
    fs::write(dir.path().join("README"), "").unwrap();
    fs::write(dir.path().join("arn%3aaws.totp"), "").unwrap(); // not our spelling
    fs::write(dir.path().join("bad%ZZ.totp"), "").unwrap();
    let mut expected: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    expected.sort();
    assert_eq!(store.names().unwrap(), expected);
}

#[test]
fn remove_says_whether_there_was_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    assert!(!store.remove(ARN).unwrap());
    store.put(ARN, &secret()).unwrap();
    assert!(store.remove(ARN).unwrap());
    assert_eq!(store.get(ARN).unwrap(), None);
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn bad_names_are_refused_before_touching_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("never"));
    for bad in ["", "  ", "a\nb", &"x".repeat(201)] {
        assert!(
            matches!(store.put(bad, &secret()), Err(StoreError::BadName { .. })),
            "{bad:?}"
        );
    }
    assert!(!dir.path().join("never").exists());
}

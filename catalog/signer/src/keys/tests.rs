//! Key files of both kinds: round trips, files made by OpenSSL, refusal of garbage.

use super::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;

// A throwaway P-256 key made by `openssl genpkey -algorithm EC -pkeyopt
// ec_paramgen_curve:P-256`, the same key as SEC1 (`openssl ec`), and its public half
// (`openssl pkey -pubout`).
const OPENSSL_PKCS8: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgaiPGTtgMEnSKK4L0\n\
17MUpPpkIkw2Qgs4/QOTiiTolqehRANCAATEtGr/W9RFqzfQOwVGMyO+PovvjGPi\n\
pg3PZWx0/HS0Ut9/ClLOI7HAfa/TpCbKG/V4opWgZDZblGZK9ZfD98cv\n\
-----END PRIVATE KEY-----\n\
";
const OPENSSL_SEC1: &str = "\
-----BEGIN EC PRIVATE KEY-----\n\
MHcCAQEEIGojxk7YDBJ0iiuC9NezFKT6ZCJMNkILOP0Dk4ok6JanoAoGCCqGSM49\n\
AwEHoUQDQgAExLRq/1vURas30DsFRjMjvj6L74xj4qYNz2VsdPx0tFLffwpSziOx\n\
wH2v06Qmyhv1eKKVoGQ2W5RmSvWXw/fHLw==\n\
-----END EC PRIVATE KEY-----\n\
";
const OPENSSL_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----\n\
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExLRq/1vURas30DsFRjMjvj6L74xj\n\
4qYNz2VsdPx0tFLffwpSziOxwH2v06Qmyhv1eKKVoGQ2W5RmSvWXw/fHLw==\n\
-----END PUBLIC KEY-----\n\
";
// An ed25519 key in PKCS#8 (this tool reads ed25519 keys only in the swpkg format).
const OPENSSL_ED25519_PKCS8: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MC4CAQAwBQYDK2VwBCIEIMeotBWRQtBDBeYTSiEEBkSy487DrCgRP082S4H5nYng\n\
-----END PRIVATE KEY-----\n\
";

#[test]
fn key_files_round_trip_and_refuse_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let k = KeyPair::generate().unwrap();
    let (s, p) = k.write(dir.path(), "root").unwrap();
    assert_eq!(KeyPair::read(&s).unwrap().keyid(), k.keyid());
    assert_eq!(read_public_key(&p).unwrap(), k.public_key());
    assert!(matches!(
        k.write(dir.path(), "root"),
        Err(RepoError::Key { .. })
    ));
    assert_eq!(
        fs::metadata(&s).unwrap().permissions().mode() & 0o777,
        0o600
    );
    fs::write(dir.path().join("bad"), "swpkg-ed25519-secret-v1 zz\n").unwrap();
    assert!(matches!(
        KeyPair::read(&dir.path().join("bad")),
        Err(RepoError::Key { .. })
    ));
    assert!(matches!(read_public_key(&s), Err(RepoError::Key { .. })));
}

#[test]
fn ecdsa_key_files_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let k = KeyPair::generate_of(KeyType::EcdsaP256).unwrap();
    assert_eq!(k.key_type(), KeyType::EcdsaP256);
    let (s, p) = k.write(dir.path(), "targets").unwrap();
    let text = fs::read_to_string(&s).unwrap();
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{text}");
    let public = fs::read_to_string(&p).unwrap();
    assert!(
        public.starts_with("-----BEGIN PUBLIC KEY-----\n"),
        "{public}"
    );
    let back = KeyPair::read(&s).unwrap();
    assert_eq!(back.key_type(), KeyType::EcdsaP256);
    assert_eq!(back.keyid(), k.keyid());
    assert_eq!(read_public_key(&p).unwrap(), k.public_key());
    let key = k.public_key();
    assert_eq!(
        (key.keytype.as_str(), key.scheme.as_str()),
        ("ecdsa", "ecdsa-sha2-nistp256")
    );
    assert_eq!(key.keyval.public.as_deref(), Some(public.as_str()));
    assert_eq!(
        fs::metadata(&s).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(matches!(
        k.write(dir.path(), "targets"),
        Err(RepoError::Key { .. })
    ));
}

#[test]
fn signatures_verify_with_the_clients_code() {
    use catalog_core::keys::PublicKey;
    for t in [KeyType::Ed25519, KeyType::EcdsaP256] {
        let k = KeyPair::generate_of(t).unwrap();
        let sig = k.sign(b"canonical bytes");
        let pk = PublicKey::parse(&k.public_key()).unwrap().unwrap();
        let raw = hex::decode(&sig.sig).unwrap();
        assert!(pk.verify(b"canonical bytes", &raw), "{t}");
        assert!(!pk.verify(b"other bytes", &raw), "{t}");
        assert_eq!(sig.keyid, k.keyid());
    }
    // ECDSA signatures are DER.
    let k = KeyPair::generate_of(KeyType::EcdsaP256).unwrap();
    let raw = hex::decode(k.sign(b"m").sig).unwrap();
    assert_eq!(raw[0], 0x30);
    assert!(p256::ecdsa::Signature::from_der(&raw).is_ok());
}

#[test]
fn keys_made_by_openssl_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let (pkcs8, sec1, public) = (
        dir.path().join("a.key"),
        dir.path().join("b.key"),
        dir.path().join("a.pub"),
    );
    fs::write(&pkcs8, OPENSSL_PKCS8).unwrap();
    fs::write(&sec1, OPENSSL_SEC1).unwrap();
    fs::write(&public, OPENSSL_PUBLIC).unwrap();
    let a = KeyPair::read(&pkcs8).unwrap();
    let b = KeyPair::read(&sec1).unwrap();
    assert_eq!(a.keyid(), b.keyid());
    assert_eq!(read_public_key(&public).unwrap(), a.public_key());
    assert_eq!(
        a.public_key().keyval.public.as_deref(),
        Some(OPENSSL_PUBLIC)
    );
}

#[test]
fn garbage_key_files_are_refused_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("k");
    let mut samples: Vec<String> = [
        "",
        "-----BEGIN PRIVATE KEY-----\n",
        "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY-----\nMAA=\n-----END RSA PRIVATE KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n",
        OPENSSL_ED25519_PKCS8,
        OPENSSL_PUBLIC,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Truncations (the last keeps "-----END PRIVATE KEY---").
    for i in (0..OPENSSL_PKCS8.len() - 2).step_by(5) {
        samples.push(OPENSSL_PKCS8[..i].to_string());
    }
    for s in &samples {
        fs::write(&f, s).unwrap();
        assert!(
            matches!(KeyPair::read(&f), Err(RepoError::Key { .. })),
            "{s:?}"
        );
        assert!(KeyPair::parse_secret(s).is_none(), "{s:?}");
    }
    for s in [
        "",
        "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n",
        OPENSSL_PKCS8,
    ] {
        fs::write(&f, s).unwrap();
        assert!(
            matches!(read_public_key(&f), Err(RepoError::Key { .. })),
            "{s:?}"
        );
    }
    fs::write(&f, vec![b'A'; 20_000]).unwrap();
    assert!(matches!(KeyPair::read(&f), Err(RepoError::Key { .. })));
}

#[test]
fn key_type_names() {
    assert_eq!("ed25519".parse::<KeyType>().unwrap(), KeyType::Ed25519);
    assert_eq!("ecdsa".parse::<KeyType>().unwrap(), KeyType::EcdsaP256);
    assert!("rsa".parse::<KeyType>().is_err());
    for n in KeyType::NAMES {
        assert_eq!(n.parse::<KeyType>().unwrap().to_string(), n);
    }
}

//! Key parsing and signature verification against vectors made by OpenSSL through
//! pyca/cryptography (`testdata/gen_vectors.py`, committed output `testdata/keys.json`).

use super::*;
use crate::client::verify_self_signed_root;
use crate::metadata::{KeyVal, RoleKeys, Root};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("../../testdata/keys.json")).unwrap()
}

fn key_of(v: &Value, name: &str) -> Key {
    serde_json::from_value(v["keys"][name].clone()).unwrap()
}

fn sig_of(v: &Value, name: &str) -> Vec<u8> {
    hex::decode(v["signatures"][name].as_str().unwrap()).unwrap()
}

fn key(keytype: &str, scheme: &str, public: Option<&str>) -> Key {
    Key {
        keytype: keytype.into(),
        scheme: scheme.into(),
        keyval: KeyVal {
            public: public.map(Into::into),
        },
    }
}

#[test]
fn non_rust_signatures_verify_for_every_scheme() {
    let v = vectors();
    let msg = v["message"].as_str().unwrap().as_bytes();
    for (name, sig, scheme) in [
        ("ed25519", "ed25519", Scheme::Ed25519),
        ("ecdsa", "ecdsa", Scheme::EcdsaP256Sha256),
        ("rsa", "rsa", Scheme::RsaPssSha256),
        ("rsa", "rsa_max_salt", Scheme::RsaPssSha256),
    ] {
        let k = PublicKey::parse(&key_of(&v, name)).unwrap().unwrap();
        assert_eq!(k.scheme(), scheme);
        let sig = sig_of(&v, sig);
        assert!(k.verify(msg, &sig), "{name} {sig:?}");
        // Another message, or one flipped bit in the signature: not valid.
        assert!(!k.verify(b"another message", &sig), "{name}");
        let mut bad = sig.clone();
        let last = bad.len() - 1;
        bad[last / 2] ^= 0x01;
        assert!(!k.verify(msg, &bad), "{name}");
        // Truncated or empty signature bytes simply do not count.
        assert!(!k.verify(msg, &sig[..sig.len() - 1]), "{name}");
        assert!(!k.verify(msg, &[]), "{name}");
    }
}

#[test]
fn signatures_of_one_scheme_do_not_pass_for_another() {
    let v = vectors();
    let msg = v["message"].as_str().unwrap().as_bytes();
    for name in ["ed25519", "ecdsa", "rsa"] {
        let k = PublicKey::parse(&key_of(&v, name)).unwrap().unwrap();
        for other in ["ed25519", "ecdsa", "rsa"] {
            if other != name {
                assert!(!k.verify(msg, &sig_of(&v, other)), "{name} {other}");
            }
        }
    }
}

#[test]
fn older_ecdsa_keytype_is_accepted() {
    let v = vectors();
    let mut k = key_of(&v, "ecdsa");
    k.keytype = "ecdsa-sha2-nistp256".into();
    let pk = PublicKey::parse(&k).unwrap().unwrap();
    let msg = v["message"].as_str().unwrap().as_bytes();
    assert!(pk.verify(msg, &sig_of(&v, "ecdsa")));
}

#[test]
fn pem_line_endings_widths_and_final_newline_do_not_matter() {
    let v = vectors();
    let msg = v["message"].as_str().unwrap().as_bytes();
    for name in ["ecdsa", "rsa"] {
        let pem = key_of(&v, name).keyval.public.unwrap();
        let lines: Vec<&str> = pem.lines().collect();
        let one_line = [
            lines[0],
            &lines[1..lines.len() - 1].concat(),
            lines[lines.len() - 1],
        ];
        let variants = [
            pem.replace('\n', "\r\n"),
            pem.trim_end().to_string(),
            one_line.join("\n"),
        ];
        for variant in variants {
            let k = key(
                &key_of(&v, name).keytype,
                &key_of(&v, name).scheme,
                Some(&variant),
            );
            let pk = PublicKey::parse(&k).unwrap().unwrap();
            assert!(pk.verify(msg, &sig_of(&v, name)), "{name} {variant:?}");
        }
    }
}

#[test]
fn unknown_types_and_schemes_are_skipped() {
    let v = vectors();
    let rsa_pem = key_of(&v, "rsa").keyval.public.unwrap();
    let ec_pem = key_of(&v, "ecdsa").keyval.public.unwrap();
    for k in [
        key("rsa", "rsa-pkcs1v15-sha256", Some(&rsa_pem)),
        key("rsa", "rsassa-pss-sha512", Some(&rsa_pem)),
        key("ecdsa", "ecdsa-sha2-nistp384", Some(&ec_pem)),
        key("ed25519", "ed25519ph", Some("00")),
        key("sigstore-oidc", "Fulcio", None),
        key("", "", Some("garbage")),
    ] {
        assert_eq!(PublicKey::parse(&k), Ok(None), "{k:?}");
    }
}

#[test]
fn malformed_keys_of_known_types_are_errors() {
    let v = vectors();
    let p384 = v["ecdsa_p384_public"].as_str().unwrap();
    let rsa1024 = v["rsa_1024_public"].as_str().unwrap();
    let rsa_pem = key_of(&v, "rsa").keyval.public.unwrap();
    let ec_pem = key_of(&v, "ecdsa").keyval.public.unwrap();
    type Expect = fn(&KeyProblem) -> bool;
    let cases: &[(Key, Expect)] = &[
        (key("ed25519", "ed25519", None), |p| {
            *p == KeyProblem::MissingPublic
        }),
        (key("ed25519", "ed25519", Some("abcd")), |p| {
            *p == KeyProblem::Ed25519Hex
        }),
        (key("ed25519", "ed25519", Some(&"zz".repeat(32))), |p| {
            *p == KeyProblem::Ed25519Hex
        }),
        (key("ecdsa", "ecdsa-sha2-nistp256", Some(p384)), |p| {
            matches!(p, KeyProblem::Pem { .. })
        }),
        (key("ecdsa", "ecdsa-sha2-nistp256", Some(&rsa_pem)), |p| {
            matches!(p, KeyProblem::Pem { .. })
        }),
        (key("rsa", "rsassa-pss-sha256", Some(&ec_pem)), |p| {
            matches!(p, KeyProblem::Pem { .. })
        }),
        (key("rsa", "rsassa-pss-sha256", Some(rsa1024)), |p| {
            *p == KeyProblem::RsaTooSmall { bits: 1024 }
        }),
        (key("ecdsa", "ecdsa-sha2-nistp256", Some("deadbeef")), |p| {
            matches!(p, KeyProblem::Pem { .. })
        }),
    ];
    for (k, want) in cases {
        let e = PublicKey::parse(k).unwrap_err();
        assert!(want(&e), "{k:?}: {e}");
    }
    // An ed25519 public key that is not a curve point (y = 2 has no x on the curve).
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    let k = key("ed25519", "ed25519", Some(&hex::encode(not_a_point)));
    assert_eq!(PublicKey::parse(&k), Err(KeyProblem::Ed25519Point));
}

#[test]
fn malformed_key_error_names_the_key() {
    let mut keys = BTreeMap::new();
    keys.insert(
        "abc123".to_string(),
        key("rsa", "rsassa-pss-sha256", Some("not pem")),
    );
    let e = KeyRing::from_keys(Role::Root, &keys).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("abc123"), "{text}");
    assert!(text.contains("rsa/rsassa-pss-sha256"), "{text}");
    assert!(text.contains("PEM"), "{text}");
    assert!(
        matches!(e, Error::MalformedKey { role: Role::Root, ref keyid, .. } if keyid == "abc123")
    );
}

#[test]
fn garbage_key_material_never_panics() {
    let mut samples: Vec<String> = [
        "",
        "-----BEGIN PUBLIC KEY-----",
        "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n",
        "-----BEGIN RSA PUBLIC KEY-----\nMAA=\n-----END RSA PUBLIC KEY-----\n",
        "\u{0}\u{ff}",
        "é",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Every truncation and a byte flip at every position of real PEMs.
    let v = vectors();
    for name in ["ecdsa", "rsa"] {
        let pem = key_of(&v, name).keyval.public.unwrap();
        for i in (0..pem.len()).step_by(7) {
            samples.push(pem[..i].to_string());
            let mut b = pem.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            samples.push(String::from_utf8(b).unwrap());
        }
    }
    for s in &samples {
        for scheme in [
            Scheme::Ed25519,
            Scheme::EcdsaP256Sha256,
            Scheme::RsaPssSha256,
        ] {
            if let Ok(k) = PublicKey::parse_public(scheme, s) {
                // A flip inside the base64 may still decode to a valid key; it must then
                // simply verify nothing.
                assert!(!k.verify(b"m", &[0u8; 64]));
            }
        }
    }
}

#[test]
fn garbage_signature_bytes_never_verify() {
    let v = vectors();
    for name in ["ed25519", "ecdsa", "rsa"] {
        let k = PublicKey::parse(&key_of(&v, name)).unwrap().unwrap();
        for sig in [
            &[][..],
            &[0u8; 1],
            &[0x30; 72],
            &[0xff; 256],
            &[0u8; 64],
            &[0u8; 512],
        ] {
            assert!(!k.verify(b"m", sig), "{name}");
        }
    }
}

#[test]
fn a_root_signed_by_three_schemes_verifies() {
    let v = vectors();
    let bytes = serde_json::to_vec(&v["root"]).unwrap();
    let env = verify_self_signed_root(&bytes).unwrap();
    assert_eq!(env.keys.len(), 3);
    // Threshold 3 needs all three signatures; dropping any one fails.
    for drop in 0..3 {
        let mut r = v["root"].clone();
        r["signatures"].as_array_mut().unwrap().remove(drop);
        let e = verify_self_signed_root(&serde_json::to_vec(&r).unwrap()).unwrap_err();
        assert!(
            matches!(
                e,
                Error::ThresholdNotMet {
                    valid: 2,
                    threshold: 3,
                    ..
                }
            ),
            "{e}"
        );
    }
}

#[test]
fn a_key_listed_twice_counts_once() {
    let v = vectors();
    let msg = v["message"].as_str().unwrap().as_bytes();
    for name in ["ed25519", "ecdsa", "rsa"] {
        let k = key_of(&v, name);
        let mut keys = BTreeMap::new();
        keys.insert("id-1".to_string(), k.clone());
        keys.insert("id-2".to_string(), k);
        let ring = KeyRing::from_keys(Role::Root, &keys).unwrap();
        let sig = v["signatures"][name].as_str().unwrap();
        let ids = ["id-1".to_string(), "id-2".to_string()];
        let sigs = [("id-1", sig), ("id-2", sig)];
        assert_eq!(
            ring.count_valid(&ids, msg, sigs.iter().copied()),
            1,
            "{name}"
        );
        // Only listed key ids count.
        assert_eq!(
            ring.count_valid(&ids[1..], msg, sigs[..1].iter().copied()),
            0
        );
    }
}

#[test]
fn the_same_ecdsa_key_in_another_encoding_counts_once() {
    // The SubjectPublicKeyInfo with the compressed point is the same P-256 key.
    let v = vectors();
    let msg = v["message"].as_str().unwrap().as_bytes();
    let compressed = v["ecdsa_compressed_public"].as_str().unwrap();
    let a = PublicKey::parse(&key_of(&v, "ecdsa")).unwrap().unwrap();
    let b = PublicKey::parse_public(Scheme::EcdsaP256Sha256, compressed).unwrap();
    assert_eq!(a, b);
    let mut keys = BTreeMap::new();
    keys.insert("id-1".to_string(), key_of(&v, "ecdsa"));
    keys.insert(
        "id-2".to_string(),
        key("ecdsa", "ecdsa-sha2-nistp256", Some(compressed)),
    );
    let ring = KeyRing::from_keys(Role::Root, &keys).unwrap();
    let sig = v["signatures"]["ecdsa"].as_str().unwrap();
    let ids = ["id-1".to_string(), "id-2".to_string()];
    let sigs = [("id-1", sig), ("id-2", sig)];
    assert_eq!(ring.count_valid(&ids, msg, sigs.iter().copied()), 1);
}

#[test]
fn timing_of_verification_per_scheme() {
    // Not a benchmark: prints rough figures with --nocapture (debug builds are much slower).
    let v = vectors();
    let msg = v["message"].as_str().unwrap().as_bytes();
    let n = if cfg!(debug_assertions) { 20 } else { 1000 };
    for name in ["ed25519", "ecdsa", "rsa"] {
        let k = PublicKey::parse(&key_of(&v, name)).unwrap().unwrap();
        let sig = sig_of(&v, name);
        let start = std::time::Instant::now();
        for _ in 0..n {
            assert!(k.verify(msg, &sig));
        }
        let per = start.elapsed() / n;
        println!("{name}: {per:?} per verification ({n} runs)");
    }
}

#[test]
fn root_with_keys_of_each_type_lists_them() {
    let v = vectors();
    let root: Root = serde_json::from_value(v["root"]["signed"].clone()).unwrap();
    let ring = KeyRing::from_keys(Role::Root, &root.keys).unwrap();
    let rk: &RoleKeys = &root.roles["root"];
    assert_eq!(rk.keyids.len(), 3);
    assert!(rk.keyids.iter().all(|id| ring.get(id).is_some()));
}

#[test]
fn a_pem_public_key_file_is_read_by_its_algorithm() {
    let v = vectors();
    for name in ["ecdsa", "rsa"] {
        let k = key_of(&v, name);
        let from_file = PublicKey::from_pem(k.keyval.public.as_deref().unwrap()).unwrap();
        assert_eq!(
            Some(from_file.clone()),
            PublicKey::parse(&k).unwrap(),
            "{name}"
        );
        assert_eq!(from_file.scheme_name(), k.scheme);
    }
    // The same P-256 point, compressed, is the same key.
    let compressed = v["ecdsa_compressed_public"].as_str().unwrap();
    assert_eq!(
        PublicKey::from_pem(compressed).unwrap(),
        PublicKey::parse(&key_of(&v, "ecdsa")).unwrap().unwrap()
    );
    let p384 = v["ecdsa_p384_public"].as_str().unwrap();
    let e = PublicKey::from_pem(p384).unwrap_err();
    assert!(e.to_string().contains("not P-256, not RSA"), "{e}");
    let rsa1024 = v["rsa_1024_public"].as_str().unwrap();
    assert_eq!(
        PublicKey::from_pem(rsa1024),
        Err(KeyProblem::RsaTooSmall { bits: 1024 })
    );
    let ed = key_of(&v, "ed25519").keyval.public.unwrap();
    assert!(matches!(
        PublicKey::from_pem(&ed),
        Err(KeyProblem::Pem { .. })
    ));
}

//! The shared adversarial package set (`swpkg_core::testing`) against `swpkg verify` and
//! `swpkg extract`, as library calls and as the binary: each file refused with the set's words.

use std::fs;
use std::process::Command;
use swpkg_core::testing::{adversarial_packages, good_package, public_key_file, verifying_key};

#[test]
fn library_and_binary_refuse_every_file_in_the_same_words() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("k.pub"), public_key_file()).unwrap();
    fs::write(d.join("good.swpkg"), good_package()).unwrap();
    let m = swpkg_host::verify_package(&d.join("good.swpkg"), &verifying_key()).unwrap();
    assert_eq!(m.name, "hello");
    for case in adversarial_packages() {
        let file = d.join(format!("{}.swpkg", case.name));
        fs::write(&file, &case.bytes).unwrap();
        let e = swpkg_host::verify_package(&file, &verifying_key()).expect_err(case.name);
        assert!(e.to_string().contains(case.words), "{}: {e}", case.name);
        let out = d.join(format!("{}.out", case.name));
        let e = swpkg_host::extract_package(&file, &verifying_key(), &out).expect_err(case.name);
        assert!(e.to_string().contains(case.words), "{}: {e}", case.name);
        assert!(!out.exists(), "{}: extract left files behind", case.name);
        for cmd in [
            &["verify", "--key", "k.pub"][..],
            &["extract", "--to", "x", "--key", "k.pub"],
        ] {
            let o = Command::new(env!("CARGO_BIN_EXE_swpkg"))
                .current_dir(d)
                .arg(cmd[0])
                .arg(file.file_name().unwrap())
                .args(&cmd[1..])
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "{}: {err}", case.name);
            assert!(err.contains(case.words), "{} {}: {err}", cmd[0], case.name);
        }
        assert!(!d.join("x").exists());
    }
}

//! The shared adversarial package set (`swpkg_core::testing`) against the host `pkg`: each file
//! is refused by `pkg install FILE --key PUB` with the set's words, and nothing is changed.

use std::fs;
use std::path::Path;
use std::process::Command;
use swpkg_core::testing::{adversarial_packages, good_package, public_key_file};

fn pkg(root: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pkg"))
        .arg("--root")
        .arg(root)
        .args(["--timeout", "2"])
        .args(args)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn install_refuses_every_adversarial_file_in_its_words() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let root = tmp.path().join("root");
    fs::create_dir_all(&work).unwrap();
    fs::create_dir_all(&root).unwrap();
    let key = work.join("k.pub");
    fs::write(&key, public_key_file()).unwrap();
    let key = key.to_str().unwrap();
    for case in adversarial_packages() {
        let file = work.join(format!("{}.swpkg", case.name));
        fs::write(&file, &case.bytes).unwrap();
        let (ok, out) = pkg(&root, &["install", file.to_str().unwrap(), "--key", key]);
        assert!(!ok, "{}: accepted:\n{out}", case.name);
        assert!(
            out.contains(case.words) && out.contains("nothing was changed"),
            "{}:\n{out}",
            case.name
        );
        assert!(
            !root.join("pkg/store/hello-1.0.0").exists(),
            "{}: left a store entry",
            case.name
        );
    }
    let good = work.join("hello-1.0.0.swpkg");
    fs::write(&good, good_package()).unwrap();
    let (ok, out) = pkg(&root, &["install", good.to_str().unwrap(), "--key", key]);
    assert!(ok, "{out}");
    assert_eq!(
        fs::read(root.join("pkg/store/hello-1.0.0/root/bin/hello")).unwrap(),
        swpkg_core::testing::HELLO
    );
}

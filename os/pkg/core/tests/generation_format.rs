//! Generation files written by earlier versions of the client still read, and read the same.

use swiftos_pkg_core::{Generation, Origin};

/// Written by the client before origins were an enum (strings `"repo"`, `"file"`).
const OLD: &[u8] = include_bytes!("fixtures/generation-2-written-by-0.1.json");

#[test]
fn a_generation_file_of_the_string_origin_client_reads_and_writes_back_the_same() {
    let g = Generation::parse(2, OLD).expect("old generation file");
    let origins: Vec<Origin> = g.packages.iter().map(|p| p.origin).collect();
    assert_eq!(origins, [Origin::Repo, Origin::Repo, Origin::File]);
    let again = Generation::parse(2, &g.to_bytes()).unwrap();
    assert_eq!(again, g);
    // Written back byte for byte as the old client wrote it.
    assert_eq!(g.to_bytes(), OLD);
}

#[test]
fn an_unknown_origin_is_an_error_that_names_the_file_not_a_panic() {
    let bad = String::from_utf8(OLD.to_vec())
        .unwrap()
        .replace("\"file\"", "\"ftp\"");
    let e = Generation::parse(2, bad.as_bytes()).unwrap_err();
    assert!(e.to_string().contains("ftp"), "{e}");
}

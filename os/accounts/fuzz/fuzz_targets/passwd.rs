//! Fuzz `/etc/passwd` and `/etc/group` parsing: garbage is an error, never a panic; a file that
//! parses re-serialises to an equal database.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swiftos_accounts::{parse_groups, Accounts};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_groups(text);
    if let Ok(db) = Accounts::parse(text) {
        let again = Accounts::parse(&db.to_text()).expect("own output parses");
        assert_eq!(again, db);
    }
});

//! Fuzz `/etc/passwd`, `/etc/shadow` and `/etc/group` parsing: garbage is an error, never a
//! panic; a file that parses re-serialises to an equal database.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swiftos_accounts::{parse_groups, parse_shadow, shadow_to_text, Accounts};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_groups(text);
    if let Ok(sh) = parse_shadow(text) {
        let again = parse_shadow(&shadow_to_text(&sh)).expect("own shadow output parses");
        assert_eq!(again, sh);
    }
    if let Ok(db) = Accounts::parse(text) {
        let again = Accounts::parse(&db.to_text()).expect("own output parses");
        assert_eq!(again, db);
    }
});

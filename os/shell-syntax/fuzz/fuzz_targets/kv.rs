//! Fuzz the `kv` store format: a file that parses re-serialises to a file that parses to the
//! same store.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swiftos_shell_syntax::kv::Store;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(store) = Store::parse(text) {
        let again = Store::parse(&store.to_text()).expect("own output parses");
        assert_eq!(again, store);
    }
});

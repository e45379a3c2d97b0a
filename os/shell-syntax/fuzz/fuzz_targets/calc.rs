//! Fuzz the `calc` evaluator: overflow, division by zero and deep nesting are errors, never
//! panics or stack overflows.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = swiftos_shell_syntax::calc::eval(text);
    }
});

//! Fuzz the shell tokenizer/parser and word expansion: any input either parses or gives a
//! syntax error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swiftos_shell_syntax::{expand_words, parse, Vars};

struct V;
impl Vars for V {
    fn var(&self, name: &str) -> Option<String> {
        (name.len() % 2 == 0).then(|| name.repeat(2))
    }
    fn status(&self) -> i32 {
        1
    }
    fn pid(&self) -> u32 {
        2
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(script) = parse(text) {
        for list in &script.lists {
            let pipelines = std::iter::once(&list.first).chain(list.rest.iter().map(|(_, p)| p));
            for p in pipelines {
                for c in &p.commands {
                    let _ = expand_words(&c.words, &V);
                }
            }
        }
    }
});

//! Builds the initial user stack image (SysV layout newlib's crt0 expects, see
//! `swiftos_abi::layout`): `argc`, `argv[]`, NULL, `envp[]`, NULL, then the strings.

use alloc::vec;
use alloc::vec::Vec;

/// The bytes to copy to `[sp, top)` and the register values for entry.
#[derive(Debug, PartialEq, Eq)]
pub struct InitialStack {
    pub image: Vec<u8>,
    pub sp: u64,
    pub argc: u64,
    pub argv: u64,
    pub envp: u64,
}

/// Lay out `args` and `env` below `top` (16-byte aligned). Strings are NUL-terminated copies.
pub fn build(top: u64, args: &[&[u8]], env: &[&[u8]]) -> InitialStack {
    let strings_len: usize = args.iter().chain(env).map(|s| s.len() + 1).sum();
    let ptrs = 1 + args.len() + 1 + env.len() + 1;
    let strings_len_al = strings_len.div_ceil(16) * 16;
    let ptr_bytes = (ptrs * 8).div_ceil(16) * 16;
    let total = strings_len_al + ptr_bytes;
    let sp = top - total as u64;
    let mut image = vec![0u8; total];
    let mut words: Vec<u64> = Vec::with_capacity(ptrs);
    words.push(args.len() as u64);
    let str_base = sp + ptr_bytes as u64;
    let mut off = 0usize;
    let mut place = |s: &[u8], image: &mut Vec<u8>| {
        let at = ptr_bytes + off;
        image[at..at + s.len()].copy_from_slice(s);
        let addr = str_base + off as u64;
        off += s.len() + 1;
        addr
    };
    for a in args {
        let p = place(a, &mut image);
        words.push(p);
    }
    words.push(0);
    for e in env {
        let p = place(e, &mut image);
        words.push(p);
    }
    words.push(0);
    for (i, w) in words.iter().enumerate() {
        image[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
    }
    InitialStack {
        image,
        sp,
        argc: args.len() as u64,
        argv: sp + 8,
        envp: sp + 8 * (args.len() as u64 + 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(s: &InitialStack, addr: u64) -> u64 {
        let o = (addr - s.sp) as usize;
        u64::from_le_bytes(s.image[o..o + 8].try_into().unwrap())
    }
    fn cstr(s: &InitialStack, addr: u64) -> &[u8] {
        let o = (addr - s.sp) as usize;
        let end = s.image[o..].iter().position(|&b| b == 0).unwrap();
        &s.image[o..o + end]
    }

    #[test]
    fn layout() {
        let top = 0x7fff_ffff_0000;
        let s = build(top, &[b"/bin/sh", b"-c"], &[b"PATH=/bin"]);
        assert_eq!(s.sp % 16, 0);
        assert_eq!(s.sp + s.image.len() as u64, top);
        assert_eq!(word(&s, s.sp), 2);
        assert_eq!(cstr(&s, word(&s, s.argv)), b"/bin/sh");
        assert_eq!(cstr(&s, word(&s, s.argv + 8)), b"-c");
        assert_eq!(word(&s, s.argv + 16), 0);
        assert_eq!(s.envp, s.argv + 24);
        assert_eq!(cstr(&s, word(&s, s.envp)), b"PATH=/bin");
        assert_eq!(word(&s, s.envp + 8), 0);
    }

    #[test]
    fn empty() {
        let s = build(0x1000_0000, &[], &[]);
        assert_eq!(word(&s, s.sp), 0);
        assert_eq!(word(&s, s.argv), 0);
        assert_eq!(word(&s, s.envp), 0);
    }
}

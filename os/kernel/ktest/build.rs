//! Link `ktest` like every SwiftOS user program: static, non-PIE, at `USER_IMAGE_BASE`.

use std::path::PathBuf;

/// Must equal `swiftos_abi::layout::USER_IMAGE_BASE`.
const USER_IMAGE_BASE: u64 = 0x0040_0000;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let script = format!(
        r#"ENTRY(_start)
SECTIONS
{{
    . = {USER_IMAGE_BASE:#x};
    .text : {{ *(.text._start) *(.text .text.*) }}
    . = ALIGN(4096);
    .rodata : {{ *(.rodata .rodata.*) }}
    .eh_frame_hdr : {{ *(.eh_frame_hdr) }}
    .eh_frame : {{ *(.eh_frame) }}
    . = ALIGN(4096);
    .data : {{ *(.data .data.*) }}
    .got : {{ *(.got .got.*) }}
    .bss : {{ *(.bss .bss.*) *(COMMON) }}
    /DISCARD/ : {{ *(.interp) *(.dynamic) *(.dynsym) *(.dynstr) *(.note.gnu.build-id) }}
}}
"#
    );
    let path = out.join("ktest.ld");
    std::fs::write(&path, script).expect("writing linker script");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.starts_with("aarch64") && target.ends_with("-none") {
        println!("cargo:rustc-link-arg-bins=-T{}", path.display());
        println!("cargo:rustc-link-arg-bins=--no-pie");
        println!("cargo:rustc-link-arg-bins=-static");
        println!("cargo:rustc-link-arg-bins=--strip-debug");
    }
    println!("cargo:rerun-if-changed=build.rs");
}

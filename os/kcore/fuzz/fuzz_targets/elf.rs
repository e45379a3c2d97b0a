//! Fuzz the ELF64 program-loader parser: arbitrary bytes must never panic, and an accepted
//! image must satisfy everything the kernel's loader relies on (segment file ranges inside the
//! file, addresses inside the user program area, no overlap, entry in an executable segment).
#![no_main]

use libfuzzer_sys::fuzz_target;
use swiftos_abi::layout::USER_IMAGE_BASE;
use swiftos_kcore::elf::{parse, IMAGE_LIMIT};

fuzz_target!(|data: &[u8]| {
    let exe = match parse(data) {
        Ok(e) => e,
        Err(e) => {
            assert!(!e.describe().is_empty());
            return;
        }
    };
    assert!(!exe.segments.is_empty() && exe.segments.len() <= 16);
    for s in &exe.segments {
        assert!(s.memsz > 0 && s.filesz <= s.memsz);
        let file_end = s
            .offset
            .checked_add(s.filesz)
            .expect("file range overflows");
        assert!(file_end <= data.len() as u64);
        // The slice the loader takes.
        let _ = &data[s.offset as usize..file_end as usize];
        let end = s
            .vaddr
            .checked_add(s.memsz)
            .expect("address range overflows");
        assert!(s.vaddr >= USER_IMAGE_BASE && end <= IMAGE_LIMIT);
    }
    for (i, a) in exe.segments.iter().enumerate() {
        for b in &exe.segments[i + 1..] {
            assert!(
                a.vaddr + a.memsz <= b.vaddr || b.vaddr + b.memsz <= a.vaddr,
                "overlapping segments accepted"
            );
        }
    }
    assert!(exe
        .segments
        .iter()
        .any(|s| s.exec && exe.entry >= s.vaddr && exe.entry - s.vaddr < s.memsz));
    let brk = exe.image_end();
    assert_eq!(brk & 0xfff, 0);
    assert!(brk <= IMAGE_LIMIT);
    assert!(exe.segments.iter().all(|s| s.vaddr + s.memsz <= brk));
});

//! Program loader: reads a static ELF64 executable through the VFS, maps its segments into a
//! fresh address space and builds the initial stack (layout in `swiftos_abi::layout`).

use crate::arch;
use crate::arch::vectors::TrapFrame;
use crate::fs::{self, FsCtx};
use crate::vm::AddrSpace;
use alloc::string::String;
use alloc::vec::Vec;
use swiftos_abi::layout::USER_STACK_TOP;
use swiftos_abi::Errno;
use swiftos_kcore::{elf, pagetable::PageFlags, stack};

/// A loaded program, ready to run.
pub struct Loaded {
    pub space: AddrSpace,
    pub frame: TrapFrame,
}

/// Process name shown by `ps`: the last path component.
pub fn program_name(path: &str) -> String {
    String::from(path.rsplit('/').find(|s| !s.is_empty()).unwrap_or(path))
}

/// Load the executable at `path` with arguments and environment.
pub fn load(ctx: &FsCtx, path: &str, argv: &[Vec<u8>], envp: &[Vec<u8>]) -> Result<Loaded, Errno> {
    let bytes = fs::read_exec(ctx, path)?;
    load_bytes(&bytes, path, argv, envp)
}

/// Load an in-memory executable image.
pub fn load_bytes(
    bytes: &[u8],
    path: &str,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
) -> Result<Loaded, Errno> {
    let exe = elf::parse(bytes).map_err(|e| {
        kprintln!("kernel: cannot execute {path}: {} (ENOEXEC)", e.describe());
        Errno::ENOEXEC
    })?;
    let mut space = AddrSpace::new()?;
    for s in &exe.segments {
        let data = &bytes[s.offset as usize..(s.offset + s.filesz) as usize];
        let flags = PageFlags {
            write: s.write,
            exec: s.exec,
        };
        space
            .load_segment(s.vaddr, s.memsz, data, flags)
            .inspect_err(|e| {
                if *e == Errno::ENOEXEC {
                    kprintln!(
                        "kernel: cannot execute {path}: segment at {:#x} would make a page writable and executable (ENOEXEC)",
                        s.vaddr
                    );
                }
            })?;
    }
    space.set_brk_base(exe.image_end());
    let a: Vec<&[u8]> = argv.iter().map(|v| v.as_slice()).collect();
    let e: Vec<&[u8]> = envp.iter().map(|v| v.as_slice()).collect();
    let st = stack::build(USER_STACK_TOP, &a, &e);
    space.write(st.sp, &st.image)?;
    arch::sync_icache();
    let mut frame = TrapFrame::new_user(exe.entry, st.sp);
    frame.x[0] = st.argc;
    frame.x[1] = st.argv;
    frame.x[2] = st.envp;
    Ok(Loaded { space, frame })
}

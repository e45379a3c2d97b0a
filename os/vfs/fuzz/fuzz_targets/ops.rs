//! Fuzz the VFS with arbitrary operation sequences and arbitrary path bytes (what user programs
//! control): nothing may panic, normalised paths never leave the confinement root, and `/tmp`
//! bookkeeping stays consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swiftos_abi::fcntl::*;
use swiftos_abi::Caps;
use swiftos_packfs::{Attrs, Image, ImageBuilder, MemDisk};
use swiftos_vfs::{normalize, FsContext, Handle, Vfs, VfsOptions};

fn base() -> Vec<u8> {
    let mut b = ImageBuilder::new();
    let _ = b.add_file("/etc/passwd", b"root\n".to_vec(), Attrs::FILE);
    let _ = b.add_file("/bin/sh", vec![1; 3000], Attrs::EXEC);
    let _ = b.add_dir("/tmp", Attrs::root(0o1777));
    let _ = b.add_dir("/dev", Attrs::DIR);
    b.build().unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let Ok(img) = Image::open(MemDisk::new(base())) else { return };
    let mut v = Vfs::with_options(
        img,
        VfsOptions {
            tmp_limit: 64 * 1024,
            ..VfsOptions::default()
        },
    );
    let roots = ["/", "/tmp", "/tmp/a"];
    let mut handles: Vec<Handle> = Vec::new();
    let mut rest = data;
    while rest.len() >= 3 {
        let (op, who, len) = (rest[0], rest[1], usize::from(rest[2]) % 24);
        rest = &rest[3..];
        let take = len.min(rest.len());
        let path = String::from_utf8_lossy(&rest[..take]).into_owned();
        rest = &rest[take..];
        let root = roots[usize::from(who) % roots.len()];
        let caps = if who & 8 != 0 { Caps::ALL } else { Caps::FS_READ };
        let ctx = FsContext {
            cwd: root,
            confine_root: root,
            caps,
            uid: u32::from(who >> 4),
            gid: 0,
        };
        if let Ok(np) = normalize(&ctx, &path) {
            assert!(swiftos_authority::is_within(root, &np.path));
        }
        match op % 14 {
            0 => {
                if let Ok(h) = v.open(&ctx, &path, O_RDWR | O_CREAT, 0o644) {
                    handles.push(h);
                }
            }
            1 => {
                if let Ok(h) = v.open(&ctx, &path, O_RDONLY, 0) {
                    handles.push(h);
                }
            }
            2 => drop(v.mkdir(&ctx, &path, 0o755)),
            3 => drop(v.rmdir(&ctx, &path)),
            4 => drop(v.unlink(&ctx, &path)),
            5 => drop(v.rename(&ctx, &path, "/tmp/r")),
            6 => drop(v.rename(&ctx, "/tmp/r", &path)),
            7 => drop(v.stat(&ctx, &path)),
            8 => drop(v.chmod(&ctx, &path, u32::from(who) << 4)),
            9 => drop(v.read_whole_file(&ctx, &path)),
            10 => drop(v.resolve_dir(&ctx, &path)),
            11 => {
                if let Some(h) = handles.last_mut() {
                    let _ = v.write(h, path.as_bytes());
                    let _ = v.seek(h, i64::from(who) - 100, u32::from(op >> 4) % 4);
                    let _ = v.ftruncate(h, u64::from(who) * 97);
                }
            }
            12 => {
                if let Some(h) = handles.last_mut() {
                    let mut buf = vec![0u8; usize::from(who)];
                    let _ = v.read(h, &mut buf);
                    let _ = v.getdents(h, &mut buf);
                    let _ = v.fstat(h);
                }
            }
            _ => {
                if let Some(h) = handles.pop() {
                    v.close(h);
                }
            }
        }
    }
    for h in handles {
        v.close(h);
    }
});

//! Fuzz the package-store mount path: arbitrary superblock bytes, and arbitrary metadata blobs
//! behind a superblock whose checksums are repaired (so the blob decoder and tree validation
//! are reached), must never panic; whatever mounts must be walkable and readable without
//! panicking, and must survive a commit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swiftos_storefs::format::{sha256, Superblock, BLOCK_SIZE};
use swiftos_storefs::{MemDev, Store};

const BLOCKS: usize = 64;

fn exercise(img: Vec<u8>) {
    let Ok((mut s, _)) = Store::mount(MemDev::from_bytes(img)) else {
        return;
    };
    let mut stack = vec![s.root()];
    let mut seen = 0;
    while let Some(d) = stack.pop() {
        let mut i = 0;
        while let Ok(Some((name, ino, is_dir))) = s.readdir(d, i) {
            i += 1;
            seen += 1;
            if seen > 10_000 {
                return;
            }
            assert_eq!(s.lookup(d, &name).ok(), Some(ino));
            if is_dir {
                stack.push(ino);
            } else {
                let mut buf = [0u8; 512];
                let _ = s.read(ino, 0, &mut buf);
                let _ = s.write(ino, 4000, b"fuzz", 0);
            }
        }
    }
    let root = s.root();
    let _ = s.create(root, "new", 0o644, 0, 0, 0);
    let _ = s.commit();
    let _ = s.check();
}

fuzz_target!(|data: &[u8]| {
    // Raw bytes as the first blocks of a small disk.
    let mut img = vec![0u8; BLOCKS * BLOCK_SIZE];
    let n = data.len().min(img.len());
    img[..n].copy_from_slice(&data[..n]);
    exercise(img);

    // The input as the metadata blob of a superblock with valid checksums.
    if data.is_empty() || data.len() > 16 * BLOCK_SIZE {
        return;
    }
    let mut img = vec![0u8; BLOCKS * BLOCK_SIZE];
    let sb = Superblock {
        seq: 1,
        block_count: BLOCKS as u64,
        blob_start: 2,
        blob_len: data.len() as u64,
        blob_sha256: sha256(data),
    };
    img[BLOCK_SIZE..2 * BLOCK_SIZE].copy_from_slice(&sb.encode());
    img[2 * BLOCK_SIZE..2 * BLOCK_SIZE + data.len()].copy_from_slice(data);
    exercise(img);
});

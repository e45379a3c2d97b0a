//! Fuzz the packed-image reader: arbitrary bytes, and mutations of a valid image with both
//! checksums repaired (so the structural validation is reached), must never panic; whatever
//! opens must answer lookups and reads without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swiftos_packfs::writer::seal_metadata;
use swiftos_packfs::{Attrs, Image, ImageBuilder, MemDisk};

fn exercise(bytes: Vec<u8>) {
    let Ok(mut img) = Image::open(MemDisk::new(bytes)) else {
        return;
    };
    for i in 0..img.inode_count().min(4096) {
        let Ok(ino) = img.inode(i) else { continue };
        if ino.is_dir() {
            for c in ino.children() {
                if let Ok(name) = img.name(c) {
                    let name = name.to_vec();
                    assert_eq!(img.lookup(i, &name).ok(), Some(c));
                }
            }
        } else {
            let mut buf = [0u8; 1024];
            let _ = img.read_at(i, 0, &mut buf);
            let _ = img.read_at(i, ino.size.saturating_sub(7), &mut buf);
            let _ = img.verify_file(i);
        }
    }
    let _ = img.resolve("/etc/passwd");
}

fuzz_target!(|data: &[u8]| {
    // Raw bytes as an image.
    exercise(data.to_vec());

    // A valid image with the input overwriting its metadata, checksums repaired.
    let mut b = ImageBuilder::new();
    let _ = b.add_file("/etc/passwd", b"root\n".to_vec(), Attrs::FILE);
    let _ = b.add_file("/bin/sh", vec![7; 700], Attrs::EXEC);
    let _ = b.add_dir("/tmp", Attrs::root(0o1777));
    let Ok(mut img) = b.build() else { return };
    if data.len() >= 2 {
        let start = 16 + usize::from(data[0]) * 4 % 1200;
        for (k, &byte) in data[1..].iter().enumerate() {
            if let Some(slot) = img.get_mut(start + k) {
                *slot = byte;
            }
        }
        seal_metadata(&mut img);
        exercise(img);
    }
});

//! Adversarial inputs: truncated, garbage, bit-flipped and crafted images must give precise
//! errors, never panics.

use swiftos_packfs::writer::{seal_header, seal_metadata};
use swiftos_packfs::{Attrs, BlockDevice, Error, Image, ImageBuilder, IoError, MemDisk};

fn sample() -> Vec<u8> {
    let mut b = ImageBuilder::new();
    b.add_file("/etc/passwd", b"root:x:0:0\n".to_vec(), Attrs::FILE)
        .unwrap();
    b.add_file("/etc/group", b"root:x:0:\n".to_vec(), Attrs::FILE)
        .unwrap();
    b.add_file("/bin/sh", vec![0x42; 1500], Attrs::EXEC)
        .unwrap();
    b.add_file("/bin/cat", vec![0x43; 700], Attrs::EXEC)
        .unwrap();
    b.add_dir("/tmp", Attrs::root(0o1777)).unwrap();
    b.add_file("/z", Vec::new(), Attrs::FILE).unwrap();
    b.build().unwrap()
}

/// xorshift64*: a tiny deterministic PRNG for the property tests.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Open and, if that succeeds, exercise every inode: nothing may panic.
fn exercise(bytes: Vec<u8>) -> Result<(), Error> {
    let mut img = Image::open(MemDisk::new(bytes))?;
    for i in 0..img.inode_count() {
        let ino = img.inode(i)?;
        let _ = img.name(i)?;
        if ino.is_dir() {
            for c in ino.children() {
                let name = img.name(c)?.to_vec();
                assert_eq!(img.lookup(i, &name)?, c);
            }
        } else {
            let mut buf = vec![0u8; 700];
            let _ = img.read_at(i, 0, &mut buf)?;
            let _ = img.read_at(i, ino.size.saturating_sub(3), &mut buf)?;
            let _ = img.verify_file(i);
        }
    }
    img.verify_all()
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}
fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}
/// Byte offset of inode `i`'s record.
fn ino(i: usize) -> usize {
    512 + i * 80
}

#[test]
fn sample_is_valid() {
    exercise(sample()).unwrap();
}

#[test]
fn every_truncation_is_an_error() {
    let full = sample();
    for len in 0..full.len() {
        let err = Image::open(MemDisk::new(full[..len].to_vec())).unwrap_err();
        if len < 512 {
            assert!(
                matches!(err, Error::Truncated { needed: 512, .. }),
                "len {len}: {err}"
            );
        } else {
            assert!(
                matches!(err, Error::Truncated { needed, .. } if needed == full.len() as u64),
                "len {len}: {err}"
            );
        }
    }
    // Extra trailing sectors are fine (the device may be bigger than the image).
    let mut longer = full.clone();
    longer.extend_from_slice(&[0xee; 1024]);
    exercise(longer).unwrap();
}

#[test]
fn every_bit_flip_in_header_and_metadata_is_detected() {
    let full = sample();
    let data_offset = u64::from_le_bytes(full[48..56].try_into().unwrap()) as usize;
    for byte in 0..data_offset {
        for bit in 0..8 {
            let mut img = full.clone();
            img[byte] ^= 1 << bit;
            assert!(
                Image::open(MemDisk::new(img)).is_err(),
                "flip of byte {byte} bit {bit} went unnoticed"
            );
        }
    }
}

#[test]
fn bit_flips_in_file_data_fail_verification() {
    let full = sample();
    let img = Image::open(MemDisk::new(full.clone())).unwrap();
    let sh = img.resolve("/bin/sh").unwrap();
    let off = img.inode(sh).unwrap().offset as usize;
    let mut bad = full.clone();
    bad[off + 1000] ^= 0x10;
    let mut img = Image::open(MemDisk::new(bad)).unwrap();
    match img.read_file_verified(sh) {
        Err(Error::DataChecksum { index, offset, .. }) => {
            assert_eq!(index, sh);
            assert_eq!(offset, off as u64);
        }
        other => panic!("expected DataChecksum, got {other:?}"),
    }
    assert!(matches!(img.verify_all(), Err(Error::DataChecksum { .. })));
    // Padding between files is not covered by any checksum and may be anything.
    let mut pad = full;
    let last = pad.len() - 1;
    pad[last] ^= 0xff;
    exercise(pad).unwrap();
}

#[test]
fn garbage_never_panics() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for round in 0..3000 {
        let len = rng.below(4096);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Half the time, start with a plausible magic and version to get deeper.
        if round % 2 == 0 && bytes.len() >= 12 {
            bytes[..8].copy_from_slice(b"SWOSPKFS");
            bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
        }
        assert!(exercise(bytes).is_err());
    }
}

#[test]
fn resealed_random_mutations_never_panic() {
    // Mutate header fields and the inode table, then fix up both checksums so the mutation
    // reaches the structural validation.
    let full = sample();
    let names_end = {
        let no = u64::from_le_bytes(full[32..40].try_into().unwrap());
        let ns = u64::from_le_bytes(full[40..48].try_into().unwrap());
        (no + ns) as usize
    };
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let mut opened = 0;
    for _ in 0..20000 {
        let mut img = full.clone();
        for _ in 0..1 + rng.below(3) {
            let pos = if rng.below(4) == 0 {
                16 + rng.below(56) // header fields after magic/version
            } else {
                512 + rng.below(names_end - 512)
            };
            img[pos] = match rng.below(3) {
                0 => rng.next() as u8,
                1 => img[pos] ^ (1 << rng.below(8)),
                _ => [0, 1, 0xff, 0x80][rng.below(4)],
            };
        }
        seal_metadata(&mut img);
        if exercise(img).is_ok() {
            opened += 1;
        }
    }
    // Some mutations are harmless (uid, mtime, permission bits): those must still open.
    assert!(opened > 0);
}

fn expect_inode_err(img: Vec<u8>, index: u32, field: &str) -> Error {
    let err = Image::open(MemDisk::new(img)).unwrap_err();
    match &err {
        Error::InodeField {
            index: i, field: f, ..
        } if *i == index && *f == field => {}
        _ => panic!("expected inode {index} `{field}` error, got {err}"),
    }
    err
}

#[test]
fn crafted_structural_errors_are_precise() {
    let full = sample();
    // Layout (breadth first): 0 /, 1 bin, 2 etc, 3 tmp, 4 z, 5 bin/cat, 6 bin/sh, 7 etc/group,
    // 8 etc/passwd.
    let img = Image::open(MemDisk::new(full.clone())).unwrap();
    assert_eq!(img.resolve("/bin/cat").unwrap(), 5);
    assert_eq!(img.resolve("/etc/passwd").unwrap(), 8);

    // Wrong parent.
    let mut b = full.clone();
    put_u32(&mut b, ino(5) + 20, 2);
    seal_metadata(&mut b);
    let err = expect_inode_err(b, 5, "parent");
    assert!(
        err.to_string().contains(&format!("offset {}", ino(5) + 20)),
        "{err}"
    );

    // File data past the end of the image.
    let mut b = full.clone();
    put_u64(&mut b, ino(6) + 32, 1 << 40);
    seal_metadata(&mut b);
    expect_inode_err(b, 6, "size");

    // Unaligned data offset.
    let mut b = full.clone();
    let off = u64::from_le_bytes(b[ino(6) + 40..ino(6) + 48].try_into().unwrap());
    put_u64(&mut b, ino(6) + 40, off + 1);
    seal_metadata(&mut b);
    expect_inode_err(b, 6, "offset");

    // Data offset pointing into the metadata.
    let mut b = full.clone();
    put_u64(&mut b, ino(6) + 40, 512);
    seal_metadata(&mut b);
    expect_inode_err(b, 6, "offset");

    // Symbolic-link type is not supported.
    let mut b = full.clone();
    put_u32(&mut b, ino(4) + 8, 0o120777);
    seal_metadata(&mut b);
    expect_inode_err(b, 4, "mode");

    // Root must be a directory.
    let mut b = full.clone();
    put_u32(&mut b, ino(0) + 8, 0o100644);
    seal_metadata(&mut b);
    expect_inode_err(b, 0, "mode");

    // Directory whose entries run past the table.
    let mut b = full.clone();
    put_u64(&mut b, ino(1) + 32, 100);
    seal_metadata(&mut b);
    expect_inode_err(b, 1, "size");

    // Directory pointing backwards (cycle attempt).
    let mut b = full.clone();
    put_u64(&mut b, ino(1) + 40, 0);
    seal_metadata(&mut b);
    expect_inode_err(b, 1, "offset");

    // Name outside the name table.
    let mut b = full.clone();
    put_u32(&mut b, ino(8), 1 << 30);
    seal_metadata(&mut b);
    expect_inode_err(b, 8, "name_offset");

    // Name containing '/': rewrite "sh" to "s/".
    let mut b = full.clone();
    let no = u64::from_le_bytes(b[32..40].try_into().unwrap()) as usize;
    let name_off = u32::from_le_bytes(b[ino(6)..ino(6) + 4].try_into().unwrap()) as usize;
    assert_eq!(&b[no + name_off..no + name_off + 2], b"sh");
    b[no + name_off + 1] = b'/';
    seal_metadata(&mut b);
    expect_inode_err(b, 6, "name_len");

    // Unsorted entries: rename "sh" to "ab" (now sorts before "cat").
    let mut b = full.clone();
    b[no + name_off..no + name_off + 2].copy_from_slice(b"ab");
    seal_metadata(&mut b);
    let err = expect_inode_err(b, 6, "name_offset");
    assert!(err.to_string().contains("sorted"), "{err}");

    // A data checksum of zero on a non-empty file.
    let mut b = full.clone();
    b[ino(6) + 48..ino(6) + 80].fill(0);
    seal_metadata(&mut b);
    expect_inode_err(b, 6, "sha256");

    // Reserved bytes.
    let mut b = full;
    b[ino(3) + 6] = 1;
    seal_metadata(&mut b);
    expect_inode_err(b, 3, "reserved");
}

#[test]
fn crafted_header_errors_are_precise() {
    let full = sample();
    let field_err = |mutate: &dyn Fn(&mut Vec<u8>), field: &str, offset: u64| {
        let mut b = full.clone();
        mutate(&mut b);
        seal_header(&mut b);
        match Image::open(MemDisk::new(b)) {
            Err(Error::HeaderField {
                field: f,
                offset: o,
                ..
            }) if f == field && o == offset => {}
            other => panic!("expected header field {field}@{offset}, got {other:?}"),
        }
    };
    field_err(&|b| put_u32(b, 12, 4096), "header_size", 12);
    field_err(&|b| put_u32(b, 16, 1), "flags", 16);
    field_err(&|b| put_u32(b, 20, 0), "inode_count", 20);
    field_err(&|b| put_u32(b, 20, u32::MAX), "inode_count", 20);
    field_err(&|b| put_u32(b, 20, 10), "names_offset", 32);
    field_err(&|b| put_u64(b, 24, 1024), "inode_offset", 24);
    field_err(&|b| put_u64(b, 40, u64::MAX), "names_size", 40);
    field_err(&|b| put_u64(b, 48, 0), "data_offset", 48);
    field_err(&|b| put_u64(b, 56, 513), "data_size", 56);
    field_err(&|b| put_u64(b, 64, 1 << 50), "image_size", 64);

    let mut b = full.clone();
    b[0] = b'X';
    assert!(matches!(
        Image::open(MemDisk::new(b)),
        Err(Error::BadMagic { .. })
    ));
    let mut b = full.clone();
    put_u32(&mut b, 8, 2);
    assert!(matches!(
        Image::open(MemDisk::new(b)),
        Err(Error::UnsupportedVersion { found: 2 })
    ));
    // A plausible field change without resealing is caught by the header checksum.
    let mut b = full.clone();
    b[72] ^= 1;
    assert!(matches!(
        Image::open(MemDisk::new(b)),
        Err(Error::HeaderChecksum { .. })
    ));
    // Non-zero header tail.
    let mut b = full.clone();
    b[300] = 7;
    assert!(matches!(
        Image::open(MemDisk::new(b)),
        Err(Error::NonZeroPadding { offset: 300, .. })
    ));
    // Metadata changed without fixing its checksum.
    let mut b = full;
    b[ino(4) + 12] ^= 1;
    let err = Image::open(MemDisk::new(b)).unwrap_err();
    assert!(
        matches!(err, Error::MetadataChecksum { start: 512, .. }),
        "{err}"
    );
    assert_eq!(err.errno(), swiftos_abi::Errno::EIO);
}

/// A device that fails every read after the first `ok` reads.
struct Flaky {
    inner: MemDisk,
    ok: usize,
}
impl BlockDevice for Flaky {
    fn sector_count(&self) -> u64 {
        self.inner.sector_count()
    }
    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        if self.ok == 0 {
            return Err(IoError);
        }
        self.ok -= 1;
        self.inner.read_sectors(lba, buf)
    }
}

#[test]
fn device_errors_are_reported_with_the_sector() {
    let dev = Flaky {
        inner: MemDisk::new(sample()),
        ok: 0,
    };
    assert_eq!(
        Image::open(dev).unwrap_err(),
        Error::Io { lba: 0, sectors: 1 }
    );
    let dev = Flaky {
        inner: MemDisk::new(sample()),
        ok: 1,
    };
    assert!(matches!(
        Image::open(dev).unwrap_err(),
        Error::Io { lba: 1, .. }
    ));
    let dev = Flaky {
        inner: MemDisk::new(sample()),
        ok: 2,
    };
    let mut img = Image::open(dev).unwrap();
    let sh = img.resolve("/bin/sh").unwrap();
    let mut buf = [0u8; 10];
    assert!(matches!(
        img.read_at(sh, 0, &mut buf),
        Err(Error::Io { .. })
    ));
}

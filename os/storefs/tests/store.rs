//! Host tests of the package store: operations, persistence, damage handling, garbage
//! superblocks/blobs, and the crash proof (a power cut after every single sector write, with
//! unflushed writes lost in several patterns, leaves an old or new committed state).

use std::collections::BTreeMap;
use swiftos_storefs::format::{sha256, Superblock, BLOCK_SIZE};
use swiftos_storefs::{BlockDev, Error, IoError, LogOp, MemDev, SlotError, Store};

const MB: usize = 1 << 20;

/// Everything visible in the tree: path -> (mode, uid, gid, contents or None for dirs).
type Dump = BTreeMap<String, (u32, u32, u32, Option<Vec<u8>>)>;

fn dump(s: &mut Store<MemDev>) -> Dump {
    let mut out = Dump::new();
    let mut stack = vec![(String::new(), s.root())];
    while let Some((path, dir)) = stack.pop() {
        let mut i = 0;
        while let Some((name, ino, is_dir)) = s.readdir(dir, i).unwrap() {
            i += 1;
            let p = format!("{path}/{name}");
            let a = s.getattr(ino).unwrap();
            let data = if is_dir {
                stack.push((p.clone(), ino));
                None
            } else {
                let mut buf = vec![0u8; a.size as usize];
                let n = s.read(ino, 0, &mut buf).expect("file data verifies");
                assert_eq!(n, buf.len());
                Some(buf)
            };
            out.insert(p, (a.mode, a.uid, a.gid, data));
        }
    }
    out
}

fn write_file(s: &mut Store<MemDev>, path: &str, data: &[u8]) -> u64 {
    let (dir, name) = path.rsplit_once('/').unwrap();
    let d = s.resolve(dir).unwrap();
    let f = match s.lookup(d, name) {
        Ok(f) => {
            s.truncate(f, 0, 1).unwrap();
            f
        }
        Err(_) => s.create(d, name, 0o644, 0, 0, 1).unwrap(),
    };
    s.write(f, 0, data, 1).unwrap();
    f
}

fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| ((i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8 ^ seed)
        .collect()
}

#[test]
fn basic_operations_and_persistence() {
    let mut s = Store::format(MemDev::new(4 * MB), 100).unwrap();
    let root = s.root();
    let d = s.mkdir(root, "store", 0o755, 0, 0, 5).unwrap();
    let f = s.create(d, "a.txt", 0o644, 7, 8, 6).unwrap();
    let big = pattern(3 * BLOCK_SIZE + 123, 1);
    s.write(f, 0, &big, 9).unwrap();
    // Overwrite in the middle, across a block boundary.
    s.write(f, 4090, b"XXXXXXXXXXXX", 10).unwrap();
    let mut expect = big.clone();
    expect[4090..4102].copy_from_slice(b"XXXXXXXXXXXX");
    // Sparse extension.
    s.write(f, 5 * BLOCK_SIZE as u64, b"end", 11).unwrap();
    expect.resize(5 * BLOCK_SIZE, 0);
    expect.extend_from_slice(b"end");
    let mut buf = vec![0u8; expect.len() + 10];
    assert_eq!(s.read(f, 0, &mut buf).unwrap(), expect.len());
    assert_eq!(&buf[..expect.len()], &expect[..]);
    // Truncate to a partial block, then grow: the tail reads as zeros.
    s.truncate(f, 10, 12).unwrap();
    s.truncate(f, 5000, 12).unwrap();
    let mut buf = vec![0u8; 5000];
    s.read(f, 0, &mut buf).unwrap();
    assert_eq!(&buf[..10], &expect[..10]);
    assert!(buf[10..].iter().all(|&b| b == 0));
    s.commit().unwrap();
    let before = dump(&mut s);
    let seq = s.seq();
    let (mut s2, rep) = Store::mount(s.into_device()).unwrap();
    assert_eq!(rep.seq, seq);
    assert_eq!(rep.other_damaged, None);
    assert_eq!(dump(&mut s2), before);
    let a = s2.getattr(s2.resolve("/store/a.txt").unwrap()).unwrap();
    assert_eq!(
        (a.mode, a.uid, a.gid, a.mtime, a.size),
        (0o100644, 7, 8, 12, 5000)
    );
}

#[test]
fn namespace_errors() {
    let mut s = Store::format(MemDev::new(MB), 0).unwrap();
    let r = s.root();
    let d = s.mkdir(r, "d", 0o755, 0, 0, 0).unwrap();
    let f = s.create(d, "f", 0o644, 0, 0, 0).unwrap();
    assert_eq!(s.create(d, "f", 0o644, 0, 0, 0), Err(Error::Exists));
    assert_eq!(s.create(d, "a/b", 0o644, 0, 0, 0), Err(Error::InvalidName));
    assert_eq!(s.create(d, "..", 0o644, 0, 0, 0), Err(Error::InvalidName));
    assert_eq!(s.create(f, "x", 0o644, 0, 0, 0), Err(Error::NotDir));
    assert_eq!(s.rmdir(r, "d"), Err(Error::NotEmpty));
    assert_eq!(s.unlink(r, "d"), Err(Error::IsDir));
    assert_eq!(s.rename(r, "d", d, "inside"), Err(Error::Invalid));
    let e = s.mkdir(r, "e", 0o755, 0, 0, 0).unwrap();
    s.create(e, "g", 0o644, 0, 0, 0).unwrap();
    assert_eq!(s.rename(r, "d", r, "e"), Err(Error::NotEmpty));
    assert_eq!(s.rename(d, "f", r, "e"), Err(Error::IsDir));
    s.rename(d, "f", e, "g").unwrap();
    assert_eq!(s.lookup(d, "f"), Err(Error::NotFound));
    assert_eq!(s.lookup(e, "g"), Ok(f));
    s.unlink(e, "g").unwrap();
    s.rmdir(r, "e").unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(s.read(d, 0, &mut buf), Err(Error::IsDir));
}

#[test]
fn unlinked_open_file_survives_until_release_and_space_is_reused() {
    let mut s = Store::format(MemDev::new(MB), 0).unwrap();
    let r = s.root();
    let f = write_file(&mut s, "/big", &pattern(100 * BLOCK_SIZE, 3));
    s.commit().unwrap();
    s.retain(f);
    s.unlink(r, "big").unwrap();
    let mut buf = vec![0u8; 10];
    assert_eq!(s.read(f, 0, &mut buf).unwrap(), 10);
    s.release(f);
    assert_eq!(s.getattr(f), Err(Error::NotFound));
    // The disk is 256 blocks: writing 100-block files over and over only works if freed blocks
    // come back once no snapshot needs them.
    for i in 0..20 {
        write_file(&mut s, "/big", &pattern(100 * BLOCK_SIZE, i));
        s.commit().unwrap();
        s.unlink(r, "big").unwrap();
    }
    // The previous snapshot still holds the last file; one more commit releases it.
    assert!(s.usage().used_blocks > 100);
    s.mkdir(r, "d", 0o755, 0, 0, 0).unwrap();
    let u = s.usage();
    assert!(u.used_blocks < 20, "{u:?}");
}

#[test]
fn out_of_space_is_an_error_not_a_panic() {
    let mut s = Store::format(MemDev::new(MB), 0).unwrap();
    let r = s.root();
    let f = s.create(r, "f", 0o644, 0, 0, 0).unwrap();
    let data = vec![1u8; 2 * MB];
    assert_eq!(s.write(f, 0, &data, 0), Err(Error::NoSpace));
}

/// Filling the store stops file data short of the space the next commit needs: what a full
/// store reports done (new names, deletions) still commits and survives a remount, and space
/// comes back after a delete.
#[test]
fn a_full_store_still_commits() {
    let mut s = Store::format(MemDev::new(MB), 0).unwrap();
    let r = s.root();
    let big = s.create(r, "big", 0o644, 0, 0, 0).unwrap();
    let chunk = pattern(64 * 1024, 4);
    let mut at = 0u64;
    loop {
        match s.write(big, at, &chunk, 0) {
            Ok(n) => at += n as u64,
            Err(Error::NoSpace) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(at >= 512 * 1024, "only {at} bytes fit in 1 MiB");
    // Partial writes fill up the last blocks until only the reserve is left.
    while s.write(big, at, b"x", 0).is_ok() {
        at += 1;
    }
    s.commit().expect("commit of a full store");
    for i in 0..20 {
        s.create(r, &format!("empty-{i}"), 0o644, 0, 0, 0).unwrap();
        s.commit().expect("a new name on a full store commits");
    }
    let (mut s, _) = Store::mount(s.into_device()).unwrap();
    assert!(s.resolve("/empty-19").is_ok());
    let r = s.root();
    s.unlink(r, "big").unwrap();
    s.commit().expect("a delete on a full store commits");
    // The older snapshot still holds the deleted file's blocks; the write that needs them
    // gets them (one more commit releases them).
    let f = s.create(r, "again", 0o644, 0, 0, 0).unwrap();
    s.write(f, 0, &pattern(512 * 1024, 5), 0)
        .expect("space is back after the delete");
    s.commit().unwrap();
    let (mut s, _) = Store::mount(s.into_device()).unwrap();
    assert!(s.resolve("/big").is_err());
    let f = s.resolve("/again").unwrap();
    let mut buf = vec![0u8; 512 * 1024];
    assert_eq!(s.read(f, 0, &mut buf).unwrap(), buf.len());
    assert_eq!(buf, pattern(512 * 1024, 5));
    assert!(s.check().unwrap().is_empty());
}

#[test]
fn blank_disk_and_tiny_disk() {
    assert!(matches!(Store::mount(MemDev::new(MB)), Err(Error::Blank)));
    assert!(matches!(
        Store::format(MemDev::new(8192), 0),
        Err(Error::TooSmall(_))
    ));
}

fn committed_two(n: u8) -> (MemDev, Dump, Dump) {
    let mut s = Store::format(MemDev::new(MB), 0).unwrap();
    write_file(&mut s, "/one", &pattern(5000, n));
    s.commit().unwrap();
    let old = dump(&mut s);
    write_file(&mut s, "/two", &pattern(9000, n));
    s.commit().unwrap();
    let new = dump(&mut s);
    (s.into_device(), old, new)
}

#[test]
fn damaged_newer_superblock_falls_back_to_older() {
    let (mut dev, old, _new) = committed_two(1);
    // seq 3 lives in slot 1: flip a byte of its blob pointer area -> superblock checksum fails.
    dev.bytes_mut()[BLOCK_SIZE + 20] ^= 0x40;
    let (mut s, rep) = Store::mount(dev).unwrap();
    assert_eq!(rep.seq, 2);
    assert_eq!(rep.slot, 0);
    assert_eq!(
        rep.other_damaged,
        Some((1, None, SlotError::SuperblockChecksum))
    );
    assert!(rep.fell_back());
    assert_eq!(dump(&mut s), old);
    // The next commit overwrites the damaged slot and the store goes on.
    write_file(&mut s, "/three", b"3");
    s.commit().unwrap();
    let (_, rep) = Store::mount(s.into_device()).unwrap();
    assert_eq!((rep.seq, rep.other_damaged), (3, None));
}

#[test]
fn damaged_newer_blob_is_reported_with_its_sequence() {
    let (mut dev, old, _) = committed_two(2);
    let sb = Superblock::decode(&dev.bytes()[BLOCK_SIZE..2 * BLOCK_SIZE], 1, 256).unwrap();
    let at = sb.blob_start as usize * BLOCK_SIZE + 30;
    dev.bytes_mut()[at] ^= 1;
    let (mut s, rep) = Store::mount(dev).unwrap();
    assert_eq!(
        rep.other_damaged,
        Some((1, Some(3), SlotError::BlobChecksum))
    );
    assert!(rep.fell_back());
    assert_eq!(dump(&mut s), old);
}

#[test]
fn both_slots_damaged_is_a_clear_error() {
    let (mut dev, _, _) = committed_two(3);
    dev.bytes_mut()[3] ^= 1;
    dev.bytes_mut()[BLOCK_SIZE + 3] ^= 1;
    match Store::mount(dev) {
        Err(Error::NoValidSlot(SlotError::BadMagic, SlotError::BadMagic)) => {}
        other => panic!("{:?}", other.map(|x| x.1)),
    }
}

#[test]
fn damaged_data_block_reads_as_error_naming_the_file() {
    let mut s = Store::format(MemDev::new(MB), 0).unwrap();
    let r = s.root();
    let d = s.mkdir(r, "lib", 0o755, 0, 0, 0).unwrap();
    let f = s.create(d, "x.so", 0o644, 0, 0, 0).unwrap();
    s.write(f, 0, &pattern(3 * BLOCK_SIZE, 9), 0).unwrap();
    s.commit().unwrap();
    let mut dev = s.into_device();
    // Find the second data block by its content and damage it.
    let needle = &pattern(3 * BLOCK_SIZE, 9)[BLOCK_SIZE..BLOCK_SIZE + 64];
    let pos = dev.bytes().windows(64).position(|w| w == needle).unwrap();
    dev.bytes_mut()[pos + 100] ^= 0xff;
    let (mut s, _) = Store::mount(dev).unwrap();
    let f = s.resolve("/lib/x.so").unwrap();
    let mut buf = vec![0u8; 3 * BLOCK_SIZE];
    assert_eq!(
        s.read(f, 0, &mut buf),
        Err(Error::DataCrc {
            path: "/lib/x.so".into(),
            index: 1
        })
    );
    assert_eq!(s.read(f, 0, &mut buf[..100]).unwrap(), 100);
    assert_eq!(s.check().unwrap(), vec![("/lib/x.so".to_string(), 1)]);
}

/// A tiny deterministic generator (no external crates).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn garbage_superblocks_and_blobs_never_panic() {
    let (dev, _, _) = committed_two(4);
    let good = dev.into_bytes();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..3000 {
        let mut img = good.clone();
        match round % 4 {
            // Random bytes in a slot.
            0 => {
                let slot = (rng.next() % 2) as usize;
                for b in &mut img[slot * BLOCK_SIZE..slot * BLOCK_SIZE + 128] {
                    *b = rng.next() as u8;
                }
            }
            // Bit flips anywhere in the metadata area (first 64 blocks).
            1 => {
                for _ in 0..1 + rng.next() % 8 {
                    let at = (rng.next() % (64 * BLOCK_SIZE as u64)) as usize;
                    img[at] ^= 1 << (rng.next() % 8);
                }
            }
            // A blob replaced by garbage with a *valid* superblock checksum over it: exercises
            // the blob decoder itself.
            _ => {
                let slot = rng.next() % 2;
                let off = slot as usize * BLOCK_SIZE;
                let mut sb = Superblock::decode(&img[off..off + BLOCK_SIZE], slot, 256).unwrap();
                let start = sb.blob_start as usize * BLOCK_SIZE;
                let len = sb.blob_len as usize;
                let mut blob = img[start..start + len].to_vec();
                if round % 4 == 2 {
                    for _ in 0..1 + rng.next() % 4 {
                        let at = (rng.next() % len as u64) as usize;
                        blob[at] = rng.next() as u8;
                    }
                } else {
                    let cut = (rng.next() % len as u64) as usize;
                    blob.truncate(cut.max(1));
                }
                img[start..start + blob.len()].copy_from_slice(&blob);
                sb.blob_len = blob.len() as u64;
                sb.blob_sha256 = sha256(&blob);
                img[off..off + BLOCK_SIZE].copy_from_slice(&sb.encode());
            }
        }
        if let Ok((mut s, _)) = Store::mount(MemDev::from_bytes(img)) {
            // Whatever was accepted must be walkable without panics (data may fail its crc).
            let mut stack = vec![s.root()];
            while let Some(d) = stack.pop() {
                let mut i = 0;
                while let Ok(Some((_, ino, is_dir))) = s.readdir(d, i) {
                    i += 1;
                    if is_dir {
                        stack.push(ino);
                    } else {
                        let mut b = vec![0u8; 256];
                        let _ = s.read(ino, 0, &mut b);
                    }
                }
            }
        }
    }
    // Pure garbage and truncated devices.
    for len in [0usize, 511, 4096, 8192, 3 * 4096] {
        let img: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = Store::mount(MemDev::from_bytes(img));
    }
}

/// The disk after a power cut: every logged operation before `cut` happened, except that of
/// the writes after the last flush before `cut`, only those `keep` selects persisted (a disk
/// may reorder or drop unflushed writes).
fn replay(
    base: &[u8],
    log: &[LogOp],
    cut: usize,
    keep: &dyn Fn(usize) -> bool,
) -> (Vec<u8>, usize) {
    let last_flush = log[..cut]
        .iter()
        .rposition(|op| *op == LogOp::Flush)
        .map_or(0, |p| p + 1);
    let mut img = base.to_vec();
    for (i, op) in log[..cut].iter().enumerate() {
        if let LogOp::Write { lba, data } = op {
            if i < last_flush || keep(i) {
                let at = *lba as usize * 512;
                img[at..at + 512].copy_from_slice(data);
            }
        }
    }
    (img, last_flush)
}

#[test]
fn power_cut_after_every_write_leaves_old_or_new_state() {
    // Starting state: a committed store with some files.
    let mut s = Store::format(MemDev::new(MB), 0).unwrap();
    let r = s.root();
    let store = s.mkdir(r, "store", 0o755, 0, 0, 0).unwrap();
    s.mkdir(r, "generations", 0o755, 0, 0, 0).unwrap();
    write_file(&mut s, "/store/old", &pattern(10_000, 1));
    write_file(&mut s, "/current", b"1\n");
    s.commit().unwrap();
    let base = s.device().bytes().to_vec();
    s.device().record();

    // A package-manager-like transaction; after each committing step remember the state and
    // where in the log the commit completed.
    let mut states: Vec<(usize, Dump)> = vec![(0, dump(&mut s))];
    let mark = |s: &mut Store<MemDev>, states: &mut Vec<(usize, Dump)>| {
        let len = s.device().log().len();
        let d = dump(s);
        if states.last().map(|x| &x.1) != Some(&d) {
            states.push((len, d));
        }
    };
    let new = s.mkdir(store, "new.tmp", 0o755, 0, 0, 2).unwrap();
    mark(&mut s, &mut states);
    let f = s.create(new, "payload", 0o755, 0, 0, 2).unwrap();
    s.write(f, 0, &pattern(3 * BLOCK_SIZE + 7, 2), 2).unwrap();
    s.commit().unwrap(); // fsync
    mark(&mut s, &mut states);
    s.rename(store, "new.tmp", store, "new").unwrap();
    mark(&mut s, &mut states);
    write_file(&mut s, "/current.tmp", b"2\n");
    s.commit().unwrap();
    mark(&mut s, &mut states);
    s.rename(r, "current.tmp", r, "current").unwrap();
    mark(&mut s, &mut states);
    // Overwrite part of an existing committed file in place (copy-on-write must protect it).
    let old = s.resolve("/store/old").unwrap();
    s.write(old, 4000, &[0xAA; 300], 3).unwrap();
    s.commit().unwrap();
    mark(&mut s, &mut states);
    s.unlink(store, "old").unwrap();
    mark(&mut s, &mut states);
    let log = s.device().log().to_vec();
    assert!(states.len() >= 7, "{} states", states.len());

    let patterns: [(&str, &dyn Fn(usize) -> bool); 4] = [
        ("all", &|_| true),
        ("none", &|_| false),
        ("even", &|i| i % 2 == 0),
        ("odd", &|i| i % 2 == 1),
    ];
    let mut checked = 0;
    for cut in 0..=log.len() {
        for (pname, keep) in &patterns {
            let (img, flushed) = replay(&base, &log, cut, *keep);
            let (mut m, _) = Store::mount(MemDev::from_bytes(img))
                .unwrap_or_else(|e| panic!("cut {cut} ({pname}): mount failed: {e}"));
            let got = dump(&mut m);
            // Durability: every commit completed (its final flush) before the cut is there.
            let min = states.iter().rposition(|(at, _)| *at <= flushed).unwrap();
            let idx = states
                .iter()
                .position(|(_, d)| *d == got)
                .unwrap_or_else(|| panic!("cut {cut} ({pname}): a state that never existed"));
            assert!(
                idx >= min && idx <= min + 1,
                "cut {cut} ({pname}): state {idx}, expected {min} or {}",
                min + 1
            );
            checked += 1;
        }
    }
    assert!(checked > 400, "only {checked} crash points");
}

#[test]
fn crash_budget_device_stops_persisting() {
    let mut dev = MemDev::new(MB);
    dev.crash_after(8);
    let mut s = Store::format(dev, 0).unwrap();
    // Only the two zeroed superblock sectors... the 8-sector budget ran out during format: the
    // disk is not a store yet.
    write_file(&mut s, "/x", b"x");
    s.commit().unwrap();
    assert!(Store::mount(s.into_device()).is_err());
}

#[test]
fn random_writes_and_reads_match_a_model_across_commits() {
    let mut s = Store::format(MemDev::new(4 * MB), 0).unwrap();
    let r = s.root();
    let f = s.create(r, "f", 0o644, 0, 0, 0).unwrap();
    let mut model: Vec<u8> = Vec::new();
    let mut rng = Rng(42);
    for step in 0..300 {
        let op = rng.next() % 10;
        if op < 6 {
            let off = (rng.next() % (300 * 1024)) as usize;
            let len = 1 + (rng.next() % (40 * 1024)) as usize;
            let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            s.write(f, off as u64, &data, step).unwrap();
            if model.len() < off + len {
                model.resize(off + len, 0);
            }
            model[off..off + len].copy_from_slice(&data);
        } else if op < 7 {
            let len = (rng.next() % (320 * 1024)) as usize;
            s.truncate(f, len as u64, step).unwrap();
            model.resize(len, 0);
        } else if op < 8 {
            s.commit().unwrap();
        } else {
            let off = (rng.next() % (model.len() as u64 + 10)) as usize;
            let len = (rng.next() % (100 * 1024)) as usize;
            let mut buf = vec![0xEEu8; len];
            let n = s.read(f, off as u64, &mut buf).unwrap();
            let want = model.len().saturating_sub(off).min(len);
            assert_eq!(n, want, "step {step}");
            assert_eq!(&buf[..n], &model[off..off + n], "step {step}");
        }
    }
    s.commit().unwrap();
    let (mut s, _) = Store::mount(s.into_device()).unwrap();
    let f = s.resolve("/f").unwrap();
    let mut buf = vec![0u8; model.len()];
    assert_eq!(s.read(f, 0, &mut buf).unwrap(), model.len());
    assert_eq!(buf, model);
    assert!(s.check().unwrap().is_empty());
}

#[test]
fn large_metadata_blob_spanning_many_requests() {
    // ~3000 files: a blob of several hundred KiB, written and read in 256 KiB pieces.
    let mut s = Store::format(MemDev::new(16 * MB), 0).unwrap();
    let r = s.root();
    let d = s.mkdir(r, "many", 0o755, 0, 0, 0).unwrap();
    for i in 0..3000 {
        let name = format!("file-with-a-rather-long-name-to-grow-the-blob-{i:05}");
        let f = s.create(d, &name, 0o644, 0, 0, 0).unwrap();
        s.write(f, 0, name.as_bytes(), 0).unwrap();
    }
    s.commit().unwrap();
    let before = dump(&mut s);
    let (mut s, _) = Store::mount(s.into_device()).unwrap();
    assert_eq!(dump(&mut s), before);
}

/// A device that counts requests (for the batching and read-ahead tests).
struct Counting {
    inner: MemDev,
    writes: usize,
    reads: usize,
}

impl BlockDev for Counting {
    fn sector_count(&self) -> u64 {
        self.inner.sector_count()
    }
    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        self.reads += 1;
        self.inner.read_sectors(lba, buf)
    }
    fn write_sectors(&mut self, lba: u64, buf: &[u8]) -> Result<(), IoError> {
        self.writes += 1;
        self.inner.write_sectors(lba, buf)
    }
    fn flush(&mut self) -> Result<(), IoError> {
        self.inner.flush()
    }
}

#[test]
fn whole_block_writes_go_to_the_device_as_contiguous_runs() {
    let dev = Counting {
        inner: MemDev::new(4 * MB),
        writes: 0,
        reads: 0,
    };
    let mut s = Store::format(dev, 0).unwrap();
    let r = s.root();
    let f = s.create(r, "f", 0o644, 0, 0, 0).unwrap();
    let first = pattern(64 * 1024, 1);
    s.device().writes = 0;
    s.write(f, 0, &first, 0).unwrap();
    assert_eq!(s.device().writes, 1, "16 fresh blocks, one request");
    // Committed blocks are never overwritten: the rewrite goes to fresh (again contiguous)
    // blocks, still one request, and reads back.
    s.commit().unwrap();
    let second = pattern(64 * 1024, 2);
    s.device().writes = 0;
    s.write(f, 0, &second, 1).unwrap();
    assert_eq!(s.device().writes, 1);
    // An unaligned write: head and tail blocks one request each, the whole blocks between as one.
    let third = pattern(3 * 4096, 3);
    s.device().writes = 0;
    s.write(f, 100, &third, 2).unwrap();
    assert_eq!(s.device().writes, 3);
    let mut want = second.clone();
    want[100..100 + third.len()].copy_from_slice(&third);
    let mut buf = vec![0u8; want.len()];
    assert_eq!(s.read(f, 0, &mut buf).unwrap(), want.len());
    assert_eq!(buf, want);
    s.commit().unwrap();
    let (mut s, _) = Store::mount(s.into_device().inner).unwrap();
    let f = s.resolve("/f").unwrap();
    let mut buf = vec![0u8; want.len()];
    assert_eq!(s.read(f, 0, &mut buf).unwrap(), want.len());
    assert_eq!(buf, want);
    assert!(s.check().unwrap().is_empty());
}

/// Small sequential reads (`cat` reads 4 KiB at a time, the zstd decoder a 3-byte block header
/// and then the block) cost one device request per 256 KiB, not one per call.
#[test]
fn small_sequential_reads_are_served_by_read_ahead() {
    let mut s = Store::format(MemDev::new(4 * MB), 0).unwrap();
    let r = s.root();
    let f = s.create(r, "f", 0o644, 0, 0, 0).unwrap();
    let data = pattern(1024 * 1024 + 100, 5);
    s.write(f, 0, &data, 0).unwrap();
    s.commit().unwrap();
    let dev = Counting {
        inner: s.into_device(),
        writes: 0,
        reads: 0,
    };
    let (mut s, _) = Store::mount(dev).unwrap();
    let f = s.resolve("/f").unwrap();
    for piece in [4096usize, 3, 1000] {
        s.device().reads = 0;
        let mut got = Vec::new();
        let mut buf = vec![0u8; piece];
        loop {
            let n = s.read(f, got.len() as u64, &mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, data, "{piece}-byte reads");
        // 257 blocks: four runs of 64 and one block.
        assert_eq!(s.device().reads, 5, "{piece}-byte reads");
    }
}

/// The read cache never returns bytes the disk no longer holds: writes in place and to fresh
/// blocks, truncation, and damage done through the device all show on the next read.
#[test]
fn read_cache_follows_writes_and_damage() {
    let mut s = Store::format(MemDev::new(4 * MB), 0).unwrap();
    let r = s.root();
    let f = s.create(r, "f", 0o644, 0, 0, 0).unwrap();
    let mut model = pattern(40 * BLOCK_SIZE, 1);
    s.write(f, 0, &model, 0).unwrap();
    let read_all = |s: &mut Store<MemDev>, len: usize| {
        let mut got = vec![0u8; len];
        let mut at = 0;
        while at < len {
            let n = s
                .read(f, at as u64, &mut got[at..(at + 777).min(len)])
                .unwrap();
            assert!(n > 0);
            at += n;
        }
        got
    };
    assert_eq!(read_all(&mut s, model.len()), model);
    // Uncommitted blocks are rewritten in place.
    let patch = pattern(5000, 2);
    s.write(f, 10_000, &patch, 1).unwrap();
    model[10_000..15_000].copy_from_slice(&patch);
    assert_eq!(read_all(&mut s, model.len()), model);
    // Committed blocks move to fresh ones (copy-on-write).
    s.commit().unwrap();
    assert_eq!(read_all(&mut s, model.len()), model);
    let patch = pattern(3 * BLOCK_SIZE, 3);
    s.write(f, 2 * BLOCK_SIZE as u64, &patch, 2).unwrap();
    model[2 * BLOCK_SIZE..5 * BLOCK_SIZE].copy_from_slice(&patch);
    assert_eq!(read_all(&mut s, model.len()), model);
    // Shrink and grow: the tail reads as zeros, not as the old cached bytes.
    s.truncate(f, 3 * BLOCK_SIZE as u64 + 10, 3).unwrap();
    s.truncate(f, 40 * BLOCK_SIZE as u64, 4).unwrap();
    model[3 * BLOCK_SIZE + 10..].fill(0);
    assert_eq!(read_all(&mut s, model.len()), model);
    // Damage under a cached block: detected, not served from the cache.
    s.commit().unwrap();
    assert_eq!(read_all(&mut s, 100), model[..100]);
    let needle = model[..64].to_vec();
    let dev = s.device();
    let pos = dev
        .bytes()
        .chunks(BLOCK_SIZE)
        .position(|b| b[..64] == needle[..])
        .unwrap()
        * BLOCK_SIZE;
    dev.bytes_mut()[pos + 7] ^= 0x55;
    let mut buf = [0u8; 10];
    assert_eq!(
        s.read(f, 0, &mut buf),
        Err(Error::DataCrc {
            path: "/f".into(),
            index: 0
        })
    );
}

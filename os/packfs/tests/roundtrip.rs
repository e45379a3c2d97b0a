//! Writer → reader round trips, determinism and lookups.

use swiftos_abi::fcntl::{S_IFDIR, S_IFMT, S_IFREG};
use swiftos_packfs::{Attrs, Error, Image, ImageBuilder, MemDisk, SECTOR_SIZE};

fn sample() -> ImageBuilder {
    let mut b = ImageBuilder::new();
    b.set_mtime(1_700_000_000);
    b.add_file("/etc/passwd", b"root:x:0:0\n".to_vec(), Attrs::FILE)
        .unwrap();
    b.add_file(
        "/etc/shadow",
        b"root:$hash\n".to_vec(),
        Attrs {
            mode: 0o600,
            uid: 0,
            gid: 0,
        },
    )
    .unwrap();
    b.add_file("/bin/sh", vec![0x7f; 3000], Attrs::EXEC)
        .unwrap();
    b.add_file("/bin/ls", vec![1; 512], Attrs::EXEC).unwrap();
    b.add_file("/empty", Vec::new(), Attrs::FILE).unwrap();
    b.add_dir("/tmp", Attrs::root(0o1777)).unwrap();
    b.add_dir(
        "/home/user",
        Attrs {
            mode: 0o700,
            uid: 1000,
            gid: 1000,
        },
    )
    .unwrap();
    b
}

#[test]
fn round_trip_contents_and_attributes() {
    let bytes = sample().build().unwrap();
    assert_eq!(bytes.len() % SECTOR_SIZE, 0);
    let mut img = Image::open(MemDisk::new(bytes)).unwrap();
    let root = img.inode(img.root()).unwrap();
    assert!(root.is_dir());
    // Root entries sorted: bin, empty, etc, home, tmp.
    let names: Vec<Vec<u8>> = root
        .children()
        .map(|c| img.name(c).unwrap().to_vec())
        .collect();
    assert_eq!(
        names,
        vec![
            b"bin".to_vec(),
            b"empty".to_vec(),
            b"etc".to_vec(),
            b"home".to_vec(),
            b"tmp".to_vec()
        ]
    );

    let sh = img.resolve("/bin/sh").unwrap();
    let ino = img.inode(sh).unwrap();
    assert_eq!(ino.mode, S_IFREG | 0o755);
    assert_eq!(ino.size, 3000);
    assert_eq!(ino.mtime, 1_700_000_000);
    assert_eq!(ino.offset % SECTOR_SIZE as u64, 0);
    assert_eq!(img.read_file_verified(sh).unwrap(), vec![0x7f; 3000]);

    let shadow = img.inode(img.resolve("/etc/shadow").unwrap()).unwrap();
    assert_eq!(shadow.mode & 0o7777, 0o600);
    let home = img.inode(img.resolve("/home/user").unwrap()).unwrap();
    assert_eq!(
        (home.mode & S_IFMT, home.uid, home.gid),
        (S_IFDIR, 1000, 1000)
    );
    let tmp = img.inode(img.resolve("tmp").unwrap()).unwrap();
    assert_eq!(tmp.mode & 0o7777, 0o1777);
    assert_eq!(
        img.inode(img.resolve("/home").unwrap()).unwrap().mode,
        S_IFDIR | 0o755
    );

    let empty = img.resolve("/empty").unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(img.read_at(empty, 0, &mut buf).unwrap(), 0);
    assert_eq!(img.read_file_verified(empty).unwrap(), Vec::<u8>::new());
    img.verify_all().unwrap();
}

#[test]
fn unaligned_and_partial_reads() {
    let data: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut b = ImageBuilder::new();
    b.add_file("/f", data.clone(), Attrs::FILE).unwrap();
    let mut img = Image::open(MemDisk::new(b.build().unwrap())).unwrap();
    let f = img.resolve("/f").unwrap();
    for (off, len) in [
        (0, 5000),
        (1, 511),
        (511, 2),
        (100, 1500),
        (4999, 10),
        (5000, 1),
        (7000, 5),
        (512, 1024),
    ] {
        let mut buf = vec![0u8; len];
        let n = img.read_at(f, off as u64, &mut buf).unwrap();
        let want = &data[off.min(5000)..(off + len).min(5000)];
        assert_eq!(&buf[..n], want, "off {off} len {len}");
    }
}

#[test]
fn lookup_errors() {
    let mut img = Image::open(MemDisk::new(sample().build().unwrap())).unwrap();
    assert_eq!(img.resolve("/nope"), Err(Error::NotFound));
    let passwd = img.resolve("/etc/passwd").unwrap();
    assert_eq!(
        img.resolve("/etc/passwd/x"),
        Err(Error::NotADirectory(passwd))
    );
    let etc = img.resolve("/etc").unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(img.read_at(etc, 0, &mut buf), Err(Error::IsADirectory(etc)));
    assert_eq!(img.inode(9999), Err(Error::NoSuchInode(9999)));
    assert_eq!(img.resolve("/").unwrap(), 0);
    assert_eq!(img.resolve("//etc//passwd").unwrap(), passwd);
    assert_eq!(Error::NotFound.errno(), swiftos_abi::Errno::ENOENT);
}

#[test]
fn build_is_deterministic_and_insertion_order_free() {
    let a = sample().build().unwrap();
    let b = sample().build().unwrap();
    assert_eq!(a, b);
    let mut x = ImageBuilder::new();
    x.add_file("/b", b"2".to_vec(), Attrs::FILE).unwrap();
    x.add_file("/a", b"1".to_vec(), Attrs::FILE).unwrap();
    let mut y = ImageBuilder::new();
    y.add_file("/a", b"1".to_vec(), Attrs::FILE).unwrap();
    y.add_file("/b", b"2".to_vec(), Attrs::FILE).unwrap();
    assert_eq!(x.build().unwrap(), y.build().unwrap());
    // A different mtime changes the image.
    let mut z = sample();
    z.set_mtime(0);
    assert_ne!(z.build().unwrap(), a);
}

#[test]
fn writer_rejects_bad_paths_and_duplicates() {
    let mut b = ImageBuilder::new();
    assert!(b.add_file("relative", vec![], Attrs::FILE).is_err());
    assert!(b.add_file("/a/../b", vec![], Attrs::FILE).is_err());
    assert!(b.add_file("/a/./b", vec![], Attrs::FILE).is_err());
    assert!(b
        .add_file(&format!("/{}", "x".repeat(256)), vec![], Attrs::FILE)
        .is_err());
    assert!(b.add_file("/", vec![], Attrs::FILE).is_err());
    assert!(b.add_file("/m", vec![], Attrs::root(0o10000)).is_err());
    b.add_file("/f", vec![1], Attrs::FILE).unwrap();
    assert!(b.add_file("/f", vec![2], Attrs::FILE).is_err());
    assert!(b.add_dir("/f", Attrs::DIR).is_err());
    assert!(b.add_file("/f/g", vec![], Attrs::FILE).is_err());
    // Re-attributing an existing directory is allowed.
    b.add_dir("/d", Attrs::DIR).unwrap();
    b.add_dir("/d", Attrs::root(0o700)).unwrap();
    let img = Image::open(MemDisk::new(b.build().unwrap())).unwrap();
    assert_eq!(
        img.inode(img.resolve("/d").unwrap()).unwrap().mode & 0o7777,
        0o700
    );
}

#[test]
fn host_tree_import() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("etc/swos")).unwrap();
    std::fs::write(p.join("etc/passwd"), "root\n").unwrap();
    std::fs::write(p.join("etc/swos/key.pub"), "k").unwrap();
    std::fs::create_dir(p.join("www")).unwrap();
    std::fs::write(p.join("run.sh"), "#!").unwrap();
    std::fs::set_permissions(p.join("run.sh"), std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut b = ImageBuilder::new();
    b.add_host_tree(p, "/").unwrap();
    let img = Image::open(MemDisk::new(b.build().unwrap())).unwrap();
    assert_eq!(
        img.inode(img.resolve("/run.sh").unwrap()).unwrap().mode & 0o777,
        0o755
    );
    assert_eq!(
        img.inode(img.resolve("/etc/passwd").unwrap()).unwrap().mode & 0o777,
        0o644
    );
    assert!(img.inode(img.resolve("/www").unwrap()).unwrap().is_dir());
    assert_eq!(
        img.inode(img.resolve("/etc/swos/key.pub").unwrap())
            .unwrap()
            .size,
        1
    );

    std::os::unix::fs::symlink("passwd", p.join("etc/link")).unwrap();
    let mut b = ImageBuilder::new();
    let err = b.add_host_tree(p, "/").unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
}

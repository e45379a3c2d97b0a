//! The VFS against a real packed image built by the writer, with root/user/guest contexts.

use swiftos_abi::fcntl::*;
use swiftos_abi::{Caps, DirentHeader, Errno, DT_CHR, DT_DIR, DT_REG};
use swiftos_packfs::{Attrs, Image, ImageBuilder, MemDisk};
use swiftos_vfs::{DeviceId, FsContext, Handle, Vfs, VfsOptions};

const USER_CAPS: Caps = Caps(Caps::FS_READ.0 | Caps::TMP_WRITE.0);

fn ctx<'a>(cwd: &'a str, root: &'a str, uid: u32, caps: Caps) -> FsContext<'a> {
    FsContext {
        cwd,
        confine_root: root,
        caps,
        uid,
        gid: uid,
    }
}
fn root() -> FsContext<'static> {
    ctx("/", "/", 0, Caps::ALL)
}
fn user() -> FsContext<'static> {
    ctx("/", "/", 1000, USER_CAPS)
}
fn user2() -> FsContext<'static> {
    ctx("/", "/", 1001, USER_CAPS)
}
fn guest() -> FsContext<'static> {
    ctx("/", "/", 2000, Caps::FS_READ)
}

fn image_bytes() -> Vec<u8> {
    let mut b = ImageBuilder::new();
    b.set_mtime(1_000);
    b.add_file(
        "/etc/passwd",
        b"root:x:0:0::/:/bin/sh\n".to_vec(),
        Attrs::FILE,
    )
    .unwrap();
    b.add_file(
        "/etc/shadow",
        b"root:$6$salt$hash\n".to_vec(),
        Attrs::root(0o600),
    )
    .unwrap();
    b.add_file(
        "/bin/sh",
        vec![0x7f, b'E', b'L', b'F', 1, 2, 3],
        Attrs::EXEC,
    )
    .unwrap();
    b.add_file("/bin/notexec", b"data".to_vec(), Attrs::FILE)
        .unwrap();
    b.add_file("/bin/big", vec![9u8; 70_000], Attrs::EXEC)
        .unwrap();
    b.add_dir("/tmp", Attrs::root(0o1777)).unwrap();
    b.add_dir("/dev", Attrs::DIR).unwrap();
    b.add_dir("/secret", Attrs::root(0o700)).unwrap();
    b.add_file("/secret/key", b"k".to_vec(), Attrs::root(0o644))
        .unwrap();
    b.build().unwrap()
}

fn vfs() -> Vfs {
    Vfs::with_options(
        Image::open(MemDisk::new(image_bytes())).unwrap(),
        VfsOptions {
            tmp_limit: 1 << 20,
            clock: || 77,
            max_whole_file: 1 << 20,
        },
    )
}

fn write_file(v: &mut Vfs, c: &FsContext<'_>, path: &str, data: &[u8]) -> Result<(), Errno> {
    let mut h = v.open(c, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)?;
    let n = v.write(&mut h, data);
    v.close(h);
    assert_eq!(n?, data.len());
    Ok(())
}

fn read_all(v: &mut Vfs, h: &mut Handle) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 7];
    loop {
        let n = v.read(h, &mut buf).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

fn list(v: &mut Vfs, c: &FsContext<'_>, path: &str, bufsize: usize) -> Vec<(String, u8)> {
    let mut h = v.open(c, path, O_RDONLY | O_DIRECTORY, 0).unwrap();
    let mut out = Vec::new();
    let mut buf = vec![0u8; bufsize];
    loop {
        let n = v.getdents(&mut h, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        let mut at = 0;
        while at < n {
            let reclen = u16::from_le_bytes([buf[at + 8], buf[at + 9]]) as usize;
            let kind = buf[at + 10];
            let namelen = buf[at + 11] as usize;
            let hdr = std::mem::size_of::<DirentHeader>();
            assert_eq!(reclen % 8, 0);
            assert!(reclen >= hdr + namelen);
            out.push((
                String::from_utf8(buf[at + hdr..at + hdr + namelen].to_vec()).unwrap(),
                kind,
            ));
            at += reclen;
        }
    }
    v.close(h);
    out
}

#[test]
fn reads_from_the_base_image() {
    let mut v = vfs();
    let c = user();
    let mut h = v.open(&c, "/etc/passwd", O_RDONLY, 0).unwrap();
    assert_eq!(read_all(&mut v, &mut h), b"root:x:0:0::/:/bin/sh\n");
    let st = v.fstat(&h).unwrap();
    assert_eq!(st.st_mode, S_IFREG | 0o644);
    assert_eq!(st.st_size, 22);
    assert_eq!(st.st_mtim.tv_sec, 1_000);
    assert_eq!(v.seek(&mut h, -4, SEEK_END), Ok(18));
    assert_eq!(read_all(&mut v, &mut h), b"/sh\n");
    assert_eq!(v.seek(&mut h, 2, SEEK_SET), Ok(2));
    assert_eq!(v.seek(&mut h, 3, SEEK_CUR), Ok(5));
    assert_eq!(v.seek(&mut h, -10, SEEK_CUR), Err(Errno::EINVAL));
    assert_eq!(v.seek(&mut h, 0, 9), Err(Errno::EINVAL));
    // Read-only handle refuses writes.
    assert_eq!(v.write(&mut h, b"x"), Err(Errno::EBADF));
    assert_eq!(v.ftruncate(&mut h, 0), Err(Errno::EBADF));
    v.close(h);
    assert_eq!(v.read_whole_file(&c, "/bin/big").unwrap().len(), 70_000);
    assert_eq!(v.stat(&c, "/etc").unwrap().st_mode, S_IFDIR | 0o755);
}

#[test]
fn base_image_is_read_only_for_everyone() {
    let mut v = vfs();
    for c in [root(), user(), guest()] {
        assert_eq!(
            v.open(&c, "/etc/passwd", O_WRONLY, 0).unwrap_err(),
            Errno::EROFS
        );
        assert_eq!(
            v.open(&c, "/etc/passwd", O_RDONLY | O_TRUNC, 0)
                .unwrap_err(),
            Errno::EROFS
        );
        assert_eq!(
            v.open(&c, "/etc/new", O_WRONLY | O_CREAT, 0o644)
                .unwrap_err(),
            Errno::EROFS
        );
        assert_eq!(v.mkdir(&c, "/newdir", 0o755), Err(Errno::EROFS));
        assert_eq!(v.mkdir(&c, "/etc", 0o755), Err(Errno::EEXIST));
        assert_eq!(v.unlink(&c, "/etc/passwd"), Err(Errno::EROFS));
        assert_eq!(v.unlink(&c, "/etc/nope"), Err(Errno::ENOENT));
        assert_eq!(v.rmdir(&c, "/bin"), Err(Errno::EROFS));
        assert_eq!(v.rename(&c, "/etc/passwd", "/etc/p2"), Err(Errno::EROFS));
        assert_eq!(v.chmod(&c, "/etc/passwd", 0o777), Err(Errno::EROFS));
        assert_eq!(v.chown(&c, "/etc/passwd", 5, 5), Err(Errno::EROFS));
        assert_eq!(v.mkdir(&c, "/dev/x", 0o755), Err(Errno::EROFS));
    }
}

#[test]
fn tmp_round_trip() {
    let mut v = vfs();
    let c = user();
    write_file(&mut v, &c, "/tmp/a.txt", b"hello world").unwrap();
    let mut h = v.open(&c, "/tmp/a.txt", O_RDWR, 0).unwrap();
    assert_eq!(read_all(&mut v, &mut h), b"hello world");
    v.seek(&mut h, 6, SEEK_SET).unwrap();
    v.write(&mut h, b"WORLD!").unwrap();
    v.seek(&mut h, 0, SEEK_SET).unwrap();
    assert_eq!(read_all(&mut v, &mut h), b"hello WORLD!");
    v.ftruncate(&mut h, 5).unwrap();
    let st = v.fstat(&h).unwrap();
    assert_eq!(
        (st.st_size, st.st_uid, st.st_gid, st.st_mtim.tv_sec),
        (5, 1000, 1000, 77)
    );
    v.close(h);
    // O_APPEND
    let mut h = v.open(&c, "/tmp/a.txt", O_WRONLY | O_APPEND, 0).unwrap();
    v.write(&mut h, b"++").unwrap();
    v.close(h);
    assert_eq!(v.read_whole_file(&c, "/tmp/a.txt").unwrap(), b"hello++");
    // O_TRUNC on reopen, O_EXCL on existing
    write_file(&mut v, &c, "/tmp/a.txt", b"x").unwrap();
    assert_eq!(v.read_whole_file(&c, "/tmp/a.txt").unwrap(), b"x");
    assert_eq!(
        v.open(&c, "/tmp/a.txt", O_WRONLY | O_CREAT | O_EXCL, 0o644)
            .unwrap_err(),
        Errno::EEXIST
    );
    // Relative paths from a cwd inside /tmp.
    v.mkdir(&c, "/tmp/work", 0o755).unwrap();
    let cwd = v.resolve_dir(&c, "/tmp/work/.").unwrap();
    assert_eq!(cwd, "/tmp/work");
    let c2 = ctx(&cwd, "/", 1000, USER_CAPS);
    write_file(&mut v, &c2, "rel", b"r").unwrap();
    assert_eq!(v.read_whole_file(&c, "/tmp/work/rel").unwrap(), b"r");
    assert_eq!(v.read_whole_file(&c2, "../a.txt").unwrap(), b"x");
    // Missing parent, file as a directory, trailing slash on a file.
    assert_eq!(
        v.open(&c, "/tmp/no/f", O_WRONLY | O_CREAT, 0o644)
            .unwrap_err(),
        Errno::ENOENT
    );
    assert_eq!(
        v.open(&c, "/tmp/a.txt/f", O_RDONLY, 0).unwrap_err(),
        Errno::ENOTDIR
    );
    assert_eq!(
        v.open(&c, "/tmp/a.txt/", O_RDONLY, 0).unwrap_err(),
        Errno::ENOTDIR
    );
    assert_eq!(
        v.open(&c, "/tmp/newdir/", O_WRONLY | O_CREAT, 0o644)
            .unwrap_err(),
        Errno::EISDIR
    );
    assert_eq!(
        v.open(&c, "/tmp/a.txt", O_RDONLY | O_DIRECTORY, 0)
            .unwrap_err(),
        Errno::ENOTDIR
    );
    assert_eq!(
        v.open(&c, "/tmp/a.txt", O_ACCMODE, 0).unwrap_err(),
        Errno::EINVAL
    );
    assert_eq!(v.resolve_dir(&c, "/tmp/a.txt"), Err(Errno::ENOTDIR));
}

#[test]
fn directories_and_getdents() {
    let mut v = vfs();
    let c = user();
    v.mkdir(&c, "/tmp/d", 0o755).unwrap();
    assert_eq!(v.mkdir(&c, "/tmp/d", 0o755), Err(Errno::EEXIST));
    write_file(&mut v, &c, "/tmp/d/f1", b"1").unwrap();
    v.mkdir(&c, "/tmp/d/sub", 0o700).unwrap();
    assert_eq!(v.rmdir(&c, "/tmp/d"), Err(Errno::ENOTEMPTY));
    assert_eq!(v.rmdir(&c, "/tmp/d/f1"), Err(Errno::ENOTDIR));
    assert_eq!(v.unlink(&c, "/tmp/d/sub"), Err(Errno::EISDIR));
    // A tiny buffer forces one record per call; a big one returns all at once.
    for size in [24, 4096] {
        let l = list(&mut v, &c, "/tmp/d", size);
        assert_eq!(
            l,
            vec![
                (".".into(), DT_DIR),
                ("..".into(), DT_DIR),
                ("f1".into(), DT_REG),
                ("sub".into(), DT_DIR)
            ]
        );
    }
    let mut h = v.open(&c, "/tmp/d", O_RDONLY, 0).unwrap();
    assert!(h.is_dir());
    let mut small = [0u8; 8];
    assert_eq!(v.getdents(&mut h, &mut small), Err(Errno::EINVAL));
    let mut buf = [0u8; 16];
    assert_eq!(v.read(&mut h, &mut buf), Err(Errno::EISDIR));
    v.close(h);
    assert_eq!(
        v.open(&c, "/tmp/d", O_WRONLY, 0).unwrap_err(),
        Errno::EISDIR
    );
    // Root listing comes from the image; /dev from devfs.
    let names: Vec<String> = list(&mut v, &c, "/", 4096)
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(names, [".", "..", "bin", "dev", "etc", "secret", "tmp"]);
    let dev = list(&mut v, &c, "/dev", 4096);
    assert_eq!(
        &dev[2..],
        &[("console".into(), DT_CHR), ("null".into(), DT_CHR)]
    );
    // getdents on a file
    let mut f = v.open(&c, "/etc/passwd", O_RDONLY, 0).unwrap();
    assert_eq!(v.getdents(&mut f, &mut buf), Err(Errno::ENOTDIR));
    v.close(f);
    v.unlink(&c, "/tmp/d/f1").unwrap();
    v.rmdir(&c, "/tmp/d/sub").unwrap();
    v.rmdir(&c, "/tmp/d").unwrap();
    assert_eq!(v.stat(&c, "/tmp/d").unwrap_err(), Errno::ENOENT);
    // Mount points cannot be removed or recreated.
    assert_eq!(v.rmdir(&root(), "/tmp"), Err(Errno::EBUSY));
    assert_eq!(v.mkdir(&root(), "/tmp", 0o777), Err(Errno::EEXIST));
    assert_eq!(v.rmdir(&root(), "/"), Err(Errno::EBUSY));
    assert_eq!(v.stat(&c, "/tmp").unwrap().st_mode, S_IFDIR | 0o1777);
}

#[test]
fn rename_files_and_directories() {
    let mut v = vfs();
    let c = user();
    write_file(&mut v, &c, "/tmp/a", b"A").unwrap();
    write_file(&mut v, &c, "/tmp/b", b"B").unwrap();
    v.rename(&c, "/tmp/a", "/tmp/b").unwrap();
    assert_eq!(v.read_whole_file(&c, "/tmp/b").unwrap(), b"A");
    assert_eq!(v.stat(&c, "/tmp/a").unwrap_err(), Errno::ENOENT);
    v.mkdir(&c, "/tmp/d1", 0o755).unwrap();
    v.mkdir(&c, "/tmp/d2", 0o755).unwrap();
    v.rename(&c, "/tmp/b", "/tmp/d1/b").unwrap();
    v.rename(&c, "/tmp/d1", "/tmp/d2/moved").unwrap();
    assert_eq!(v.read_whole_file(&c, "/tmp/d2/moved/b").unwrap(), b"A");
    assert_eq!(
        v.rename(&c, "/tmp/d2", "/tmp/d2/moved/x"),
        Err(Errno::EINVAL)
    );
    // Across mounts.
    assert_eq!(v.rename(&c, "/tmp/d2/moved/b", "/etc/b"), Err(Errno::EXDEV));
    assert_eq!(
        v.rename(&c, "/etc/passwd", "/tmp/passwd"),
        Err(Errno::EXDEV)
    );
    assert_eq!(v.rename(&c, "/tmp/nope", "/tmp/x"), Err(Errno::ENOENT));
    assert_eq!(v.rename(&c, "/tmp", "/tmp2"), Err(Errno::EBUSY));
}

#[test]
fn unlinked_file_stays_readable_through_open_handle() {
    let mut v = vfs();
    let c = user();
    write_file(&mut v, &c, "/tmp/f", b"still here").unwrap();
    let mut h = v.open(&c, "/tmp/f", O_RDONLY, 0).unwrap();
    let mut d = v.dup(&h);
    v.unlink(&c, "/tmp/f").unwrap();
    assert_eq!(read_all(&mut v, &mut h), b"still here");
    v.close(h);
    assert_eq!(read_all(&mut v, &mut d), b"still here");
    assert_eq!(v.fstat(&d).unwrap().st_nlink, 0);
    v.close(d);
}

#[test]
fn devices() {
    let mut v = vfs();
    let g = guest();
    let mut null = v.open(&g, "/dev/null", O_RDWR, 0).unwrap();
    assert_eq!(null.device(), Some(DeviceId::Null));
    assert_eq!(v.write(&mut null, b"discard"), Ok(7));
    let mut buf = [1u8; 4];
    assert_eq!(v.read(&mut null, &mut buf), Ok(0));
    assert_eq!(v.fstat(&null).unwrap().st_mode, S_IFCHR | 0o666);
    v.close(null);
    let mut con = v.open(&g, "/dev/console", O_RDWR, 0).unwrap();
    assert_eq!(con.device(), Some(DeviceId::Console));
    assert_eq!(v.read(&mut con, &mut buf), Err(Errno::ENODEV));
    assert_eq!(
        v.stat(&g, "/dev/console").unwrap().st_rdev,
        DeviceId::Console.rdev()
    );
    // A process without capFsRead can still open devices.
    let bare = ctx("/", "/", 3000, Caps::NONE);
    assert!(v.open(&bare, "/dev/null", O_WRONLY, 0).is_ok());
    assert_eq!(v.read_executable(&g, "/dev/null"), Err(Errno::EACCES));
    assert_eq!(v.read_whole_file(&g, "/dev/null"), Err(Errno::EINVAL));
    assert_eq!(
        v.open(&g, "/dev/nope", O_RDONLY, 0).unwrap_err(),
        Errno::ENOENT
    );
}

#[test]
fn guest_without_tmp_write_is_refused() {
    let mut v = vfs();
    write_file(&mut v, &user(), "/tmp/users", b"u").unwrap();
    let g = guest();
    assert_eq!(write_file(&mut v, &g, "/tmp/g", b"x"), Err(Errno::EACCES));
    assert_eq!(v.mkdir(&g, "/tmp/gd", 0o755), Err(Errno::EACCES));
    assert_eq!(v.unlink(&g, "/tmp/users"), Err(Errno::EACCES));
    assert_eq!(
        v.open(&g, "/tmp/users", O_WRONLY, 0).unwrap_err(),
        Errno::EACCES
    );
    // ... but may read what others left readable.
    assert_eq!(v.read_whole_file(&g, "/tmp/users").unwrap(), b"u");
}

#[test]
fn capability_fs_read_gates_the_base_image() {
    let mut v = vfs();
    let nofs = ctx("/", "/", 1000, Caps::TMP_WRITE);
    assert_eq!(
        v.open(&nofs, "/etc/passwd", O_RDONLY, 0).unwrap_err(),
        Errno::EACCES
    );
    assert_eq!(v.stat(&nofs, "/etc/passwd").unwrap_err(), Errno::EACCES);
    assert_eq!(v.read_executable(&nofs, "/bin/sh"), Err(Errno::EACCES));
    assert_eq!(v.resolve_dir(&nofs, "/bin"), Err(Errno::EACCES));
    // /tmp works without it.
    write_file(&mut v, &nofs, "/tmp/x", b"x").unwrap();
    assert_eq!(v.read_whole_file(&nofs, "/tmp/x").unwrap(), b"x");
}

#[test]
fn mode_bits_protect_files() {
    let mut v = vfs();
    let (u, u2) = (user(), user2());
    assert_eq!(
        v.open(&u, "/etc/shadow", O_RDONLY, 0).unwrap_err(),
        Errno::EACCES
    );
    assert!(v.read_whole_file(&root(), "/etc/shadow").is_ok());
    // 0700 directory: no search for others.
    assert_eq!(v.stat(&u, "/secret/key").unwrap_err(), Errno::EACCES);
    assert!(v.stat(&root(), "/secret/key").is_ok());
    // Private file in /tmp.
    let mut h = v
        .open(&u, "/tmp/private", O_WRONLY | O_CREAT, 0o600)
        .unwrap();
    v.write(&mut h, b"mine").unwrap();
    v.close(h);
    assert_eq!(v.read_whole_file(&u2, "/tmp/private"), Err(Errno::EACCES));
    assert_eq!(v.chmod(&u2, "/tmp/private", 0o666), Err(Errno::EPERM));
    // Sticky /tmp: another user cannot delete or rename it away.
    assert_eq!(v.unlink(&u2, "/tmp/private"), Err(Errno::EACCES));
    assert_eq!(
        v.rename(&u2, "/tmp/private", "/tmp/stolen"),
        Err(Errno::EACCES)
    );
    // The owner can chmod; then the other user can read it.
    v.chmod(&u, "/tmp/private", 0o644).unwrap();
    assert_eq!(v.read_whole_file(&u2, "/tmp/private").unwrap(), b"mine");
    assert_eq!(v.stat(&u, "/tmp/private").unwrap().st_mode, S_IFREG | 0o644);
    // A read-only file refuses writes even to its owner, until chmod.
    v.chmod(&u, "/tmp/private", 0o444).unwrap();
    assert_eq!(
        v.open(&u, "/tmp/private", O_WRONLY, 0).unwrap_err(),
        Errno::EACCES
    );
    // chown needs capChown.
    assert_eq!(
        v.chown(&u, "/tmp/private", 1001, u32::MAX),
        Err(Errno::EPERM)
    );
    v.chown(&root(), "/tmp/private", 1001, u32::MAX).unwrap();
    let st = v.stat(&u, "/tmp/private").unwrap();
    assert_eq!((st.st_uid, st.st_gid), (1001, 1000));
    assert_eq!(v.unlink(&u, "/tmp/private"), Err(Errno::EACCES));
    v.unlink(&u2, "/tmp/private").unwrap();
}

#[test]
fn executables() {
    let mut v = vfs();
    let u = user();
    assert_eq!(&v.read_executable(&u, "/bin/sh").unwrap()[..4], b"\x7fELF");
    // The second load skips the (already done) checksum and returns the same bytes.
    let first = v.read_executable(&u, "/bin/big").unwrap();
    assert_eq!(v.read_executable(&u, "/bin/big").unwrap(), first);
    assert_eq!(first, vec![9u8; 70_000]);
    assert_eq!(v.read_executable(&u, "/bin/notexec"), Err(Errno::EACCES));
    assert_eq!(v.read_executable(&u, "/bin"), Err(Errno::EACCES));
    assert_eq!(v.read_executable(&u, "/bin/nope"), Err(Errno::ENOENT));
    let mut h = v.open(&u, "/tmp/prog", O_WRONLY | O_CREAT, 0o755).unwrap();
    v.write(&mut h, b"\x7fELF").unwrap();
    v.close(h);
    assert_eq!(v.read_executable(&u, "/tmp/prog").unwrap(), b"\x7fELF");
    assert_eq!(v.read_whole_file(&u, "/tmp"), Err(Errno::EISDIR));
}

#[test]
fn read_whole_file_limit_and_corruption() {
    let mut small = Vfs::with_options(
        Image::open(MemDisk::new(image_bytes())).unwrap(),
        VfsOptions {
            max_whole_file: 1000,
            ..VfsOptions::default()
        },
    );
    assert_eq!(
        small.read_whole_file(&root(), "/bin/big"),
        Err(Errno::EFBIG)
    );
    // Corrupt the data of /bin/sh (outside the checksummed metadata): open succeeds, whole-file
    // reads fail with EIO.
    let mut bytes = image_bytes();
    let img = Image::open(MemDisk::new(bytes.clone())).unwrap();
    let off = img.inode(img.resolve("/bin/sh").unwrap()).unwrap().offset as usize;
    bytes[off] ^= 0xff;
    let mut v = Vfs::new(Image::open(MemDisk::new(bytes)).unwrap());
    assert_eq!(v.read_executable(&root(), "/bin/sh"), Err(Errno::EIO));
}

#[test]
fn confinement() {
    let mut v = vfs();
    let u = user();
    v.mkdir(&u, "/tmp/jail", 0o755).unwrap();
    write_file(&mut v, &u, "/tmp/jail/inside", b"in").unwrap();
    let rootdir = v.resolve_dir(&u, "/tmp/jail").unwrap();
    let j = ctx(&rootdir, &rootdir, 1000, USER_CAPS);
    assert_eq!(v.read_whole_file(&j, "inside").unwrap(), b"in");
    assert_eq!(v.read_whole_file(&j, "/tmp/jail/inside").unwrap(), b"in");
    assert_eq!(
        v.read_whole_file(&j, "../../etc/passwd"),
        Err(Errno::ENOENT)
    );
    assert_eq!(v.read_whole_file(&j, "/etc/passwd"), Err(Errno::EACCES));
    assert_eq!(
        v.open(&j, "/dev/console", O_RDWR, 0).unwrap_err(),
        Errno::EACCES
    );
    assert_eq!(v.resolve_dir(&j, ".."), Ok(String::from("/tmp/jail")));
    assert_eq!(v.resolve_dir(&j, "/tmp"), Err(Errno::EACCES));
    assert_eq!(v.rename(&j, "inside", "/tmp/out"), Err(Errno::EACCES));
    write_file(&mut v, &j, "../new", b"n").unwrap();
    assert_eq!(v.read_whole_file(&u, "/tmp/jail/new").unwrap(), b"n");
}

#[test]
fn handle_rights_and_flags() {
    let mut v = vfs();
    let u = user();
    write_file(&mut v, &u, "/tmp/f", b"abc").unwrap();
    let mut h = v.open(&u, "/tmp/f", O_RDWR, 0).unwrap();
    h.restrict(swiftos_abi::Rights::READ);
    assert_eq!(v.write(&mut h, b"x"), Err(Errno::EBADF));
    assert_eq!(v.seek(&mut h, 0, SEEK_SET), Err(Errno::ESPIPE));
    assert_eq!(v.fstat(&h).unwrap_err(), Errno::EPERM);
    let mut buf = [0u8; 3];
    assert_eq!(v.read(&mut h, &mut buf), Ok(3));
    h.set_status_flags(O_APPEND | O_TRUNC);
    assert_eq!(
        h.flags() & (O_APPEND | O_TRUNC | O_ACCMODE),
        O_APPEND | O_RDWR
    );
    v.close(h);
}

#[test]
fn tmp_budget_gives_enospc() {
    let mut v = vfs();
    let u = user();
    let mut h = v.open(&u, "/tmp/big", O_WRONLY | O_CREAT, 0o644).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    let mut total = 0;
    let err = loop {
        match v.write(&mut h, &chunk) {
            Ok(n) => total += n,
            Err(e) => break e,
        }
    };
    assert_eq!(err, Errno::ENOSPC);
    assert!((900_000..1 << 20).contains(&total), "{total}");
    v.ftruncate(&mut h, 0).unwrap();
    // The offset stays where it was: writing there would need the whole budget again.
    assert_eq!(v.write(&mut h, &chunk), Err(Errno::ENOSPC));
    v.seek(&mut h, 0, SEEK_SET).unwrap();
    assert_eq!(v.write(&mut h, &chunk), Ok(chunk.len()));
    v.close(h);
}

#[test]
fn extra_mounts() {
    let mut v = vfs();
    let mut b = ImageBuilder::new();
    b.add_file("/bin/lua", b"\x7fELFlua".to_vec(), Attrs::EXEC)
        .unwrap();
    let pkg = Image::open(MemDisk::new(b.build().unwrap())).unwrap();
    v.mount("/pkg/lua", Box::new(swiftos_vfs::PackFs::new(pkg)))
        .unwrap();
    assert_eq!(
        v.mount("/pkg/lua", Box::new(swiftos_vfs::DevFs)),
        Err(Errno::EBUSY)
    );
    assert_eq!(
        v.mount("pkg", Box::new(swiftos_vfs::DevFs)),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        v.read_executable(&user(), "/pkg/lua/bin/lua").unwrap(),
        b"\x7fELFlua"
    );
    assert_eq!(v.unlink(&root(), "/pkg/lua/bin/lua"), Err(Errno::EROFS));
    assert_eq!(
        v.mount_points().collect::<Vec<_>>(),
        ["/", "/tmp", "/dev", "/pkg/lua"]
    );
}

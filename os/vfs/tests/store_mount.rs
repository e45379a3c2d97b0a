//! The package store mounted at `/pkg` and the read-only overlay at `/usr`, through the VFS
//! with real authority checks.

use swiftos_abi::fcntl::{O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY};
use swiftos_abi::{Caps, Errno};
use swiftos_packfs::{Attrs, Image, ImageBuilder, MemDisk};
use swiftos_storefs::{BlockDev, MemDev, Store};
use swiftos_vfs::storemount::{get_overlay, set_overlay, share, SharedStore};
use swiftos_vfs::{FsContext, OverlayFs, StoreFs, Vfs};

fn no_log(_: &str) {}
fn clock() -> i64 {
    1234
}

const ROOT: FsContext<'static> = FsContext::kernel();
const USER: FsContext<'static> = FsContext {
    cwd: "/",
    confine_root: "/",
    caps: Caps(Caps::FS_READ.0 | Caps::TMP_WRITE.0),
    uid: 1000,
    gid: 1000,
};
const ROOT_NO_ADMIN: FsContext<'static> = FsContext {
    cwd: "/",
    confine_root: "/",
    caps: Caps(Caps::ALL.0 & !Caps::PKG_ADMIN.0),
    uid: 0,
    gid: 0,
};

fn setup(dev: MemDev) -> (Vfs, SharedStore) {
    let mut b = ImageBuilder::new();
    b.add_dir("/pkg", Attrs::root(0o755)).unwrap();
    b.add_dir("/usr", Attrs::root(0o755)).unwrap();
    b.add_dir("/tmp", Attrs::root(0o1777)).unwrap();
    let image = Image::open(MemDisk::new(b.build().unwrap())).unwrap();
    let mut vfs = Vfs::new(image);
    let store = match Store::mount(Box::new(dev) as Box<dyn BlockDev + Send>) {
        Ok((s, _)) => s,
        Err(_) => panic!("mount"),
    };
    let shared = share(store, "/pkg", clock, no_log);
    vfs.mount("/pkg", Box::new(StoreFs::new(shared.clone())))
        .unwrap();
    vfs.mount("/usr", Box::new(OverlayFs::new(shared.clone())))
        .unwrap();
    (vfs, shared)
}

fn fresh() -> (Vfs, SharedStore) {
    let s = Store::format(MemDev::new(4 << 20), 0).unwrap();
    setup(s.into_device())
}

fn put(vfs: &mut Vfs, ctx: &FsContext<'_>, path: &str, data: &[u8]) -> Result<(), Errno> {
    let mut h = vfs.open(ctx, path, O_WRONLY | O_CREAT, 0o755)?;
    let r = vfs.write(&mut h, data);
    vfs.close(h);
    r.map(|_| ())
}

#[test]
fn root_writes_user_reads_but_cannot_write() {
    let (mut vfs, _) = fresh();
    vfs.mkdir(&ROOT, "/pkg/lib", 0o755).unwrap();
    put(&mut vfs, &ROOT, "/pkg/lib/hello", b"hello\n").unwrap();
    assert_eq!(
        vfs.read_whole_file(&USER, "/pkg/lib/hello").unwrap(),
        b"hello\n"
    );
    assert_eq!(put(&mut vfs, &USER, "/pkg/lib/x", b"x"), Err(Errno::EACCES));
    assert_eq!(
        vfs.open(&USER, "/pkg/lib/hello", O_WRONLY, 0).unwrap_err(),
        Errno::EACCES
    );
    assert_eq!(
        put(&mut vfs, &ROOT_NO_ADMIN, "/pkg/lib/x", b"x"),
        Err(Errno::EACCES)
    );
    assert_eq!(vfs.unlink(&USER, "/pkg/lib/hello"), Err(Errno::EACCES));
    assert_eq!(vfs.mkdir(&USER, "/pkg/u", 0o755), Err(Errno::EACCES));
    vfs.rename(&ROOT, "/pkg/lib/hello", "/pkg/lib/bye").unwrap();
    assert_eq!(vfs.stat(&USER, "/pkg/lib/bye").unwrap().st_size, 6);
}

#[test]
fn installed_packages_are_sealed_even_for_root() {
    let (mut vfs, _) = fresh();
    for d in [
        "/pkg/staging",
        "/pkg/staging/lua-1",
        "/pkg/staging/lua-1/bin",
        "/pkg/store",
    ] {
        vfs.mkdir(&ROOT, d, 0o755).unwrap();
    }
    put(&mut vfs, &ROOT, "/pkg/staging/lua-1/bin/lua", b"lua").unwrap();
    put(&mut vfs, &ROOT, "/pkg/staging/lua-1/bin/empty", b"").unwrap();
    // The one way in: a finished package directory renamed into /pkg/store.
    vfs.rename(&ROOT, "/pkg/staging/lua-1", "/pkg/store/lua-1")
        .unwrap();
    let lua = "/pkg/store/lua-1/bin/lua";
    assert_eq!(vfs.read_whole_file(&USER, lua).unwrap(), b"lua");
    // No writing, truncating, appending, re-moding, adding or rearranging, for root too.
    assert_eq!(put(&mut vfs, &ROOT, lua, b"evil"), Err(Errno::EROFS));
    assert_eq!(
        put(&mut vfs, &ROOT, "/pkg/store/lua-1/bin/empty", b"x"),
        Err(Errno::EROFS)
    );
    assert_eq!(
        vfs.open(&ROOT, lua, O_WRONLY | O_TRUNC, 0).unwrap_err(),
        Errno::EROFS
    );
    assert_eq!(vfs.chmod(&ROOT, lua, 0o777), Err(Errno::EROFS));
    assert_eq!(
        put(&mut vfs, &ROOT, "/pkg/store/lua-1/bin/new", b"x"),
        Err(Errno::EROFS)
    );
    assert_eq!(
        vfs.mkdir(&ROOT, "/pkg/store/lua-1/lib", 0o755),
        Err(Errno::EROFS)
    );
    put(&mut vfs, &ROOT, "/pkg/staging/other", b"other").unwrap();
    assert_eq!(
        vfs.rename(&ROOT, "/pkg/staging/other", lua),
        Err(Errno::EROFS)
    );
    assert_eq!(
        vfs.rename(&ROOT, lua, "/pkg/staging/stolen"),
        Err(Errno::EROFS)
    );
    assert_eq!(vfs.read_whole_file(&USER, lua).unwrap(), b"lua");
    // Removing a whole package (pkg gc) works; /pkg/store itself stays an ordinary directory.
    vfs.unlink(&ROOT, lua).unwrap();
    vfs.unlink(&ROOT, "/pkg/store/lua-1/bin/empty").unwrap();
    vfs.rmdir(&ROOT, "/pkg/store/lua-1/bin").unwrap();
    vfs.rmdir(&ROOT, "/pkg/store/lua-1").unwrap();
    assert_eq!(vfs.stat(&USER, lua).unwrap_err(), Errno::ENOENT);
}

#[test]
fn fsync_and_rename_are_durable() {
    let (mut vfs, shared) = fresh();
    let mut h = vfs
        .open(&ROOT, "/pkg/f", O_WRONLY | O_CREAT, 0o644)
        .unwrap();
    vfs.write(&mut h, b"data").unwrap();
    let seq = shared.lock().store.seq();
    vfs.fsync(&h).unwrap();
    assert_eq!(shared.lock().store.seq(), seq + 1);
    vfs.close(h);
    vfs.rename(&ROOT, "/pkg/f", "/pkg/g").unwrap();
    assert_eq!(shared.lock().store.seq(), seq + 2);
    // "Power cut": take the device bytes as they are now and mount them again.
    drop(vfs);
    let dev = {
        let mut s = shared.lock();
        let mut bytes = vec![0u8; (s.store.device().sector_count() * 512) as usize];
        s.store.device().read_sectors(0, &mut bytes).unwrap();
        MemDev::from_bytes(bytes)
    };
    let (mut vfs, _) = setup(dev);
    assert_eq!(vfs.read_whole_file(&USER, "/pkg/g").unwrap(), b"data");
}

#[test]
fn last_close_commits() {
    let (mut vfs, shared) = fresh();
    let seq = shared.lock().store.seq();
    let mut h = vfs
        .open(&ROOT, "/pkg/note", O_WRONLY | O_CREAT, 0o644)
        .unwrap();
    vfs.write(&mut h, b"hello").unwrap();
    let h2 = vfs.dup(&h);
    vfs.close(h);
    assert_eq!(shared.lock().store.seq(), seq, "still open");
    vfs.close(h2);
    assert_eq!(shared.lock().store.seq(), seq + 1);
    assert!(!shared.lock().store.is_dirty());
    vfs.chmod(&ROOT, "/pkg/note", 0o600).unwrap();
    assert_eq!(shared.lock().store.seq(), seq + 2);
}

#[test]
fn overlay_merges_layers_first_wins_and_is_read_only() {
    let (mut vfs, shared) = fresh();
    for d in [
        "/pkg/a",
        "/pkg/a/bin",
        "/pkg/a/share",
        "/pkg/b",
        "/pkg/b/bin",
    ] {
        vfs.mkdir(&ROOT, d, 0o755).unwrap();
    }
    put(&mut vfs, &ROOT, "/pkg/a/bin/lua", b"lua-a").unwrap();
    put(&mut vfs, &ROOT, "/pkg/b/bin/lua", b"lua-b").unwrap();
    put(&mut vfs, &ROOT, "/pkg/b/bin/luac", b"luac-b").unwrap();
    put(&mut vfs, &ROOT, "/pkg/a/share/doc", b"doc").unwrap();
    // No layers: /usr is an empty directory.
    assert_eq!(vfs.stat(&USER, "/usr/bin").unwrap_err(), Errno::ENOENT);
    // Authority and validation.
    assert_eq!(
        set_overlay(&mut vfs, &shared, &ROOT_NO_ADMIN, &["/pkg/a"]),
        Err(Errno::EPERM)
    );
    assert_eq!(
        set_overlay(&mut vfs, &shared, &ROOT, &["/pkg/a", "/pkg/nope"]),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        set_overlay(&mut vfs, &shared, &ROOT, &["/tmp"]),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        set_overlay(&mut vfs, &shared, &ROOT, &["/pkg/a/bin/lua"]),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(get_overlay(&shared), "");
    set_overlay(&mut vfs, &shared, &ROOT, &["/pkg/a", "/pkg/b"]).unwrap();
    assert_eq!(get_overlay(&shared), "/pkg/a\n/pkg/b\n");
    assert_eq!(
        vfs.read_whole_file(&USER, "/usr/bin/lua").unwrap(),
        b"lua-a"
    );
    assert_eq!(
        vfs.read_whole_file(&USER, "/usr/bin/luac").unwrap(),
        b"luac-b"
    );
    assert_eq!(
        vfs.read_whole_file(&USER, "/usr/share/doc").unwrap(),
        b"doc"
    );
    // Merged listing.
    let mut h = vfs.open(&USER, "/usr/bin", O_RDONLY, 0).unwrap();
    let mut buf = [0u8; 512];
    let n = vfs.getdents(&mut h, &mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(text.contains("lua") && text.contains("luac"), "{text:?}");
    vfs.close(h);
    // Read-only for everybody.
    assert_eq!(
        vfs.open(&ROOT, "/usr/bin/lua", O_WRONLY, 0).unwrap_err(),
        Errno::EROFS
    );
    assert_eq!(
        put(&mut vfs, &ROOT, "/usr/bin/new", b"x"),
        Err(Errno::EROFS)
    );
    assert_eq!(vfs.unlink(&ROOT, "/usr/bin/lua"), Err(Errno::EROFS));
    assert_eq!(vfs.mkdir(&ROOT, "/usr/x", 0o755), Err(Errno::EROFS));
    assert_eq!(vfs.chmod(&ROOT, "/usr/bin/lua", 0o777), Err(Errno::EROFS));
    // A handle opened before the layers change keeps reading the same file.
    let mut h = vfs.open(&USER, "/usr/bin/lua", O_RDONLY, 0).unwrap();
    set_overlay(&mut vfs, &shared, &ROOT, &["/pkg/a/../b/"]).unwrap();
    assert_eq!(get_overlay(&shared), "/pkg/b\n");
    let mut b = [0u8; 16];
    assert_eq!(vfs.read(&mut h, &mut b).unwrap(), 5);
    assert_eq!(&b[..5], b"lua-a");
    vfs.close(h);
    assert_eq!(
        vfs.read_whole_file(&USER, "/usr/bin/lua").unwrap(),
        b"lua-b"
    );
    assert_eq!(vfs.stat(&USER, "/usr/share").unwrap_err(), Errno::ENOENT);
    set_overlay(&mut vfs, &shared, &ROOT, &[]).unwrap();
    assert_eq!(vfs.stat(&USER, "/usr/bin").unwrap_err(), Errno::ENOENT);
}

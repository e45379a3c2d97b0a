//! Randomised tests: path normalisation invariants, and `/tmp` operations checked against a
//! simple in-memory model of the expected results (including the exact errno).

use std::collections::BTreeMap;
use swiftos_abi::fcntl::*;
use swiftos_abi::{Caps, Errno};
use swiftos_packfs::{Attrs, Image, ImageBuilder, MemDisk};
use swiftos_vfs::{normalize, FsContext, Vfs};

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

fn ctx<'a>(cwd: &'a str, root: &'a str) -> FsContext<'a> {
    FsContext {
        cwd,
        confine_root: root,
        caps: Caps::ALL,
        uid: 0,
        gid: 0,
    }
}

#[test]
fn normalize_invariants_over_random_paths() {
    let parts = ["a", "b", "..", ".", "", "tmp", "jail", "x\u{e9}", "..."];
    let roots = ["/", "/tmp", "/tmp/jail"];
    let mut rng = Rng(42);
    for _ in 0..50_000 {
        let root = roots[rng.below(roots.len())];
        // A cwd inside the root.
        let mut cwd = String::from(root);
        for _ in 0..rng.below(3) {
            if !cwd.ends_with('/') {
                cwd.push('/');
            }
            cwd.push_str(["a", "b"][rng.below(2)]);
        }
        let mut path = String::new();
        if rng.below(2) == 0 {
            path.push('/');
        }
        for i in 0..rng.below(8) {
            if i > 0 {
                path.push('/');
            }
            path.push_str(parts[rng.below(parts.len())]);
        }
        let c = ctx(&cwd, root);
        match normalize(&c, &path) {
            Ok(np) => {
                let p = &np.path;
                assert!(p.starts_with('/'), "{path:?} -> {p:?}");
                assert!(p == "/" || !p.ends_with('/'), "{path:?} -> {p:?}");
                assert!(!p.contains("//"), "{path:?} -> {p:?}");
                assert!(
                    p.split('/').all(|c| c != "." && c != ".."),
                    "{path:?} -> {p:?}"
                );
                assert!(
                    swiftos_authority::is_within(root, p),
                    "{path:?} escaped {root}: {p:?}"
                );
                // Idempotent.
                assert_eq!(normalize(&c, p).unwrap().path, *p);
                // Relative paths never leave the root.
                if !path.starts_with('/') {
                    assert!(swiftos_authority::is_within(root, p));
                }
            }
            Err(e) => {
                assert!(path.is_empty() || e == Errno::EACCES, "{path:?}: {e:?}");
                assert!(
                    path.is_empty() || path.starts_with('/'),
                    "relative {path:?} refused"
                );
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum M {
    Dir,
    File(Vec<u8>),
}

/// The expected state of `/tmp`: absolute path → node.
struct Model(BTreeMap<String, M>);

fn parent(p: &str) -> &str {
    &p[..p.rfind('/').unwrap()]
}

impl Model {
    /// Errors from walking to `p`'s parent (ENOENT / ENOTDIR).
    fn walk_parent(&self, p: &str) -> Result<(), Errno> {
        let par = parent(p);
        let mut prefix = String::new();
        for comp in par.split('/').filter(|c| !c.is_empty()) {
            prefix.push('/');
            prefix.push_str(comp);
            match self.0.get(&prefix) {
                None => return Err(Errno::ENOENT),
                Some(M::File(_)) => return Err(Errno::ENOTDIR),
                Some(M::Dir) => {}
            }
        }
        Ok(())
    }
    fn children(&self, p: &str) -> Vec<String> {
        let pre = format!("{p}/");
        self.0
            .keys()
            .filter(|k| k.starts_with(&pre) && !k[pre.len()..].contains('/'))
            .cloned()
            .collect()
    }
    fn mkdir(&mut self, p: &str) -> Result<(), Errno> {
        self.walk_parent(p)?;
        if self.0.contains_key(p) {
            return Err(Errno::EEXIST);
        }
        self.0.insert(p.into(), M::Dir);
        Ok(())
    }
    fn write(&mut self, p: &str, data: &[u8]) -> Result<(), Errno> {
        self.walk_parent(p)?;
        if let Some(M::Dir) = self.0.get(p) {
            return Err(Errno::EISDIR);
        }
        self.0.insert(p.into(), M::File(data.to_vec()));
        Ok(())
    }
    fn read(&self, p: &str) -> Result<Vec<u8>, Errno> {
        self.walk_parent(p)?;
        match self.0.get(p) {
            None => Err(Errno::ENOENT),
            Some(M::Dir) => Err(Errno::EISDIR),
            Some(M::File(d)) => Ok(d.clone()),
        }
    }
    fn unlink(&mut self, p: &str) -> Result<(), Errno> {
        self.walk_parent(p)?;
        match self.0.get(p) {
            None => Err(Errno::ENOENT),
            Some(M::Dir) => Err(Errno::EISDIR),
            Some(M::File(_)) => {
                self.0.remove(p);
                Ok(())
            }
        }
    }
    fn rmdir(&mut self, p: &str) -> Result<(), Errno> {
        self.walk_parent(p)?;
        match self.0.get(p) {
            None => Err(Errno::ENOENT),
            Some(M::File(_)) => Err(Errno::ENOTDIR),
            Some(M::Dir) if !self.children(p).is_empty() => Err(Errno::ENOTEMPTY),
            Some(M::Dir) => {
                self.0.remove(p);
                Ok(())
            }
        }
    }
    fn rename(&mut self, a: &str, b: &str) -> Result<(), Errno> {
        self.walk_parent(a)?;
        self.walk_parent(b)?;
        let src = self.0.get(a).cloned().ok_or(Errno::ENOENT)?;
        if a == b {
            return Ok(());
        }
        if src == M::Dir && b.starts_with(&format!("{a}/")) {
            return Err(Errno::EINVAL);
        }
        match (self.0.get(b), &src) {
            (Some(M::Dir), M::Dir) if !self.children(b).is_empty() => return Err(Errno::ENOTEMPTY),
            (Some(M::Dir), M::File(_)) => return Err(Errno::EISDIR),
            (Some(M::File(_)), M::Dir) => return Err(Errno::ENOTDIR),
            _ => {}
        }
        self.0.remove(b);
        let pre = format!("{a}/");
        let moved: Vec<(String, M)> = self
            .0
            .iter()
            .filter(|(k, _)| *k == a || k.starts_with(&pre))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (k, v) in moved {
            self.0.remove(&k);
            self.0.insert(format!("{b}{}", &k[a.len()..]), v);
        }
        Ok(())
    }
}

fn vfs_write(v: &mut Vfs, c: &FsContext<'_>, p: &str, data: &[u8]) -> Result<(), Errno> {
    let mut h = v.open(c, p, O_WRONLY | O_CREAT | O_TRUNC, 0o644)?;
    let r = v.write(&mut h, data);
    v.close(h);
    r.map(|_| ())
}

/// Every path under `dir`, listed through getdents.
fn walk_vfs(v: &mut Vfs, c: &FsContext<'_>, dir: &str, out: &mut BTreeMap<String, M>) {
    let mut h = v.open(c, dir, O_RDONLY | O_DIRECTORY, 0).unwrap();
    let mut buf = [0u8; 256];
    let mut names = Vec::new();
    loop {
        let n = v.getdents(&mut h, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        let mut at = 0;
        while at < n {
            let reclen = u16::from_le_bytes([buf[at + 8], buf[at + 9]]) as usize;
            let len = buf[at + 11] as usize;
            let name = String::from_utf8(buf[at + 16..at + 16 + len].to_vec()).unwrap();
            if name != "." && name != ".." {
                names.push(name);
            }
            at += reclen;
        }
    }
    v.close(h);
    for name in names {
        let p = format!("{dir}/{name}");
        let st = v.stat(c, &p).unwrap();
        if st.st_mode & S_IFMT == S_IFDIR {
            out.insert(p.clone(), M::Dir);
            walk_vfs(v, c, &p, out);
        } else {
            out.insert(p.clone(), M::File(v.read_whole_file(c, &p).unwrap()));
        }
    }
}

#[test]
fn tmpfs_matches_the_model() {
    let mut b = ImageBuilder::new();
    b.add_dir("/tmp", Attrs::root(0o1777)).unwrap();
    let bytes = b.build().unwrap();
    for seed in 1..=8u64 {
        let mut v = Vfs::new(Image::open(MemDisk::new(bytes.clone())).unwrap());
        let c = ctx("/", "/");
        let mut m = Model(BTreeMap::from([(String::from("/tmp"), M::Dir)]));
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let path = |rng: &mut Rng| {
            let mut p = String::from("/tmp");
            for _ in 0..1 + rng.below(3) {
                p.push('/');
                p.push_str(["a", "b", "c"][rng.below(3)]);
            }
            p
        };
        let mut ok: BTreeMap<&str, usize> = BTreeMap::new();
        for step in 0..3000 {
            let p = path(&mut rng);
            let (got, want, what) = match rng.below(6) {
                0 => (v.mkdir(&c, &p, 0o755), m.mkdir(&p), "mkdir"),
                1 => {
                    let data = vec![step as u8; rng.below(40)];
                    (
                        vfs_write(&mut v, &c, &p, &data),
                        m.write(&p, &data),
                        "write",
                    )
                }
                2 => (v.unlink(&c, &p), m.unlink(&p), "unlink"),
                3 => (v.rmdir(&c, &p), m.rmdir(&p), "rmdir"),
                4 => {
                    let q = path(&mut rng);
                    let r = (v.rename(&c, &p, &q), m.rename(&p, &q), "rename");
                    if r.0 != r.1 {
                        panic!(
                            "seed {seed} step {step}: rename {p} {q}: vfs {:?} model {:?}",
                            r.0, r.1
                        );
                    }
                    r
                }
                _ => {
                    let got = v.read_whole_file(&c, &p);
                    let want = m.read(&p);
                    assert_eq!(got, want, "seed {seed} step {step}: read {p}");
                    (Ok(()), Ok(()), "read")
                }
            };
            assert_eq!(got, want, "seed {seed} step {step}: {what} {p}");
            if got.is_ok() {
                *ok.entry(what).or_default() += 1;
            }
        }
        // The walk must have exercised every operation successfully, not only error paths.
        for what in ["mkdir", "write", "unlink", "rmdir", "rename"] {
            assert!(
                ok.get(what).copied().unwrap_or(0) > 20,
                "seed {seed}: {ok:?}"
            );
        }
        let mut seen = BTreeMap::from([(String::from("/tmp"), M::Dir)]);
        walk_vfs(&mut v, &c, "/tmp", &mut seen);
        assert_eq!(seen, m.0, "seed {seed}: final tree");
    }
}

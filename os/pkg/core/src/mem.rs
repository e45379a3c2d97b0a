//! An in-memory [`Platform`] for unit tests and fuzzing: a map of paths to nodes, and a map of
//! URLs to response bodies. `.swpkg` files are expected to be stored *uncompressed* (plain tar),
//! because decompression is the real platform's job.

use crate::platform::{
    FetchError, FsError, FsErrorKind, NodeKind, NodeMeta, Platform, Response, Sink, Source,
    SourceError,
};
use alloc::collections::BTreeMap;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;

/// A node of the in-memory tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A file with its mode and content.
    File(u32, Vec<u8>),
    /// A directory.
    Dir,
    /// A symlink with its target.
    Link(String),
}

/// The shared tree (paths are absolute, no trailing slash; `/` is implicit).
pub type Tree = Rc<RefCell<BTreeMap<String, Node>>>;

/// The in-memory platform.
#[derive(Debug, Default)]
pub struct MemPlatform {
    /// Files.
    pub tree: Tree,
    /// HTTP: URL to body.
    pub web: BTreeMap<String, Vec<u8>>,
    /// The clock.
    pub now: i64,
    /// Lines said.
    pub said: Vec<String>,
    /// Every overlay handed to [`Platform::set_overlay`], in order.
    pub overlays: Vec<Vec<String>>,
}

fn err(kind: FsErrorKind, op: &'static str, path: &str) -> FsError {
    FsError::new(
        kind,
        op,
        path,
        if kind == FsErrorKind::NotFound {
            "not found"
        } else {
            "refused"
        },
    )
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// Bytes being read.
#[derive(Debug)]
pub struct MemSource {
    data: Vec<u8>,
    at: usize,
}

impl Source for MemSource {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, SourceError> {
        let n = buf.len().min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A file being written (visible at once; `finish` is a no-op).
#[derive(Debug)]
pub struct MemWriter {
    tree: Tree,
    path: String,
}

impl Sink for MemWriter {
    fn write_all(&mut self, data: &[u8]) -> Result<(), FsError> {
        match self.tree.borrow_mut().get_mut(&self.path) {
            Some(Node::File(_, v)) => {
                v.extend_from_slice(data);
                Ok(())
            }
            _ => Err(err(FsErrorKind::NotFound, "write", &self.path)),
        }
    }
    fn finish(self) -> Result<(), FsError> {
        Ok(())
    }
}

impl MemPlatform {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Put a file (creating parent directories).
    pub fn put(&mut self, path: &str, data: &[u8]) {
        let _ = self.create_dir_all(parent(path));
        self.tree
            .borrow_mut()
            .insert(path.to_string(), Node::File(0o644, data.to_vec()));
    }

    fn is_dir(&self, path: &str) -> bool {
        path == "/" || matches!(self.tree.borrow().get(path), Some(Node::Dir))
    }

    fn file(&self, op: &'static str, path: &str) -> Result<Vec<u8>, FsError> {
        match self.tree.borrow().get(path) {
            Some(Node::File(_, v)) => Ok(v.clone()),
            Some(_) => Err(err(FsErrorKind::Other, op, path)),
            None => Err(err(FsErrorKind::NotFound, op, path)),
        }
    }

    fn need_parent(&self, op: &'static str, path: &str) -> Result<(), FsError> {
        if self.is_dir(parent(path)) {
            Ok(())
        } else {
            Err(err(FsErrorKind::NotFound, op, path))
        }
    }
}

impl Platform for MemPlatform {
    type File = MemSource;
    type Unpacked = MemSource;
    type Writer = MemWriter;
    type Body = MemSource;

    fn read(&mut self, path: &str, limit: u64) -> Result<Vec<u8>, FsError> {
        let v = self.file("read", path)?;
        if v.len() as u64 > limit {
            return Err(err(FsErrorKind::Other, "read", path));
        }
        Ok(v)
    }
    fn open(&mut self, path: &str) -> Result<MemSource, FsError> {
        Ok(MemSource {
            data: self.file("open", path)?,
            at: 0,
        })
    }
    fn open_unpacked(&mut self, path: &str) -> Result<MemSource, FsError> {
        self.open(path)
    }
    fn open_unpacked_user(&mut self, path: &str) -> Result<MemSource, FsError> {
        self.open(path)
    }
    fn metadata(&mut self, path: &str) -> Result<Option<NodeMeta>, FsError> {
        if path == "/" {
            return Ok(Some(NodeMeta {
                kind: NodeKind::Dir,
                size: 0,
            }));
        }
        Ok(self.tree.borrow().get(path).map(|n| match n {
            Node::File(_, v) => NodeMeta {
                kind: NodeKind::File,
                size: v.len() as u64,
            },
            Node::Dir => NodeMeta {
                kind: NodeKind::Dir,
                size: 0,
            },
            Node::Link(_) => NodeMeta {
                kind: NodeKind::Symlink,
                size: 0,
            },
        }))
    }
    fn list(&mut self, path: &str) -> Result<Vec<String>, FsError> {
        if !self.is_dir(path) {
            return Err(err(FsErrorKind::NotFound, "list", path));
        }
        let prefix = if path == "/" {
            String::from("/")
        } else {
            alloc::format!("{path}/")
        };
        Ok(self
            .tree
            .borrow()
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter(|rest| !rest.is_empty() && !rest.contains('/'))
            .map(String::from)
            .collect())
    }
    fn create_dir_all(&mut self, path: &str) -> Result<(), FsError> {
        if path == "/" {
            return Ok(());
        }
        let mut at = String::new();
        for c in path.split('/').filter(|c| !c.is_empty()) {
            at.push('/');
            at.push_str(c);
            let mut t = self.tree.borrow_mut();
            match t.get(&at) {
                None => {
                    t.insert(at.clone(), Node::Dir);
                }
                Some(Node::Dir) => {}
                Some(_) => return Err(err(FsErrorKind::AlreadyExists, "mkdir", &at)),
            }
        }
        Ok(())
    }
    fn create(&mut self, path: &str, mode: u32) -> Result<MemWriter, FsError> {
        self.need_parent("create", path)?;
        if matches!(self.tree.borrow().get(path), Some(Node::Dir)) {
            return Err(err(FsErrorKind::AlreadyExists, "create", path));
        }
        self.tree
            .borrow_mut()
            .insert(path.to_string(), Node::File(mode, Vec::new()));
        Ok(MemWriter {
            tree: self.tree.clone(),
            path: path.to_string(),
        })
    }
    fn append(&mut self, path: &str) -> Result<MemWriter, FsError> {
        self.file("append", path)?;
        Ok(MemWriter {
            tree: self.tree.clone(),
            path: path.to_string(),
        })
    }
    fn symlink(&mut self, target: &str, path: &str) -> Result<(), FsError> {
        self.need_parent("symlink", path)?;
        if self.tree.borrow().contains_key(path) {
            return Err(err(FsErrorKind::AlreadyExists, "symlink", path));
        }
        self.tree
            .borrow_mut()
            .insert(path.to_string(), Node::Link(target.to_string()));
        Ok(())
    }
    fn read_link(&mut self, path: &str) -> Result<String, FsError> {
        match self.tree.borrow().get(path) {
            Some(Node::Link(t)) => Ok(t.clone()),
            _ => Err(err(FsErrorKind::NotFound, "readlink", path)),
        }
    }
    fn rename(&mut self, from: &str, to: &str) -> Result<(), FsError> {
        self.need_parent("rename", to)?;
        let mut t = self.tree.borrow_mut();
        let node = t
            .remove(from)
            .ok_or_else(|| err(FsErrorKind::NotFound, "rename", from))?;
        let is_dir = node == Node::Dir;
        if is_dir && t.contains_key(to) {
            t.insert(from.to_string(), node);
            return Err(err(FsErrorKind::AlreadyExists, "rename", to));
        }
        t.insert(to.to_string(), node);
        if is_dir {
            let prefix = alloc::format!("{from}/");
            let moved: Vec<String> = t
                .keys()
                .filter(|k| k.starts_with(&prefix))
                .cloned()
                .collect();
            for k in moved {
                if let Some(n) = t.remove(&k) {
                    t.insert(alloc::format!("{to}/{}", &k[prefix.len()..]), n);
                }
            }
        }
        Ok(())
    }
    fn remove_file(&mut self, path: &str) -> Result<(), FsError> {
        let mut t = self.tree.borrow_mut();
        match t.get(path) {
            Some(Node::Dir) => Err(err(FsErrorKind::Other, "remove", path)),
            Some(_) => {
                t.remove(path);
                Ok(())
            }
            None => Err(err(FsErrorKind::NotFound, "remove", path)),
        }
    }
    fn remove_dir_all(&mut self, path: &str) -> Result<(), FsError> {
        let prefix = alloc::format!("{path}/");
        self.tree
            .borrow_mut()
            .retain(|k, _| k != path && !k.starts_with(&prefix));
        Ok(())
    }
    fn lock(&mut self) -> Result<(), FsError> {
        Ok(())
    }
    fn get(&mut self, url: &str, from: u64) -> Result<Response<MemSource>, FetchError> {
        let body = self
            .web
            .get(url)
            .cloned()
            .ok_or_else(|| FetchError::Status {
                url: url.to_string(),
                status: 404,
            })?;
        let resumed = from > 0 && (from as usize) < body.len();
        let at = if resumed { from as usize } else { 0 };
        let length = Some((body.len() - at) as u64);
        Ok(Response {
            resumed,
            length,
            body: MemSource { data: body, at },
        })
    }
    fn set_overlay(&mut self, roots: &[String]) -> Result<bool, FsError> {
        self.overlays.push(roots.to_vec());
        Ok(true)
    }

    fn now(&self) -> i64 {
        self.now
    }
    fn say(&mut self, line: &str) {
        self.said.push(line.to_string());
    }
}

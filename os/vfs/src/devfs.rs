//! `/dev`: a fixed directory with `console` and `null`.

use crate::fs::{DeviceId, DirEntry, FileSystem, Ino, NodeInfo};
use alloc::string::String;
use swiftos_abi::fcntl::{S_IFCHR, S_IFDIR};
use swiftos_abi::{Errno, DT_CHR};
use swiftos_authority::Area;

const ROOT: Ino = 1;
const DEVICES: [(&str, DeviceId); 2] = [("console", DeviceId::Console), ("null", DeviceId::Null)];

/// The device directory. Its structure is fixed (mutations give `EROFS`); reads and writes of
/// the nodes are served by the VFS (`null`) or the kernel (`console`), never by this filesystem.
#[derive(Debug, Default)]
pub struct DevFs;

impl DevFs {
    /// The device behind inode `ino`, if any.
    pub fn device(ino: Ino) -> Option<DeviceId> {
        let i = usize::try_from(ino.checked_sub(2)?).ok()?;
        DEVICES.get(i).map(|d| d.1)
    }
}

impl FileSystem for DevFs {
    fn area(&self) -> Area {
        Area::Device
    }
    fn root(&self) -> Ino {
        ROOT
    }
    fn lookup(&mut self, dir: Ino, name: &str) -> Result<Ino, Errno> {
        if dir != ROOT {
            return Err(if DevFs::device(dir).is_some() {
                Errno::ENOTDIR
            } else {
                Errno::ENOENT
            });
        }
        DEVICES
            .iter()
            .position(|d| d.0 == name)
            .map(|i| i as Ino + 2)
            .ok_or(Errno::ENOENT)
    }
    fn getattr(&mut self, ino: Ino) -> Result<NodeInfo, Errno> {
        if ino == ROOT {
            return Ok(NodeInfo {
                ino,
                mode: S_IFDIR | 0o755,
                uid: 0,
                gid: 0,
                size: DEVICES.len() as u64,
                mtime: 0,
                nlink: 2,
                device: None,
            });
        }
        let dev = DevFs::device(ino).ok_or(Errno::ENOENT)?;
        Ok(NodeInfo {
            ino,
            mode: S_IFCHR | 0o666,
            uid: 0,
            gid: 0,
            size: 0,
            mtime: 0,
            nlink: 1,
            device: Some(dev),
        })
    }
    fn read(&mut self, ino: Ino, _offset: u64, _buf: &mut [u8]) -> Result<usize, Errno> {
        if ino == ROOT {
            Err(Errno::EISDIR)
        } else {
            // Device data never flows through here; the VFS hands out device handles.
            Err(Errno::ENODEV)
        }
    }
    fn readdir(&mut self, dir: Ino, index: u64) -> Result<Option<DirEntry>, Errno> {
        if dir != ROOT {
            return Err(Errno::ENOTDIR);
        }
        Ok(usize::try_from(index)
            .ok()
            .and_then(|i| DEVICES.get(i).map(|d| (i, d)))
            .map(|(i, d)| DirEntry {
                name: String::from(d.0),
                ino: i as Ino + 2,
                kind: DT_CHR,
            }))
    }
}

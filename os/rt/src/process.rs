//! Starting and waiting for processes.

use crate::sys::{self, Fd};
use alloc::string::String;
use alloc::vec::Vec;
use swiftos_abi::fcntl::{wexitstatus, wifexited, wtermsig};
use swiftos_abi::{Caps, Errno, HandleGrant, Rights};

/// A program to start. By default the child gets the caller's descriptors 0, 1 and 2 as its
/// 0, 1 and 2 and nothing else; [`Command::fd`] replaces or adds grants.
#[derive(Debug, Clone)]
pub struct Command {
    path: String,
    args: Vec<String>,
    env: Vec<String>,
    grants: Vec<HandleGrant>,
    drop_caps: Caps,
    cwd: Option<String>,
}

impl Command {
    /// `path` is the program; `argv[0]` defaults to it.
    pub fn new(path: &str) -> Command {
        let std = |fd| HandleGrant {
            parent_fd: fd,
            child_fd: fd,
            rights: Rights::ALL.0,
            _pad: 0,
        };
        Command {
            path: String::from(path),
            args: alloc::vec![String::from(path)],
            env: Vec::new(),
            grants: alloc::vec![std(0), std(1), std(2)],
            drop_caps: Caps::NONE,
            cwd: None,
        }
    }
    /// Replace `argv[0]`.
    pub fn arg0(&mut self, a: &str) -> &mut Command {
        self.args[0] = String::from(a);
        self
    }
    pub fn arg(&mut self, a: &str) -> &mut Command {
        self.args.push(String::from(a));
        self
    }
    pub fn args<S: AsRef<str>>(&mut self, a: &[S]) -> &mut Command {
        self.args.extend(a.iter().map(|s| String::from(s.as_ref())));
        self
    }
    /// The full environment (`KEY=VALUE`); default empty.
    pub fn env_list(&mut self, env: &[String]) -> &mut Command {
        self.env = env.to_vec();
        self
    }
    /// Pass the caller's `parent_fd` as the child's `child_fd` (with all rights the handle has).
    pub fn fd(&mut self, parent_fd: Fd, child_fd: Fd) -> &mut Command {
        self.fd_rights(parent_fd, child_fd, Rights::ALL)
    }
    /// Like [`Command::fd`] with rights narrowed to `rights`.
    pub fn fd_rights(&mut self, parent_fd: Fd, child_fd: Fd, rights: Rights) -> &mut Command {
        self.grants.retain(|g| g.child_fd != child_fd);
        self.grants.push(HandleGrant {
            parent_fd,
            child_fd,
            rights: rights.0,
            _pad: 0,
        });
        self
    }
    /// Do not pass anything as the child's `child_fd`.
    pub fn no_fd(&mut self, child_fd: Fd) -> &mut Command {
        self.grants.retain(|g| g.child_fd != child_fd);
        self
    }
    /// Capabilities the child must not have.
    pub fn drop_caps(&mut self, caps: Caps) -> &mut Command {
        self.drop_caps = caps;
        self
    }
    pub fn cwd(&mut self, dir: &str) -> &mut Command {
        self.cwd = Some(String::from(dir));
        self
    }
    /// Start the child; returns its pid.
    pub fn spawn(&self) -> Result<u32, Errno> {
        let argv: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let envp: Vec<&str> = self.env.iter().map(String::as_str).collect();
        sys::spawn(
            &self.path,
            &argv,
            &envp,
            &self.grants,
            self.drop_caps,
            self.cwd.as_deref(),
        )
    }
    /// Start the child and wait for it.
    pub fn status(&self) -> Result<ExitStatus, Errno> {
        let pid = self.spawn()?;
        wait_pid(pid)
    }
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Exited(u8),
    Signaled(u32),
}

impl ExitStatus {
    pub fn from_raw(raw: u32) -> ExitStatus {
        if wifexited(raw) {
            ExitStatus::Exited(wexitstatus(raw))
        } else {
            ExitStatus::Signaled(wtermsig(raw))
        }
    }
    /// The shell's `$?`: the exit code, or 128 + signal.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => c as i32,
            ExitStatus::Signaled(s) => 128 + s as i32,
        }
    }
    pub fn success(self) -> bool {
        self == ExitStatus::Exited(0)
    }
}

/// Wait for a specific child, retrying on `EINTR`.
pub fn wait_pid(pid: u32) -> Result<ExitStatus, Errno> {
    loop {
        match sys::wait(pid as i32, 0) {
            Ok((_, st)) => return Ok(ExitStatus::from_raw(st)),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Wait for any child: `(pid, status)`.
pub fn wait_any() -> Result<(u32, ExitStatus), Errno> {
    loop {
        match sys::wait(-1, 0) {
            Ok((p, st)) => return Ok((p, ExitStatus::from_raw(st))),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Name of a signal number, for messages.
pub fn signal_name(sig: u32) -> &'static str {
    use swiftos_abi::fcntl::*;
    match sig {
        SIGINT => "Interrupt",
        SIGKILL => "Killed",
        SIGSEGV => "Segmentation fault",
        SIGPIPE => "Broken pipe",
        SIGTERM => "Terminated",
        SIGILL => "Illegal instruction",
        SIGBUS => "Bus error",
        _ => "Killed by signal",
    }
}

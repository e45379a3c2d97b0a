//! The one QEMU harness of SwiftOS.
//!
//! It boots the real kernel and base image under `qemu-system-aarch64 -M virt`, reads the
//! serial console, and types into it like a person: wait for `login:`, type a name, wait for
//! `Password:`, type the password, wait for the prompt, run a command and collect what it
//! printed. Every byte the guest prints is also written to a serial log under
//! `target/qemu-logs/`, kept after the run so a failure can be read afterwards.
//!
//! The same [`QemuConfig`] builds the command line for `cargo xtask run` (interactive) and
//! for the tests, so both boot exactly the same machine.

pub mod net;
pub mod servers;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Errors the harness reports. Each carries the serial log path so a failure can be read.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("could not start QEMU ({cmd}): {source}")]
    Spawn { cmd: String, source: std::io::Error },
    #[error("timed out after {secs} s waiting for {wanted:?}; last output:\n{tail}\n(serial log: {log})")]
    Timeout {
        wanted: String,
        secs: u64,
        tail: String,
        log: String,
    },
    #[error("QEMU exited ({status}) while waiting for {wanted:?}; last output:\n{tail}\nQEMU's error output:\n{stderr}\n(serial log: {log})")]
    Exited {
        wanted: String,
        /// How QEMU ended (`exit status: 1`, `signal: 9 (SIGKILL)`, or `still running`).
        status: String,
        tail: String,
        /// What QEMU wrote to its standard error (why it stopped, when it says).
        stderr: String,
        log: String,
    },
    #[error("writing to the serial console failed: {0}")]
    Write(std::io::Error),
    #[error("missing build artefact {0}: run `cargo xtask build` first")]
    MissingArtefact(PathBuf),
}

pub type Result<T, E = HarnessError> = std::result::Result<T, E>;

/// The repository root (this crate lives in `tests/harness/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tests/harness/ has a grandparent")
        .to_path_buf()
}

/// Cargo's target directory (honours `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => {
            let d = PathBuf::from(d);
            if d.is_absolute() {
                d
            } else {
                repo_root().join(d)
            }
        }
        None => repo_root().join("target"),
    }
}

/// Where the built kernel ELF is.
pub fn kernel_path() -> PathBuf {
    target_dir().join("aarch64-unknown-none/release/swiftos-kernel")
}

/// Where the built base image is: `build/base.img`, or `$SWIFTOS_BASE_IMAGE` when set (a
/// private image, e.g. while several people share one work tree).
pub fn base_image_path() -> PathBuf {
    match std::env::var_os("SWIFTOS_BASE_IMAGE") {
        Some(p) => PathBuf::from(p),
        None => repo_root().join("build/base.img"),
    }
}

/// The environment variable naming the `qemu-system-aarch64` to run (`cargo xtask` sets it to
/// the one set-up found or unpacked; default: `qemu-system-aarch64` on `PATH`).
pub const QEMU_ENV: &str = "SWIFTOS_QEMU";

/// The environment variable naming the Python that has python-tuf (the TUF interoperability
/// tests' peer; `cargo xtask` sets it to the virtual environment set-up made).
pub const TUF_PYTHON_ENV: &str = "SWIFTOS_TUF_PYTHON";

/// The `qemu-system-aarch64` binary to run.
pub fn qemu_binary() -> PathBuf {
    std::env::var_os(QEMU_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("qemu-system-aarch64"))
}

/// Make a child end when the process that started it ends, however that ends (a terminal
/// closed, SIGKILL): the kernel sends it SIGTERM (`PR_SET_PDEATHSIG`). For every server and
/// QEMU the harness and `cargo xtask` start, so none outlives its run re-parented to init.
pub fn end_with_parent(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: `getpid` is called before the fork; the closure runs in the forked child
    // between fork and exec and calls only async-signal-safe functions (prctl, getppid,
    // _exit), allocating nothing and taking no lock.
    let parent = unsafe { libc::getpid() };
    // SAFETY: see above; the closure follows the rules of `pre_exec`.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl: then nobody would signal us.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        })
    }
}

/// What machine to boot.
#[derive(Clone, Debug)]
pub struct QemuConfig {
    pub kernel: PathBuf,
    pub base_image: Option<PathBuf>,
    pub memory_mib: u32,
    /// The writable package-store disk (`swiftos-image store create/build`), attached as the
    /// second virtio-blk disk (mounted at `/pkg`; a blank file is formatted at boot).
    pub store_image: Option<PathBuf>,
    /// Extra arguments appended verbatim (e.g. networking).
    pub extra: Vec<String>,
}

impl Default for QemuConfig {
    fn default() -> Self {
        QemuConfig {
            kernel: kernel_path(),
            base_image: Some(base_image_path()),
            memory_mib: 512,
            store_image: None,
            extra: Vec::new(),
        }
    }
}

impl QemuConfig {
    /// The QEMU command. `interactive` puts the serial console on the terminal (with QEMU's
    /// Ctrl-A commands: Ctrl-A X quits); otherwise serial is on stdin/stdout pipes with no monitor.
    ///
    /// The machine has exactly the devices named here (`-nodefaults`, and `-nic none` unless
    /// [`QemuConfig::with_user_net`] added a network card): no default NIC (whose option ROM
    /// lives in a package the machine may not have), no default monitor or parallel port.
    /// QEMU ends with the process that started it ([`end_with_parent`]).
    pub fn command(&self, interactive: bool) -> Command {
        let mut c = Command::new(qemu_binary());
        end_with_parent(&mut c);
        c.args([
            "-M",
            "virt",
            "-cpu",
            "cortex-a72",
            "-smp",
            "1",
            "-nodefaults",
        ]);
        c.arg("-m").arg(format!("{}M", self.memory_mib));
        c.arg("-kernel").arg(&self.kernel);
        if let Some(img) = &self.base_image {
            // The base image is opened read-only by QEMU too: the guest cannot change it.
            c.arg("-drive").arg(format!(
                "file={},if=none,format=raw,id=base,readonly=on",
                img.display()
            ));
            c.args(["-device", "virtio-blk-device,drive=base"]);
        }
        if let Some(img) = &self.store_image {
            c.arg("-drive").arg(format!(
                "file={},if=none,format=raw,id=store",
                img.display()
            ));
            c.args(["-device", "virtio-blk-device,drive=store"]);
        }
        if !self.has_network() {
            c.args(["-nic", "none"]);
        }
        if interactive {
            // The console on this terminal with QEMU's Ctrl-A commands (Ctrl-A X quits);
            // `reboot` restarts the machine (same kernel and disks), as it says.
            c.args(["-display", "none", "-serial", "mon:stdio"]);
        } else {
            // A test's guest that reboots ends its QEMU: the test sees the exit.
            c.args(["-display", "none", "-monitor", "none", "-serial", "stdio"]);
            c.args(["-no-reboot"]);
        }
        c.args(&self.extra);
        // Extra QEMU arguments for investigations, e.g. `-d in_asm,out_asm -D FILE` to map a
        // host `perf` profile of QEMU back to guest code (docs/PERFORMANCE.md).
        if let Ok(more) = std::env::var("SWIFTOS_QEMU_ARGS") {
            c.args(more.split_whitespace());
        }
        c
    }

    /// Whether a network card was asked for (`-netdev`/`-nic` among the extra arguments).
    fn has_network(&self) -> bool {
        self.extra.iter().any(|a| a == "-netdev" || a == "-nic")
    }
}

/// A running SwiftOS guest whose serial console the test drives.
pub struct Guest {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Vec<u8>>,
    /// Everything received and not yet consumed by an `expect`.
    pending: String,
    /// Everything received since boot.
    transcript: Arc<Mutex<String>>,
    /// What the child wrote to standard error (kept, and passed on to ours).
    stderr: Arc<Mutex<String>>,
    /// Reads `stderr`; joined before an error quotes it.
    stderr_reader: Option<thread::JoinHandle<()>>,
    log_path: PathBuf,
    exited: bool,
    /// Prompt suffix of the logged-in shell, e.g. `$ ` or `# `.
    pub prompt: String,
}

/// Default time allowed for one expectation. Generous: QEMU TCG on a busy 2-core CI machine.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

impl Guest {
    /// Boot a guest; `name` names its serial log (`target/qemu-logs/NAME.log`).
    pub fn boot(name: &str, cfg: &QemuConfig) -> Result<Guest> {
        if !cfg.kernel.exists() {
            return Err(HarnessError::MissingArtefact(cfg.kernel.clone()));
        }
        for img in cfg.base_image.iter().chain(cfg.store_image.iter()) {
            if !img.exists() {
                return Err(HarnessError::MissingArtefact(img.clone()));
            }
        }
        Guest::start(name, cfg.command(false))
    }

    /// Start any program whose standard input and output are a SwiftOS serial console (QEMU,
    /// or `cargo xtask run` which runs QEMU on its terminal) and drive it like
    /// [`Guest::boot`]'s; `name` names its log (`target/qemu-logs/NAME.log`).
    pub fn start(name: &str, mut cmd: Command) -> Result<Guest> {
        let log_dir = target_dir().join("qemu-logs");
        let _ = std::fs::create_dir_all(&log_dir);
        let log_path = log_dir.join(format!("{name}.log"));
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|source| HarnessError::Spawn {
            cmd: format!("{cmd:?}"),
            source,
        })?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr_pipe = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        let transcript = Arc::new(Mutex::new(String::new()));
        let log_file = std::fs::File::create(&log_path).ok();
        spawn_console_reader(stdout, log_file, transcript.clone(), tx);
        let stderr = Arc::new(Mutex::new(String::new()));
        let stderr_reader = Some(spawn_stderr_reader(stderr_pipe, stderr.clone()));
        Ok(Guest {
            child,
            stdin,
            rx,
            pending: String::new(),
            transcript,
            stderr,
            stderr_reader,
            log_path,
            exited: false,
            prompt: "$ ".into(),
        })
    }

    /// Boot the default image.
    pub fn boot_default(name: &str) -> Result<Guest> {
        Guest::boot(name, &QemuConfig::default())
    }

    /// Process id of the QEMU process (for host-side measurements such as idle CPU).
    pub fn qemu_pid(&self) -> u32 {
        self.child.id()
    }

    /// Path of this guest's serial log.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Everything the guest printed so far.
    pub fn transcript(&self) -> String {
        self.transcript.lock().unwrap().clone()
    }

    fn tail(&self) -> String {
        let t = self.transcript();
        let start = t
            .char_indices()
            .rev()
            .nth(1500)
            .map(|(i, _)| i)
            .unwrap_or(0);
        t[start..].to_string()
    }

    /// Wait until `needle` appears; returns everything received before it (consumed, with it).
    pub fn expect(&mut self, needle: &str) -> Result<String> {
        self.expect_within(needle, DEFAULT_TIMEOUT)
    }

    /// Like [`Guest::expect`] with an explicit timeout.
    pub fn expect_within(&mut self, needle: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(pos) = self.pending.find(needle) {
                let before = self.pending[..pos].to_string();
                self.pending.drain(..pos + needle.len());
                return Ok(before);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(HarnessError::Timeout {
                    wanted: needle.into(),
                    secs: timeout.as_secs(),
                    tail: self.tail(),
                    log: self.log_path.display().to_string(),
                });
            }
            match self.rx.recv_timeout(deadline - now) {
                Ok(bytes) => self.pending.push_str(&String::from_utf8_lossy(&bytes)),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    if let Some(pos) = self.pending.find(needle) {
                        let before = self.pending[..pos].to_string();
                        self.pending.drain(..pos + needle.len());
                        return Ok(before);
                    }
                    return Err(self.exited_error(needle));
                }
            }
        }
    }

    /// The error for "the console closed while waiting for `wanted`": how the process ended
    /// and what it said on standard error.
    fn exited_error(&mut self, wanted: &str) -> HarnessError {
        // The console closes as the process exits: give it a moment to be reaped.
        let deadline = Instant::now() + Duration::from_secs(5);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(st)) => {
                    self.exited = true;
                    break st.to_string();
                }
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                Ok(None) => break "still running, its console closed".to_string(),
                Err(e) => break format!("unknown: {e}"),
            }
        };
        if self.exited {
            if let Some(h) = self.stderr_reader.take() {
                let _ = h.join();
            }
        }
        let stderr = self.stderr.lock().unwrap().trim_end().to_string();
        HarnessError::Exited {
            wanted: wanted.into(),
            status,
            tail: self.tail(),
            stderr: if stderr.is_empty() {
                "(nothing)".into()
            } else {
                stderr
            },
            log: self.log_path.display().to_string(),
        }
    }

    /// Type raw bytes (no newline added).
    pub fn send(&mut self, bytes: &[u8]) -> Result<()> {
        // Type a little at a time, as a person (and a 16-byte UART FIFO) would.
        for chunk in bytes.chunks(8) {
            self.stdin.write_all(chunk).map_err(HarnessError::Write)?;
            self.stdin.flush().map_err(HarnessError::Write)?;
            thread::sleep(Duration::from_millis(2));
        }
        Ok(())
    }

    /// Type a line and press Enter.
    pub fn send_line(&mut self, line: &str) -> Result<()> {
        self.send(line.as_bytes())?;
        self.send(b"\r")
    }

    /// Log in at the `login:` prompt and wait for the shell prompt.
    pub fn login(&mut self, user: &str, password: &str) -> Result<()> {
        self.expect("login: ")?;
        self.send_line(user)?;
        self.expect("Password: ")?;
        self.send_line(password)?;
        self.prompt = if user == "root" { "# " } else { "$ " }.into();
        let p = self.prompt.clone();
        self.expect(&p)?;
        Ok(())
    }

    /// Run a shell command; returns what it printed (without the echoed command line and the
    /// next prompt), with `\r\n` normalised to `\n`.
    pub fn run(&mut self, cmd: &str) -> Result<String> {
        self.run_within(cmd, DEFAULT_TIMEOUT)
    }

    /// [`Guest::run`] with an explicit timeout.
    pub fn run_within(&mut self, cmd: &str, timeout: Duration) -> Result<String> {
        self.send_line(cmd)?;
        // The line discipline echoes what we typed; skip past the echo first.
        self.expect_within(&format!("{cmd}\r\n"), timeout)?;
        let p = self.prompt.clone();
        let out = self.expect_within(&p, timeout)?;
        Ok(strip_prompt_line(&out.replace("\r\n", "\n")))
    }

    /// Run a command and return `(output, exit status)` using `$?`.
    pub fn run_status(&mut self, cmd: &str) -> Result<(String, i32)> {
        self.run_status_within(cmd, DEFAULT_TIMEOUT)
    }

    /// [`Guest::run_status`] with an explicit timeout for the command.
    pub fn run_status_within(&mut self, cmd: &str, timeout: Duration) -> Result<(String, i32)> {
        let out = self.run_within(cmd, timeout)?;
        let st = self.run("echo $?")?;
        let code = st.trim().parse().unwrap_or(-1);
        Ok((out, code))
    }

    /// Kill QEMU abruptly (SIGKILL: a power cut for the guest's disks) and wait for it. The
    /// store image keeps whatever the guest had written; boot again with the same
    /// [`QemuConfig`] to see what survived.
    pub fn kill(&mut self) -> Result<()> {
        if !self.exited {
            let _ = self.child.kill();
            let _ = self.child.wait();
            self.exited = true;
        }
        Ok(())
    }

    /// Run a command that must exit with status 0 within `timeout`; returns its output.
    /// Panics (naming the command, its output, its status and the serial log) otherwise: for
    /// tests.
    pub fn run_ok(&mut self, cmd: &str, timeout: Duration) -> String {
        let (out, code) = self
            .run_status_within(cmd, timeout)
            .unwrap_or_else(|e| panic!("`{cmd}`: {e}"));
        assert_eq!(
            code,
            0,
            "`{cmd}` failed (status {code}):\n{out}\n(serial log: {})",
            self.log_path.display()
        );
        out
    }

    /// Run a command that must fail (nonzero status) within `timeout`; returns its output.
    /// Panics like [`Guest::run_ok`] otherwise.
    pub fn run_fails(&mut self, cmd: &str, timeout: Duration) -> String {
        let (out, code) = self
            .run_status_within(cmd, timeout)
            .unwrap_or_else(|e| panic!("`{cmd}`: {e}"));
        assert_ne!(
            code,
            0,
            "`{cmd}` should have failed:\n{out}\n(serial log: {})",
            self.log_path.display()
        );
        out
    }

    /// Wait for QEMU to exit (e.g. after `poweroff`); returns its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<Option<i32>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                self.exited = true;
                return Ok(st.code());
            }
            if Instant::now() >= deadline {
                return Err(HarnessError::Timeout {
                    wanted: "QEMU to exit".into(),
                    secs: timeout.as_secs(),
                    tail: self.tail(),
                    log: self.log_path.display().to_string(),
                });
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Copy the console into the log file and the transcript, and hand it to the waiting side.
fn spawn_console_reader(
    mut stdout: std::process::ChildStdout,
    mut log_file: Option<std::fs::File>,
    transcript: Arc<Mutex<String>>,
    tx: mpsc::Sender<Vec<u8>>,
) {
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if let Some(f) = log_file.as_mut() {
                        let _ = f.write_all(&buf[..n]);
                        let _ = f.flush();
                    }
                    transcript
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                    if tx.send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
}

/// The most of a child's standard error kept for an error message.
const STDERR_KEPT: usize = 16 * 1024;

/// Keep what the child writes to standard error (the last [`STDERR_KEPT`] bytes) and pass it
/// on to ours, so a test run still shows it as it happens.
fn spawn_stderr_reader(
    mut pipe: std::process::ChildStderr,
    kept: Arc<Mutex<String>>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            let _ = std::io::stderr().write_all(&buf[..n]);
            let mut k = kept.lock().unwrap();
            k.push_str(&String::from_utf8_lossy(&buf[..n]));
            if k.len() > STDERR_KEPT {
                let mut cut = k.len() - STDERR_KEPT;
                while !k.is_char_boundary(cut) {
                    cut += 1;
                }
                k.drain(..cut);
            }
        }
    })
}

/// Drop the trailing `user@swiftos:/dir` part that precedes the prompt suffix.
fn strip_prompt_line(out: &str) -> String {
    match out.rfind('\n') {
        Some(i) => out[..=i].to_string(),
        None => String::new(),
    }
}

impl Drop for Guest {
    fn drop(&mut self) {
        if !self.exited {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        if thread::panicking() {
            eprintln!("serial log kept at {}", self.log_path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_line_is_stripped() {
        assert_eq!(strip_prompt_line("a\nb\nuser@swiftos:/tmp"), "a\nb\n");
        assert_eq!(strip_prompt_line("user@swiftos:/"), "");
    }

    #[test]
    fn command_line_has_the_machine() {
        let c = QemuConfig::default().command(false);
        let args: Vec<String> = c
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(args.windows(2).any(|w| w[0] == "-M" && w[1] == "virt"));
        assert!(args.iter().any(|a| a.contains("virtio-blk-device")));
        assert!(!args.iter().any(|a| a.contains("id=store")));
    }

    #[test]
    fn the_machine_has_only_the_devices_it_names() {
        let args = |cfg: &QemuConfig| -> Vec<String> {
            cfg.command(false)
                .get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect()
        };
        let plain = args(&QemuConfig::default());
        assert!(plain.iter().any(|a| a == "-nodefaults"), "{plain:?}");
        assert!(plain.windows(2).any(|w| w == ["-nic", "none"]), "{plain:?}");
        let net = args(&QemuConfig::default().with_user_net(&[], &[]));
        assert!(!net.windows(2).any(|w| w == ["-nic", "none"]), "{net:?}");
        assert!(net.iter().any(|a| a == "virtio-net-device,netdev=n0"));
        let interactive: Vec<String> = QemuConfig::default()
            .command(true)
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(interactive
            .windows(2)
            .any(|w| w == ["-serial", "mon:stdio"]));
    }

    #[test]
    fn store_disk_comes_after_the_base_disk() {
        let cfg = QemuConfig {
            store_image: Some(PathBuf::from("/tmp/store.img")),
            ..QemuConfig::default()
        };
        let args: Vec<String> = cfg
            .command(false)
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let base = args.iter().position(|a| a.contains("id=base")).unwrap();
        let store = args
            .iter()
            .position(|a| a == "file=/tmp/store.img,if=none,format=raw,id=store")
            .unwrap();
        assert!(base < store);
        assert!(args.iter().any(|a| a == "virtio-blk-device,drive=store"));
    }
}

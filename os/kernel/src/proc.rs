//! Processes and the scheduler: the process table, round-robin switching on the timer tick,
//! blocking (a blocked system call is restarted when the process is woken), termination and
//! reaping, console input delivery and Ctrl-C (which ends a SIGINT-ignoring process's console
//! read with `EINTR`).

use crate::arch::{self, vectors::TrapFrame};
use crate::drivers::uart;
use crate::file::{Fd, FileObj};
use crate::fs::FsCtx;
use crate::loader::{self, Loaded};
use crate::time::{self, deadlines};
use crate::vm::AddrSpace;
use crate::wakeup;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use spin::Mutex;
use swiftos_abi::fcntl::{wait_status_signaled, SIGINT};
use swiftos_abi::layout::MAX_FDS;
use swiftos_abi::{encode_result, nr, Errno};
use swiftos_abi::{
    Caps, Identity, ProcInfo, PROC_BLOCKED, PROC_NAME_LEN, PROC_READY, PROC_RUNNING, PROC_ZOMBIE,
};
use swiftos_authority::Subject;
use swiftos_kcore::ldisc::{InputEvent, LineDiscipline};
use swiftos_kcore::sched::RunQueue;

/// Why a process is not runnable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitOn {
    /// Console input or pipe activity.
    Io,
    /// A child changing state.
    Child,
    /// A deadline on the monotonic clock (ns).
    Sleep(u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PState {
    Ready,
    Running,
    Blocked(WaitOn),
    Zombie,
}

/// One process.
pub struct Process {
    pid: u32,
    ppid: u32,
    name: String,
    state: PState,
    frame: Box<TrapFrame>,
    space: Option<AddrSpace>,
    fds: Vec<Option<Fd>>,
    uid: u32,
    gid: u32,
    session: u32,
    caps: Caps,
    /// Confinement root (absolute, normalised; "/" when unconfined).
    root: String,
    /// Working directory (absolute, normalised).
    cwd: String,
    sigint_ignored: bool,
    /// An ignored SIGINT arrived while the process was not blocked reading the console: its
    /// next console read ends with `EINTR` (so Ctrl-C typed just before the shell reads is not
    /// lost).
    console_intr: bool,
    /// Deadline of an in-progress `nanosleep` (restarted call).
    sleep_deadline: Option<u64>,
    cpu_ns: u64,
    exit_status: u32,
    /// Saved `TPIDR_EL0` (user thread pointer).
    tpidr: u64,
}

impl Process {
    /// The first process (`/bin/init` or the self-test) running `image` from `path`: uid 0,
    /// every capability, unconfined, with the descriptors `fds`.
    pub fn first(pid: u32, path: &str, image: Loaded, fds: Vec<Option<Fd>>) -> Process {
        let root = String::from("/");
        Process::new(
            pid,
            0,
            path,
            image,
            fds,
            Subject::new(0, 0, Caps::ALL),
            0,
            root.clone(),
            root,
        )
    }

    /// A child `parent` spawned running `image` from `path`: the parent's identity, session
    /// and confinement with `caps` (already narrowed), working directory `cwd`, and the granted
    /// descriptors `fds`.
    pub fn spawned(
        pid: u32,
        parent: &Process,
        path: &str,
        image: Loaded,
        fds: Vec<Option<Fd>>,
        caps: Caps,
        cwd: String,
    ) -> Process {
        let subject = Subject::new(parent.uid, parent.gid, caps);
        let (ppid, session, root) = (parent.pid, parent.session, parent.root.clone());
        Process::new(pid, ppid, path, image, fds, subject, session, root, cwd)
    }

    #[allow(clippy::too_many_arguments)]
    fn new(
        pid: u32,
        ppid: u32,
        path: &str,
        image: Loaded,
        fds: Vec<Option<Fd>>,
        subject: Subject,
        session: u32,
        root: String,
        cwd: String,
    ) -> Process {
        Process {
            pid,
            ppid,
            name: loader::program_name(path),
            state: PState::Ready,
            frame: Box::new(image.frame),
            space: Some(image.space),
            fds,
            uid: subject.uid,
            gid: subject.gid,
            session,
            caps: subject.caps,
            root,
            cwd,
            sigint_ignored: false,
            console_intr: false,
            sleep_deadline: None,
            cpu_ns: 0,
            exit_status: 0,
            tpidr: 0,
        }
    }

    /// Replace the program (`exec`) with `image` from `path`: new address space (made current),
    /// name and thread pointer; close-on-exec descriptors are closed. Returns the new frame.
    pub fn exec(&mut self, path: &str, image: Loaded) -> TrapFrame {
        self.space = Some(image.space);
        arch::set_ttbr0(self.space.as_ref().map(|s| s.root).unwrap_or(0));
        self.name = loader::program_name(path);
        self.tpidr = 0;
        arch::set_tpidr_el0(0);
        for f in self.fds.iter_mut() {
            if f.as_ref().is_some_and(|f| f.cloexec) {
                *f = None;
            }
        }
        image.frame
    }

    /// This process's row for `proc_list`.
    pub fn info(&self) -> ProcInfo {
        let mut name = [0u8; PROC_NAME_LEN];
        let n = self.name.len().min(PROC_NAME_LEN - 1);
        name[..n].copy_from_slice(&self.name.as_bytes()[..n]);
        ProcInfo {
            pid: self.pid,
            ppid: self.ppid,
            uid: self.uid,
            session: self.session,
            state: self.state_code(),
            _pad: 0,
            cpu_ns: self.cpu_ns,
            mem_bytes: self
                .space
                .as_ref()
                .map(|s| s.resident_pages * 4096)
                .unwrap_or(0),
            caps: self.caps,
            name,
        }
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn ppid(&self) -> u32 {
        self.ppid
    }

    /// The program name (last component of its path).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn uid(&self) -> u32 {
        self.uid
    }

    pub fn caps(&self) -> Caps {
        self.caps
    }

    /// The process's identity as `get_identity` reports it.
    pub fn identity(&self) -> Identity {
        Identity {
            pid: self.pid,
            ppid: self.ppid,
            uid: self.uid,
            gid: self.gid,
            session: self.session,
            _pad: 0,
            caps: self.caps,
        }
    }

    /// Take a new identity (`set_identity`, already authorised) in a new session.
    pub fn set_identity(&mut self, uid: u32, gid: u32, caps: Caps, session: u32) {
        self.uid = uid;
        self.gid = gid;
        self.caps = caps;
        self.session = session;
    }

    /// Give up the capabilities in `drop`.
    pub fn drop_caps(&mut self, drop: Caps) {
        self.caps = swiftos_authority::caps_after_drop(self.caps, drop);
    }

    /// Working directory (absolute, normalised).
    pub fn cwd(&self) -> &str {
        &self.cwd
    }

    /// Change the working directory to the resolved directory `dir`.
    pub fn set_cwd(&mut self, dir: String) {
        self.cwd = dir;
    }

    /// Make the resolved directory `dir` the root (only ever narrower); a working directory
    /// outside it moves to it.
    pub fn confine(&mut self, dir: String) -> Result<(), Errno> {
        swiftos_authority::check_confine(&self.root, &dir)?;
        self.root = dir.clone();
        if !swiftos_authority::is_within(&self.root, &self.cwd) {
            self.cwd = dir;
        }
        Ok(())
    }

    /// The file-system view for path resolution.
    pub fn fs_ctx(&self) -> FsCtx {
        FsCtx {
            subject: self.subject(),
            root: self.root.clone(),
            cwd: self.cwd.clone(),
        }
    }

    pub fn is_zombie(&self) -> bool {
        self.state == PState::Zombie
    }

    /// Wait status of a zombie.
    pub fn exit_status(&self) -> u32 {
        self.exit_status
    }

    /// Sleep in a system call until `w` may have changed.
    pub fn block(&mut self, w: WaitOn) {
        self.state = PState::Blocked(w);
    }

    /// The address space (`None` once the process ended).
    pub fn space_mut(&mut self) -> Option<&mut AddrSpace> {
        self.space.as_mut()
    }

    /// Put `fd` in descriptor slot `n` (`None` closes it); `n` must be below `MAX_FDS`.
    pub fn set_fd(&mut self, n: usize, fd: Option<Fd>) {
        self.fds[n] = fd;
    }

    /// The open descriptor `n`, to change its flags or rights.
    pub fn fd_mut(&mut self, n: usize) -> Option<&mut Fd> {
        self.fds.get_mut(n)?.as_mut()
    }

    pub fn sigint_ignored(&self) -> bool {
        self.sigint_ignored
    }

    pub fn set_sigint_ignored(&mut self, ignored: bool) {
        self.sigint_ignored = ignored;
    }

    /// Whether an ignored SIGINT is pending for the next console read (and clear it).
    pub fn take_console_intr(&mut self) -> bool {
        core::mem::take(&mut self.console_intr)
    }

    /// Deadline of an in-progress `nanosleep`.
    pub fn sleep_deadline(&self) -> Option<u64> {
        self.sleep_deadline
    }

    pub fn set_sleep_deadline(&mut self, d: Option<u64>) {
        self.sleep_deadline = d;
    }

    pub fn subject(&self) -> Subject {
        Subject::new(self.uid, self.gid, self.caps)
    }

    /// Smallest free descriptor at or above `min`.
    pub fn alloc_fd(&self, min: usize) -> Option<usize> {
        (min..MAX_FDS).find(|&i| self.fds[i].is_none())
    }

    pub fn fd(&self, fd: i64) -> Option<&Fd> {
        if fd < 0 || fd as usize >= MAX_FDS {
            return None;
        }
        self.fds[fd as usize].as_ref()
    }

    pub fn state_code(&self) -> u32 {
        match self.state {
            PState::Running => PROC_RUNNING,
            PState::Ready => PROC_READY,
            PState::Blocked(_) => PROC_BLOCKED,
            PState::Zombie => PROC_ZOMBIE,
        }
    }
}

/// Global kernel state (single CPU; only touched with IRQs masked, or from the idle loop
/// without holding it across `wfi`).
pub struct Kernel {
    pub procs: BTreeMap<u32, Box<Process>>,
    pub runq: RunQueue,
    pub current: Option<u32>,
    pub next_pid: u32,
    pub next_session: u32,
    pub ldisc: LineDiscipline,
    pub foreground: u32,
    pub need_resched: bool,
    pub last_switch_ns: u64,
    pub idle_ns: u64,
}

pub static KERNEL: Mutex<Option<Kernel>> = Mutex::new(None);

/// Run `f` with the kernel state.
pub fn with<R>(f: impl FnOnce(&mut Kernel) -> R) -> R {
    let mut g = KERNEL.lock();
    f(g.as_mut().expect("kernel state initialised"))
}

/// Scheduler time slice.
pub const SLICE_NS: u64 = 10_000_000;

pub fn init() {
    *KERNEL.lock() = Some(Kernel {
        procs: BTreeMap::new(),
        runq: RunQueue::new(),
        current: None,
        next_pid: 1,
        next_session: 1,
        ldisc: LineDiscipline::new(),
        foreground: 0,
        need_resched: false,
        last_switch_ns: 0,
        idle_ns: 0,
    });
}

impl Kernel {
    pub fn alloc_pid(&mut self) -> u32 {
        let pid = self.next_pid;
        self.next_pid += 1;
        pid
    }

    /// Insert a new ready process.
    pub fn add(&mut self, p: Box<Process>) {
        let pid = p.pid;
        self.procs.insert(pid, p);
        self.runq.push(pid);
    }

    pub fn wake(&mut self, pid: u32) {
        if let Some(p) = self.procs.get_mut(&pid) {
            if matches!(p.state, PState::Blocked(_)) {
                p.state = PState::Ready;
                self.runq.push(pid);
            }
        }
    }

    /// Wake processes whose wait condition may have changed.
    pub fn wake_matching(&mut self, now: u64, io: bool) {
        let mut wake = Vec::new();
        for (pid, p) in &self.procs {
            match p.state {
                PState::Blocked(WaitOn::Io) if io => wake.push(*pid),
                PState::Blocked(WaitOn::Sleep(d)) if d <= now => wake.push(*pid),
                _ => {}
            }
        }
        for pid in wake {
            self.wake(pid);
        }
    }

    /// Earliest sleep deadline.
    pub fn next_deadline(&self) -> Option<u64> {
        self.procs
            .values()
            .filter_map(|p| match p.state {
                PState::Blocked(WaitOn::Sleep(d)) => Some(d),
                _ => None,
            })
            .chain(deadlines::next())
            .min()
    }

    /// End process `pid` with wait status `status`: release memory and handles, reparent its
    /// children to init, and wake its parent.
    pub fn terminate(&mut self, pid: u32, status: u32) {
        let Some(p) = self.procs.get_mut(&pid) else {
            return;
        };
        if p.state == PState::Zombie {
            return;
        }
        p.state = PState::Zombie;
        p.exit_status = status;
        p.space = None;
        p.fds.iter_mut().for_each(|f| *f = None);
        let ppid = p.ppid;
        self.runq.remove(pid);
        deadlines::call_finished(pid);
        wakeup::io_event();
        if pid == 1 {
            kprintln!("kernel: init exited (wait status {status:#x}); powering off");
            arch::psci(arch::PSCI_SYSTEM_OFF);
        }
        let mut orphan_zombie = false;
        for c in self.procs.values_mut() {
            if c.ppid == pid && c.pid != pid {
                c.ppid = 1;
                orphan_zombie |= c.state == PState::Zombie;
            }
        }
        if self.foreground == pid {
            self.foreground = ppid;
        }
        self.wake_child_waiter(ppid);
        if orphan_zombie {
            self.wake_child_waiter(1);
        }
    }

    fn wake_child_waiter(&mut self, pid: u32) {
        if let Some(p) = self.procs.get(&pid) {
            if p.state == PState::Blocked(WaitOn::Child) {
                self.wake(pid);
            }
        }
    }

    /// Deliver a signal: SIGINT may be ignored (it then only interrupts a console read, see
    /// [`Kernel::interrupt_console_read`]); everything else terminates.
    pub fn signal(&mut self, pid: u32, sig: u32) {
        let Some(p) = self.procs.get(&pid) else {
            return;
        };
        if sig == SIGINT && p.sigint_ignored {
            self.interrupt_console_read(pid);
            return;
        }
        if sig == 0 {
            return;
        }
        self.terminate(pid, wait_status_signaled(sig));
    }

    /// An ignored SIGINT ends a blocked console `read` of `pid` with `EINTR`, so a shell at its
    /// prompt notices Ctrl-C (and redraws the prompt) without being terminated; a running or
    /// ready process gets the `EINTR` at its next console read instead. A process blocked in
    /// anything else (sleep, wait, a pipe) does not see the signal.
    fn interrupt_console_read(&mut self, pid: u32) {
        let running = self.current == Some(pid);
        let Some(p) = self.procs.get_mut(&pid) else {
            return;
        };
        if running || matches!(p.state, PState::Ready | PState::Running) {
            // Not in a system call (a running process's registers are live in the trap
            // frame, not in `p.frame`): leave the interrupt pending.
            p.console_intr = true;
            return;
        }
        // A blocked call sleeps with its saved PC on the `svc` and its arguments untouched
        // (number in x8, descriptor in x0), to be re-issued when woken.
        if p.state != PState::Blocked(WaitOn::Io) || p.frame.x[8] as usize != nr::READ {
            return;
        }
        let on_console = p.fd(p.frame.x[0] as i64).is_some_and(|f| {
            f.file
                .try_lock()
                .is_some_and(|of| matches!(of.obj, FileObj::Console))
        });
        if !on_console {
            return;
        }
        // Complete the call instead of re-issuing it: result EINTR, PC after the `svc`.
        p.frame.x[0] = encode_result(Err(Errno::EINTR)) as u64;
        p.frame.elr += 4;
        self.wake(pid);
    }

    /// Console byte received.
    pub fn console_input(&mut self, b: u8) {
        let mut echo = Vec::new();
        let ev = self.ldisc.input(b, &mut echo);
        uart::write_bytes(&echo);
        if ev == InputEvent::Interrupt {
            // The foreground process and its siblings from the same session (the rest of the
            // pipeline the shell started) get SIGINT; processes ignoring it are skipped.
            let fg = self.foreground;
            let group: Vec<u32> = match self.procs.get(&fg) {
                Some(f) if fg > 1 => {
                    let (ppid, session) = (f.ppid, f.session);
                    self.procs
                        .values()
                        .filter(|p| {
                            p.pid == fg || (p.pid > 1 && p.ppid == ppid && p.session == session)
                        })
                        .map(|p| p.pid)
                        .collect()
                }
                _ => Vec::new(),
            };
            for pid in group {
                self.signal(pid, SIGINT);
            }
        }
        wakeup::io_event();
    }

    /// Account CPU time to the running process (or idle) up to `now`.
    fn account(&mut self, now: u64) {
        let delta = now.saturating_sub(self.last_switch_ns);
        self.last_switch_ns = now;
        match self.current.and_then(|c| self.procs.get_mut(&c)) {
            Some(p) if p.state == PState::Running => p.cpu_ns += delta,
            _ => self.idle_ns += delta,
        }
    }
}

/// Pick the next process for the frame `tf` (which holds the interrupted/current process's
/// registers): save the current one if it is still alive, load the next, switch TTBR0. Idles
/// (with IRQs on) while nothing is runnable.
pub fn schedule(tf: &mut TrapFrame) {
    if !with(|k| k.put_back_current(tf)) {
        return;
    }
    loop {
        if with(|k| k.switch_to_next(tf)) {
            return;
        }
        // Nothing runnable: wait for an interrupt (handled by the EL1 IRQ vector).
        arch::irq_enable();
        arch::wfi();
        arch::irq_disable();
    }
}

impl Kernel {
    /// Save the current process's registers from `tf` (back on the run queue if it was
    /// running). Returns `false` when it keeps the CPU (still running, no reschedule asked).
    fn put_back_current(&mut self, tf: &TrapFrame) -> bool {
        let cur_ok = self
            .current
            .and_then(|c| self.procs.get(&c))
            .is_some_and(|p| p.state == PState::Running);
        if cur_ok && !self.need_resched {
            return false;
        }
        self.need_resched = false;
        let now = time::monotonic_ns();
        self.account(now);
        let Some(cur) = self.current.take() else {
            return true;
        };
        if let Some(p) = self.procs.get_mut(&cur) {
            match p.state {
                PState::Running => {
                    *p.frame = *tf;
                    p.tpidr = arch::tpidr_el0();
                    p.state = PState::Ready;
                    self.runq.push(cur);
                }
                PState::Blocked(_) => {
                    *p.frame = *tf;
                    p.tpidr = arch::tpidr_el0();
                }
                _ => {}
            }
        }
        true
    }

    /// Wake I/O waiters if something happened, then load the next ready process into `tf`
    /// (its thread pointer and address space made current) and arm the timer. `false` if
    /// nothing is runnable.
    fn switch_to_next(&mut self, tf: &mut TrapFrame) -> bool {
        if wakeup::take_io_event() {
            let now = time::monotonic_ns();
            self.wake_matching(now, true);
        }
        while let Some(pid) = self.runq.pop() {
            let Some(p) = self.procs.get_mut(&pid) else {
                continue;
            };
            if p.state != PState::Ready {
                continue;
            }
            p.state = PState::Running;
            *tf = *p.frame;
            arch::set_tpidr_el0(p.tpidr);
            let root = p.space.as_ref().map(|s| s.root).unwrap_or(0);
            arch::set_ttbr0(root);
            self.current = Some(pid);
            let now = time::monotonic_ns();
            self.account(now);
            time::arm_next(SLICE_NS, self.next_deadline());
            return true;
        }
        let now = time::monotonic_ns();
        self.account(now);
        time::arm_next(SLICE_NS, self.next_deadline());
        false
    }
}

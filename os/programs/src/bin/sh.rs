//! `sh`: the SwiftOS shell. Words and quoting, `$VAR`, `$?`, `$$`, `~`; `cd`, `exit`,
//! `export`, `unset`; PATH search; pipes; `<`, `>`, `>>`, `2>&1`; `;`, `&&`, `||`.
//!
//! Interactive prompt: `user@swiftos:/tmp$ ` (`#` for uid 0). The shell ignores Ctrl-C and
//! makes the running foreground command receive it; Ctrl-C at the prompt discards the line
//! typed so far and shows a fresh prompt (the kernel ends the console read with `EINTR`);
//! Ctrl-D at the prompt exits. A command killed by SIGPIPE is not reported (like bash).
//! `sh -c 'CMD'` runs one command line, `sh FILE` runs a script.
#![no_std]
#![no_main]

use swiftos_abi::fcntl::{
    CONSOLE_COOKED, O_APPEND, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY, SIGINT, SIGPIPE,
};
use swiftos_programs::*;
use swiftos_rt::io::BufReader;
use swiftos_rt::process::{signal_name, wait_pid, Command, ExitStatus};
use swiftos_rt::sys::{self, Fd};
use swiftos_rt::{eprintln, fs, print};
use swiftos_shell_syntax::parse::{
    expand, expand_words, parse, AndOr, Command as Cmd, Connector, Pipeline, RedirKind,
    SyntaxError, Vars,
};
swiftos_rt::entry!(main);

const HELP: &str = concat!(
    "Usage: sh [-c COMMAND | SCRIPT]\n",
    "The SwiftOS shell.\n",
    "  words and quoting ('...', \"...\", \\), $VAR ${VAR} $? $$ ~\n",
    "  a | b | c   pipes;   a ; b   a && b   a || b   lists\n",
    "  < FILE  > FILE  >> FILE  2> FILE  2>&1   redirections\n",
    "Built-ins: cd [DIR|-], exit [N], export [NAME[=VALUE]...], unset NAME..., help\n",
    "Commands are looked up in $PATH (default /bin:/usr/bin).\n",
    "Example: ls -l /bin | head -n 3 > /tmp/top3\n",
);

#[derive(Clone)]
struct Var {
    name: String,
    value: String,
    exported: bool,
}

struct Shell {
    vars: Vec<Var>,
    status: i32,
    pid: u32,
    interactive: bool,
    /// Set by `exit`.
    exit: Option<i32>,
}

impl Vars for Shell {
    fn var(&self, name: &str) -> Option<String> {
        self.vars
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.value.clone())
    }
    fn status(&self) -> i32 {
        self.status
    }
    fn pid(&self) -> u32 {
        self.pid
    }
}

/// Where each of a command's standard descriptors comes from (parent descriptors).
#[derive(Clone)]
struct Fds {
    /// `(child fd, parent fd)`.
    map: Vec<(Fd, Fd)>,
}

impl Fds {
    fn std(stdin: Fd, stdout: Fd) -> Fds {
        Fds {
            map: vec![(0, stdin), (1, stdout), (2, 2)],
        }
    }
    fn get(&self, child: Fd) -> Option<Fd> {
        self.map.iter().find(|(c, _)| *c == child).map(|(_, p)| *p)
    }
    fn set(&mut self, child: Fd, parent: Fd) {
        self.map.retain(|(c, _)| *c != child);
        self.map.push((child, parent));
    }
}

/// Descriptors opened for one command, closed when dropped.
struct Opened(Vec<Fd>);
impl Drop for Opened {
    fn drop(&mut self) {
        for fd in &self.0 {
            let _ = sys::close(*fd);
        }
    }
}

impl Shell {
    fn set_var(&mut self, name: &str, value: &str, export: bool) {
        if let Some(v) = self.vars.iter_mut().find(|v| v.name == name) {
            v.value = String::from(value);
            v.exported |= export;
        } else {
            self.vars.push(Var {
                name: String::from(name),
                value: String::from(value),
                exported: export,
            });
        }
    }

    fn env_list(&self, extra: &[(String, String)]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for v in self.vars.iter().filter(|v| v.exported) {
            if !extra.iter().any(|(n, _)| *n == v.name) {
                out.push(format!("{}={}", v.name, v.value));
            }
        }
        for (n, v) in extra {
            out.push(format!("{n}={v}"));
        }
        out
    }

    fn prompt(&self) -> String {
        let user = self.var("USER").unwrap_or_else(|| String::from("?"));
        let cwd = sys::getcwd().unwrap_or_else(|_| String::from("?"));
        let host = sys::uname()
            .map(|u| swiftos_shell_syntax::fmt::c_field(&u.nodename))
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| String::from("swiftos"));
        let uid = sys::get_identity().map(|i| i.uid).unwrap_or(1);
        let sign = if uid == 0 { '#' } else { '$' };
        format!("{user}@{host}:{cwd}{sign} ")
    }

    /// Run a parsed line.
    fn run_script(&mut self, lists: &[AndOr]) {
        for l in lists {
            if self.exit.is_some() {
                return;
            }
            self.status = self.run_pipeline(&l.first);
            for (conn, p) in &l.rest {
                if self.exit.is_some() {
                    return;
                }
                let go = match conn {
                    Connector::And => self.status == 0,
                    Connector::Or => self.status != 0,
                };
                if go {
                    self.status = self.run_pipeline(p);
                }
            }
        }
    }

    /// Find a program: names with `/` are used as given, others searched in `$PATH`.
    fn resolve(&self, name: &str) -> Option<String> {
        if name.contains('/') {
            return Some(String::from(name));
        }
        let path = self
            .var("PATH")
            .unwrap_or_else(|| String::from("/bin:/usr/bin"));
        for dir in path.split(':').filter(|d| !d.is_empty()) {
            let cand = fs::join(dir, name);
            if let Ok(st) = sys::stat(&cand) {
                if !fs::is_dir(&st) {
                    return Some(cand);
                }
            }
        }
        None
    }

    /// Apply a command's redirections on top of `fds`. On failure prints the error and
    /// returns `None`.
    fn redirect(&self, cmd: &Cmd, fds: &mut Fds, opened: &mut Opened) -> Option<()> {
        for r in &cmd.redirects {
            let file = if let RedirKind::Dup(_) = r.kind {
                String::new()
            } else {
                match expand(&r.target, self) {
                    Some(f) if !f.is_empty() => f,
                    _ => {
                        eprintln!("sh: ambiguous redirect");
                        return None;
                    }
                }
            };
            let (flags, mode) = match r.kind {
                RedirKind::In => (O_RDONLY, 0),
                RedirKind::Out => (O_WRONLY | O_CREAT | O_TRUNC, 0o644),
                RedirKind::Append => (O_WRONLY | O_CREAT | O_APPEND, 0o644),
                RedirKind::Dup(src) => match fds.get(src) {
                    Some(p) => {
                        fds.set(r.fd, p);
                        continue;
                    }
                    None => {
                        eprintln!("sh: {src}: Bad file descriptor");
                        return None;
                    }
                },
            };
            match sys::open(&file, flags, mode) {
                Ok(fd) => {
                    opened.0.push(fd);
                    fds.set(r.fd, fd);
                }
                Err(e) => {
                    eprintln!("sh: {file}: {}", e.description());
                    return None;
                }
            }
        }
        Some(())
    }

    /// Run built-in `argv[0]` if it is one.
    fn builtin(&mut self, argv: &[String], out: Fd, err: Fd) -> Option<i32> {
        let w = |s: &str| {
            let _ = sys::write_all(out, s.as_bytes());
        };
        // Errors go to the command's (possibly redirected) standard error.
        let ew = |s: String| {
            let _ = sys::write_all(err, s.as_bytes());
        };
        let code = match argv[0].as_str() {
            "cd" => {
                let target = match argv.get(1).map(String::as_str) {
                    None => self.var("HOME").unwrap_or_else(|| String::from("/")),
                    Some("-") => match self.var("OLDPWD") {
                        Some(d) => {
                            w(&format!("{d}\n"));
                            d
                        }
                        None => {
                            ew(String::from("sh: cd: OLDPWD not set\n"));
                            return Some(1);
                        }
                    },
                    Some(d) => String::from(d),
                };
                if argv.len() > 2 {
                    ew(String::from("sh: cd: too many arguments\n"));
                    return Some(1);
                }
                let old = sys::getcwd().unwrap_or_default();
                match sys::chdir(&target) {
                    Ok(()) => {
                        self.set_var("OLDPWD", &old, true);
                        let new = sys::getcwd().unwrap_or(target);
                        self.set_var("PWD", &new, true);
                        0
                    }
                    Err(e) => {
                        ew(format!("sh: cd: {target}: {}\n", e.description()));
                        1
                    }
                }
            }
            "exit" | "logout" => {
                let code = match argv.get(1) {
                    None => self.status,
                    Some(n) => match n.parse::<i32>() {
                        Ok(v) => v & 0xff,
                        Err(_) => {
                            ew(format!("sh: exit: {n}: numeric argument required\n"));
                            2
                        }
                    },
                };
                self.exit = Some(code);
                code
            }
            "export" => {
                if argv.len() == 1 {
                    let mut s = String::new();
                    for v in self.vars.iter().filter(|v| v.exported) {
                        s.push_str(&format!("export {}={}\n", v.name, v.value));
                    }
                    w(&s);
                    return Some(0);
                }
                let mut code = 0;
                for a in &argv[1..] {
                    let (name, value) = match a.split_once('=') {
                        Some((n, v)) => (n, Some(v)),
                        None => (a.as_str(), None),
                    };
                    if !valid_name(name) {
                        ew(format!("sh: export: `{a}': not a valid identifier\n"));
                        code = 1;
                        continue;
                    }
                    match value {
                        Some(v) => self.set_var(name, v, true),
                        None => match self.vars.iter_mut().find(|v| v.name == name) {
                            Some(v) => v.exported = true,
                            None => self.set_var(name, "", true),
                        },
                    }
                }
                code
            }
            "unset" => {
                for a in &argv[1..] {
                    self.vars.retain(|v| v.name != *a);
                }
                0
            }
            "help" => {
                w(HELP);
                0
            }
            _ => return None,
        };
        Some(code)
    }

    fn run_pipeline(&mut self, p: &Pipeline) -> i32 {
        let n = p.commands.len();
        // Single built-in or assignment-only command: run in the shell itself.
        if n == 1 {
            let c = &p.commands[0];
            let argv = expand_words(&c.words, self);
            if argv.is_empty() {
                let mut fds = Fds::std(0, 1);
                let mut opened = Opened(Vec::new());
                if self.redirect(c, &mut fds, &mut opened).is_none() {
                    return 1;
                }
                for (name, w) in &c.assigns {
                    let v = expand(w, self).unwrap_or_default();
                    let exported = self.vars.iter().any(|x| x.name == *name && x.exported);
                    self.set_var(name, &v, exported);
                }
                return 0;
            }
            if is_builtin(&argv[0]) {
                let mut fds = Fds::std(0, 1);
                let mut opened = Opened(Vec::new());
                if self.redirect(c, &mut fds, &mut opened).is_none() {
                    return 1;
                }
                let out = fds.get(1).unwrap_or(1);
                let err = fds.get(2).unwrap_or(2);
                return self.builtin(&argv, out, err).unwrap_or(0);
            }
        }
        // Pipes between the commands.
        let mut pipes: Vec<[Fd; 2]> = Vec::new();
        let mut all_pipe_fds = Opened(Vec::new());
        for _ in 1..n {
            match sys::pipe() {
                Ok(pp) => {
                    all_pipe_fds.0.extend_from_slice(&pp);
                    pipes.push(pp);
                }
                Err(e) => {
                    eprintln!("sh: pipe: {}", e.description());
                    return 1;
                }
            }
        }
        let mut pids: Vec<(u32, String)> = Vec::new();
        let mut last_status = 0;
        let mut last_spawned = false;
        for (i, c) in p.commands.iter().enumerate() {
            let stdin = if i == 0 { 0 } else { pipes[i - 1][0] };
            let stdout = if i + 1 == n { 1 } else { pipes[i][1] };
            let mut fds = Fds::std(stdin, stdout);
            let mut opened = Opened(Vec::new());
            let is_last = i + 1 == n;
            if self.redirect(c, &mut fds, &mut opened).is_none() {
                if is_last {
                    last_status = 1;
                }
                continue;
            }
            let argv = expand_words(&c.words, self);
            if argv.is_empty() {
                if is_last {
                    last_status = 0;
                }
                continue;
            }
            if is_builtin(&argv[0]) {
                let out = fds.get(1).unwrap_or(1);
                let err = fds.get(2).unwrap_or(2);
                // Inside a pipeline a built-in acts like a subshell: no lasting effect.
                let saved_vars = self.vars.clone();
                let saved_cwd = sys::getcwd().ok();
                let st = self.builtin(&argv, out, err).unwrap_or(0);
                self.vars = saved_vars;
                self.exit = None;
                if let Some(d) = saved_cwd {
                    let _ = sys::chdir(&d);
                }
                if is_last {
                    last_status = st;
                }
                continue;
            }
            let assigns: Vec<(String, String)> = c
                .assigns
                .iter()
                .map(|(n, w)| (n.clone(), expand(w, self).unwrap_or_default()))
                .collect();
            match self.spawn(&argv, &assigns, &fds) {
                Ok(pid) => {
                    pids.push((pid, argv[0].clone()));
                    if is_last {
                        last_spawned = true;
                    }
                }
                Err(code) => {
                    if is_last {
                        last_status = code;
                    }
                }
            }
        }
        // Close our copies of the pipe ends so readers see end of input.
        drop(all_pipe_fds);
        // Wait from the last command backwards, each in turn the console foreground; once one
        // is stopped by Ctrl-C the rest of the pipeline is interrupted too.
        let count = pids.len();
        let mut interrupted = false;
        for (k, (pid, name)) in pids.iter().enumerate().rev() {
            if interrupted {
                let _ = sys::kill(*pid, SIGINT);
            }
            let _ = sys::set_foreground(*pid);
            let code = match wait_pid(*pid) {
                Ok(s) => {
                    if s == ExitStatus::Signaled(SIGINT) {
                        interrupted = true;
                    }
                    report_signal(name, s);
                    s.code()
                }
                Err(_) => 1,
            };
            if k + 1 == count && last_spawned {
                last_status = code;
            }
        }
        let _ = sys::set_foreground(self.pid);
        let _ = sys::console_mode(CONSOLE_COOKED);
        last_status
    }

    /// Start an external command. `Err(status)` after printing why it could not start.
    fn spawn(&self, argv: &[String], assigns: &[(String, String)], fds: &Fds) -> Result<u32, i32> {
        let name = &argv[0];
        let Some(path) = self.resolve(name) else {
            eprintln!("sh: {name}: command not found");
            return Err(127);
        };
        let env = self.env_list(assigns);
        let mut cmd = Command::new(&path);
        cmd.arg0(name).args(&argv[1..]).env_list(&env);
        for c in 0..3 {
            cmd.no_fd(c);
        }
        for (child, parent) in &fds.map {
            cmd.fd(*parent, *child);
        }
        cmd.spawn().map_err(|e| {
            eprintln!("sh: {name}: {}", e.description());
            match e {
                Errno::ENOENT => 127,
                _ => 126,
            }
        })
    }
}

fn report_signal(name: &str, st: ExitStatus) {
    if let ExitStatus::Signaled(sig) = st {
        // After Ctrl-C the console has already echoed `^C` and a newline. SIGPIPE is the
        // normal end of a writer whose reader finished early (`cat big | head`): not news.
        if sig != SIGINT && sig != SIGPIPE {
            eprintln!("sh: {name}: {}", signal_name(sig));
        }
    }
}

fn is_builtin(name: &str) -> bool {
    matches!(name, "cd" | "exit" | "logout" | "export" | "unset" | "help")
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether a syntax error means "the line is not finished yet".
fn incomplete(e: &SyntaxError) -> bool {
    matches!(
        e,
        SyntaxError::UnterminatedQuote
            | SyntaxError::UnterminatedBrace
            | SyntaxError::UnexpectedEnd(_)
    )
}

fn run_text(sh: &mut Shell, text: &str) {
    match parse(text) {
        Ok(script) => sh.run_script(&script.lists),
        Err(e) => {
            eprintln!("sh: {e}");
            sh.status = 2;
        }
    }
}

fn main(args: Vec<String>, env: Vec<String>) -> i32 {
    let mut sh = Shell {
        vars: Vec::new(),
        status: 0,
        pid: sys::getpid(),
        interactive: false,
        exit: None,
    };
    for kv in &env {
        if let Some((k, v)) = kv.split_once('=') {
            if valid_name(k) {
                sh.set_var(k, v, true);
            }
        }
    }
    if sh.var("PATH").is_none() {
        sh.set_var("PATH", "/bin:/usr/bin", true);
    }
    if let Ok(cwd) = sys::getcwd() {
        sh.set_var("PWD", &cwd, true);
    }
    match args.get(1).map(String::as_str) {
        Some("--help") => {
            print!("{HELP}");
            return 0;
        }
        Some("-c") => {
            let Some(cmd) = args.get(2) else {
                return usage_error("sh", "-c: option requires an argument");
            };
            run_text(&mut sh, cmd);
            return sh.exit.unwrap_or(sh.status);
        }
        Some(file) => {
            let text = match fs::read_to_string(file) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("sh: {file}: {}", e.description());
                    return 127;
                }
            };
            run_text(&mut sh, &text);
            return sh.exit.unwrap_or(sh.status);
        }
        None => {}
    }
    sh.interactive = sys::isatty(0);
    if sh.interactive {
        // Ctrl-C goes to the foreground command, never to the shell.
        let _ = sys::sigint_mode(true);
        let _ = sys::set_foreground(sh.pid);
    }
    let mut input = BufReader::new(0);
    let mut pending = String::new();
    loop {
        if sh.interactive {
            let p = if pending.is_empty() {
                sh.prompt()
            } else {
                String::from("> ")
            };
            let _ = sys::write_all(1, p.as_bytes());
        }
        let line = match input.read_line() {
            Ok(Some(l)) => l,
            Ok(None) => {
                if !pending.is_empty() {
                    run_text(&mut sh, &pending);
                }
                if sh.interactive {
                    print!("logout\n");
                }
                return sh.exit.unwrap_or(sh.status);
            }
            Err(Errno::EINTR) => {
                // Ctrl-C at the prompt: drop the partial input and prompt again.
                pending.clear();
                continue;
            }
            Err(e) => {
                eprintln!("sh: read error: {}", e.description());
                return 1;
            }
        };
        pending.push_str(&line);
        pending.push('\n');
        match parse(&pending) {
            Ok(script) => {
                pending.clear();
                sh.run_script(&script.lists);
            }
            Err(e) if incomplete(&e) => continue,
            Err(e) => {
                pending.clear();
                eprintln!("sh: {e}");
                sh.status = 2;
            }
        }
        if let Some(code) = sh.exit {
            return code;
        }
    }
}

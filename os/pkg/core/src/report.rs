//! The text the `pkg` commands print, written once so the host `pkg --root DIR` and the in-OS
//! `/bin/pkg` show the same lines for the same results.

use crate::error::Error;
use crate::event::{Event, Repair};
use crate::generation::Generation;
use crate::outcome::{Activation, Change, Hit, InUse, Info, Overlay};
use crate::platform::Platform;
use crate::repo::RepoConfig;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use semver::Version;
use swpkg_core::Entry;

/// The lines of a finished transaction: `+ name version`, `- name version`, `generation A -> B`,
/// and what happened to the overlay. Nothing when nothing changed.
pub fn change(c: &Change) -> Vec<String> {
    let mut out = Vec::new();
    if c.from == c.to {
        return out;
    }
    out.extend(c.added.iter().map(|a| format!("+ {a}")));
    out.extend(c.removed.iter().map(|r| format!("- {r}")));
    out.push(format!("generation {} -> {}", c.from, c.to));
    out.extend(overlay(&c.overlay));
    out
}

/// The line about the overlay after a commit (none on systems without one).
pub fn overlay(o: &Overlay) -> Option<String> {
    match o {
        Overlay::Unchanged | Overlay::Unsupported => None,
        Overlay::Applied(0) => Some(String::from(
            "active now: no packages under /usr; programs already running keep the version they loaded",
        )),
        Overlay::Applied(n) => Some(format!(
            "active now under /usr ({n} package(s)); programs already running keep the version they loaded"
        )),
        Overlay::Failed(m) => Some(format!(
            "warning: committed, but the package overlay was not switched ({m}); it takes effect at the next boot \
             or `pkg activate`"
        )),
    }
}

/// `pkg search TEXT`.
pub fn search(text: &str, hits: &[Hit]) -> Vec<String> {
    if hits.is_empty() {
        return alloc::vec![if text.is_empty() {
            String::from("the repository has no packages")
        } else {
            format!("no package matches {text:?}")
        }];
    }
    hits.iter()
        .map(|h| {
            let mark = match &h.installed {
                Some(v) => format!(" [installed {v}]"),
                None => String::new(),
            };
            format!("{} {}{mark} - {}", h.name, h.version, h.description)
        })
        .collect()
}

/// `pkg info NAME`.
pub fn info(i: &Info) -> Vec<String> {
    let mut out = alloc::vec![format!("name: {}", i.name)];
    if !i.published.is_empty() {
        let v: Vec<String> = i.published.iter().map(|v| v.to_string()).collect();
        out.push(format!("published: {}", v.join(", ")));
    }
    if let Some(s) = i.download_size {
        out.push(format!("download size: {s} bytes"));
    }
    out.push(format!("description: {}", i.description));
    let d: Vec<String> = i.depends.iter().map(|(n, r)| format!("{n} {r}")).collect();
    out.push(format!(
        "depends: {}",
        if d.is_empty() {
            String::from("(none)")
        } else {
            d.join(", ")
        }
    ));
    out.push(match &i.installed {
        Some(r) => format!(
            "installed: {} ({}, from {})",
            r.version,
            if r.explicit { "explicit" } else { "dependency" },
            r.origin
        ),
        None => String::from("installed: no"),
    });
    out
}

/// `pkg list [--generations]`.
pub fn list(g: &Generation, all: Option<&[Generation]>) -> Vec<String> {
    let mut out: Vec<String> = g
        .packages
        .iter()
        .map(|p| {
            let how = if p.explicit { "" } else { " (dependency)" };
            format!("{} {}{how}", p.name, p.version)
        })
        .collect();
    if g.packages.is_empty() {
        out.push(String::from("no packages installed"));
    }
    for h in all.unwrap_or(&[]) {
        let mark = if h.generation == g.generation {
            "*"
        } else {
            " "
        };
        out.push(format!(
            "{mark} generation {} (parent {}): {} package(s), {}",
            h.generation,
            h.parent,
            h.packages.len(),
            h.reason
        ));
    }
    out
}

/// The note `pkg list`, `pkg files` and the mutating commands print when the generation in use
/// is not the one `/pkg/current` names.
pub fn in_use_note(u: &InUse) -> Option<String> {
    let r = u.recorded.as_ref()?;
    let cur = crate::layout::CURRENT;
    let problem = &r.problem;
    let named = match (r.number, r.packages.is_empty()) {
        (Some(n), true) => format!("{cur} names generation {n}, which is damaged ({problem})"),
        (Some(n), false) => format!(
            "{cur} names generation {n} ({}), which is damaged ({problem})",
            r.packages.join(", ")
        ),
        (None, _) => format!("{cur} is unreadable ({problem})"),
    };
    let g = &u.generation;
    let what = if g.packages.is_empty() {
        format!("generation {} (no packages)", g.generation)
    } else {
        format!(
            "generation {} ({} package(s))",
            g.generation,
            g.packages.len()
        )
    };
    Some(format!(
        "note: {named}; {what} is in use: install, remove, upgrade and rollback start from it and \
         their commit repairs {cur}"
    ))
}

/// `pkg files NAME`.
pub fn files(dir: &str, view: Option<&str>, entries: &[Entry]) -> Vec<String> {
    // (Not `# …`: a line starting like a root prompt confuses console scripts.)
    let (mut out, prefix) = match view {
        // In SwiftOS: the paths a user types, under the read-only view of active packages.
        Some(v) => (
            alloc::vec![format!("visible under {v} (stored in {dir}):")],
            v,
        ),
        None => (alloc::vec![format!("stored under {dir}:")], ""),
    };
    out.extend(entries.iter().map(|f| match &f.link {
        Some(l) => format!("{prefix}/{} -> {l}", f.path),
        None => format!("{prefix}/{}", f.path),
    }));
    out
}

/// `pkg verify`: the lines to print and, when there are problems, the failure message.
pub fn verify(problems: &[String]) -> (Vec<String>, Option<String>) {
    if problems.is_empty() {
        return (
            alloc::vec![String::from("all installed files match their manifests")],
            None,
        );
    }
    (
        problems.to_vec(),
        Some(format!(
            "{} problem(s) in the store; to repair a package: pkg install NAME (or pkg install FILE --key PUB \
             for one installed from a file) fetches a damaged package again",
            problems.len()
        )),
    )
}

/// `pkg gc`.
pub fn gc(generations: usize, packages: usize) -> String {
    format!("deleted {generations} generation(s) and {packages} package(s) from the store")
}

/// `pkg repo show`.
pub fn repo_show(c: &RepoConfig) -> Vec<String> {
    let mut out = alloc::vec![
        format!("url: {}", c.url),
        format!("metadata: {}", c.metadata_base()),
        format!("targets: {}", c.targets_base()),
    ];
    out.extend(c.package_keys.iter().map(|k| format!("package key: {k}")));
    out
}

/// `pkg activate`: what was checked, which generation this boot uses, the overlay.
pub fn activation(a: &Activation, boot: bool) -> Vec<String> {
    let mut out: Vec<String> = a
        .problems
        .iter()
        .map(|p| format!("pkg: damaged: {p}"))
        .collect();
    let when = if boot {
        "this boot uses"
    } else {
        "now active:"
    };
    let what = if a.packages.is_empty() {
        format!("generation {} (no packages)", a.used)
    } else {
        format!(
            "generation {} ({} package(s): {})",
            a.used,
            a.packages.len(),
            a.packages.join(", ")
        )
    };
    match a.current {
        Some(c) if c == a.used => out.push(format!("pkg: {when} {what}, verified")),
        Some(c) => out.push(format!(
            "pkg: generation {c} is damaged ({} problem(s) above); falling back: {when} {what}. Nothing was \
             deleted; repair with `pkg verify`, `pkg rollback` or `pkg install`",
            a.problems.len()
        )),
        None => out.push(format!(
            "pkg: the active generation pointer is unreadable; falling back: {when} {what}"
        )),
    }
    match &a.overlay {
        Overlay::Applied(n) => out.push(format!("pkg: {n} package(s) visible under /usr")),
        Overlay::Failed(m) => out.push(format!("pkg: the package overlay could not be set: {m}")),
        Overlay::Unsupported | Overlay::Unchanged => {}
    }
    out
}

/// Suffix for a failed command's message: transactions say that nothing was changed.
pub fn failure(e: &Error) -> String {
    let mut m = e.to_string();
    if !matches!(e, Error::Usage(_) | Error::NoRepo | Error::NotUpdated) {
        m.push_str("; nothing was changed");
    }
    m
}

/// One line saying a stored package is damaged and what happens now (`then`).
pub fn damaged_line(name: &str, version: &Version, problems: &[String], then: &str) -> String {
    let first = problems.first().map(String::as_str).unwrap_or("");
    let more = match problems.len() {
        0 | 1 => String::new(),
        n => format!(" and {} more problem(s)", n - 1),
    };
    format!("{name} {version} in the store is damaged ({first}{more}): {then}")
}

/// The line an event is told with; `None` for an event with nothing to say.
pub fn event(e: &Event<'_>) -> Option<String> {
    Some(match e {
        Event::RepoSet { url, package_keys } => {
            format!("repository set to {url} ({package_keys} package signing key(s) trusted)")
        }
        Event::Updated { available, refused } => {
            let mut line =
                format!("repository metadata verified: {available} package(s) available");
            if *refused > 0 {
                line.push_str(&format!(
                    ", {refused} release(s) skipped as built for another system"
                ));
            }
            line
        }
        Event::StagingNotCleaned(e) => format!("pkg activate: cleaning up the staging area: {e}"),
        Event::FallbackNotRecorded(e) => format!(
            "pkg activate: cannot record the fallback in {}: {e}",
            crate::layout::FALLBACK
        ),
        Event::StartsFrom(u) => return in_use_note(u),
        Event::AlreadyInstalled { name, version } => {
            format!("{name} {version} is already installed")
        }
        Event::Damaged {
            name,
            version,
            problems,
            repair,
        } => {
            let then = match repair {
                Repair::Fetch => String::from("fetching it again"),
                Repair::FromFile(f) => format!("installing it again from {f}"),
            };
            damaged_line(name, version, problems, &then)
        }
        Event::NothingToDo => {
            String::from("nothing to do: the requested packages are installed and up to date")
        }
        Event::Downloading { file, bytes } => format!("downloading {file} ({bytes} bytes)"),
        Event::Resuming { file, at } => format!("resuming {file} at byte {at}"),
    })
}

/// Tell `e` through the platform (its one line, if it has one).
pub fn tell<P: Platform>(p: &mut P, e: &Event<'_>) {
    if let Some(line) = event(e) {
        p.say(&line);
    }
}

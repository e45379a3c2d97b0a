//! Generates `<swiftos/abi.h>`, the C view of the `swiftos-abi` crate, for the newlib sysroot.
//!
//! Numbers come straight from the crate (`nr::TABLE`, `Errno::ALL`, the `fcntl`, `layout` and
//! `caps` constants); structure sizes and field offsets come from `size_of`/`offset_of!` on the
//! crate's `#[repr(C)]` types and are emitted as `_Static_assert`s next to the C definitions, so
//! a C struct that drifts from the Rust one fails to compile. Nothing is copied by hand.

use std::fmt::Write as _;
use std::mem::{offset_of, size_of};
use swiftos_abi::{caps, fcntl, layout, nr, Errno};

/// Format a C declaration from a type spelled `T` or `T[N]`.
fn decl(ctype: &str, name: &str) -> String {
    match ctype.split_once('[') {
        Some((base, dim)) => format!("{base} {name}[{dim}"),
        None => format!("{ctype} {name}"),
    }
}

/// Emit a C struct whose layout is checked against a Rust ABI type.
macro_rules! cstruct {
    ($out:expr, $cname:literal, $ty:ty, { $($field:ident : $ctype:literal),* $(,)? }) => {{
        let out: &mut String = $out;
        let _ = writeln!(out, "struct {} {{", $cname);
        $( let _ = writeln!(out, "    {};", decl($ctype, stringify!($field))); )*
        let _ = writeln!(out, "}};");
        let _ = writeln!(
            out,
            "_Static_assert(sizeof(struct {}) == {}, \"struct {} size differs from the ABI crate\");",
            $cname, size_of::<$ty>(), $cname
        );
        $( let _ = writeln!(
            out,
            "_Static_assert(__builtin_offsetof(struct {}, {}) == {}, \"{}.{} offset differs from the ABI crate\");",
            $cname, stringify!($field), offset_of!($ty, $field), $cname, stringify!($field)
        ); )*
        let _ = writeln!(out);
    }};
}

fn define(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "#define {name} {value}");
}

/// `capFsRead` -> `FS_READ`.
fn cap_macro_name(name: &str) -> String {
    let base = name.strip_prefix("cap").unwrap_or(name);
    let mut s = String::new();
    for (i, c) in base.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            s.push('_');
        }
        s.push(c.to_ascii_uppercase());
    }
    s
}

/// The complete header text.
pub fn generate() -> String {
    let mut o = String::new();
    o.push_str(
        "/* <swiftos/abi.h>: the SwiftOS system-call ABI for C.\n \
         * GENERATED from the swiftos-abi crate by `swport sysroot gen-header`; do not edit. */\n\
         #ifndef _SWIFTOS_ABI_H\n#define _SWIFTOS_ABI_H\n\n#include <stdint.h>\n\n",
    );
    define(&mut o, "SWIFTOS_ABI_VERSION", swiftos_abi::ABI_VERSION);

    o.push_str("\n/* System-call numbers (x8). Paths are (pointer, length) pairs. */\n");
    for (n, name) in nr::TABLE {
        define(
            &mut o,
            &format!("SWIFTOS_SYS_{}", name.to_ascii_uppercase()),
            n,
        );
    }
    define(&mut o, "SWIFTOS_SYS_NET_FIRST", nr::NET_FIRST);
    define(&mut o, "SWIFTOS_SYS_NET_LAST", nr::NET_LAST);

    o.push_str("\n/* Error numbers (returned negated in x0; equal to newlib's). */\n");
    for e in Errno::ALL {
        define(&mut o, &format!("SWIFTOS_{}", e.name()), e as u32);
    }
    define(&mut o, "SWIFTOS_ERRNO_MAX", 4095);

    o.push_str("\n/* File flags, modes, whence, fcntl, mmap, wait, clocks, signals. */\n");
    let consts: &[(&str, u32)] = &[
        ("O_RDONLY", fcntl::O_RDONLY),
        ("O_WRONLY", fcntl::O_WRONLY),
        ("O_RDWR", fcntl::O_RDWR),
        ("O_ACCMODE", fcntl::O_ACCMODE),
        ("O_APPEND", fcntl::O_APPEND),
        ("O_CREAT", fcntl::O_CREAT),
        ("O_TRUNC", fcntl::O_TRUNC),
        ("O_EXCL", fcntl::O_EXCL),
        ("O_SYNC", fcntl::O_SYNC),
        ("O_NONBLOCK", fcntl::O_NONBLOCK),
        ("O_NOCTTY", fcntl::O_NOCTTY),
        ("O_CLOEXEC", fcntl::O_CLOEXEC),
        ("O_NOFOLLOW", fcntl::O_NOFOLLOW),
        ("O_DIRECTORY", fcntl::O_DIRECTORY),
        ("S_IFMT", fcntl::S_IFMT),
        ("S_IFIFO", fcntl::S_IFIFO),
        ("S_IFCHR", fcntl::S_IFCHR),
        ("S_IFDIR", fcntl::S_IFDIR),
        ("S_IFREG", fcntl::S_IFREG),
        ("S_IFLNK", fcntl::S_IFLNK),
        ("S_IFSOCK", fcntl::S_IFSOCK),
        ("SEEK_SET", fcntl::SEEK_SET),
        ("SEEK_CUR", fcntl::SEEK_CUR),
        ("SEEK_END", fcntl::SEEK_END),
        ("F_DUPFD", fcntl::F_DUPFD),
        ("F_GETFD", fcntl::F_GETFD),
        ("F_SETFD", fcntl::F_SETFD),
        ("F_GETFL", fcntl::F_GETFL),
        ("F_SETFL", fcntl::F_SETFL),
        ("FD_CLOEXEC", fcntl::FD_CLOEXEC),
        ("PROT_NONE", fcntl::PROT_NONE),
        ("PROT_READ", fcntl::PROT_READ),
        ("PROT_WRITE", fcntl::PROT_WRITE),
        ("PROT_EXEC", fcntl::PROT_EXEC),
        ("MAP_SHARED", fcntl::MAP_SHARED),
        ("MAP_PRIVATE", fcntl::MAP_PRIVATE),
        ("MAP_FIXED", fcntl::MAP_FIXED),
        ("MAP_ANONYMOUS", fcntl::MAP_ANONYMOUS),
        ("WNOHANG", fcntl::WNOHANG),
        ("CLOCK_REALTIME", fcntl::CLOCK_REALTIME),
        ("CLOCK_MONOTONIC", fcntl::CLOCK_MONOTONIC),
        ("SIGINT", fcntl::SIGINT),
        ("SIGKILL", fcntl::SIGKILL),
        ("SIGSEGV", fcntl::SIGSEGV),
        ("SIGPIPE", fcntl::SIGPIPE),
        ("SIGTERM", fcntl::SIGTERM),
        ("SIGILL", fcntl::SIGILL),
        ("SIGBUS", fcntl::SIGBUS),
        ("POWER_OFF", fcntl::POWER_OFF),
        ("POWER_REBOOT", fcntl::POWER_REBOOT),
        ("CONSOLE_COOKED", fcntl::CONSOLE_COOKED),
        ("CONSOLE_RAW", fcntl::CONSOLE_RAW),
    ];
    for (name, v) in consts {
        define(&mut o, &format!("SWIFTOS_{name}"), format!("0x{v:x}"));
    }
    let dts: &[(&str, u8)] = &[
        ("DT_UNKNOWN", swiftos_abi::DT_UNKNOWN),
        ("DT_FIFO", swiftos_abi::DT_FIFO),
        ("DT_CHR", swiftos_abi::DT_CHR),
        ("DT_DIR", swiftos_abi::DT_DIR),
        ("DT_REG", swiftos_abi::DT_REG),
        ("DT_LNK", swiftos_abi::DT_LNK),
    ];
    for (name, v) in dts {
        define(&mut o, &format!("SWIFTOS_{name}"), v);
    }

    o.push_str("\n/* Address-space layout and limits. */\n");
    define(
        &mut o,
        "SWIFTOS_USER_IMAGE_BASE",
        format!("0x{:x}ULL", layout::USER_IMAGE_BASE),
    );
    define(
        &mut o,
        "SWIFTOS_USER_END",
        format!("0x{:x}ULL", layout::USER_END),
    );
    define(
        &mut o,
        "SWIFTOS_USER_STACK_TOP",
        format!("0x{:x}ULL", layout::USER_STACK_TOP),
    );
    define(
        &mut o,
        "SWIFTOS_USER_STACK_SIZE",
        format!("0x{:x}ULL", layout::USER_STACK_SIZE),
    );
    define(
        &mut o,
        "SWIFTOS_USER_MMAP_BASE",
        format!("0x{:x}ULL", layout::USER_MMAP_BASE),
    );
    define(&mut o, "SWIFTOS_PAGE_SIZE", layout::PAGE_SIZE);
    define(&mut o, "SWIFTOS_MAX_ARGS", layout::MAX_ARGS);
    define(&mut o, "SWIFTOS_MAX_ARG_BYTES", layout::MAX_ARG_BYTES);
    define(&mut o, "SWIFTOS_PATH_MAX", layout::PATH_MAX);
    define(&mut o, "SWIFTOS_MAX_FDS", layout::MAX_FDS);

    o.push_str("\n/* Capabilities (process) and rights (handle). */\n");
    for (c, name) in caps::Caps::NAMES {
        define(
            &mut o,
            &format!("SWIFTOS_CAP_{}", cap_macro_name(name)),
            format!("0x{:x}ULL", c.0),
        );
    }
    let rights: &[(&str, caps::Rights)] = &[
        ("READ", caps::Rights::READ),
        ("WRITE", caps::Rights::WRITE),
        ("SEEK", caps::Rights::SEEK),
        ("STAT", caps::Rights::STAT),
        ("TRANSFER", caps::Rights::TRANSFER),
        ("ALL", caps::Rights::ALL),
    ];
    for (name, r) in rights {
        define(
            &mut o,
            &format!("SWIFTOS_RIGHT_{name}"),
            format!("0x{:x}u", r.0),
        );
    }
    define(&mut o, "SWIFTOS_PROC_NAME_LEN", swiftos_abi::PROC_NAME_LEN);
    define(&mut o, "SWIFTOS_UTS_LEN", swiftos_abi::UTS_LEN);

    o.push_str("\n/* Structures (layouts checked against the ABI crate). */\n");
    use swiftos_abi as a;
    cstruct!(&mut o, "swiftos_timespec", a::Timespec, { tv_sec: "int64_t", tv_nsec: "int64_t" });
    cstruct!(&mut o, "swiftos_stat", a::Stat, {
        st_dev: "int16_t", st_ino: "uint16_t", st_mode: "uint32_t", st_nlink: "uint16_t",
        st_uid: "uint16_t", st_gid: "uint16_t", st_rdev: "int16_t", st_size: "int64_t",
        st_atim: "struct swiftos_timespec", st_mtim: "struct swiftos_timespec",
        st_ctim: "struct swiftos_timespec", st_blksize: "int64_t", st_blocks: "int64_t",
        st_spare4: "int64_t[2]",
    });
    cstruct!(&mut o, "swiftos_dirent_header", a::DirentHeader, {
        ino: "uint64_t", reclen: "uint16_t", kind: "uint8_t", namelen: "uint8_t", _pad: "uint32_t",
    });
    cstruct!(&mut o, "swiftos_str_slice", a::StrSlice, { ptr: "uint64_t", len: "uint64_t" });
    cstruct!(&mut o, "swiftos_handle_grant", a::HandleGrant, {
        parent_fd: "int32_t", child_fd: "int32_t", rights: "uint32_t", _pad: "uint32_t",
    });
    cstruct!(&mut o, "swiftos_spawn_args", a::SpawnArgs, {
        path: "struct swiftos_str_slice", argv: "uint64_t", argc: "uint64_t", envp: "uint64_t",
        envc: "uint64_t", handles: "uint64_t", handle_count: "uint64_t", drop_caps: "uint64_t",
        cwd: "struct swiftos_str_slice",
    });
    cstruct!(&mut o, "swiftos_identity", a::Identity, {
        pid: "uint32_t", ppid: "uint32_t", uid: "uint32_t", gid: "uint32_t", session: "uint32_t",
        _pad: "uint32_t", caps: "uint64_t",
    });
    cstruct!(&mut o, "swiftos_proc_info", a::ProcInfo, {
        pid: "uint32_t", ppid: "uint32_t", uid: "uint32_t", session: "uint32_t", state: "uint32_t",
        _pad: "uint32_t", cpu_ns: "uint64_t", mem_bytes: "uint64_t", caps: "uint64_t",
        name: "char[32]",
    });
    cstruct!(&mut o, "swiftos_utsname", a::Utsname, {
        sysname: "char[64]", nodename: "char[64]", release: "char[64]", version: "char[64]",
        machine: "char[64]",
    });
    cstruct!(&mut o, "swiftos_sysinfo", a::SysInfo, {
        uptime_ns: "uint64_t", mem_total: "uint64_t", mem_free: "uint64_t", idle_ns: "uint64_t",
        nprocs: "uint32_t", ncpus: "uint32_t",
    });
    net(&mut o);
    libc_checks(&mut o, consts);
    o.push_str("#endif /* _SWIFTOS_ABI_H */\n");
    o
}

/// The socket part of the ABI (`swiftos_abi::net`).
fn net(o: &mut String) {
    use swiftos_abi::net as n;
    o.push_str("/* Sockets (IPv4 only), poll and the net_info/net_sockets records. */\n");
    let u32s: &[(&str, u32)] = &[
        ("AF_INET", n::AF_INET),
        ("SOCK_STREAM", n::SOCK_STREAM),
        ("SOCK_DGRAM", n::SOCK_DGRAM),
        ("SOCK_NONBLOCK", n::SOCK_NONBLOCK),
        ("SOCK_CLOEXEC", n::SOCK_CLOEXEC),
        ("SOCK_TYPE_MASK", n::SOCK_TYPE_MASK),
        ("IPPROTO_IP", n::IPPROTO_IP),
        ("IPPROTO_TCP", n::IPPROTO_TCP),
        ("IPPROTO_UDP", n::IPPROTO_UDP),
        ("INADDR_ANY", n::INADDR_ANY),
        ("INADDR_LOOPBACK", n::INADDR_LOOPBACK),
        ("MSG_PEEK", n::MSG_PEEK),
        ("MSG_DONTWAIT", n::MSG_DONTWAIT),
        ("MSG_NOSIGNAL", n::MSG_NOSIGNAL),
        ("SHUT_RD", n::SHUT_RD),
        ("SHUT_WR", n::SHUT_WR),
        ("SHUT_RDWR", n::SHUT_RDWR),
        ("SOL_SOCKET", n::SOL_SOCKET),
        ("SO_REUSEADDR", n::SO_REUSEADDR),
        ("SO_TYPE", n::SO_TYPE),
        ("SO_ERROR", n::SO_ERROR),
        ("SO_SNDBUF", n::SO_SNDBUF),
        ("SO_RCVBUF", n::SO_RCVBUF),
        ("SO_KEEPALIVE", n::SO_KEEPALIVE),
        ("SO_RCVTIMEO", n::SO_RCVTIMEO),
        ("SO_SNDTIMEO", n::SO_SNDTIMEO),
        ("TCP_NODELAY", n::TCP_NODELAY),
        ("SOCKINFO_TCP", n::SOCKINFO_TCP),
        ("SOCKINFO_UDP", n::SOCKINFO_UDP),
    ];
    for (name, v) in u32s {
        define(o, &format!("SWIFTOS_{name}"), format!("0x{v:x}"));
    }
    let polls: &[(&str, i16)] = &[
        ("POLLIN", n::POLLIN),
        ("POLLPRI", n::POLLPRI),
        ("POLLOUT", n::POLLOUT),
        ("POLLERR", n::POLLERR),
        ("POLLHUP", n::POLLHUP),
        ("POLLNVAL", n::POLLNVAL),
    ];
    for (name, v) in polls {
        define(o, &format!("SWIFTOS_{name}"), format!("0x{v:03x}"));
    }
    define(o, "SWIFTOS_POLL_MAX", n::POLL_MAX);
    o.push('\n');
    cstruct!(o, "swiftos_sockaddr_in", n::SockAddrIn, {
        sin_family: "uint16_t", sin_port: "uint16_t", sin_addr: "uint32_t", sin_zero: "uint8_t[8]",
    });
    cstruct!(o, "swiftos_timeval", n::Timeval, { tv_sec: "int64_t", tv_usec: "int64_t" });
    cstruct!(o, "swiftos_pollfd", n::PollFd, { fd: "int32_t", events: "int16_t", revents: "int16_t" });
    cstruct!(o, "swiftos_net_info", n::NetInfo, {
        addr: "uint8_t[4]", gateway: "uint8_t[4]", prefix_len: "uint8_t", up: "uint8_t",
        mac: "uint8_t[6]", mtu: "uint32_t", _pad: "uint32_t", rx_packets: "uint64_t",
        tx_packets: "uint64_t", rx_bytes: "uint64_t", tx_bytes: "uint64_t",
        up_since: "struct swiftos_timespec",
    });
    cstruct!(o, "swiftos_sock_info", n::SockInfo, {
        kind: "uint32_t", state: "uint32_t", local: "struct swiftos_sockaddr_in",
        remote: "struct swiftos_sockaddr_in", recv_queue: "uint32_t", send_queue: "uint32_t",
    });
}

/// Fields of `struct stat` whose offset and size newlib must share with the ABI.
const STAT_FIELDS: [&str; 14] = [
    "st_dev",
    "st_ino",
    "st_mode",
    "st_nlink",
    "st_uid",
    "st_gid",
    "st_rdev",
    "st_size",
    "st_atim",
    "st_mtim",
    "st_ctim",
    "st_blksize",
    "st_blocks",
    "st_spare4",
];

/// Compile-time proofs that the C library's numbers and `struct stat` equal the ABI's; compiled
/// by the sysroot glue (`#define SWIFTOS_ABI_CHECK_LIBC` after the libc headers).
fn libc_checks(o: &mut String, consts: &[(&str, u32)]) {
    o.push_str("\n#ifdef SWIFTOS_ABI_CHECK_LIBC\n/* The C library must agree with the ABI. */\n");
    let mut check = |name: &str| {
        let _ = writeln!(
            o,
            "#ifdef {name}\n_Static_assert({name} == SWIFTOS_{name}, \"libc {name} differs from the ABI\");\n#endif"
        );
    };
    for e in Errno::ALL {
        check(e.name());
    }
    for (name, _) in consts {
        let libc_has = !name.starts_with("PROT_")
            && !name.starts_with("MAP_")
            && !name.starts_with("POWER_")
            && !name.starts_with("CONSOLE_");
        if libc_has {
            check(name);
        }
    }
    let _ = writeln!(
        o,
        "_Static_assert(sizeof(struct stat) == sizeof(struct swiftos_stat), \"struct stat size differs from the ABI\");"
    );
    for f in STAT_FIELDS {
        let _ = writeln!(
            o,
            "_Static_assert(__builtin_offsetof(struct stat, {f}) == __builtin_offsetof(struct swiftos_stat, {f}) && \
             sizeof(((struct stat *)0)->{f}) == sizeof(((struct swiftos_stat *)0)->{f}), \"struct stat.{f} differs from the ABI\");"
        );
    }
    o.push_str("#endif /* SWIFTOS_ABI_CHECK_LIBC */\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_has_every_number_from_the_crate() {
        let h = generate();
        for (n, name) in nr::TABLE {
            assert!(
                h.contains(&format!(
                    "#define SWIFTOS_SYS_{} {n}\n",
                    name.to_ascii_uppercase()
                )),
                "{name}"
            );
        }
        for e in Errno::ALL {
            assert!(h.contains(&format!("#define SWIFTOS_{} {}\n", e.name(), e as u32)));
        }
        assert!(h.contains("#define SWIFTOS_CAP_FS_READ 0x1ULL"));
        assert!(h.contains("#define SWIFTOS_CAP_PROCESS_INSPECT 0x4ULL"));
        assert!(h.contains("_Static_assert(sizeof(struct swiftos_stat) == 104"));
        assert!(h.contains("_Static_assert(__builtin_offsetof(struct swiftos_stat, st_mtim) == 40"));
        assert!(h.contains("    char name[32];"));
        assert!(h.contains("#define SWIFTOS_AF_INET 0x2"));
        assert!(h.contains("_Static_assert(sizeof(struct swiftos_sockaddr_in) == 16"));
        assert_eq!(h, generate(), "deterministic");
    }

    /// The header must compile (its `_Static_assert`s hold) with the cross compiler, or the
    /// host C compiler when the cross compiler is not installed.
    #[test]
    fn header_compiles_and_its_layout_asserts_hold() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("swiftos")).unwrap();
        std::fs::write(dir.path().join("swiftos/abi.h"), generate()).unwrap();
        let src = dir.path().join("t.c");
        std::fs::write(
            &src,
            "#include <swiftos/abi.h>\nint main(void) { return SWIFTOS_SYS_EXIT; }\n",
        )
        .unwrap();
        let cc = ["aarch64-linux-gnu-gcc", "cc"]
            .into_iter()
            .find(|c| {
                std::process::Command::new(c)
                    .arg("--version")
                    .output()
                    .is_ok()
            })
            .expect("a C compiler (aarch64-linux-gnu-gcc or cc)");
        let out = std::process::Command::new(cc)
            // Freestanding: the header needs no C library (a cross compiler without the
            // target libc, as Debian installs it without Recommends, must compile it).
            .args([
                "-std=c11",
                "-ffreestanding",
                "-Wall",
                "-Werror",
                "-fsyntax-only",
                "-I",
            ])
            .arg(dir.path())
            .arg(&src)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn cap_names() {
        assert_eq!(cap_macro_name("capFsRead"), "FS_READ");
        assert_eq!(cap_macro_name("capNet"), "NET");
        assert_eq!(cap_macro_name("capPkgAdmin"), "PKG_ADMIN");
    }
}

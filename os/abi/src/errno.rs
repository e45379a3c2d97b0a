//! Error numbers. Values equal newlib's `<sys/errno.h>` so C programs see familiar codes.

/// A system-call error. The kernel returns `-(errno as isize)` in `x0`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(clippy::upper_case_acronyms)]
pub enum Errno {
    /// Operation not permitted.
    EPERM = 1,
    /// No such file or directory.
    ENOENT = 2,
    /// No such process.
    ESRCH = 3,
    /// Interrupted system call.
    EINTR = 4,
    /// I/O error.
    EIO = 5,
    /// No such device or address.
    ENXIO = 6,
    /// Argument list too long.
    E2BIG = 7,
    /// Exec format error.
    ENOEXEC = 8,
    /// Bad file descriptor.
    EBADF = 9,
    /// No child processes.
    ECHILD = 10,
    /// Resource temporarily unavailable.
    EAGAIN = 11,
    /// Out of memory.
    ENOMEM = 12,
    /// Permission denied.
    EACCES = 13,
    /// Bad address.
    EFAULT = 14,
    /// Device or resource busy.
    EBUSY = 16,
    /// File exists.
    EEXIST = 17,
    /// Cross-device link.
    EXDEV = 18,
    /// No such device.
    ENODEV = 19,
    /// Not a directory.
    ENOTDIR = 20,
    /// Is a directory.
    EISDIR = 21,
    /// Invalid argument.
    EINVAL = 22,
    /// Too many open files in system.
    ENFILE = 23,
    /// Too many open files.
    EMFILE = 24,
    /// Not a terminal.
    ENOTTY = 25,
    /// File too large.
    EFBIG = 27,
    /// No space left on device.
    ENOSPC = 28,
    /// Illegal seek.
    ESPIPE = 29,
    /// Read-only file system.
    EROFS = 30,
    /// Too many links.
    EMLINK = 31,
    /// Broken pipe.
    EPIPE = 32,
    /// Mathematics argument out of domain.
    EDOM = 33,
    /// Result too large.
    ERANGE = 34,
    /// Deadlock.
    EDEADLK = 45,
    /// Function not implemented.
    ENOSYS = 88,
    /// Directory not empty.
    ENOTEMPTY = 90,
    /// File name too long.
    ENAMETOOLONG = 91,
    /// Too many levels of symbolic links.
    ELOOP = 92,
    /// Operation not supported.
    EOPNOTSUPP = 95,
    /// Connection reset by peer.
    ECONNRESET = 104,
    /// No buffer space available.
    ENOBUFS = 105,
    /// Address family not supported.
    EAFNOSUPPORT = 106,
    /// Protocol wrong type for socket.
    EPROTOTYPE = 107,
    /// Not a socket.
    ENOTSOCK = 108,
    /// Protocol not available.
    ENOPROTOOPT = 109,
    /// Connection refused.
    ECONNREFUSED = 111,
    /// Address already in use.
    EADDRINUSE = 112,
    /// Connection aborted.
    ECONNABORTED = 113,
    /// Network is unreachable.
    ENETUNREACH = 114,
    /// Network is down.
    ENETDOWN = 115,
    /// Connection timed out.
    ETIMEDOUT = 116,
    /// Host is down.
    EHOSTDOWN = 117,
    /// No route to host.
    EHOSTUNREACH = 118,
    /// Operation in progress.
    EINPROGRESS = 119,
    /// Operation already in progress.
    EALREADY = 120,
    /// Destination address required.
    EDESTADDRREQ = 121,
    /// Message too long.
    EMSGSIZE = 122,
    /// Protocol not supported.
    EPROTONOSUPPORT = 123,
    /// Address not available.
    EADDRNOTAVAIL = 125,
    /// Socket is already connected.
    EISCONN = 127,
    /// Socket is not connected.
    ENOTCONN = 128,
    /// Not supported.
    ENOTSUP = 134,
    /// Illegal byte sequence.
    EILSEQ = 138,
    /// Value too large.
    EOVERFLOW = 139,
    /// Operation canceled.
    ECANCELED = 140,
    /// Unknown error.
    EUNKNOWN = 4095,
}

impl Errno {
    /// `EWOULDBLOCK` is the same number as `EAGAIN`.
    pub const EWOULDBLOCK: Errno = Errno::EAGAIN;

    /// Every defined errno, for table generation (C header, docs).
    pub const ALL: [Errno; 65] = [
        Errno::EPERM,
        Errno::ENOENT,
        Errno::ESRCH,
        Errno::EINTR,
        Errno::EIO,
        Errno::ENXIO,
        Errno::E2BIG,
        Errno::ENOEXEC,
        Errno::EBADF,
        Errno::ECHILD,
        Errno::EAGAIN,
        Errno::ENOMEM,
        Errno::EACCES,
        Errno::EFAULT,
        Errno::EBUSY,
        Errno::EEXIST,
        Errno::EXDEV,
        Errno::ENODEV,
        Errno::ENOTDIR,
        Errno::EISDIR,
        Errno::EINVAL,
        Errno::ENFILE,
        Errno::EMFILE,
        Errno::ENOTTY,
        Errno::EFBIG,
        Errno::ENOSPC,
        Errno::ESPIPE,
        Errno::EROFS,
        Errno::EMLINK,
        Errno::EPIPE,
        Errno::EDOM,
        Errno::ERANGE,
        Errno::EDEADLK,
        Errno::ENOSYS,
        Errno::ENOTEMPTY,
        Errno::ENAMETOOLONG,
        Errno::ELOOP,
        Errno::EOPNOTSUPP,
        Errno::ECONNRESET,
        Errno::ENOBUFS,
        Errno::EAFNOSUPPORT,
        Errno::EPROTOTYPE,
        Errno::ENOTSOCK,
        Errno::ENOPROTOOPT,
        Errno::ECONNREFUSED,
        Errno::EADDRINUSE,
        Errno::ECONNABORTED,
        Errno::ENETUNREACH,
        Errno::ENETDOWN,
        Errno::ETIMEDOUT,
        Errno::EHOSTDOWN,
        Errno::EHOSTUNREACH,
        Errno::EINPROGRESS,
        Errno::EALREADY,
        Errno::EDESTADDRREQ,
        Errno::EMSGSIZE,
        Errno::EPROTONOSUPPORT,
        Errno::EADDRNOTAVAIL,
        Errno::EISCONN,
        Errno::ENOTCONN,
        Errno::ENOTSUP,
        Errno::EILSEQ,
        Errno::EOVERFLOW,
        Errno::ECANCELED,
        Errno::EUNKNOWN,
    ];

    /// Map a raw number to an errno; unknown numbers become [`Errno::EUNKNOWN`] (never a panic).
    pub fn from_raw(raw: u32) -> Errno {
        match raw {
            1 => Errno::EPERM,
            2 => Errno::ENOENT,
            3 => Errno::ESRCH,
            4 => Errno::EINTR,
            5 => Errno::EIO,
            6 => Errno::ENXIO,
            7 => Errno::E2BIG,
            8 => Errno::ENOEXEC,
            9 => Errno::EBADF,
            10 => Errno::ECHILD,
            11 => Errno::EAGAIN,
            12 => Errno::ENOMEM,
            13 => Errno::EACCES,
            14 => Errno::EFAULT,
            16 => Errno::EBUSY,
            17 => Errno::EEXIST,
            18 => Errno::EXDEV,
            19 => Errno::ENODEV,
            20 => Errno::ENOTDIR,
            21 => Errno::EISDIR,
            22 => Errno::EINVAL,
            23 => Errno::ENFILE,
            24 => Errno::EMFILE,
            25 => Errno::ENOTTY,
            27 => Errno::EFBIG,
            28 => Errno::ENOSPC,
            29 => Errno::ESPIPE,
            30 => Errno::EROFS,
            31 => Errno::EMLINK,
            32 => Errno::EPIPE,
            33 => Errno::EDOM,
            34 => Errno::ERANGE,
            45 => Errno::EDEADLK,
            88 => Errno::ENOSYS,
            90 => Errno::ENOTEMPTY,
            91 => Errno::ENAMETOOLONG,
            92 => Errno::ELOOP,
            95 => Errno::EOPNOTSUPP,
            104 => Errno::ECONNRESET,
            105 => Errno::ENOBUFS,
            106 => Errno::EAFNOSUPPORT,
            107 => Errno::EPROTOTYPE,
            108 => Errno::ENOTSOCK,
            109 => Errno::ENOPROTOOPT,
            111 => Errno::ECONNREFUSED,
            112 => Errno::EADDRINUSE,
            113 => Errno::ECONNABORTED,
            114 => Errno::ENETUNREACH,
            115 => Errno::ENETDOWN,
            116 => Errno::ETIMEDOUT,
            117 => Errno::EHOSTDOWN,
            118 => Errno::EHOSTUNREACH,
            119 => Errno::EINPROGRESS,
            120 => Errno::EALREADY,
            121 => Errno::EDESTADDRREQ,
            122 => Errno::EMSGSIZE,
            123 => Errno::EPROTONOSUPPORT,
            125 => Errno::EADDRNOTAVAIL,
            127 => Errno::EISCONN,
            128 => Errno::ENOTCONN,
            134 => Errno::ENOTSUP,
            138 => Errno::EILSEQ,
            139 => Errno::EOVERFLOW,
            140 => Errno::ECANCELED,
            4095 => Errno::EUNKNOWN,
            _ => Errno::EUNKNOWN,
        }
    }

    /// The symbolic name, e.g. `"ENOENT"`.
    pub fn name(self) -> &'static str {
        match self {
            Errno::EPERM => "EPERM",
            Errno::ENOENT => "ENOENT",
            Errno::ESRCH => "ESRCH",
            Errno::EINTR => "EINTR",
            Errno::EIO => "EIO",
            Errno::ENXIO => "ENXIO",
            Errno::E2BIG => "E2BIG",
            Errno::ENOEXEC => "ENOEXEC",
            Errno::EBADF => "EBADF",
            Errno::ECHILD => "ECHILD",
            Errno::EAGAIN => "EAGAIN",
            Errno::ENOMEM => "ENOMEM",
            Errno::EACCES => "EACCES",
            Errno::EFAULT => "EFAULT",
            Errno::EBUSY => "EBUSY",
            Errno::EEXIST => "EEXIST",
            Errno::EXDEV => "EXDEV",
            Errno::ENODEV => "ENODEV",
            Errno::ENOTDIR => "ENOTDIR",
            Errno::EISDIR => "EISDIR",
            Errno::EINVAL => "EINVAL",
            Errno::ENFILE => "ENFILE",
            Errno::EMFILE => "EMFILE",
            Errno::ENOTTY => "ENOTTY",
            Errno::EFBIG => "EFBIG",
            Errno::ENOSPC => "ENOSPC",
            Errno::ESPIPE => "ESPIPE",
            Errno::EROFS => "EROFS",
            Errno::EMLINK => "EMLINK",
            Errno::EPIPE => "EPIPE",
            Errno::EDOM => "EDOM",
            Errno::ERANGE => "ERANGE",
            Errno::EDEADLK => "EDEADLK",
            Errno::ENOSYS => "ENOSYS",
            Errno::ENOTEMPTY => "ENOTEMPTY",
            Errno::ENAMETOOLONG => "ENAMETOOLONG",
            Errno::ELOOP => "ELOOP",
            Errno::EOPNOTSUPP => "EOPNOTSUPP",
            Errno::ECONNRESET => "ECONNRESET",
            Errno::ENOBUFS => "ENOBUFS",
            Errno::EAFNOSUPPORT => "EAFNOSUPPORT",
            Errno::EPROTOTYPE => "EPROTOTYPE",
            Errno::ENOTSOCK => "ENOTSOCK",
            Errno::ENOPROTOOPT => "ENOPROTOOPT",
            Errno::ECONNREFUSED => "ECONNREFUSED",
            Errno::EADDRINUSE => "EADDRINUSE",
            Errno::ECONNABORTED => "ECONNABORTED",
            Errno::ENETUNREACH => "ENETUNREACH",
            Errno::ENETDOWN => "ENETDOWN",
            Errno::ETIMEDOUT => "ETIMEDOUT",
            Errno::EHOSTDOWN => "EHOSTDOWN",
            Errno::EHOSTUNREACH => "EHOSTUNREACH",
            Errno::EINPROGRESS => "EINPROGRESS",
            Errno::EALREADY => "EALREADY",
            Errno::EDESTADDRREQ => "EDESTADDRREQ",
            Errno::EMSGSIZE => "EMSGSIZE",
            Errno::EPROTONOSUPPORT => "EPROTONOSUPPORT",
            Errno::EADDRNOTAVAIL => "EADDRNOTAVAIL",
            Errno::EISCONN => "EISCONN",
            Errno::ENOTCONN => "ENOTCONN",
            Errno::ENOTSUP => "ENOTSUP",
            Errno::EILSEQ => "EILSEQ",
            Errno::EOVERFLOW => "EOVERFLOW",
            Errno::ECANCELED => "ECANCELED",
            Errno::EUNKNOWN => "EUNKNOWN",
        }
    }

    /// A short human description, as `strerror` would give.
    pub fn description(self) -> &'static str {
        match self {
            Errno::EPERM => "Operation not permitted",
            Errno::ENOENT => "No such file or directory",
            Errno::ESRCH => "No such process",
            Errno::EINTR => "Interrupted system call",
            Errno::EIO => "I/O error",
            Errno::ENXIO => "No such device or address",
            Errno::E2BIG => "Argument list too long",
            Errno::ENOEXEC => "Exec format error",
            Errno::EBADF => "Bad file descriptor",
            Errno::ECHILD => "No child processes",
            Errno::EAGAIN => "Resource temporarily unavailable",
            Errno::ENOMEM => "Out of memory",
            Errno::EACCES => "Permission denied",
            Errno::EFAULT => "Bad address",
            Errno::EBUSY => "Device or resource busy",
            Errno::EEXIST => "File exists",
            Errno::EXDEV => "Cross-device link",
            Errno::ENODEV => "No such device",
            Errno::ENOTDIR => "Not a directory",
            Errno::EISDIR => "Is a directory",
            Errno::EINVAL => "Invalid argument",
            Errno::ENFILE => "Too many open files in system",
            Errno::EMFILE => "Too many open files",
            Errno::ENOTTY => "Not a terminal",
            Errno::EFBIG => "File too large",
            Errno::ENOSPC => "No space left on device",
            Errno::ESPIPE => "Illegal seek",
            Errno::EROFS => "Read-only file system",
            Errno::EMLINK => "Too many links",
            Errno::EPIPE => "Broken pipe",
            Errno::EDOM => "Mathematics argument out of domain",
            Errno::ERANGE => "Result too large",
            Errno::EDEADLK => "Deadlock",
            Errno::ENOSYS => "Function not implemented",
            Errno::ENOTEMPTY => "Directory not empty",
            Errno::ENAMETOOLONG => "File name too long",
            Errno::ELOOP => "Too many levels of symbolic links",
            Errno::EOPNOTSUPP => "Operation not supported",
            Errno::ECONNRESET => "Connection reset by peer",
            Errno::ENOBUFS => "No buffer space available",
            Errno::EAFNOSUPPORT => "Address family not supported",
            Errno::EPROTOTYPE => "Protocol wrong type for socket",
            Errno::ENOTSOCK => "Not a socket",
            Errno::ENOPROTOOPT => "Protocol not available",
            Errno::ECONNREFUSED => "Connection refused",
            Errno::EADDRINUSE => "Address already in use",
            Errno::ECONNABORTED => "Connection aborted",
            Errno::ENETUNREACH => "Network is unreachable",
            Errno::ENETDOWN => "Network is down",
            Errno::ETIMEDOUT => "Connection timed out",
            Errno::EHOSTDOWN => "Host is down",
            Errno::EHOSTUNREACH => "No route to host",
            Errno::EINPROGRESS => "Operation in progress",
            Errno::EALREADY => "Operation already in progress",
            Errno::EDESTADDRREQ => "Destination address required",
            Errno::EMSGSIZE => "Message too long",
            Errno::EPROTONOSUPPORT => "Protocol not supported",
            Errno::EADDRNOTAVAIL => "Address not available",
            Errno::EISCONN => "Socket is already connected",
            Errno::ENOTCONN => "Socket is not connected",
            Errno::ENOTSUP => "Not supported",
            Errno::EILSEQ => "Illegal byte sequence",
            Errno::EOVERFLOW => "Value too large",
            Errno::ECANCELED => "Operation canceled",
            Errno::EUNKNOWN => "Unknown error",
        }
    }
}

impl core::fmt::Display for Errno {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.description())
    }
}

//! The error type of the metadata verification and client update workflow. Each variant names the
//! role and carries the expected and found values, so a refusal can be explained precisely.

use alloc::string::String;
use core::fmt;

/// One of the four top-level TUF roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// `root.json`: keys and thresholds of every role.
    Root,
    /// `timestamp.json`: pins the current snapshot.
    Timestamp,
    /// `snapshot.json`: pins the versions of all targets metadata.
    Snapshot,
    /// `targets.json`: lengths, hashes and custom data of the target files.
    Targets,
}

impl Role {
    /// The role name used in metadata (`_type`, the `roles` map) and file names.
    pub const fn name(self) -> &'static str {
        match self {
            Role::Root => "root",
            Role::Timestamp => "timestamp",
            Role::Snapshot => "snapshot",
            Role::Targets => "targets",
        }
    }

    /// All four roles.
    pub const ALL: [Role; 4] = [Role::Root, Role::Timestamp, Role::Snapshot, Role::Targets];
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which key set a root-metadata threshold was checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// The role's keys in the currently trusted root.
    TrustedRoot,
    /// The role's keys in the new root being verified (root rotation).
    NewRoot,
    /// The keys a targets role delegates to.
    Delegator,
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeySource::TrustedRoot => "the trusted root",
            KeySource::NewRoot => "the new root",
            KeySource::Delegator => "the delegating targets role",
        })
    }
}

/// A verification or update failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The bytes are not JSON, or not the expected metadata shape.
    #[error("{role} metadata is malformed: {detail}")]
    Malformed {
        /// Role being parsed.
        role: Role,
        /// What was wrong.
        detail: String,
    },
    /// `_type` says another role.
    #[error("{role} metadata has _type {found:?}")]
    WrongType {
        /// Role expected.
        role: Role,
        /// `_type` found.
        found: String,
    },
    /// The metadata was written for an unsupported TUF major version.
    #[error("{role} metadata has unsupported spec_version {found:?} (supported: 1.x)")]
    UnsupportedSpecVersion {
        /// Role.
        role: Role,
        /// The `spec_version` found.
        found: String,
    },
    /// The same key id signs twice in one signatures list.
    #[error("{role} metadata carries more than one signature by key {keyid}")]
    DuplicateSignature {
        /// Role.
        role: Role,
        /// The repeated key id.
        keyid: String,
    },
    /// Fewer distinct keys signed than the threshold demands.
    #[error("{role} metadata version {version}: {valid} valid signature(s) from {keys}, threshold is {threshold}")]
    ThresholdNotMet {
        /// Role whose signatures were checked.
        role: Role,
        /// Version of the metadata.
        version: u64,
        /// Number of distinct authorised keys with a valid signature.
        valid: u64,
        /// Required number.
        threshold: u64,
        /// Key set used.
        keys: KeySource,
    },
    /// A downloaded version is lower than the trusted one (rollback attack).
    #[error("{role} rollback: version {found} is older than trusted version {trusted}")]
    Rollback {
        /// Role whose version went back.
        role: Role,
        /// Trusted version.
        trusted: u64,
        /// Version offered.
        found: u64,
    },
    /// A version differs from the version pinned by the role above it.
    #[error("{role} version mismatch: expected {expected}, found {found}")]
    VersionMismatch {
        /// Role.
        role: Role,
        /// Expected version.
        expected: u64,
        /// Found version.
        found: u64,
    },
    /// The metadata is past its expiry (freeze attack or stale repository).
    #[error("{role} metadata version {version} expired at {expires} (now {now})")]
    Expired {
        /// Role.
        role: Role,
        /// Version.
        version: u64,
        /// Expiry as written in the metadata.
        expires: String,
        /// Current time, formatted the same way.
        now: String,
    },
    /// A file is longer than allowed (size limit against endless data) or than pinned.
    #[error("{what} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// What was downloaded.
        what: String,
        /// The byte limit.
        limit: u64,
    },
    /// A file's length differs from the pinned length.
    #[error("{what}: length {found} differs from the expected {expected}")]
    LengthMismatch {
        /// What was checked.
        what: String,
        /// Expected length.
        expected: u64,
        /// Found length.
        found: u64,
    },
    /// A file's hash differs from the pinned hash.
    #[error("{what}: {algorithm} is {found}, expected {expected}")]
    HashMismatch {
        /// What was checked.
        what: String,
        /// Hash algorithm name.
        algorithm: String,
        /// Expected hex digest.
        expected: String,
        /// Found hex digest.
        found: String,
    },
    /// No hash with an algorithm this client supports (sha256, sha512).
    #[error("{what}: no supported hash algorithm (sha256 or sha512) is listed")]
    NoSupportedHash {
        /// What was checked.
        what: String,
    },
    /// A key of a known type (ed25519, ECDSA P-256, RSA-PSS) whose key material is unusable.
    #[error(
        "{role} metadata lists key {keyid} ({keytype}/{scheme}) that cannot be used: {problem}; \
         the repository's key holders must correct or remove that key"
    )]
    MalformedKey {
        /// Role of the metadata listing the key (`targets` also for delegated roles).
        role: Role,
        /// The key id.
        keyid: String,
        /// Its `keytype`.
        keytype: String,
        /// Its `scheme`.
        scheme: String,
        /// What is wrong.
        problem: crate::keys::KeyProblem,
    },
    /// A required entry is missing from a `meta` map or from targets.
    #[error("{role} metadata has no entry for {entry:?}")]
    MissingEntry {
        /// Role whose map was searched.
        role: Role,
        /// Missing key.
        entry: String,
    },
    /// The root metadata is structurally invalid (missing role, duplicate key ids, …).
    #[error("root metadata is invalid: {detail}")]
    InvalidRoot {
        /// What was wrong.
        detail: String,
    },
    /// A download failed.
    #[error("downloading {url} failed: {detail}")]
    Fetch {
        /// URL.
        url: String,
        /// Transport error.
        detail: String,
    },
    /// Reading or writing trusted local metadata failed.
    #[error("trusted metadata store: {detail}")]
    Store {
        /// Error text from the platform.
        detail: String,
    },
    /// A delegated targets role failed verification.
    #[error("delegated targets role {name:?}: {source}")]
    Delegated {
        /// Role name.
        name: String,
        /// What failed.
        source: alloc::boxed::Box<Error>,
    },
    /// There is no trusted root metadata to start from.
    #[error(
        "no trusted root metadata: initialise the client with a root.json obtained out of band"
    )]
    NoTrustedRoot,
    /// The operation needs a completed refresh.
    #[error("the repository metadata has not been refreshed yet")]
    NotRefreshed,
    /// The targets metadata does not list this target.
    #[error("target {name:?} is not listed in the targets metadata")]
    UnknownTarget {
        /// Target path.
        name: String,
    },
}

//! What the commands return, as data: the front ends (`report`) turn it into text.

use crate::generation::{Generation, Installed};
use alloc::string::String;
use alloc::vec::Vec;
use semver::Version;

/// One line of `pkg search`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Name.
    pub name: String,
    /// Newest version.
    pub version: Version,
    /// Description.
    pub description: String,
    /// Installed version, if any.
    pub installed: Option<Version>,
}

/// `pkg info NAME`.
#[derive(Debug, Clone)]
pub struct Info {
    /// Name.
    pub name: String,
    /// Published versions, newest first (empty if no repository index is available).
    pub published: Vec<Version>,
    /// Description.
    pub description: String,
    /// Dependencies of the newest (or installed) version.
    pub depends: Vec<(String, String)>,
    /// Download size of the newest version.
    pub download_size: Option<u64>,
    /// Installed record.
    pub installed: Option<Installed>,
}

/// What a transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Generation before.
    pub from: u64,
    /// Generation after (equal to `from` when nothing needed doing).
    pub to: u64,
    /// Packages added or changed (`name version`).
    pub added: Vec<String>,
    /// Packages removed (`name version`).
    pub removed: Vec<String>,
    /// What happened to the system's package overlay after the commit.
    pub overlay: Overlay,
}

/// The package overlay after a command (see [`crate::Platform::set_overlay`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// Nothing was committed, the overlay was not touched.
    Unchanged,
    /// This system has no overlay (the host form).
    Unsupported,
    /// The overlay now shows this many package payload roots.
    Applied(usize),
    /// The commit is done but the overlay could not be switched (the message says why); the
    /// next `pkg activate` (at the latest the next boot) applies it.
    Failed(String),
}

/// What `pkg activate` found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    /// The generation `current` names (`None` when the pointer itself is unreadable).
    pub current: Option<u64>,
    /// The generation made visible (equal to `current` unless that one is damaged).
    pub used: u64,
    /// Every problem found, generation by generation (empty when `current` is intact).
    pub problems: Vec<String>,
    /// Generations checked and rejected before `used`, newest first.
    pub rejected: Vec<u64>,
    /// Package payload roots handed to the overlay (first wins).
    pub roots: Vec<String>,
    /// Packages of the generation in use (`name version`).
    pub packages: Vec<String>,
    /// The overlay outcome.
    pub overlay: Overlay,
}

/// The generation the commands work from: the one `current` names, or, when that one is
/// damaged, the one in use instead (the one `pkg activate` falls back to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InUse {
    /// The generation in use.
    pub generation: Generation,
    /// Set when this is not the generation `current` names.
    pub recorded: Option<Recorded>,
}

/// The generation `current` names when it is not the one in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Its number (`None` when the pointer itself is unreadable).
    pub number: Option<u64>,
    /// Its packages (`name version`), when its file could be read.
    pub packages: Vec<String>,
    /// Why it is not used.
    pub problem: String,
}

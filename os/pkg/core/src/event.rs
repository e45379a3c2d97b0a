//! What the client tells the user while a command runs, as data. The words are
//! [`crate::report::event`]'s; the client hands each event to [`crate::report::tell`], which says
//! it through the platform.

use crate::outcome::InUse;
use core::fmt::Display;
use semver::Version;

/// One thing worth telling while a command runs.
pub enum Event<'a> {
    /// `pkg repo set` recorded a repository.
    RepoSet {
        /// Its URL.
        url: &'a str,
        /// How many package keys `repo.json` lists.
        package_keys: usize,
    },
    /// `pkg update` verified fresh metadata.
    Updated {
        /// Packages installable here.
        available: usize,
        /// Releases skipped as built for another system.
        refused: usize,
    },
    /// `pkg activate` could not clean the staging area of an interrupted transaction.
    StagingNotCleaned(&'a dyn Display),
    /// `pkg activate` fell back but could not record it.
    FallbackNotRecorded(&'a dyn Display),
    /// A mutating command starts from the generation in use (said only when that is not the
    /// one `current` names).
    StartsFrom(&'a InUse),
    /// `pkg install FILE` of exactly what is installed.
    AlreadyInstalled {
        /// Name.
        name: &'a str,
        /// Version.
        version: &'a Version,
    },
    /// A stored copy failed its check against its manifest and is replaced.
    Damaged {
        /// Name.
        name: &'a str,
        /// Version.
        version: &'a Version,
        /// What is wrong, first problem first.
        problems: &'a [alloc::string::String],
        /// Where the good copy comes from.
        repair: Repair<'a>,
    },
    /// Nothing to install or upgrade.
    NothingToDo,
    /// A package download starts.
    Downloading {
        /// File name.
        file: &'a str,
        /// Its length.
        bytes: u64,
    },
    /// A stopped download goes on where it stopped.
    Resuming {
        /// File name.
        file: &'a str,
        /// Bytes already there.
        at: u64,
    },
}

/// Where a damaged store copy is replaced from.
pub enum Repair<'a> {
    /// The repository, downloaded again.
    Fetch,
    /// The local file being installed.
    FromFile(&'a str),
}

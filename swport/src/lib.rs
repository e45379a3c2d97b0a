//! swport: the SwiftOS host recipe engine — verified source fetching, the newlib sysroot,
//! typed port recipes and their packaging.
pub mod apt;
pub mod debsrc;
pub mod fetch;

//! Bringing another publication's archive into Waypost: WordPress exports,
//! read as a stream and written through the same paths as the editorial API.

pub mod content;
pub mod wordpress;
pub mod wxr;

//! Placeholder (filled in below).

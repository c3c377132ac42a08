//! Per-task logging (being written).

//! A size-rotated, buffered log file with the semantics of Python's
//! `logging.handlers.RotatingFileHandler`, measured in bytes.
//!
//! # Rotation
//!
//! [`RotatingFile::write_record`] takes one complete record (a whole line). Before writing
//! it, if `max_bytes > 0`, `backup_count > 0`, the file is a regular file, the file is not
//! empty, and `size + record.len() > max_bytes`, the file is rolled over:
//!
//! 1. the buffer is flushed and the file closed;
//! 2. `base.(N-1)` is renamed to `base.N`, …, `base.1` to `base.2` (where `N` is
//!    `backup_count`; renaming onto `base.N` replaces it, so the oldest backup is deleted);
//! 3. `base` is renamed to `base.1`, so `.1` is always the newest backup;
//! 4. a new, empty `base` is opened.
//!
//! A record is never split: it goes entirely into the file it was written to.
//!
//! # Differences from Python, on purpose
//!
//! * **Bytes, not characters.** Python compares `tell() + len(msg)` where `len` counts
//!   characters, so non-ASCII text overshoots `maxBytes`. Here the record's length in bytes
//!   is used, so a file never exceeds `max_bytes` unless one record alone is larger.
//! * **Boundary.** Python rolls over when the sum is `>= maxBytes`, so its files stay at most
//!   `maxBytes - 1` characters. Here a file may be exactly `max_bytes` bytes: rollover
//!   happens only when the record would make it *larger* than `max_bytes`.
//! * **Oversized records and empty files.** A file that is empty is never rolled over, so no
//!   empty backup is ever created (Python 3.11/3.12 create them; 3.13 does not). A record
//!   larger than `max_bytes` is therefore written whole, alone, into a fresh file (after a
//!   rollover if the file held anything), and the next record rolls that file over.
//!   The disk bound is thus `max_bytes × (backup_count + 1)` plus the excess of at most
//!   one oversized record per file.
//! * **`backup_count = 0`.** Python closes and reopens the file before every record once it
//!   is past `maxBytes`; here the file simply grows, with no work per record.
//! * **Non-regular files** (e.g. a path that is `/dev/null` or a FIFO) are never rolled
//!   over, as in Python 3.11+.
//! * **Existing file.** The file is opened for appending and its current size counts, as in
//!   Python.
//!
//! # Buffering
//!
//! Writes go through a 64 KiB [`BufWriter`]. The buffer is flushed before every rollover, on
//! [`RotatingFile::flush`], when the value is dropped, and after any write that happens
//! [`FLUSH_INTERVAL`] or more after the last flush (checked on write, no timer thread).
//! [`RotatingFile::flush_if_due`] lets an idle caller apply the same rule.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The longest time written records may stay in the buffer while records keep coming.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(1);

const BUFFER_CAPACITY: usize = 64 * 1024;

/// A log file rotated by size; see the [module documentation](self).
#[derive(Debug)]
pub struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    backup_count: u32,
    /// `None` only after a failed rollover left no file open.
    writer: Option<BufWriter<File>>,
    /// Bytes in the current file, including those still buffered.
    size: u64,
    /// False for non-regular files (never rotated).
    regular: bool,
    last_flush: Instant,
}

impl RotatingFile {
    /// Opens `path` for appending, creating it and its parent directories if needed.
    ///
    /// `max_bytes == 0` or `backup_count == 0` disables rotation.
    ///
    /// # Errors
    ///
    /// Any error creating the directory or opening the file.
    pub fn open(path: impl Into<PathBuf>, max_bytes: u64, backup_count: u32) -> io::Result<Self> {
        let path = path.into();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        let (file, size, regular) = open_append(&path)?;
        Ok(RotatingFile {
            path,
            max_bytes,
            backup_count,
            writer: Some(BufWriter::with_capacity(BUFFER_CAPACITY, file)),
            size,
            regular,
            last_flush: Instant::now(),
        })
    }

    /// The base file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of backup `n` (`n >= 1`): the base path with `.n` appended.
    pub fn backup_path(&self, n: u32) -> PathBuf {
        backup_path(&self.path, n)
    }

    /// The current file's size in bytes, including bytes not yet flushed.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether writing `len` more bytes must first roll the file over.
    fn needs_rollover(&self, len: u64) -> bool {
        self.max_bytes > 0
            && self.backup_count > 0
            && self.regular
            && self.size > 0
            && self.size.saturating_add(len) > self.max_bytes
    }

    /// Writes one whole record, rolling the file over first if it would grow past
    /// `max_bytes` (see the [module documentation](self)).
    ///
    /// # Errors
    ///
    /// Any I/O error while rolling over, writing or flushing. After an error during a
    /// rollover the file may be closed, and later writes fail too.
    pub fn write_record(&mut self, record: &[u8]) -> io::Result<()> {
        let len = record.len() as u64;
        if self.needs_rollover(len) {
            self.rollover()?;
        }
        let writer = self.writer.as_mut().ok_or_else(closed)?;
        writer.write_all(record)?;
        self.size += len;
        self.flush_if_due()
    }

    /// Flushes the buffer if [`FLUSH_INTERVAL`] has passed since the last flush.
    ///
    /// # Errors
    ///
    /// Any I/O error while flushing.
    pub fn flush_if_due(&mut self) -> io::Result<()> {
        if self.last_flush.elapsed() >= FLUSH_INTERVAL {
            self.flush()
        } else {
            Ok(())
        }
    }

    /// Writes buffered bytes to the file.
    ///
    /// # Errors
    ///
    /// Any I/O error while writing.
    pub fn flush(&mut self) -> io::Result<()> {
        self.last_flush = Instant::now();
        match self.writer.as_mut() {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }

    /// Rolls the file over now (steps 1–4 of the module documentation), whatever its size.
    /// Does nothing if `backup_count` is 0.
    ///
    /// # Errors
    ///
    /// Any I/O error while flushing, renaming or reopening.
    pub fn rollover(&mut self) -> io::Result<()> {
        if self.backup_count == 0 {
            return Ok(());
        }
        if let Some(mut w) = self.writer.take() {
            // Close even if the flush fails, but report the failure.
            let flushed = w.flush();
            drop(w);
            self.last_flush = Instant::now();
            flushed?;
        }
        // Shift only the backups that exist (`.1` … `.k`, contiguous as this writer leaves
        // them), so a rollover costs what the backups cost, not `backup_count` renames:
        // Python renames every slot, which hangs for a count of millions.
        let mut existing = 0;
        while existing + 1 < self.backup_count && backup_path(&self.path, existing + 1).exists() {
            existing += 1;
        }
        for n in (1..=existing).rev() {
            match replace(&backup_path(&self.path, n), &backup_path(&self.path, n + 1)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        match replace(&self.path, &backup_path(&self.path, 1)) {
            // The base file was removed behind our back: nothing to keep, start afresh.
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let (file, size, regular) = open_append(&self.path)?;
        self.writer = Some(BufWriter::with_capacity(BUFFER_CAPACITY, file));
        self.size = size;
        self.regular = regular;
        Ok(())
    }
}

impl Drop for RotatingFile {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

fn closed() -> io::Error {
    io::Error::other("log file is closed after a failed rollover")
}

fn backup_path(base: &Path, n: u32) -> PathBuf {
    let mut s = base.as_os_str().to_owned();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

/// Opens for appending; returns the file, its size and whether it is a regular file.
fn open_append(path: &Path) -> io::Result<(File, u64, bool)> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    let meta = file.metadata()?;
    let regular = meta.file_type().is_file();
    Ok((file, if regular { meta.len() } else { 0 }, regular))
}

/// Renames `from` onto `to`, replacing `to` (std's rename replaces an existing file on
/// every supported platform).
fn replace(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh temporary directory, removed on drop (shared by the logging unit tests).
    pub(crate) struct TempDir(pub(crate) PathBuf);

    impl TempDir {
        pub(crate) fn new(tag: &str) -> Self {
            static N: AtomicUsize = AtomicUsize::new(0);
            let p = std::env::temp_dir().join(format!(
                "sparse-log-{tag}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&p);
            fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn read(p: &Path) -> Option<String> {
        fs::read_to_string(p).ok()
    }

    fn rec(i: usize, width: usize) -> Vec<u8> {
        // `width` bytes including the newline.
        let mut s = format!("{i:0>w$}", w = width - 1).into_bytes();
        s.push(b'\n');
        s
    }

    #[test]
    fn exact_boundary_file_may_reach_max_bytes() {
        let d = TempDir::new("boundary");
        let base = d.0.join("a.log");
        let mut f = RotatingFile::open(&base, 30, 2).unwrap();
        // 3 records of 10 bytes: 30 bytes exactly, no rollover.
        for i in 0..3 {
            f.write_record(&rec(i, 10)).unwrap();
        }
        assert_eq!(f.size(), 30);
        f.flush().unwrap();
        assert_eq!(fs::metadata(&base).unwrap().len(), 30);
        assert!(!f.backup_path(1).exists());
        // A 1-byte record would make it 31: rollover first.
        f.write_record(b"\n").unwrap();
        f.flush().unwrap();
        assert_eq!(fs::metadata(f.backup_path(1)).unwrap().len(), 30);
        assert_eq!(fs::metadata(&base).unwrap().len(), 1);
        assert_eq!(f.size(), 1);
    }

    #[test]
    fn one_byte_over_rolls_over() {
        let d = TempDir::new("over");
        let base = d.0.join("a.log");
        let mut f = RotatingFile::open(&base, 29, 2).unwrap();
        f.write_record(&rec(0, 10)).unwrap();
        f.write_record(&rec(1, 10)).unwrap();
        assert_eq!(f.size(), 20);
        f.write_record(&rec(2, 10)).unwrap(); // 30 > 29
        assert_eq!(f.size(), 10);
        f.flush().unwrap();
        assert_eq!(read(&f.backup_path(1)).unwrap(), "000000000\n000000001\n");
        assert_eq!(read(&base).unwrap(), "000000002\n");
    }

    #[test]
    fn numbering_and_backup_count() {
        // Python's documented example: maxBytes=50, backupCount=2, 23-byte records.
        let d = TempDir::new("numbering");
        let base = d.0.join("a.log");
        let mut f = RotatingFile::open(&base, 50, 2).unwrap();
        for i in 0..10 {
            f.write_record(&rec(i, 23)).unwrap();
        }
        f.flush().unwrap();
        let lines = |p: &Path| -> Vec<usize> {
            read(p)
                .unwrap()
                .lines()
                .map(|l| l.parse().unwrap())
                .collect()
        };
        assert_eq!(lines(&base), [8, 9]);
        assert_eq!(lines(&f.backup_path(1)), [6, 7]);
        assert_eq!(lines(&f.backup_path(2)), [4, 5]);
        assert!(!f.backup_path(3).exists());
        assert_eq!(fs::read_dir(&d.0).unwrap().count(), 3);
    }

    #[test]
    fn rollover_costs_the_existing_backups_not_the_maximum() {
        // A count of 2^32-1 used to mean 4 billion renames per rollover (a hung task).
        let d = TempDir::new("huge-count");
        let base = d.0.join("h.log");
        let mut f = RotatingFile::open(&base, 30, u32::MAX).unwrap();
        for i in 0..20 {
            f.write_record(&rec(i, 10)).unwrap();
        }
        f.flush().unwrap();
        // 3 records per file: 6 full backups and the base, nothing lost, oldest highest.
        assert_eq!(fs::read_dir(&d.0).unwrap().count(), 7);
        assert_eq!(
            read(&f.backup_path(6)).unwrap(),
            "000000000\n000000001\n000000002\n"
        );
        assert_eq!(read(&base).unwrap(), "000000018\n000000019\n");
    }

    #[test]
    fn zero_values_grow_without_rotation() {
        let d = TempDir::new("zero");
        for (max, count) in [(0, 5), (10, 0), (0, 0)] {
            let base = d.0.join(format!("m{max}c{count}.log"));
            let mut f = RotatingFile::open(&base, max, count).unwrap();
            for i in 0..20 {
                f.write_record(&rec(i, 10)).unwrap();
            }
            f.flush().unwrap();
            assert_eq!(fs::metadata(&base).unwrap().len(), 200);
            assert!(!f.backup_path(1).exists());
            f.rollover().unwrap(); // explicit rollover still respects backup_count 0
            if count == 0 {
                assert!(!f.backup_path(1).exists());
            }
        }
    }

    #[test]
    fn oversized_record_stands_alone_and_no_empty_backups() {
        let d = TempDir::new("oversize");
        let base = d.0.join("a.log");
        let mut f = RotatingFile::open(&base, 20, 3).unwrap();
        // Empty file + oversized record: written without a rollover.
        f.write_record(&rec(0, 50)).unwrap();
        assert!(!f.backup_path(1).exists());
        assert_eq!(f.size(), 50);
        // Next small record: the oversized file is rolled over.
        f.write_record(&rec(1, 10)).unwrap();
        // Another oversized record: rollover (file not empty), then alone in the new file.
        f.write_record(&rec(2, 40)).unwrap();
        f.write_record(&rec(3, 40)).unwrap();
        f.flush().unwrap();
        assert_eq!(fs::metadata(&base).unwrap().len(), 40);
        assert_eq!(fs::metadata(f.backup_path(1)).unwrap().len(), 40);
        assert_eq!(fs::metadata(f.backup_path(2)).unwrap().len(), 10);
        assert_eq!(fs::metadata(f.backup_path(3)).unwrap().len(), 50);
        for n in 1..=3 {
            assert!(fs::metadata(f.backup_path(n)).unwrap().len() > 0);
        }
    }

    #[test]
    fn existing_file_size_counts() {
        let d = TempDir::new("existing");
        let base = d.0.join("a.log");
        fs::write(&base, "x".repeat(25) + "\n").unwrap();
        let mut f = RotatingFile::open(&base, 30, 1).unwrap();
        assert_eq!(f.size(), 26);
        f.write_record(&rec(0, 10)).unwrap();
        f.flush().unwrap();
        assert_eq!(fs::metadata(f.backup_path(1)).unwrap().len(), 26);
        assert_eq!(read(&base).unwrap(), "000000000\n");
    }

    #[test]
    fn missing_directories_are_created() {
        let d = TempDir::new("mkdir");
        let base = d.0.join("x/y/z/a.log");
        let mut f = RotatingFile::open(&base, 0, 0).unwrap();
        f.write_record(b"hi\n").unwrap();
        drop(f); // flushes
        assert_eq!(read(&base).unwrap(), "hi\n");
    }

    #[test]
    fn unusable_directory_is_an_error() {
        let d = TempDir::new("unusable");
        let file = d.0.join("plain");
        fs::write(&file, "").unwrap();
        assert!(RotatingFile::open(file.join("logs/a.log"), 10, 1).is_err());
    }

    #[test]
    fn non_regular_file_never_rotates() {
        let dev_null = Path::new("/dev/null");
        if !dev_null.exists() {
            return;
        }
        let mut f = RotatingFile::open(dev_null, 5, 2).unwrap();
        for i in 0..10 {
            f.write_record(&rec(i, 10)).unwrap();
        }
        f.flush().unwrap();
        assert!(!Path::new("/dev/null.1").exists());
    }

    #[test]
    fn buffered_until_flush_then_flushed_after_interval() {
        let d = TempDir::new("buffer");
        let base = d.0.join("a.log");
        let mut f = RotatingFile::open(&base, 0, 0).unwrap();
        f.last_flush = Instant::now(); // a slow machine must not make the first write flush
        f.write_record(b"one\n").unwrap();
        assert_eq!(fs::metadata(&base).unwrap().len(), 0, "should be buffered");
        // Pretend the last flush was long ago.
        f.last_flush = Instant::now() - FLUSH_INTERVAL;
        f.write_record(b"two\n").unwrap();
        assert_eq!(read(&base).unwrap(), "one\ntwo\n");
        f.write_record(b"three\n").unwrap();
        f.last_flush = Instant::now() - FLUSH_INTERVAL;
        f.flush_if_due().unwrap();
        assert_eq!(read(&base).unwrap(), "one\ntwo\nthree\n");
    }

    #[test]
    fn variable_length_records_stay_within_bounds() {
        let d = TempDir::new("varlen");
        let base = d.0.join("a.log");
        let (max, count) = (1000u64, 3u32);
        let mut f = RotatingFile::open(&base, max, count).unwrap();
        let mut seed = 12345u64;
        let mut total_written = 0usize;
        for i in 0..20_000usize {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let width = 8 + (seed >> 33) as usize % 120;
            let r = rec(i, width);
            total_written += r.len();
            f.write_record(&r).unwrap();
            assert!(f.size() <= max);
        }
        f.flush().unwrap();
        assert!(total_written > 100_000);
        let mut last: Option<usize> = None;
        for n in (1..=count).rev() {
            let text = read(&f.backup_path(n)).unwrap();
            assert!(text.len() as u64 <= max && text.ends_with('\n'));
            for l in text.lines() {
                let v: usize = l.parse().unwrap();
                assert!(last.is_none_or(|p| p + 1 == v));
                last = Some(v);
            }
        }
        let text = read(&base).unwrap();
        assert_eq!(
            text.lines().last().unwrap().parse::<usize>().unwrap(),
            19_999
        );
        for l in text.lines() {
            let v: usize = l.parse().unwrap();
            assert_eq!(last.map(|p| p + 1), Some(v));
            last = Some(v);
        }
    }
}

//! A look at a plugin file before the dynamic loader maps it.
//!
//! `dlopen` maps a library's segments straight from the file. When the file is shorter than
//! its headers say (an interrupted copy, a build cut short, a full disk), touching a page past
//! the end of the file raises `SIGBUS` and the host dies without a word; a smaller cut may
//! even load and fail later. [`check_file`] reads only the ELF header and the program header
//! table and checks that everything the loader will read or map lies inside the file:
//!
//! - the file starts with the ELF magic and names a known class (32/64-bit) and byte order;
//! - the program header table and the section header table end within the file;
//! - every loadable segment (`PT_LOAD`) ends within the file.
//!
//! It does not judge anything else (machine, type, dependencies): the loader does, and its own
//! message is reported.
//!
//! ```
//! # let dir = std::env::temp_dir().join(format!("sparse-elf-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("libnotes.so");
//! std::fs::write(&path, "just text").unwrap();
//! let why = sparse_host::plugin::elf::check_file(&path).unwrap_err();
//! assert!(why.starts_with("not an ELF shared library"), "{why}");
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

const MAGIC: [u8; 4] = [0x7f, b'E', b'L', b'F'];
const PT_LOAD: u32 = 1;
/// `e_phnum` value meaning "the count is in section 0's `sh_info`".
const PN_XNUM: u64 = 0xffff;

/// The layout facts of one ELF class.
struct Class {
    bits: u8,
    header: u64,
    phoff: usize,
    shoff: usize,
    /// Offset of `e_phentsize`; `e_phnum`, `e_shentsize` and `e_shnum` follow, 2 bytes each.
    phentsize: usize,
    /// Offsets of `p_offset` and `p_filesz` in a program header.
    p_offset: usize,
    p_filesz: usize,
    /// Offsets of `sh_size` and `sh_info` in a section header (extended numbering).
    sh_size: usize,
    sh_info: usize,
}

const ELF32: Class = Class {
    bits: 32,
    header: 52,
    phoff: 28,
    shoff: 32,
    phentsize: 42,
    p_offset: 4,
    p_filesz: 16,
    sh_size: 20,
    sh_info: 28,
};

const ELF64: Class = Class {
    bits: 64,
    header: 64,
    phoff: 32,
    shoff: 40,
    phentsize: 54,
    p_offset: 8,
    p_filesz: 32,
    sh_size: 32,
    sh_info: 44,
};

/// Reads little- or big-endian fields of a class's word size.
struct Fields<'a> {
    class: &'a Class,
    little: bool,
}

impl Fields<'_> {
    fn u16(&self, b: &[u8], at: usize) -> u64 {
        let v = [b[at], b[at + 1]];
        u64::from(if self.little {
            u16::from_le_bytes(v)
        } else {
            u16::from_be_bytes(v)
        })
    }

    fn u32(&self, b: &[u8], at: usize) -> u64 {
        let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        u64::from(if self.little {
            u32::from_le_bytes(v)
        } else {
            u32::from_be_bytes(v)
        })
    }

    /// An address-sized field (`Elf32_Off` or `Elf64_Off`).
    fn word(&self, b: &[u8], at: usize) -> u64 {
        if self.class.bits == 32 {
            return self.u32(b, at);
        }
        let mut v = [0u8; 8];
        v.copy_from_slice(&b[at..at + 8]);
        if self.little {
            u64::from_le_bytes(v)
        } else {
            u64::from_be_bytes(v)
        }
    }
}

fn read_at(file: &File, offset: u64, len: u64) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; usize::try_from(len).map_err(|_| "a table is too large".to_string())?];
    file.read_exact_at(&mut buf, offset)
        .map_err(|e| format!("cannot read the file: {e}"))?;
    Ok(buf)
}

/// `what` (bytes `offset..offset + size`) must end within a file of `len` bytes.
fn within(what: &str, offset: u64, size: u64, len: u64) -> Result<(), String> {
    match offset.checked_add(size) {
        Some(end) if end <= len => Ok(()),
        end => Err(format!(
            "the file is truncated or corrupt: {what} ends at byte {} but the file has only \
             {len} bytes (copy or build it again)",
            end.map_or_else(|| "past 2^64".to_string(), |e| e.to_string())
        )),
    }
}

/// Checks that `path` is an ELF file whose headers and loadable segments all lie inside it.
/// The error says what is wrong, in words for the user.
pub fn check_file(path: &Path) -> Result<(), String> {
    let file = File::open(path).map_err(|e| format!("cannot open the file: {e}"))?;
    let len = file
        .metadata()
        .map_err(|e| format!("cannot read the file's size: {e}"))?
        .len();
    if len == 0 {
        return Err("the file is empty (0 bytes): not a shared library".into());
    }
    let ident = read_at(&file, 0, len.min(16))?;
    if ident.len() < 4 || ident[..4] != MAGIC {
        let start: Vec<String> = ident.iter().take(4).map(|b| format!("{b:02x}")).collect();
        return Err(format!(
            "not an ELF shared library: it starts with {} instead of the ELF magic 7f 45 4c 46",
            start.join(" ")
        ));
    }
    let class = match ident.get(4) {
        Some(1) => &ELF32,
        Some(2) => &ELF64,
        Some(c) => return Err(format!("not a valid ELF file: unknown class {c} (byte 4)")),
        None => &ELF64,
    };
    if len < class.header {
        return Err(format!(
            "the file is truncated: {len} bytes, less than an ELF header ({} bytes for \
             {}-bit ELF)",
            class.header, class.bits
        ));
    }
    let little = match ident[5] {
        1 => true,
        2 => false,
        d => {
            return Err(format!(
                "not a valid ELF file: unknown byte order {d} (byte 5)"
            ));
        }
    };
    let f = Fields { class, little };
    let h = read_at(&file, 0, class.header)?;
    let phoff = f.word(&h, class.phoff);
    let shoff = f.word(&h, class.shoff);
    let phentsize = f.u16(&h, class.phentsize);
    let mut phnum = f.u16(&h, class.phentsize + 2);
    let shentsize = f.u16(&h, class.phentsize + 4);
    let mut shnum = f.u16(&h, class.phentsize + 6);

    // Extended numbering: the real counts live in section header 0.
    if shoff != 0 && (shnum == 0 || phnum == PN_XNUM) {
        within("section header 0", shoff, shentsize, len)?;
        let s0 = read_at(&file, shoff, shentsize)?;
        if s0.len() < class.sh_info + 4 {
            return Err(format!(
                "not a valid ELF file: section headers of {shentsize} bytes are too small"
            ));
        }
        if shnum == 0 {
            shnum = f.word(&s0, class.sh_size);
        }
        if phnum == PN_XNUM {
            phnum = f.u32(&s0, class.sh_info);
        }
    }
    let table = |entries: u64, size: u64| entries.saturating_mul(size);
    if shoff != 0 {
        within(
            &format!("its section header table ({shnum} entries from byte {shoff})"),
            shoff,
            table(shnum, shentsize),
            len,
        )?;
    }
    if phnum == 0 {
        return Ok(());
    }
    within(
        &format!("its program header table ({phnum} entries from byte {phoff})"),
        phoff,
        table(phnum, phentsize),
        len,
    )?;
    if (phentsize as usize) < class.p_filesz + class.bits as usize / 8 {
        return Err(format!(
            "not a valid ELF file: program headers of {phentsize} bytes are too small"
        ));
    }
    let phdrs = read_at(&file, phoff, table(phnum, phentsize))?;
    for (i, ph) in phdrs.chunks_exact(phentsize as usize).enumerate() {
        if f.u32(ph, 0) != u64::from(PT_LOAD) {
            continue;
        }
        let offset = f.word(ph, class.p_offset);
        let size = f.word(ph, class.p_filesz);
        within(
            &format!("loadable segment #{i} ({size} bytes from byte {offset})"),
            offset,
            size,
            len,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("sparse-elf-{}-{name}", std::process::id()));
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// A 64-bit little-endian header with these tables, padded to `len` bytes.
    fn elf64(len: usize, phoff: u64, phnum: u16, shoff: u64, shnum: u16) -> Vec<u8> {
        let mut b = vec![0u8; len.max(64)];
        b[..4].copy_from_slice(&MAGIC);
        b[4] = 2;
        b[5] = 1;
        b[32..40].copy_from_slice(&phoff.to_le_bytes());
        b[40..48].copy_from_slice(&shoff.to_le_bytes());
        b[54..56].copy_from_slice(&56u16.to_le_bytes());
        b[56..58].copy_from_slice(&phnum.to_le_bytes());
        b[58..60].copy_from_slice(&64u16.to_le_bytes());
        b[60..62].copy_from_slice(&shnum.to_le_bytes());
        b.truncate(len.max(64));
        b
    }

    #[test]
    fn headers_and_tables_must_fit() {
        let ok = write("ok", &elf64(64 + 56 + 128, 64, 1, 64 + 56, 2));
        assert_eq!(check_file(&ok), Ok(()));

        let cut = write("cut", &elf64(200, 64, 1, 64 + 56, 2));
        let e = check_file(&cut).unwrap_err();
        assert!(
            e.contains("section header table (2 entries from byte 120) ends at byte 248")
                && e.contains("only 200 bytes"),
            "{e}"
        );

        // An offset that overflows is reported, not wrapped.
        let huge = write("huge", &elf64(200, 64, 0, u64::MAX - 10, 2));
        assert!(check_file(&huge).unwrap_err().contains("past 2^64"));

        let mut big_endian = elf64(64, 0, 0, 0, 0);
        big_endian[5] = 3;
        let bad = write("order", &big_endian);
        assert!(
            check_file(&bad)
                .unwrap_err()
                .contains("unknown byte order 3")
        );
        for p in [ok, cut, huge, bad] {
            let _ = std::fs::remove_file(p);
        }
    }

    #[test]
    fn a_segment_past_the_end_is_caught() {
        let mut b = elf64(64 + 56 + 16, 64, 1, 0, 0);
        b[64..68].copy_from_slice(&PT_LOAD.to_le_bytes());
        b[64 + 8..64 + 16].copy_from_slice(&0u64.to_le_bytes());
        b[64 + 32..64 + 40].copy_from_slice(&4096u64.to_le_bytes());
        let p = write("segment", &b);
        let e = check_file(&p).unwrap_err();
        assert!(
            e.contains("loadable segment #0 (4096 bytes from byte 0)"),
            "{e}"
        );
        let _ = std::fs::remove_file(p);
    }
}

//! Static ELF64 (AArch64, `ET_EXEC`) parser for the program loader. Malformed input yields an
//! [`ElfError`]; nothing here panics on any byte string.

use alloc::vec::Vec;
use swiftos_abi::layout::{USER_IMAGE_BASE, USER_MMAP_BASE};

/// Why an executable was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    TooShort,
    BadMagic,
    NotElf64LittleEndian,
    NotAarch64,
    NotStaticExecutable,
    BadProgramHeaders,
    SegmentOutOfFile,
    SegmentBadAddress,
    NoLoadableSegment,
    EntryOutsideCode,
    Overlap,
}

impl ElfError {
    /// Short description for log lines.
    pub fn describe(&self) -> &'static str {
        match self {
            ElfError::TooShort => "file too short for an ELF header",
            ElfError::BadMagic => "not an ELF file",
            ElfError::NotElf64LittleEndian => "not a 64-bit little-endian ELF",
            ElfError::NotAarch64 => "not an AArch64 executable",
            ElfError::NotStaticExecutable => "not a static executable (ET_EXEC)",
            ElfError::BadProgramHeaders => "program header table out of bounds",
            ElfError::SegmentOutOfFile => "segment data beyond the end of the file",
            ElfError::SegmentBadAddress => "segment outside the user program area",
            ElfError::NoLoadableSegment => "no loadable segment",
            ElfError::EntryOutsideCode => "entry point outside executable segments",
            ElfError::Overlap => "overlapping segments",
        }
    }
}

/// One `PT_LOAD` segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub vaddr: u64,
    pub memsz: u64,
    pub offset: u64,
    pub filesz: u64,
    pub read: bool,
    pub write: bool,
    pub exec: bool,
}

/// A parsed executable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Executable {
    pub entry: u64,
    pub segments: Vec<Segment>,
}

impl Executable {
    /// End of the highest segment (page aligned): where the program break starts.
    pub fn image_end(&self) -> u64 {
        let end = self
            .segments
            .iter()
            .map(|s| s.vaddr + s.memsz)
            .max()
            .unwrap_or(USER_IMAGE_BASE);
        (end + 0xfff) & !0xfff
    }
}

const MAX_SEGMENTS: usize = 16;
/// Segments must end below the mmap area.
pub const IMAGE_LIMIT: u64 = USER_MMAP_BASE;

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?))
}

/// Parse and validate an executable image.
pub fn parse(b: &[u8]) -> Result<Executable, ElfError> {
    if b.len() < 64 {
        return Err(ElfError::TooShort);
    }
    if &b[0..4] != b"\x7fELF" {
        return Err(ElfError::BadMagic);
    }
    if b[4] != 2 || b[5] != 1 {
        return Err(ElfError::NotElf64LittleEndian);
    }
    let e_type = u16_at(b, 16).ok_or(ElfError::TooShort)?;
    let machine = u16_at(b, 18).ok_or(ElfError::TooShort)?;
    if machine != 183 {
        return Err(ElfError::NotAarch64);
    }
    if e_type != 2 {
        return Err(ElfError::NotStaticExecutable);
    }
    let entry = u64_at(b, 24).ok_or(ElfError::TooShort)?;
    let phoff = u64_at(b, 32).ok_or(ElfError::TooShort)?;
    let phentsize = u16_at(b, 54).ok_or(ElfError::TooShort)? as u64;
    let phnum = u16_at(b, 56).ok_or(ElfError::TooShort)? as u64;
    if phentsize < 56 || phnum == 0 || phnum > 64 {
        return Err(ElfError::BadProgramHeaders);
    }
    let table_end = phentsize
        .checked_mul(phnum)
        .and_then(|n| n.checked_add(phoff))
        .ok_or(ElfError::BadProgramHeaders)?;
    if table_end > b.len() as u64 {
        return Err(ElfError::BadProgramHeaders);
    }
    let mut segments = Vec::new();
    for i in 0..phnum {
        let o = (phoff + i * phentsize) as usize;
        let p_type = u32_at(b, o).ok_or(ElfError::BadProgramHeaders)?;
        if p_type != 1 {
            continue;
        }
        let flags = u32_at(b, o + 4).ok_or(ElfError::BadProgramHeaders)?;
        let offset = u64_at(b, o + 8).ok_or(ElfError::BadProgramHeaders)?;
        let vaddr = u64_at(b, o + 16).ok_or(ElfError::BadProgramHeaders)?;
        let filesz = u64_at(b, o + 32).ok_or(ElfError::BadProgramHeaders)?;
        let memsz = u64_at(b, o + 40).ok_or(ElfError::BadProgramHeaders)?;
        if memsz == 0 {
            continue;
        }
        let file_end = offset
            .checked_add(filesz)
            .ok_or(ElfError::SegmentOutOfFile)?;
        if file_end > b.len() as u64 || filesz > memsz {
            return Err(ElfError::SegmentOutOfFile);
        }
        let end = vaddr
            .checked_add(memsz)
            .ok_or(ElfError::SegmentBadAddress)?;
        if vaddr < USER_IMAGE_BASE || end > IMAGE_LIMIT {
            return Err(ElfError::SegmentBadAddress);
        }
        if segments.len() == MAX_SEGMENTS {
            return Err(ElfError::BadProgramHeaders);
        }
        segments.push(Segment {
            vaddr,
            memsz,
            offset,
            filesz,
            read: flags & 4 != 0,
            write: flags & 2 != 0,
            exec: flags & 1 != 0,
        });
    }
    if segments.is_empty() {
        return Err(ElfError::NoLoadableSegment);
    }
    // Segments may share a page boundary page but must not overlap byte ranges.
    for (i, a) in segments.iter().enumerate() {
        for c in &segments[i + 1..] {
            if a.vaddr < c.vaddr + c.memsz && c.vaddr < a.vaddr + a.memsz {
                return Err(ElfError::Overlap);
            }
        }
    }
    if !segments
        .iter()
        .any(|s| s.exec && entry >= s.vaddr && entry < s.vaddr + s.memsz)
    {
        return Err(ElfError::EntryOutsideCode);
    }
    Ok(Executable { entry, segments })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal valid executable: one RX segment at 0x400000 with `code`.
    pub fn build(code: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 0x78];
        b[0..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[6] = 1;
        b[16..18].copy_from_slice(&2u16.to_le_bytes());
        b[18..20].copy_from_slice(&183u16.to_le_bytes());
        b[24..32].copy_from_slice(&0x40_0078u64.to_le_bytes());
        b[32..40].copy_from_slice(&64u64.to_le_bytes());
        b[52..54].copy_from_slice(&64u16.to_le_bytes());
        b[54..56].copy_from_slice(&56u16.to_le_bytes());
        b[56..58].copy_from_slice(&1u16.to_le_bytes());
        let ph = 64;
        b[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes());
        b[ph + 4..ph + 8].copy_from_slice(&5u32.to_le_bytes());
        b[ph + 8..ph + 16].copy_from_slice(&0u64.to_le_bytes());
        b[ph + 16..ph + 24].copy_from_slice(&0x40_0000u64.to_le_bytes());
        let total = (0x78 + code.len()) as u64;
        b[ph + 32..ph + 40].copy_from_slice(&total.to_le_bytes());
        b[ph + 40..ph + 48].copy_from_slice(&(total + 0x100).to_le_bytes());
        b.extend_from_slice(code);
        b
    }

    #[test]
    fn parses_minimal() {
        let e = parse(&build(&[0; 8])).unwrap();
        assert_eq!(e.entry, 0x40_0078);
        assert_eq!(e.segments.len(), 1);
        assert!(e.segments[0].exec && !e.segments[0].write);
        assert_eq!(e.image_end(), 0x40_1000);
    }

    #[test]
    fn rejects_malformed() {
        let good = build(&[0; 8]);
        assert_eq!(parse(&good[..10]), Err(ElfError::TooShort));
        let mut b = good.clone();
        b[0] = 0;
        assert_eq!(parse(&b), Err(ElfError::BadMagic));
        let mut b = good.clone();
        b[18] = 62;
        assert_eq!(parse(&b), Err(ElfError::NotAarch64));
        let mut b = good.clone();
        b[16] = 3;
        assert_eq!(parse(&b), Err(ElfError::NotStaticExecutable));
        let mut b = good.clone();
        b[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(parse(&b), Err(ElfError::BadProgramHeaders));
        let mut b = good.clone();
        b[64 + 32..64 + 40].copy_from_slice(&0x10000u64.to_le_bytes());
        assert_eq!(parse(&b), Err(ElfError::SegmentOutOfFile));
        let mut b = good.clone();
        b[64 + 16..64 + 24].copy_from_slice(&0u64.to_le_bytes());
        assert_eq!(parse(&b), Err(ElfError::SegmentBadAddress));
        let mut b = good.clone();
        b[24..32].copy_from_slice(&0x50_0000u64.to_le_bytes());
        assert_eq!(parse(&b), Err(ElfError::EntryOutsideCode));
        let mut b = good.clone();
        b[64 + 16..64 + 24].copy_from_slice(&(u64::MAX - 10).to_le_bytes());
        assert_eq!(parse(&b), Err(ElfError::SegmentBadAddress));
    }

    #[test]
    fn garbage_never_panics() {
        let good = build(&[1, 2, 3, 4, 5, 6, 7, 8]);
        // Deterministic pseudo-random mutations and truncations.
        let mut x: u64 = 0x1234_5678;
        for _ in 0..20000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut b = good.clone();
            let n = (x % 4) as usize + 1;
            for k in 0..n {
                let pos = ((x >> (8 * k)) as usize) % b.len();
                b[pos] = (x >> (3 * k)) as u8;
            }
            let cut = (x >> 40) as usize % (b.len() + 1);
            let _ = parse(&b);
            let _ = parse(&b[..cut]);
        }
    }
}

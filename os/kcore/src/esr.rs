//! Decoding of the AArch64 exception syndrome register (ESR_ELx) for fault reports.

use core::fmt;

/// Exception classes we name.
pub const EC_UNKNOWN: u8 = 0x00;
pub const EC_WFX: u8 = 0x01;
pub const EC_FP: u8 = 0x07;
pub const EC_ILLEGAL: u8 = 0x0e;
pub const EC_SVC64: u8 = 0x15;
pub const EC_MSR: u8 = 0x18;
pub const EC_IABT_LOWER: u8 = 0x20;
pub const EC_IABT_SAME: u8 = 0x21;
pub const EC_PC_ALIGN: u8 = 0x22;
pub const EC_DABT_LOWER: u8 = 0x24;
pub const EC_DABT_SAME: u8 = 0x25;
pub const EC_SP_ALIGN: u8 = 0x26;
pub const EC_BRK: u8 = 0x3c;

/// A decoded syndrome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Syndrome {
    pub ec: u8,
    pub iss: u32,
}

/// Split an ESR value.
pub fn decode(esr: u64) -> Syndrome {
    Syndrome {
        ec: ((esr >> 26) & 0x3f) as u8,
        iss: (esr & 0x1ff_ffff) as u32,
    }
}

impl Syndrome {
    /// Name of the exception class.
    pub fn class_name(&self) -> &'static str {
        match self.ec {
            EC_UNKNOWN => "undefined instruction",
            EC_WFX => "WFI/WFE trap",
            EC_FP => "FP/SIMD access trap",
            EC_ILLEGAL => "illegal execution state",
            EC_SVC64 => "system call",
            EC_MSR => "system register access",
            EC_IABT_LOWER | EC_IABT_SAME => "instruction abort",
            EC_PC_ALIGN => "PC alignment fault",
            EC_DABT_LOWER | EC_DABT_SAME => "data abort",
            EC_SP_ALIGN => "SP alignment fault",
            EC_BRK => "breakpoint (brk)",
            _ => "exception",
        }
    }

    /// Whether this is an instruction or data abort (FAR is meaningful).
    pub fn is_abort(&self) -> bool {
        matches!(
            self.ec,
            EC_IABT_LOWER | EC_IABT_SAME | EC_DABT_LOWER | EC_DABT_SAME
        )
    }

    /// For aborts: the fault status code description, e.g. `translation fault, level 0`.
    pub fn fault_status(&self) -> Option<FaultStatus> {
        if !self.is_abort() {
            return None;
        }
        let fsc = (self.iss & 0x3f) as u8;
        Some(FaultStatus(fsc))
    }

    /// For data aborts: whether the access was a write.
    pub fn is_write(&self) -> bool {
        matches!(self.ec, EC_DABT_LOWER | EC_DABT_SAME) && self.iss & (1 << 6) != 0
    }
}

/// A data/instruction fault status code (DFSC/IFSC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultStatus(pub u8);

impl fmt::Display for FaultStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = self.0 & 3;
        match self.0 & 0x3c {
            0x00 => write!(f, "address size fault, level {level}"),
            0x04 => write!(f, "translation fault, level {level}"),
            0x08 => write!(f, "access flag fault, level {level}"),
            0x0c => write!(f, "permission fault, level {level}"),
            _ if self.0 == 0x21 => write!(f, "alignment fault"),
            _ if self.0 == 0x10 => write!(f, "synchronous external abort"),
            _ => write!(f, "fault status {:#x}", self.0),
        }
    }
}

impl fmt::Display for Syndrome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.class_name())?;
        if let Some(fs) = self.fault_status() {
            write!(f, " ({fs})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn data_abort_translation_level0() {
        // EC 0x24 (lower EL data abort), IL, DFSC 0x04 (translation fault level 0).
        let s = decode((0x24 << 26) | (1 << 25) | 0x04);
        assert_eq!(s.ec, EC_DABT_LOWER);
        assert_eq!(s.to_string(), "data abort (translation fault, level 0)");
        assert!(!s.is_write());
    }

    #[test]
    fn write_permission_fault() {
        let s = decode((0x24 << 26) | (1 << 6) | 0x0f);
        assert!(s.is_write());
        assert_eq!(
            s.fault_status().unwrap().to_string(),
            "permission fault, level 3"
        );
    }

    #[test]
    fn undefined_instruction_has_no_status() {
        let s = decode(1 << 25);
        assert_eq!(s.to_string(), "undefined instruction");
        assert_eq!(s.fault_status(), None);
    }
}

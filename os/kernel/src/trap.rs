//! Exception dispatch: faults, interrupts and system calls enter here from the vectors.

use crate::arch::{self, vectors::TrapFrame};
use swiftos_kcore::esr;

/// Called by the vector code with the saved frame on the kernel stack.
#[no_mangle]
extern "C" fn rust_trap(kind: u64, tf: &mut TrapFrame) {
    match kind {
        _ => kernel_fault(kind, tf),
    }
}

fn kernel_fault(kind: u64, tf: &TrapFrame) -> ! {
    let (esr_v, far) = arch::fault_regs();
    let d = esr::decode(esr_v);
    kprintln!(
        "kernel fault: vector {kind}, {d} (ESR {esr_v:#x}), ELR {:#x}, FAR {far:#x}",
        tf.elr
    );
    arch::psci(arch::PSCI_SYSTEM_OFF);
}

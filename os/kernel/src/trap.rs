//! Exception dispatch: faults, interrupts and system calls enter here from the vectors.

use crate::arch::vectors::{TrapFrame, KIND_EL0_IRQ, KIND_EL0_SYNC, KIND_EL1_IRQ};
use crate::arch::{self};
use crate::drivers::{gic, uart};
use crate::proc;
use crate::time::{self, deadlines};
use crate::{net, syscall, wakeup};
use core::sync::atomic::{AtomicU32, Ordering};
use swiftos_abi::fcntl::{wait_status_signaled, SIGILL, SIGSEGV};
use swiftos_kcore::esr;

/// GIC interrupt ids, set at boot from the device tree.
pub static TIMER_IRQ: AtomicU32 = AtomicU32::new(crate::platform::DEFAULT_TIMER_IRQ);
pub static UART_IRQ: AtomicU32 = AtomicU32::new(crate::platform::DEFAULT_UART_IRQ);

/// Called by the vector code with the saved frame on the kernel stack.
#[no_mangle]
extern "C" fn rust_trap(kind: u64, tf: &mut TrapFrame) {
    match kind {
        KIND_EL0_SYNC => {
            let (esr_v, far) = arch::fault_regs();
            let s = esr::decode(esr_v);
            if s.ec == esr::EC_SVC64 {
                syscall::handle(tf);
            } else {
                user_fault(tf, s, esr_v, far);
            }
            proc::schedule(tf);
        }
        KIND_EL0_IRQ => {
            irq();
            proc::schedule(tf);
        }
        KIND_EL1_IRQ => irq(),
        _ => kernel_fault(kind, tf),
    }
}

fn irq() {
    while let Some(iar) = gic::ack() {
        let id = iar & 0x3ff;
        if id == TIMER_IRQ.load(Ordering::Relaxed) {
            proc::with(|k| {
                let now = time::monotonic_ns();
                net::on_timer(now);
                // A timed call whose deadline passed re-issues itself and reports the timeout.
                if deadlines::call_expired(now) {
                    wakeup::io_event();
                }
                k.wake_matching(now, false);
                if k.current.is_some() {
                    k.need_resched = true;
                }
                time::arm_next(proc::SLICE_NS, k.next_deadline());
            });
        } else if net::handle_irq(id) {
            // Frames received or sent: the stack ran and I/O waiters were woken.
        } else if id == UART_IRQ.load(Ordering::Relaxed) {
            console_rx();
        }
        gic::eoi(iar);
    }
}

/// Move every received console byte into the line discipline.
///
/// Acknowledge before draining: a byte that arrives after the drain raises a new interrupt.
/// (Acknowledging afterwards could clear the interrupt of a byte still in the FIFO, and the
/// console would stall until the next key.)
pub fn console_rx() {
    uart::ack_irq();
    while let Some(b) = uart::getb() {
        proc::with(|k| k.console_input(b));
    }
}

fn user_fault(tf: &mut TrapFrame, s: esr::Syndrome, esr_v: u64, far: u64) {
    proc::with(|k| {
        let Some(pid) = k.current else { return };
        let Some(p) = k.procs.get_mut(&pid) else {
            return;
        };
        // Lazy stack/heap/mmap pages: translation faults inside a lazy region.
        if let Some(fs) = s.fault_status() {
            if fs.0 & 0x3c == 0x04 {
                if let Some(space) = p.space_mut() {
                    if space.handle_fault(far, s.is_write()) {
                        return;
                    }
                }
            }
        }
        let sig = if s.is_abort() || s.ec == esr::EC_PC_ALIGN || s.ec == esr::EC_SP_ALIGN {
            SIGSEGV
        } else {
            SIGILL
        };
        if s.is_abort() {
            kprintln!(
                "kernel: pid {} ({}) killed: {} at {:#x} ({}), elr={:#x}",
                pid,
                p.name(),
                s.class_name(),
                far,
                s.fault_status().unwrap_or(esr::FaultStatus(0x3f)),
                tf.elr
            );
        } else {
            kprintln!(
                "kernel: pid {} ({}) killed: {} (ESR {:#x}), elr={:#x}",
                pid,
                p.name(),
                s.class_name(),
                esr_v,
                tf.elr
            );
        }
        k.terminate(pid, wait_status_signaled(sig));
    });
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

//! Fuzz the console line discipline with arbitrary keyboard input interleaved with mode
//! switches and reads of every size. The input is a list of (op, arg) byte pairs:
//!
//! * op % 8 in 0..=3: one received byte `arg`;
//! * 4: `arg` received 4096 times (to reach the unread-input limit);
//! * 5: raw mode on (`arg` odd) or off;
//! * 6: a read with a buffer of `arg` bytes; 7: of `arg * 256` bytes.
//!
//! Checked: nothing panics; raw mode never echoes; only Ctrl-C interrupts and is never read
//! back; `readable()` agrees with `read`; a read returns at most the buffer, at least one byte
//! when there is room, and in cooked mode at most one line; never more is read than was typed;
//! unread input stays bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swiftos_kcore::ldisc::{InputEvent, LineDiscipline, ReadResult, MAX_READY};

/// The longest cooked line (`ldisc::MAX_LINE`, private): a full line plus its newline may be
/// delivered on top of a nearly full buffer.
const MAX_LINE: usize = 4096;

struct Run {
    l: LineDiscipline,
    typed: usize,
    read: usize,
    buf: Vec<u8>,
    echo: Vec<u8>,
}

impl Run {
    fn input(&mut self, b: u8) {
        self.echo.clear();
        let raw = self.l.is_raw();
        let ev = self.l.input(b, &mut self.echo);
        assert_eq!(ev == InputEvent::Interrupt, b == 0x03);
        if raw {
            assert!(self.echo.is_empty(), "raw mode echoed {:?}", self.echo);
        }
        self.typed += 1;
    }

    fn read(&mut self, size: usize) -> ReadResult {
        self.buf.resize(size, 0);
        let readable = self.l.readable();
        let r = self.l.read(&mut self.buf);
        assert_eq!(readable, r != ReadResult::Empty);
        if let ReadResult::Data(n) = r {
            assert!(n <= size);
            assert!(n > 0 || size == 0);
            let got = &self.buf[..n];
            assert!(!got.contains(&0x03), "Ctrl-C was delivered as data");
            if !self.l.is_raw() {
                if let Some(p) = got.iter().position(|&c| c == b'\n') {
                    assert_eq!(p, n - 1, "a cooked read returned more than one line");
                }
            }
            self.read += n;
            assert!(self.read <= self.typed, "more bytes read than typed");
        }
        r
    }
}

fuzz_target!(|data: &[u8]| {
    let mut run = Run {
        l: LineDiscipline::new(),
        typed: 0,
        read: 0,
        buf: Vec::new(),
        echo: Vec::new(),
    };
    for op in data.chunks_exact(2) {
        let (o, a) = (op[0], op[1]);
        match o % 8 {
            0..=3 => run.input(a),
            4 => {
                for _ in 0..4096 {
                    run.input(a);
                }
            }
            5 => run.l.set_raw(a & 1 == 1),
            6 => {
                run.read(a as usize);
            }
            _ => {
                run.read(a as usize * 256);
            }
        }
    }
    // Drain: whatever is still unread is bounded.
    let mut pending = 0usize;
    loop {
        match run.read(4096) {
            ReadResult::Empty => break,
            ReadResult::Eof => pending += 1,
            ReadResult::Data(n) => pending += n,
        }
        assert!(
            pending <= MAX_READY + MAX_LINE + 1,
            "unread input not bounded"
        );
    }
});

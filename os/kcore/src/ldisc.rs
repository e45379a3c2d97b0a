//! Console line discipline: cooked mode (echo, backspace, Ctrl-U, Ctrl-C, Ctrl-D, lines
//! delivered on Enter) and raw mode (bytes delivered as typed, no echo).

use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// What a received byte caused besides buffering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputEvent {
    None,
    /// Ctrl-C: interrupt the foreground process.
    Interrupt,
}

/// Result of a read attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadResult {
    /// `n` bytes were copied.
    Data(usize),
    /// End of input (Ctrl-D on an empty line): the read returns 0.
    Eof,
    /// Nothing available yet: block.
    Empty,
}

const MAX_LINE: usize = 4096;
/// Delivered-but-unread input kept at most; further input is dropped until a reader catches up
/// (a cooked line completed just below the limit is still delivered whole, so the unread input
/// can exceed this by at most one line).
pub const MAX_READY: usize = 64 * 1024;

/// State of the console's input side.
#[derive(Default)]
pub struct LineDiscipline {
    raw: bool,
    line: Vec<u8>,
    /// Delivered input; `None` marks an end-of-input.
    ready: VecDeque<Option<u8>>,
}

impl LineDiscipline {
    pub fn new() -> Self {
        Self::default()
    }

    /// Switch between raw and cooked; a pending partial line is delivered when going raw.
    pub fn set_raw(&mut self, raw: bool) {
        if raw && !self.line.is_empty() {
            let line = core::mem::take(&mut self.line);
            self.ready.extend(line.into_iter().map(Some));
        }
        self.raw = raw;
    }

    pub fn is_raw(&self) -> bool {
        self.raw
    }

    /// Feed one received byte; bytes to echo are appended to `echo`.
    pub fn input(&mut self, b: u8, echo: &mut Vec<u8>) -> InputEvent {
        if b == 0x03 {
            self.line.clear();
            if !self.raw {
                echo.extend_from_slice(b"^C\n");
            }
            return InputEvent::Interrupt;
        }
        if self.ready.len() >= MAX_READY {
            return InputEvent::None;
        }
        if self.raw {
            self.ready.push_back(Some(b));
            return InputEvent::None;
        }
        match b {
            b'\r' | b'\n' => {
                echo.push(b'\n');
                let line = core::mem::take(&mut self.line);
                self.ready.extend(line.into_iter().map(Some));
                self.ready.push_back(Some(b'\n'));
            }
            0x7f | 0x08 if !self.line.is_empty() => {
                // One character, not one byte: a UTF-8 sequence goes as a whole (its
                // continuation bytes are 0b10xx_xxxx).
                while let Some(last) = self.line.pop() {
                    if last & 0xc0 != 0x80 {
                        break;
                    }
                }
                echo.extend_from_slice(b"\x08 \x08");
            }
            0x15 => {
                let chars = self.line.iter().filter(|&&b| b & 0xc0 != 0x80).count();
                for _ in 0..chars {
                    echo.extend_from_slice(b"\x08 \x08");
                }
                self.line.clear();
            }
            0x04 => {
                if self.line.is_empty() {
                    self.ready.push_back(None);
                } else {
                    let line = core::mem::take(&mut self.line);
                    self.ready.extend(line.into_iter().map(Some));
                }
            }
            0x20..=0x7e | 0x09 | 0x80..=0xff if self.line.len() < MAX_LINE => {
                self.line.push(b);
                echo.push(b);
            }
            _ => {}
        }
        InputEvent::None
    }

    /// Whether a read would return immediately.
    pub fn readable(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Take delivered input: at most one line in cooked mode.
    pub fn read(&mut self, buf: &mut [u8]) -> ReadResult {
        match self.ready.front() {
            None => return ReadResult::Empty,
            Some(None) => {
                self.ready.pop_front();
                return ReadResult::Eof;
            }
            Some(Some(_)) => {}
        }
        let mut n = 0;
        while n < buf.len() {
            match self.ready.front().copied() {
                Some(Some(b)) => {
                    buf[n] = b;
                    n += 1;
                    self.ready.pop_front();
                    if b == b'\n' && !self.raw {
                        break;
                    }
                }
                _ => break,
            }
        }
        ReadResult::Data(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(l: &mut LineDiscipline, s: &[u8]) -> (Vec<u8>, Vec<InputEvent>) {
        let mut echo = Vec::new();
        let ev = s.iter().map(|&b| l.input(b, &mut echo)).collect();
        (echo, ev)
    }

    #[test]
    fn cooked_line_with_backspace() {
        let mut l = LineDiscipline::new();
        let (echo, _) = feed(&mut l, b"lsx\x7f -l\r");
        assert_eq!(echo, b"lsx\x08 \x08 -l\n");
        let mut buf = [0u8; 64];
        assert_eq!(l.read(&mut buf), ReadResult::Data(6));
        assert_eq!(&buf[..6], b"ls -l\n");
        assert_eq!(l.read(&mut buf), ReadResult::Empty);
    }

    #[test]
    fn backspace_and_ctrl_u_erase_whole_utf8_characters() {
        let mut l = LineDiscipline::new();
        // "echo Ωμ", Backspace: "μ" (2 bytes) goes, "Ω" stays intact.
        let (echo, _) = feed(&mut l, "echo Ωμ\x7f\r".as_bytes());
        assert!(echo.ends_with(b"\x08 \x08\n"));
        assert_eq!(
            echo.iter().filter(|&&b| b == 0x08).count(),
            2,
            "one column erased"
        );
        let mut buf = [0u8; 64];
        let ReadResult::Data(n) = l.read(&mut buf) else {
            panic!("no line")
        };
        assert_eq!(core::str::from_utf8(&buf[..n]), Ok("echo Ω\n"));
        // Ctrl-U erases one column per character (a 4-byte emoji is one).
        let (echo, _) = feed(&mut l, "a€😀\x15".as_bytes());
        assert!(echo.ends_with(b"\x08 \x08\x08 \x08\x08 \x08"));
        assert_eq!(
            echo.iter().filter(|&&b| b == 0x08).count(),
            6,
            "3 characters, 3 columns"
        );
        let (_, _) = feed(&mut l, b"ok\r");
        let ReadResult::Data(n) = l.read(&mut buf) else {
            panic!("no line")
        };
        assert_eq!(&buf[..n], b"ok\n");
    }

    #[test]
    fn nothing_before_enter_and_one_line_per_read() {
        let mut l = LineDiscipline::new();
        feed(&mut l, b"ab");
        let mut buf = [0u8; 8];
        assert_eq!(l.read(&mut buf), ReadResult::Empty);
        feed(&mut l, b"\ncd\n");
        assert_eq!(l.read(&mut buf), ReadResult::Data(3));
        assert_eq!(l.read(&mut buf), ReadResult::Data(3));
        assert_eq!(&buf[..3], b"cd\n");
    }

    #[test]
    fn small_buffer_splits_line() {
        let mut l = LineDiscipline::new();
        feed(&mut l, b"hello\n");
        let mut buf = [0u8; 4];
        assert_eq!(l.read(&mut buf), ReadResult::Data(4));
        assert_eq!(l.read(&mut buf), ReadResult::Data(2));
        assert_eq!(&buf[..2], b"o\n");
    }

    #[test]
    fn ctrl_c_and_ctrl_d() {
        let mut l = LineDiscipline::new();
        let (echo, ev) = feed(&mut l, b"abc\x03");
        assert_eq!(ev[3], InputEvent::Interrupt);
        assert_eq!(echo, b"abc^C\n");
        let mut buf = [0u8; 8];
        assert_eq!(l.read(&mut buf), ReadResult::Empty, "line discarded");
        feed(&mut l, b"\x04");
        assert_eq!(l.read(&mut buf), ReadResult::Eof);
        assert_eq!(l.read(&mut buf), ReadResult::Empty);
        // Ctrl-D on a partial line delivers it without newline.
        feed(&mut l, b"xy\x04");
        assert_eq!(l.read(&mut buf), ReadResult::Data(2));
        // Backspace on an empty line echoes nothing.
        let (echo, _) = feed(&mut l, b"\x7f");
        assert!(echo.is_empty());
    }

    #[test]
    fn unread_input_is_bounded() {
        let mut l = LineDiscipline::new();
        l.set_raw(true);
        let mut echo = Vec::new();
        for _ in 0..MAX_READY + 100 {
            l.input(b'x', &mut echo);
        }
        assert_eq!(l.ready.len(), MAX_READY);
        // Ctrl-C still gets through when the buffer is full.
        assert_eq!(l.input(0x03, &mut echo), InputEvent::Interrupt);
    }

    #[test]
    fn cooked_line_at_the_limit_overshoots_by_at_most_one_line() {
        let mut l = LineDiscipline::new();
        let mut echo = Vec::new();
        for _ in 0..MAX_READY - 1 {
            l.input(b'\n', &mut echo);
        }
        for _ in 0..MAX_LINE + 10 {
            l.input(b'y', &mut echo);
        }
        l.input(b'\n', &mut echo);
        assert_eq!(l.ready.len(), MAX_READY + MAX_LINE);
        l.input(b'\n', &mut echo);
        assert_eq!(l.ready.len(), MAX_READY + MAX_LINE, "full: dropped");
    }

    #[test]
    fn raw_mode() {
        let mut l = LineDiscipline::new();
        feed(&mut l, b"pa");
        l.set_raw(true);
        let (echo, ev) = feed(&mut l, b"q\x7f\x03");
        assert!(echo.is_empty());
        assert_eq!(ev[2], InputEvent::Interrupt);
        let mut buf = [0u8; 8];
        assert_eq!(l.read(&mut buf), ReadResult::Data(4));
        assert_eq!(&buf[..4], b"paq\x7f");
    }
}

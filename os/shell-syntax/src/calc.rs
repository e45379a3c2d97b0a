//! The `calc` evaluator: 64-bit integer expressions with `+ - * / %`, parentheses and unary
//! minus/plus; usual precedence, left associativity; overflow and division by zero are errors.

use alloc::string::String;

/// Why an expression could not be evaluated. `Display` gives the text after `calc: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalcError {
    #[error("division by zero")]
    DivisionByZero,
    #[error("integer overflow")]
    Overflow,
    #[error("unexpected character '{0}'")]
    BadChar(char),
    #[error("unexpected '{0}'")]
    Unexpected(String),
    #[error("unexpected end of expression")]
    UnexpectedEnd,
    #[error("number too large: {0}")]
    NumberTooLarge(String),
    #[error("expression nested too deeply")]
    TooDeep,
    #[error("empty expression")]
    Empty,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Num(i64),
    Op(char),
}

const MAX_DEPTH: usize = 200;

struct P {
    toks: alloc::vec::Vec<Tok>,
    pos: usize,
    depth: usize,
}

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn expr(&mut self) -> Result<i64, CalcError> {
        let mut v = self.term()?;
        while let Some(Tok::Op(c @ ('+' | '-'))) = self.peek().cloned() {
            self.pos += 1;
            let r = self.term()?;
            v = if c == '+' {
                v.checked_add(r)
            } else {
                v.checked_sub(r)
            }
            .ok_or(CalcError::Overflow)?;
        }
        Ok(v)
    }
    fn term(&mut self) -> Result<i64, CalcError> {
        let mut v = self.unary()?;
        while let Some(Tok::Op(c @ ('*' | '/' | '%'))) = self.peek().cloned() {
            self.pos += 1;
            let r = self.unary()?;
            v = match c {
                '*' => v.checked_mul(r).ok_or(CalcError::Overflow)?,
                _ if r == 0 => return Err(CalcError::DivisionByZero),
                '/' => v.checked_div(r).ok_or(CalcError::Overflow)?,
                _ => v.checked_rem(r).ok_or(CalcError::Overflow)?,
            };
        }
        Ok(v)
    }
    fn unary(&mut self) -> Result<i64, CalcError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(CalcError::TooDeep);
        }
        let r = match self.peek().cloned() {
            Some(Tok::Op('-')) => {
                self.pos += 1;
                self.unary()?.checked_neg().ok_or(CalcError::Overflow)
            }
            Some(Tok::Op('+')) => {
                self.pos += 1;
                self.unary()
            }
            Some(Tok::Op('(')) => {
                self.pos += 1;
                let v = self.expr()?;
                match self.peek() {
                    Some(Tok::Op(')')) => {
                        self.pos += 1;
                        Ok(v)
                    }
                    Some(t) => Err(CalcError::Unexpected(show(t))),
                    None => Err(CalcError::UnexpectedEnd),
                }
            }
            Some(Tok::Num(n)) => {
                self.pos += 1;
                Ok(n)
            }
            Some(t) => Err(CalcError::Unexpected(show(&t))),
            None => Err(CalcError::UnexpectedEnd),
        };
        self.depth -= 1;
        r
    }
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Num(n) => alloc::format!("{n}"),
        Tok::Op(c) => alloc::format!("{c}"),
    }
}

/// Evaluate an expression.
pub fn eval(input: &str) -> Result<i64, CalcError> {
    let mut toks = alloc::vec::Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' | '\n' => {
                chars.next();
            }
            '0'..='9' => {
                let mut s = String::new();
                while let Some(&d) = chars.peek() {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    s.push(d);
                    chars.next();
                }
                let n: i64 = s
                    .parse()
                    .map_err(|_| CalcError::NumberTooLarge(s.clone()))?;
                toks.push(Tok::Num(n));
            }
            '+' | '-' | '*' | '/' | '%' | '(' | ')' => {
                chars.next();
                toks.push(Tok::Op(c));
            }
            c => return Err(CalcError::BadChar(c)),
        }
    }
    if toks.is_empty() {
        return Err(CalcError::Empty);
    }
    let mut p = P {
        toks,
        pos: 0,
        depth: 0,
    };
    let v = p.expr()?;
    match p.peek() {
        None => Ok(v),
        Some(t) => Err(CalcError::Unexpected(show(t))),
    }
}

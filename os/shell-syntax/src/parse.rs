//! Tokenizer and parser for the SwiftOS shell language.
//!
//! Grammar (a small POSIX subset):
//! ```text
//! script    := and_or { (';' | '\n') and_or } [';']
//! and_or    := pipeline { ('&&' | '||') pipeline }
//! pipeline  := command { '|' command }
//! command   := { NAME=word } { word | redirect }        (at least one element)
//! redirect  := [digit] ('>' | '>>' | '<') word | [digit] '>&' digit
//! word      := { unquoted | 'single' | "double" | $NAME | ${NAME} | $? | $$ | ~ }
//! ```
//! `#` at the start of a word begins a comment. There is no globbing and no field splitting:
//! an expansion always stays one word (an unquoted expansion that is empty removes the word).

use alloc::string::String;
use alloc::vec::Vec;

/// A syntax error. `Display` gives the text after `sh: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    #[error("syntax error: unterminated quote")]
    UnterminatedQuote,
    #[error("syntax error: unterminated ${{")]
    UnterminatedBrace,
    #[error("syntax error: bad substitution")]
    BadSubstitution,
    #[error("syntax error near unexpected token `{0}'")]
    Unexpected(String),
    #[error("syntax error: unexpected end of input after `{0}'")]
    UnexpectedEnd(String),
    #[error("syntax error: missing file name after `{0}'")]
    MissingRedirectTarget(String),
}

/// One piece of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WordPart {
    /// Literal text; `quoted` when it came from quotes or an escape.
    Lit { text: String, quoted: bool },
    /// `$NAME` / `${NAME}`.
    Var { name: String, quoted: bool },
    /// `$?`.
    Status { quoted: bool },
    /// `$$`.
    Pid { quoted: bool },
    /// A leading unquoted `~` (followed by `/` or the end of the word).
    Tilde,
}

/// A word before expansion.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Word {
    pub parts: Vec<WordPart>,
}

impl Word {
    /// A word made of one literal.
    pub fn lit(s: &str) -> Word {
        Word {
            parts: alloc::vec![WordPart::Lit {
                text: String::from(s),
                quoted: false
            }],
        }
    }

    /// The literal text if the word contains no expansions (used for assignments and
    /// keywords).
    pub fn as_literal(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                WordPart::Lit { text, .. } => s.push_str(text),
                _ => return None,
            }
        }
        Some(s)
    }

    fn is_quoted_anywhere(&self) -> bool {
        self.parts.iter().any(|p| match p {
            WordPart::Lit { quoted, .. }
            | WordPart::Var { quoted, .. }
            | WordPart::Status { quoted }
            | WordPart::Pid { quoted } => *quoted,
            WordPart::Tilde => false,
        })
    }
}

/// Redirection operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirKind {
    /// `< file`
    In,
    /// `> file`
    Out,
    /// `>> file`
    Append,
    /// `>&N`: make `fd` a copy of descriptor N.
    Dup(i32),
}

/// One redirection of descriptor `fd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub fd: i32,
    pub kind: RedirKind,
    /// The file (empty for [`RedirKind::Dup`]).
    pub target: Word,
}

/// A simple command: assignments, words and redirections.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Command {
    pub assigns: Vec<(String, Word)>,
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
}

/// `a | b | c`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    pub commands: Vec<Command>,
}

/// How a pipeline is joined to the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connector {
    And,
    Or,
}

/// `p1 && p2 || p3`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AndOr {
    pub first: Pipeline,
    pub rest: Vec<(Connector, Pipeline)>,
}

/// A parsed line or script: and-or lists run one after the other.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Script {
    pub lists: Vec<AndOr>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(Word),
    Pipe,
    AndIf,
    OrIf,
    Semi,
    Newline,
    Redir(i32, RedirKind),
}

impl Tok {
    fn text(&self) -> String {
        String::from(match self {
            Tok::Word(_) => "word",
            Tok::Pipe => "|",
            Tok::AndIf => "&&",
            Tok::OrIf => "||",
            Tok::Semi => ";",
            Tok::Newline => "newline",
            Tok::Redir(_, RedirKind::In) => "<",
            Tok::Redir(_, RedirKind::Out) => ">",
            Tok::Redir(_, RedirKind::Append) => ">>",
            Tok::Redir(_, RedirKind::Dup(_)) => ">&",
        })
    }
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_meta(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '|' | '&' | ';' | '<' | '>')
}

struct Lexer<'a> {
    chars: core::iter::Peekable<core::str::Chars<'a>>,
}

impl Lexer<'_> {
    fn push_lit(parts: &mut Vec<WordPart>, c: char, quoted: bool) {
        if let Some(WordPart::Lit { text, quoted: q }) = parts.last_mut() {
            if *q == quoted {
                text.push(c);
                return;
            }
        }
        let mut text = String::new();
        text.push(c);
        parts.push(WordPart::Lit { text, quoted });
    }

    /// After a `$`: parse the expansion.
    fn dollar(&mut self, parts: &mut Vec<WordPart>, quoted: bool) -> Result<(), SyntaxError> {
        match self.chars.peek().copied() {
            Some('?') => {
                self.chars.next();
                parts.push(WordPart::Status { quoted });
            }
            Some('$') => {
                self.chars.next();
                parts.push(WordPart::Pid { quoted });
            }
            Some('{') => {
                self.chars.next();
                let mut name = String::new();
                loop {
                    match self.chars.next() {
                        None => return Err(SyntaxError::UnterminatedBrace),
                        Some('}') => break,
                        Some(c) => name.push(c),
                    }
                }
                if name == "?" {
                    parts.push(WordPart::Status { quoted });
                } else if !name.is_empty()
                    && name.starts_with(is_name_start)
                    && name.chars().all(is_name_char)
                {
                    parts.push(WordPart::Var { name, quoted });
                } else {
                    return Err(SyntaxError::BadSubstitution);
                }
            }
            Some(c) if is_name_start(c) => {
                let mut name = String::new();
                while let Some(&c) = self.chars.peek() {
                    if !is_name_char(c) {
                        break;
                    }
                    name.push(c);
                    self.chars.next();
                }
                parts.push(WordPart::Var { name, quoted });
            }
            _ => Self::push_lit(parts, '$', quoted),
        }
        Ok(())
    }

    fn word(&mut self) -> Result<Word, SyntaxError> {
        let mut parts = Vec::new();
        if self.chars.peek() == Some(&'~') {
            self.chars.next();
            match self.chars.peek() {
                None | Some('/') => parts.push(WordPart::Tilde),
                Some(&c) if is_meta(c) => parts.push(WordPart::Tilde),
                _ => Self::push_lit(&mut parts, '~', false),
            }
        }
        while let Some(&c) = self.chars.peek() {
            if is_meta(c) {
                break;
            }
            self.chars.next();
            match c {
                '\'' => loop {
                    match self.chars.next() {
                        None => return Err(SyntaxError::UnterminatedQuote),
                        Some('\'') => {
                            // Keep empty quotes as an (empty) quoted literal: '' is a word.
                            if !matches!(parts.last(), Some(WordPart::Lit { quoted: true, .. })) {
                                parts.push(WordPart::Lit {
                                    text: String::new(),
                                    quoted: true,
                                });
                            }
                            break;
                        }
                        Some(c) => Self::push_lit(&mut parts, c, true),
                    }
                },
                '"' => {
                    parts.push(WordPart::Lit {
                        text: String::new(),
                        quoted: true,
                    });
                    loop {
                        match self.chars.next() {
                            None => return Err(SyntaxError::UnterminatedQuote),
                            Some('"') => break,
                            Some('\\') => match self.chars.next() {
                                None => return Err(SyntaxError::UnterminatedQuote),
                                Some(c @ ('$' | '"' | '\\')) => Self::push_lit(&mut parts, c, true),
                                Some('\n') => {}
                                Some(c) => {
                                    Self::push_lit(&mut parts, '\\', true);
                                    Self::push_lit(&mut parts, c, true);
                                }
                            },
                            Some('$') => self.dollar(&mut parts, true)?,
                            Some(c) => Self::push_lit(&mut parts, c, true),
                        }
                    }
                }
                '\\' => match self.chars.next() {
                    None => {}
                    Some('\n') => {}
                    Some(c) => Self::push_lit(&mut parts, c, true),
                },
                '$' => self.dollar(&mut parts, false)?,
                c => Self::push_lit(&mut parts, c, false),
            }
        }
        // Merge adjacent literals with the same quoting (e.g. the empty "" marker).
        let mut merged: Vec<WordPart> = Vec::new();
        for p in parts {
            if let (
                Some(WordPart::Lit {
                    text: a,
                    quoted: qa,
                }),
                WordPart::Lit {
                    text: b,
                    quoted: qb,
                },
            ) = (merged.last_mut(), &p)
            {
                if qa == qb {
                    a.push_str(b);
                    continue;
                }
            }
            merged.push(p);
        }
        Ok(Word { parts: merged })
    }

    fn tokens(&mut self) -> Result<Vec<Tok>, SyntaxError> {
        let mut out = Vec::new();
        while let Some(&c) = self.chars.peek() {
            match c {
                ' ' | '\t' | '\r' => {
                    self.chars.next();
                }
                '\n' => {
                    self.chars.next();
                    out.push(Tok::Newline);
                }
                '#' => {
                    while let Some(&c) = self.chars.peek() {
                        if c == '\n' {
                            break;
                        }
                        self.chars.next();
                    }
                }
                '|' => {
                    self.chars.next();
                    if self.chars.peek() == Some(&'|') {
                        self.chars.next();
                        out.push(Tok::OrIf);
                    } else {
                        out.push(Tok::Pipe);
                    }
                }
                '&' => {
                    self.chars.next();
                    if self.chars.peek() == Some(&'&') {
                        self.chars.next();
                        out.push(Tok::AndIf);
                    } else {
                        return Err(SyntaxError::Unexpected(String::from("&")));
                    }
                }
                ';' => {
                    self.chars.next();
                    if self.chars.peek() == Some(&';') {
                        return Err(SyntaxError::Unexpected(String::from(";;")));
                    }
                    out.push(Tok::Semi);
                }
                '<' | '>' => out.push(self.redir(None)?),
                _ => {
                    let w = self.word()?;
                    // `2>file`: a single digit directly followed by a redirection operator.
                    if let Some(lit) = w.as_literal() {
                        if lit.len() == 1
                            && lit.as_bytes()[0].is_ascii_digit()
                            && !w.is_quoted_anywhere()
                            && matches!(self.chars.peek(), Some('<' | '>'))
                        {
                            let fd = (lit.as_bytes()[0] - b'0') as i32;
                            out.push(self.redir(Some(fd))?);
                            continue;
                        }
                    }
                    out.push(Tok::Word(w));
                }
            }
        }
        Ok(out)
    }

    fn redir(&mut self, fd: Option<i32>) -> Result<Tok, SyntaxError> {
        let c = self.chars.next();
        if c == Some('<') {
            return Ok(Tok::Redir(fd.unwrap_or(0), RedirKind::In));
        }
        let fd = fd.unwrap_or(1);
        match self.chars.peek() {
            Some('>') => {
                self.chars.next();
                Ok(Tok::Redir(fd, RedirKind::Append))
            }
            Some('&') => {
                self.chars.next();
                match self.chars.next() {
                    Some(d) if d.is_ascii_digit() => {
                        Ok(Tok::Redir(fd, RedirKind::Dup((d as u8 - b'0') as i32)))
                    }
                    Some(d) => {
                        let mut s = String::from(">&");
                        s.push(d);
                        Err(SyntaxError::Unexpected(s))
                    }
                    None => Err(SyntaxError::UnexpectedEnd(String::from(">&"))),
                }
            }
            _ => Ok(Tok::Redir(fd, RedirKind::Out)),
        }
    }
}

fn assignment(w: &Word) -> Option<(String, Word)> {
    let WordPart::Lit {
        text,
        quoted: false,
    } = w.parts.first()?
    else {
        return None;
    };
    let (name, value) = text.split_once('=')?;
    if name.is_empty() || !name.starts_with(is_name_start) || !name.chars().all(is_name_char) {
        return None;
    }
    let mut parts = Vec::new();
    if !value.is_empty() {
        parts.push(WordPart::Lit {
            text: String::from(value),
            quoted: false,
        });
    }
    parts.extend(w.parts[1..].iter().cloned());
    Some((String::from(name), Word { parts }))
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn command(&mut self) -> Result<Command, SyntaxError> {
        let mut cmd = Command::default();
        loop {
            match self.peek().cloned() {
                Some(Tok::Word(w)) => {
                    self.pos += 1;
                    if cmd.words.is_empty() {
                        if let Some(a) = assignment(&w) {
                            cmd.assigns.push(a);
                            continue;
                        }
                    }
                    cmd.words.push(w);
                }
                Some(Tok::Redir(fd, kind)) => {
                    let t = Tok::Redir(fd, kind.clone());
                    self.pos += 1;
                    let target = if let RedirKind::Dup(_) = kind {
                        Word::default()
                    } else {
                        match self.peek() {
                            Some(Tok::Word(w)) => {
                                let w = w.clone();
                                self.pos += 1;
                                w
                            }
                            _ => return Err(SyntaxError::MissingRedirectTarget(t.text())),
                        }
                    };
                    cmd.redirects.push(Redirect {
                        fd,
                        kind: kind.clone(),
                        target,
                    });
                }
                _ => break,
            }
        }
        if cmd.words.is_empty() && cmd.assigns.is_empty() && cmd.redirects.is_empty() {
            return Err(match self.peek() {
                Some(t) => SyntaxError::Unexpected(t.text()),
                None => SyntaxError::UnexpectedEnd(
                    self.toks
                        .get(self.pos.wrapping_sub(1))
                        .map(Tok::text)
                        .unwrap_or_default(),
                ),
            });
        }
        Ok(cmd)
    }

    fn pipeline(&mut self) -> Result<Pipeline, SyntaxError> {
        let mut commands = alloc::vec![self.command()?];
        while self.peek() == Some(&Tok::Pipe) {
            self.pos += 1;
            self.skip_newlines();
            commands.push(self.command()?);
        }
        Ok(Pipeline { commands })
    }

    fn skip_newlines(&mut self) {
        while self.peek() == Some(&Tok::Newline) {
            self.pos += 1;
        }
    }

    fn and_or(&mut self) -> Result<AndOr, SyntaxError> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            let c = match self.peek() {
                Some(Tok::AndIf) => Connector::And,
                Some(Tok::OrIf) => Connector::Or,
                _ => break,
            };
            self.pos += 1;
            self.skip_newlines();
            rest.push((c, self.pipeline()?));
        }
        Ok(AndOr { first, rest })
    }

    fn script(&mut self) -> Result<Script, SyntaxError> {
        let mut lists = Vec::new();
        loop {
            self.skip_newlines();
            if self.peek().is_none() {
                break;
            }
            lists.push(self.and_or()?);
            match self.peek() {
                None => break,
                Some(Tok::Semi) | Some(Tok::Newline) => self.pos += 1,
                Some(t) => return Err(SyntaxError::Unexpected(t.text())),
            }
        }
        Ok(Script { lists })
    }
}

/// Parse a line (or a whole script).
pub fn parse(input: &str) -> Result<Script, SyntaxError> {
    let toks = Lexer {
        chars: input.chars().peekable(),
    }
    .tokens()?;
    Parser { toks, pos: 0 }.script()
}

/// What expansion needs from the shell.
pub trait Vars {
    /// A variable's value.
    fn var(&self, name: &str) -> Option<String>;
    /// `$?`.
    fn status(&self) -> i32;
    /// `$$`.
    fn pid(&self) -> u32;
}

/// Expand a word. `None` when the word vanishes (only unquoted expansions that were empty).
pub fn expand(word: &Word, vars: &dyn Vars) -> Option<String> {
    let mut s = String::new();
    let mut keep = false;
    for (i, p) in word.parts.iter().enumerate() {
        match p {
            WordPart::Lit { text, quoted } => {
                s.push_str(text);
                keep |= *quoted || !text.is_empty();
            }
            WordPart::Var { name, quoted } => {
                s.push_str(&vars.var(name).unwrap_or_default());
                keep |= *quoted;
            }
            WordPart::Status { .. } => {
                s.push_str(&alloc::format!("{}", vars.status()));
                keep = true;
            }
            WordPart::Pid { .. } => {
                s.push_str(&alloc::format!("{}", vars.pid()));
                keep = true;
            }
            WordPart::Tilde => {
                let home = vars.var("HOME").unwrap_or_else(|| String::from("/"));
                let slash_follows = matches!(
                    word.parts.get(i + 1),
                    Some(WordPart::Lit { text, .. }) if text.starts_with('/')
                );
                // `~/x` with HOME=/ is `/x`, not `//x`.
                if slash_follows && home.ends_with('/') {
                    s.push_str(home.trim_end_matches('/'));
                } else {
                    s.push_str(&home);
                }
                keep = true;
            }
        }
    }
    (keep || !s.is_empty()).then_some(s)
}

/// Expand all words of a command (vanishing words dropped).
pub fn expand_words(words: &[Word], vars: &dyn Vars) -> Vec<String> {
    words.iter().filter_map(|w| expand(w, vars)).collect()
}

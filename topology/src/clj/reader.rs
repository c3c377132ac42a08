//! A small Clojure reader for topology files: text in, [`Form`]s with line/column out.
//!
//! It covers exactly the data syntax topology files use: lists, vectors, maps, strings with
//! escapes, keywords, symbols, integers, floats, booleans, `nil`, `;` comments, commas as
//! whitespace, `#_` discard and `'` quote (read as `(quote x)`, like Clojure). Everything else
//! Clojure's reader knows (sets, regexes, anonymous functions, metadata, syntax quote, character
//! literals, ratios) is reported as an error at its position instead of being guessed at.
//!
//! The reader never panics, whatever the input; nesting deeper than [`MAX_DEPTH`] is an error.

use std::fmt;

/// Deepest nesting of collections the reader accepts (protects the stack on hostile input).
pub const MAX_DEPTH: usize = 200;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// One form read from the source, with the position of its first character.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    /// What was read.
    pub kind: FormKind,
    /// Where it starts.
    pub pos: Pos,
}

/// The kinds of forms the reader produces.
#[derive(Debug, Clone, PartialEq)]
pub enum FormKind {
    /// `( ... )`
    List(Vec<Form>),
    /// `[ ... ]`
    Vector(Vec<Form>),
    /// `{ k v ... }`, entries in source order (keys are unique).
    Map(Vec<(Form, Form)>),
    /// `"..."`, escapes resolved.
    Str(String),
    /// `:name` (stored without the colon).
    Keyword(String),
    /// A symbol such as `options` or `python-spout-spec`.
    Symbol(String),
    /// An integer literal.
    Int(i64),
    /// A floating point literal.
    Float(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `nil`.
    Nil,
}

impl FormKind {
    /// A short description for error messages ("a vector", "the symbol `options`").
    pub fn describe(&self) -> String {
        match self {
            FormKind::List(items) => match items.first() {
                Some(Form {
                    kind: FormKind::Symbol(s),
                    ..
                }) => format!("the call `({s} ...)`"),
                _ => "a list".to_string(),
            },
            FormKind::Vector(_) => "a vector".to_string(),
            FormKind::Map(_) => "a map".to_string(),
            FormKind::Str(s) => format!("the string {s:?}"),
            FormKind::Keyword(k) => format!("the keyword :{k}"),
            FormKind::Symbol(s) => format!("the symbol `{s}`"),
            FormKind::Int(i) => format!("the integer {i}"),
            FormKind::Float(x) => format!("the number {x}"),
            FormKind::Bool(b) => format!("`{b}`"),
            FormKind::Nil => "`nil`".to_string(),
        }
    }

    /// Data equality ignoring positions (used for duplicate map keys).
    pub fn same_data(&self, other: &FormKind) -> bool {
        fn seq(a: &[Form], b: &[Form]) -> bool {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.kind.same_data(&y.kind))
        }
        match (self, other) {
            (FormKind::List(a), FormKind::List(b)) | (FormKind::Vector(a), FormKind::Vector(b)) => {
                seq(a, b)
            }
            (FormKind::Map(a), FormKind::Map(b)) => {
                a.len() == b.len()
                    && a.iter().all(|(k, v)| {
                        b.iter().any(|(k2, v2)| {
                            k.kind.same_data(&k2.kind) && v.kind.same_data(&v2.kind)
                        })
                    })
            }
            _ => self == other,
        }
    }
}

/// A syntax error: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// Position of the offending character.
    pub pos: Pos,
    /// What went wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pos, self.message)
    }
}

impl std::error::Error for ReadError {}

/// Reads every top-level form of `src`.
pub fn read_all(src: &str) -> Result<Vec<Form>, ReadError> {
    let mut r = Reader {
        chars: src.chars().collect(),
        i: 0,
        line: 1,
        col: 1,
    };
    let mut out = Vec::new();
    loop {
        r.skip_ws();
        if r.peek().is_none() {
            return Ok(out);
        }
        if let Some(f) = r.read_form(0)? {
            out.push(f);
        }
    }
}

struct Reader {
    chars: Vec<char>,
    i: usize,
    line: u32,
    col: u32,
}

fn is_delim(c: char) -> bool {
    c.is_whitespace() || c == ',' || "()[]{}\";".contains(c)
}

impl Reader {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn peek2(&self) -> Option<char> {
        self.chars.get(self.i + 1).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += 1;
        if c == '\n' {
            self.line = self.line.saturating_add(1);
            self.col = 1;
        } else {
            self.col = self.col.saturating_add(1);
        }
        Some(c)
    }

    fn err<T>(&self, pos: Pos, message: impl Into<String>) -> Result<T, ReadError> {
        Err(ReadError {
            pos,
            message: message.into(),
        })
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() || c == ',' {
                self.bump();
            } else if c == ';' {
                while let Some(c) = self.peek() {
                    if c == '\n' {
                        break;
                    }
                    self.bump();
                }
            } else {
                break;
            }
        }
    }

    /// Reads one form; `Ok(None)` when the form was discarded with `#_`.
    fn read_form(&mut self, depth: usize) -> Result<Option<Form>, ReadError> {
        let pos = self.pos();
        if depth > MAX_DEPTH {
            return self.err(pos, format!("forms nested deeper than {MAX_DEPTH} levels"));
        }
        let Some(c) = self.peek() else {
            return self.err(pos, "unexpected end of file: expected a form");
        };
        let kind = match c {
            '(' => {
                self.bump();
                FormKind::List(self.read_seq(')', pos, depth)?)
            }
            '[' => {
                self.bump();
                FormKind::Vector(self.read_seq(']', pos, depth)?)
            }
            '{' => {
                self.bump();
                let items = self.read_seq('}', pos, depth)?;
                self.make_map(items, pos)?
            }
            ')' | ']' | '}' => {
                return self.err(pos, format!("unmatched delimiter `{c}`"));
            }
            '"' => {
                self.bump();
                FormKind::Str(self.read_string(pos)?)
            }
            '\'' => {
                self.bump();
                self.skip_ws();
                let inner = self.read_required(depth, pos, "after `'`")?;
                FormKind::List(vec![
                    Form {
                        kind: FormKind::Symbol("quote".into()),
                        pos,
                    },
                    inner,
                ])
            }
            '#' => {
                if self.peek2() == Some('_') {
                    self.bump();
                    self.bump();
                    self.skip_ws();
                    self.read_required(depth, pos, "after `#_`")?;
                    return Ok(None);
                }
                let what = match self.peek2() {
                    Some('{') => "sets (`#{...}`)",
                    Some('"') => "regular expressions (`#\"...\"`)",
                    Some('(') => "anonymous functions (`#(...)`)",
                    Some('\'') => "var quotes (`#'`)",
                    _ => "this `#` reader macro",
                };
                return self.err(
                    pos,
                    format!("{what} are not supported in topology files (only `#_` is)"),
                );
            }
            '@' | '^' | '`' | '~' => {
                return self.err(
                    pos,
                    format!("the reader macro `{c}` is not supported in topology files"),
                );
            }
            '\\' => {
                return self.err(pos, "character literals are not supported; use a string");
            }
            ':' => {
                self.bump();
                let tok = self.read_token();
                if tok.is_empty() {
                    return self.err(pos, "expected a keyword name after `:`");
                }
                if tok.starts_with(':') {
                    return self.err(pos, "auto-resolved keywords (`::name`) are not supported");
                }
                FormKind::Keyword(tok)
            }
            _ => {
                let tok = self.read_token();
                self.atom(&tok, pos)?
            }
        };
        Ok(Some(Form { kind, pos }))
    }

    fn read_required(&mut self, depth: usize, pos: Pos, ctx: &str) -> Result<Form, ReadError> {
        loop {
            match self.peek() {
                None => {
                    return self.err(
                        pos,
                        format!("unexpected end of file: expected a form {ctx}"),
                    );
                }
                Some(c @ (')' | ']' | '}')) => {
                    let p = self.pos();
                    return self.err(p, format!("expected a form {ctx}, found `{c}`"));
                }
                _ => {}
            }
            if let Some(f) = self.read_form(depth + 1)? {
                return Ok(f);
            }
            self.skip_ws();
        }
    }

    fn read_seq(&mut self, close: char, open: Pos, depth: usize) -> Result<Vec<Form>, ReadError> {
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => {
                    let opener = match close {
                        ')' => '(',
                        ']' => '[',
                        _ => '{',
                    };
                    return self.err(
                        open,
                        format!("unclosed `{opener}`: end of file reached before `{close}`"),
                    );
                }
                Some(c) if c == close => {
                    self.bump();
                    return Ok(items);
                }
                Some(c @ (')' | ']' | '}')) => {
                    let p = self.pos();
                    return self.err(
                        p,
                        format!(
                            "mismatched delimiter `{c}`: expected `{close}` to close the form opened at {open}"
                        ),
                    );
                }
                Some(_) => {
                    if let Some(f) = self.read_form(depth + 1)? {
                        items.push(f);
                    }
                }
            }
        }
    }

    fn make_map(&self, items: Vec<Form>, pos: Pos) -> Result<FormKind, ReadError> {
        if !items.len().is_multiple_of(2) {
            return self.err(
                pos,
                format!(
                    "a map needs an even number of forms (key value pairs), found {}",
                    items.len()
                ),
            );
        }
        let mut entries: Vec<(Form, Form)> = Vec::with_capacity(items.len() / 2);
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            if entries.iter().any(|(k2, _)| k2.kind.same_data(&k.kind)) {
                return self.err(k.pos, format!("duplicate map key: {}", k.kind.describe()));
            }
            entries.push((k, v));
        }
        Ok(FormKind::Map(entries))
    }

    fn read_token(&mut self) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek() {
            if is_delim(c) {
                break;
            }
            s.push(c);
            self.bump();
        }
        s
    }

    fn atom(&self, tok: &str, pos: Pos) -> Result<FormKind, ReadError> {
        match tok {
            "nil" => return Ok(FormKind::Nil),
            "true" => return Ok(FormKind::Bool(true)),
            "false" => return Ok(FormKind::Bool(false)),
            _ => {}
        }
        let bytes = tok.as_bytes();
        let numeric = matches!(bytes, [b'0'..=b'9', ..] | [b'+' | b'-', b'0'..=b'9', ..]);
        if numeric {
            return parse_number(tok).ok_or_else(|| ReadError {
                pos,
                message: format!("invalid number `{tok}`"),
            });
        }
        if tok.is_empty() {
            return self.err(pos, "expected a form");
        }
        Ok(FormKind::Symbol(tok.to_string()))
    }

    fn read_string(&mut self, open: Pos) -> Result<String, ReadError> {
        let mut s = String::new();
        loop {
            let p = self.pos();
            match self.bump() {
                None => {
                    return self.err(open, "unterminated string: end of file reached before `\"`");
                }
                Some('"') => return Ok(s),
                Some('\\') => match self.bump() {
                    Some('n') => s.push('\n'),
                    Some('t') => s.push('\t'),
                    Some('r') => s.push('\r'),
                    Some('b') => s.push('\u{8}'),
                    Some('f') => s.push('\u{c}'),
                    Some('"') => s.push('"'),
                    Some('\\') => s.push('\\'),
                    Some('u') => {
                        let mut hex = String::new();
                        for _ in 0..4 {
                            match self.peek() {
                                Some(c) if c.is_ascii_hexdigit() => {
                                    hex.push(c);
                                    self.bump();
                                }
                                _ => return self.err(p, "`\\u` must be followed by 4 hex digits"),
                            }
                        }
                        let code = u32::from_str_radix(&hex, 16).unwrap_or(0xFFFD);
                        match char::from_u32(code) {
                            Some(c) => s.push(c),
                            None => {
                                return self.err(p, format!("`\\u{hex}` is not a valid character"));
                            }
                        }
                    }
                    Some(c) => return self.err(p, format!("unsupported escape `\\{c}` in string")),
                    None => {
                        return self
                            .err(open, "unterminated string: end of file reached before `\"`");
                    }
                },
                Some(c) => s.push(c),
            }
        }
    }
}

fn parse_number(tok: &str) -> Option<FormKind> {
    let (neg, body) = match tok.as_bytes()[0] {
        b'-' => (true, &tok[1..]),
        b'+' => (false, &tok[1..]),
        _ => (false, tok),
    };
    let body = body.strip_suffix('N').unwrap_or(body);
    let int = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16).ok()
    } else if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) {
        body.parse::<i64>().ok()
    } else {
        None
    };
    if let Some(i) = int {
        return Some(FormKind::Int(if neg { i.checked_neg()? } else { i }));
    }
    if body.bytes().all(|b| b.is_ascii_digit()) {
        return None; // too large for i64
    }
    let body = body.strip_suffix('M').unwrap_or(body);
    let ok = body
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !ok {
        return None;
    }
    let x: f64 = body.parse().ok()?;
    Some(FormKind::Float(if neg { -x } else { x }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> Form {
        let mut v = read_all(src).unwrap();
        assert_eq!(v.len(), 1, "{v:?}");
        v.remove(0)
    }

    #[test]
    fn atoms() {
        assert_eq!(one("42").kind, FormKind::Int(42));
        assert_eq!(one("-7").kind, FormKind::Int(-7));
        assert_eq!(one("0x1F").kind, FormKind::Int(31));
        assert_eq!(one("1.5").kind, FormKind::Float(1.5));
        assert_eq!(one("-2e3").kind, FormKind::Float(-2000.0));
        assert_eq!(one("nil").kind, FormKind::Nil);
        assert_eq!(one("true").kind, FormKind::Bool(true));
        assert_eq!(one(":shuffle").kind, FormKind::Keyword("shuffle".into()));
        assert_eq!(one("a-b.c/d").kind, FormKind::Symbol("a-b.c/d".into()));
        assert_eq!(
            one(r#""a\n\"b\u0041""#).kind,
            FormKind::Str("a\n\"bA".into())
        );
    }

    #[test]
    fn positions_comments_commas_discard_quote() {
        let forms = read_all("; c\n [1,2 #_ (x y) 3]\n'(a)").unwrap();
        assert_eq!(forms.len(), 2);
        assert_eq!(forms[0].pos, Pos { line: 2, col: 2 });
        let FormKind::Vector(items) = &forms[0].kind else {
            panic!()
        };
        assert_eq!(items.len(), 3);
        assert_eq!(items[2].pos, Pos { line: 2, col: 16 });
        let FormKind::List(q) = &forms[1].kind else {
            panic!()
        };
        assert_eq!(q[0].kind, FormKind::Symbol("quote".into()));
    }

    #[test]
    fn errors_are_located() {
        let e = read_all("(a\n  [b)").unwrap_err();
        assert_eq!(e.pos, Pos { line: 2, col: 5 });
        assert!(e.message.contains("mismatched"), "{e}");
        let e = read_all("{\"a\" 1 \"b\"}").unwrap_err();
        assert_eq!(e.pos, Pos { line: 1, col: 1 });
        let e = read_all("{\"a\" 1 \"a\" 2}").unwrap_err();
        assert_eq!(e.pos, Pos { line: 1, col: 8 });
        let e = read_all("  \"abc").unwrap_err();
        assert_eq!(e.pos, Pos { line: 1, col: 3 });
        assert!(read_all("#{1}").is_err());
        assert!(read_all("99999999999999999999").is_err());
        assert!(read_all("#_").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = "[".repeat(100_000);
        assert!(read_all(&src).unwrap_err().message.contains("nested"));
    }
}

//! A small syntax highlighter for the code panels: Python and Rust, split into keywords,
//! strings, comments, numbers and everything else.
//!
//! It is a hand-written scanner, not a parser: it only needs to colour the short,
//! well-formed examples of the curriculum, and it must never lose text. Concatenating
//! the tokens' texts always gives back the input exactly, whatever the input (unclosed
//! strings and comments run to the end of their line or of the text).
//!
//! The scanner splits only at ASCII delimiters, so every token boundary is a char
//! boundary even when the code contains non-ASCII text.

/// Which grammar to scan with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Python,
    Rust,
}

/// What a piece of code is, for colouring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Plain,
    Keyword,
    Str,
    Comment,
    Number,
}

impl TokenKind {
    /// The CSS class the code panel gives the token (`None`: no styling).
    pub fn css_class(self) -> Option<&'static str> {
        match self {
            TokenKind::Plain => None,
            TokenKind::Keyword => Some("tok-kw"),
            TokenKind::Str => Some("tok-str"),
            TokenKind::Comment => Some("tok-com"),
            TokenKind::Number => Some("tok-num"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: TokenKind,
    pub text: &'a str,
}

const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while",
];

/// Split `src` into tokens; adjacent plain text is merged into one token.
pub fn tokenize(src: &str, lang: Lang) -> Vec<Token<'_>> {
    let mut s = Scanner {
        src,
        bytes: src.as_bytes(),
        pos: 0,
        out: Vec::new(),
    };
    while s.pos < s.bytes.len() {
        match lang {
            Lang::Python => s.python_step(),
            Lang::Rust => s.rust_step(),
        }
    }
    s.out
}

/// Identifier characters; any non-ASCII byte counts, so UTF-8 sequences stay whole.
fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

struct Scanner<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    out: Vec<Token<'a>>,
}

impl<'a> Scanner<'a> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    /// Emit `src[start..end]` (end clamped to the text) and move to `end`.
    fn emit(&mut self, kind: TokenKind, start: usize, end: usize) {
        let end = end.min(self.bytes.len());
        self.pos = end;
        if start >= end {
            return;
        }
        let text = &self.src[start..end];
        if let Some(last) = self.out.last_mut() {
            if last.kind == TokenKind::Plain && kind == TokenKind::Plain {
                // Both slices are contiguous pieces of `src`.
                let from = start - last.text.len();
                last.text = &self.src[from..end];
                return;
            }
        }
        self.out.push(Token { kind, text });
    }

    fn ident_end(&self, from: usize) -> usize {
        let mut i = from;
        while i < self.bytes.len() && is_ident_byte(self.bytes[i]) {
            i += 1;
        }
        i
    }

    fn line_end(&self, from: usize) -> usize {
        self.bytes[from..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| from + i)
            .unwrap_or(self.bytes.len())
    }

    /// End of a number starting at `self.pos` (a digit).
    fn number_end(&self) -> usize {
        let b = self.bytes;
        let mut i = self.pos;
        let hex = b.get(i) == Some(&b'0') && matches!(b.get(i + 1), Some(b'x' | b'X'));
        let mut seen_dot = false;
        while i < b.len() {
            let c = b[i];
            if c.is_ascii_alphanumeric() || c == b'_' {
                i += 1;
            } else if c == b'.' && !seen_dot && !hex && b.get(i + 1).is_some_and(u8::is_ascii_digit)
            {
                seen_dot = true;
                i += 1;
            } else if (c == b'+' || c == b'-')
                && !hex
                && matches!(b.get(i.wrapping_sub(1)), Some(b'e' | b'E'))
                && b.get(i + 1).is_some_and(u8::is_ascii_digit)
            {
                i += 1;
            } else {
                break;
            }
        }
        i
    }

    /// End of a quoted string whose body starts at `from`, closed by `quote` (escapes
    /// skipped). `single_line`: an unclosed string stops at the end of its line.
    fn quoted_end(&self, from: usize, quote: &[u8], single_line: bool) -> usize {
        let b = self.bytes;
        let mut i = from;
        while i < b.len() {
            if b[i] == b'\\' {
                i += 2;
                continue;
            }
            if single_line && b[i] == b'\n' {
                return i;
            }
            if b[i..].starts_with(quote) {
                return i + quote.len();
            }
            i += 1;
        }
        b.len()
    }

    fn python_step(&mut self) {
        let start = self.pos;
        let c = self.bytes[start];
        match c {
            b'#' => {
                let end = self.line_end(start);
                self.emit(TokenKind::Comment, start, end);
            }
            b'\'' | b'"' => self.python_string(start, start),
            b'0'..=b'9' => {
                let end = self.number_end();
                self.emit(TokenKind::Number, start, end);
            }
            _ if is_ident_byte(c) => {
                let end = self.ident_end(start);
                let word = &self.src[start..end];
                let is_prefix = word.len() <= 2
                    && word
                        .chars()
                        .all(|ch| matches!(ch.to_ascii_lowercase(), 'r' | 'b' | 'f' | 'u'));
                if is_prefix && matches!(self.bytes.get(end), Some(b'\'' | b'"')) {
                    self.python_string(start, end);
                } else if PYTHON_KEYWORDS.contains(&word) {
                    self.emit(TokenKind::Keyword, start, end);
                } else {
                    self.emit(TokenKind::Plain, start, end);
                }
            }
            _ => self.emit(TokenKind::Plain, start, start + 1),
        }
    }

    /// A Python string literal whose prefix starts at `start` and quote at `quote_at`.
    fn python_string(&mut self, start: usize, quote_at: usize) {
        let q = self.bytes[quote_at];
        let triple = [q, q, q];
        let end = if self.bytes[quote_at..].starts_with(&triple) {
            self.quoted_end(quote_at + 3, &triple, false)
        } else {
            self.quoted_end(quote_at + 1, &[q], true)
        };
        self.emit(TokenKind::Str, start, end);
    }

    fn rust_step(&mut self) {
        let start = self.pos;
        let c = self.bytes[start];
        match c {
            b'/' if self.peek(1) == Some(b'/') => {
                let end = self.line_end(start);
                self.emit(TokenKind::Comment, start, end);
            }
            b'/' if self.peek(1) == Some(b'*') => {
                let end = self.block_comment_end(start);
                self.emit(TokenKind::Comment, start, end);
            }
            b'"' => {
                let end = self.quoted_end(start + 1, b"\"", false);
                self.emit(TokenKind::Str, start, end);
            }
            b'\'' => self.rust_quote(start),
            b'0'..=b'9' => {
                let end = self.number_end();
                self.emit(TokenKind::Number, start, end);
            }
            _ if is_ident_byte(c) => {
                let end = self.ident_end(start);
                let word = &self.src[start..end];
                if let Some(str_end) = self.rust_prefixed_string(word, end) {
                    self.emit(TokenKind::Str, start, str_end);
                } else if RUST_KEYWORDS.contains(&word) {
                    self.emit(TokenKind::Keyword, start, end);
                } else {
                    self.emit(TokenKind::Plain, start, end);
                }
            }
            _ => self.emit(TokenKind::Plain, start, start + 1),
        }
    }

    /// `b"..."`, `r"..."`, `r#"..."#`, `br#"..."#`, `b'x'`: where the literal ends, if
    /// the identifier `word` ending at `end` is such a prefix.
    fn rust_prefixed_string(&self, word: &str, end: usize) -> Option<usize> {
        let b = self.bytes;
        match word {
            "b" if b.get(end) == Some(&b'\'') => Some(self.quoted_end(end + 1, b"'", true)),
            "b" if b.get(end) == Some(&b'"') => Some(self.quoted_end(end + 1, b"\"", false)),
            "r" | "br" => {
                let hashes = b[end..].iter().take_while(|&&x| x == b'#').count();
                if b.get(end + hashes) != Some(&b'"') {
                    return None;
                }
                let mut close = vec![b'"'];
                close.extend(std::iter::repeat_n(b'#', hashes));
                let body = end + hashes + 1;
                // Raw: no escapes, so search for the closing sequence directly.
                Some(
                    b[body..]
                        .windows(close.len())
                        .position(|w| w == close.as_slice())
                        .map(|i| body + i + close.len())
                        .unwrap_or(b.len()),
                )
            }
            _ => None,
        }
    }

    /// A `'`: a char literal (`'a'`, `'\n'`, `'é'`) or a lifetime / label (`'a`).
    fn rust_quote(&mut self, start: usize) {
        let b = self.bytes;
        if b.get(start + 1) == Some(&b'\\') {
            let end = self.quoted_end(start + 1, b"'", true);
            self.emit(TokenKind::Str, start, end);
            return;
        }
        // One char (possibly multi-byte) then a closing quote.
        let char_len = self.src[start + 1..]
            .chars()
            .next()
            .map(char::len_utf8)
            .unwrap_or(0);
        if char_len > 0 && b.get(start + 1 + char_len) == Some(&b'\'') {
            self.emit(TokenKind::Str, start, start + char_len + 2);
        } else {
            let end = self.ident_end(start + 1);
            self.emit(TokenKind::Plain, start, end.max(start + 1));
        }
    }

    /// Rust block comments nest.
    fn block_comment_end(&self, start: usize) -> usize {
        let b = self.bytes;
        let mut depth = 0usize;
        let mut i = start;
        while i < b.len() {
            if b[i..].starts_with(b"/*") {
                depth += 1;
                i += 2;
            } else if b[i..].starts_with(b"*/") {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            } else {
                i += 1;
            }
        }
        b.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kinds(src: &str, lang: Lang) -> Vec<(TokenKind, &str)> {
        tokenize(src, lang)
            .into_iter()
            .filter(|t| t.kind != TokenKind::Plain)
            .map(|t| (t.kind, t.text))
            .collect()
    }

    use TokenKind::*;

    #[test]
    fn python_keywords_strings_comments_numbers() {
        let src = "def f(x):\n    return x + 1.5e-3  # done\nprint('a # not a comment', \"b\")\n";
        assert_eq!(
            kinds(src, Lang::Python),
            vec![
                (Keyword, "def"),
                (Keyword, "return"),
                (Number, "1.5e-3"),
                (Comment, "# done"),
                (Str, "'a # not a comment'"),
                (Str, "\"b\""),
            ]
        );
    }

    #[test]
    fn python_keywords_only_as_whole_words() {
        let got = kinds("format = import_me + classy + is_set or x", Lang::Python);
        assert_eq!(got, vec![(Keyword, "or")]);
    }

    #[test]
    fn python_triple_quoted_prefixed_and_escaped_strings() {
        let src =
            "s = \"\"\"line 1\nit's 'quoted'\n\"\"\"\nt = f'{x}\\'s' + rb\"raw\" + 'open\nnext = 2";
        assert_eq!(
            kinds(src, Lang::Python),
            vec![
                (Str, "\"\"\"line 1\nit's 'quoted'\n\"\"\""),
                (Str, "f'{x}\\'s'"),
                (Str, "rb\"raw\""),
                // Unclosed: stops at the end of its line.
                (Str, "'open"),
                (Number, "2"),
            ]
        );
    }

    #[test]
    fn rust_comments_strings_and_numbers() {
        let src = "fn main() { // entry\n    let n: u64 = 0x1F_u64 + 10_000; /* a /* nested */ comment */\n    println!(\"{n} \\\"q\\\"\");\n}";
        assert_eq!(
            kinds(src, Lang::Rust),
            vec![
                (Keyword, "fn"),
                (Comment, "// entry"),
                (Keyword, "let"),
                (Number, "0x1F_u64"),
                (Number, "10_000"),
                (Comment, "/* a /* nested */ comment */"),
                (Str, "\"{n} \\\"q\\\"\""),
            ]
        );
    }

    #[test]
    fn rust_chars_lifetimes_and_raw_strings() {
        let src = "fn f<'a>(s: &'a str) -> char { let r = r#\"a \"quoted\" b\"#; let c = 'x'; let e = '\\n'; let u = 'é'; b'z' }";
        let got = kinds(src, Lang::Rust);
        assert!(got.contains(&(Str, "r#\"a \"quoted\" b\"#")), "{got:?}");
        assert!(got.contains(&(Str, "'x'")));
        assert!(got.contains(&(Str, "'\\n'")));
        assert!(got.contains(&(Str, "'é'")));
        assert!(got.contains(&(Str, "b'z'")));
        // Lifetimes are not strings.
        assert!(!got.iter().any(|(_, t)| t.starts_with("'a")), "{got:?}");
    }

    #[test]
    fn ranges_are_not_decimals() {
        let got = kinds("for i in 0..10 {}", Lang::Rust);
        assert_eq!(
            got,
            vec![
                (Keyword, "for"),
                (Keyword, "in"),
                (Number, "0"),
                (Number, "10")
            ]
        );
    }

    #[test]
    fn plain_text_is_merged() {
        let toks = tokenize("a + b", Lang::Python);
        assert_eq!(toks.len(), 1);
        assert_eq!(toks[0].kind, Plain);
    }

    #[test]
    fn css_classes_differ_per_kind() {
        let classes: Vec<_> = [Keyword, Str, Comment, Number]
            .iter()
            .filter_map(|k| k.css_class())
            .collect();
        assert_eq!(classes.len(), 4);
        assert_eq!(Plain.css_class(), None);
    }

    proptest! {
        #[test]
        fn tokens_reassemble_the_input(src in "[ -~\\n\\té€]{0,80}") {
            for lang in [Lang::Python, Lang::Rust] {
                let toks = tokenize(&src, lang);
                let joined: String = toks.iter().map(|t| t.text).collect();
                prop_assert_eq!(&joined, &src);
                prop_assert!(toks.iter().all(|t| !t.text.is_empty()));
            }
        }
    }
}

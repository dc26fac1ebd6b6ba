//! A small JSON reader: text to a tree of [`Json`] values, with no serde. The browser reads every
//! server frame with it ([`ServerMsg::decode`](super::ServerMsg::decode)) because serde's derived
//! decoder of an internally tagged enum (every field buffered into serde's `Content`, then read
//! again) was the biggest part of the phone's wasm after Leptos itself (issue 15).
//!
//! Only what the wire needs: numbers are kept as unsigned integers when they are one (every
//! number Raffler sends is) and as [`Json::OtherNumber`] otherwise, so no float parsing is
//! compiled in; nesting is capped so hostile input cannot exhaust the stack.

/// A parsed JSON value. Objects keep their fields in order, as pairs: the messages are small,
/// so a linear look-up beats building a map.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Json {
    #[default]
    Null,
    Bool(bool),
    /// A number that is a non-negative integer and fits a `u64`.
    Uint(u64),
    /// Any other number (negative, fractional, with an exponent, or too big): valid JSON, but
    /// never what a field of the wire expects.
    OtherNumber,
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// What kind of value this is, for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Uint(_) | Json::OtherNumber => "a number",
            Json::Str(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// Deeper than this is refused: the deepest server message nests four levels.
const MAX_DEPTH: usize = 64;

/// Parses one JSON document (surrounding whitespace allowed, nothing else after it).
pub(crate) fn parse(text: &str) -> Result<Json, String> {
    let mut reader = Reader { text, bytes: text.as_bytes(), pos: 0 };
    let value = reader.value(0)?;
    reader.skip_whitespace();
    if reader.pos != reader.bytes.len() {
        return Err(reader.error("trailing characters"));
    }
    Ok(value)
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn error(&self, what: &str) -> String {
        format!("{what} at byte {}", self.pos)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Skips whitespace, then takes `byte` if it comes next.
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_whitespace();
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), String> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => {
                self.pos += 1;
                let mut fields = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.skip_whitespace();
                        let key = self.string()?;
                        self.expect(b':', "expected `:`")?;
                        fields.push((key, self.value(depth + 1)?));
                        if self.eat(b'}') {
                            break;
                        }
                        self.expect(b',', "expected `,` or `}`")?;
                    }
                }
                Ok(Json::Object(fields))
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value(depth + 1)?);
                        if self.eat(b']') {
                            break;
                        }
                        self.expect(b',', "expected `,` or `]`")?;
                    }
                }
                Ok(Json::Array(items))
            }
            Some(b'"') => self.string().map(Json::Str),
            Some(b't') => self.word("true", Json::Bool(true)),
            Some(b'f') => self.word("false", Json::Bool(false)),
            Some(b'n') => self.word("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("unexpected end of input")),
        }
    }

    fn word(&mut self, word: &str, value: Json) -> Result<Json, String> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn string(&mut self) -> Result<String, String> {
        if self.peek() != Some(b'"') {
            return Err(self.error("expected a string"));
        }
        self.pos += 1;
        let mut out = String::new();
        loop {
            // A run of plain characters, copied at once. It starts and ends at ASCII bytes of
            // a `&str`, so the slice is whole characters.
            let start = self.pos;
            while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                self.pos += 1;
            }
            out.push_str(&self.text[start..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self.escape()?;
                    out.push(c);
                }
                Some(_) => return Err(self.error("control character in a string")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    /// After a backslash: one escaped character (a `\u` pair for one beyond the BMP).
    fn escape(&mut self) -> Result<char, String> {
        let byte = self.peek();
        self.pos += 1;
        Ok(match byte {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let high = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&high) {
                    if !self.bytes[self.pos..].starts_with(b"\\u") {
                        return Err(self.error("lone surrogate in a \\u escape"));
                    }
                    self.pos += 2;
                    let low = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(self.error("lone surrogate in a \\u escape"));
                    }
                    0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    high
                };
                char::from_u32(code).ok_or_else(|| self.error("lone surrogate in a \\u escape"))?
            }
            _ => return Err(self.error("invalid escape")),
        })
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self.peek().and_then(|b| (b as char).to_digit(16));
            let digit = digit.ok_or_else(|| self.error("expected four hex digits"))?;
            code = code * 16 + digit;
            self.pos += 1;
        }
        Ok(code)
    }

    /// `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<Json, String> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        if self.digits() == 0 {
            return Err(self.error("expected a digit"));
        }
        if self.bytes[int_start] == b'0' && self.pos - int_start > 1 {
            return Err(self.error("leading zero in a number"));
        }
        let mut integer = !negative;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integer = false;
            if self.digits() == 0 {
                return Err(self.error("expected a digit"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            integer = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("expected a digit"));
            }
        }
        Ok(match self.text[start..self.pos].parse() {
            Ok(n) if integer => Json::Uint(n),
            _ => Json::OtherNumber,
        })
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Json {
        Json::Str(text.into())
    }

    #[test]
    fn reads_every_kind_of_value() {
        let text = r#" {"a": [1, -2, 3.5, 1e3, 18446744073709551616], "b": {"c": null, "d": true, "e": false}, "f": ""} "#;
        assert_eq!(
            parse(text),
            Ok(Json::Object(vec![
                (
                    "a".into(),
                    Json::Array(vec![
                        Json::Uint(1),
                        Json::OtherNumber,
                        Json::OtherNumber,
                        Json::OtherNumber,
                        Json::OtherNumber
                    ])
                ),
                (
                    "b".into(),
                    Json::Object(vec![
                        ("c".into(), Json::Null),
                        ("d".into(), Json::Bool(true)),
                        ("e".into(), Json::Bool(false))
                    ])
                ),
                ("f".into(), s("")),
            ]))
        );
        assert_eq!(parse("[]"), Ok(Json::Array(vec![])));
        assert_eq!(parse("{}"), Ok(Json::Object(vec![])));
        assert_eq!(parse("18446744073709551615"), Ok(Json::Uint(u64::MAX)));
    }

    #[test]
    fn reads_escapes_and_any_text() {
        assert_eq!(parse(r#""a\"b\\c\/d\b\f\n\r\t""#), Ok(s("a\"b\\c/d\u{8}\u{c}\n\r\t")));
        assert_eq!(parse(r#""\u00e9\u0041\ud83c\udf89""#), Ok(s("éA🎉")));
        assert_eq!(parse("\"Zoë 🎉 名前\""), Ok(s("Zoë 🎉 名前")));
    }

    #[test]
    fn reads_what_serde_json_writes() {
        let tricky = "quote \" backslash \\ tab \t nul \u{0} bell \u{7} del \u{7f} é 🎉 \u{2028}";
        let written = serde_json::to_string(&(tricky, u64::MAX)).expect("serializable");
        assert_eq!(parse(&written), Ok(Json::Array(vec![s(tricky), Json::Uint(u64::MAX)])));
    }

    #[test]
    fn refuses_what_is_not_json_and_says_where() {
        for (text, error) in [
            ("", "unexpected end of input at byte 0"),
            ("{", "expected a string at byte 1"),
            (r#"{"a" 1}"#, "expected `:` at byte 5"),
            (r#"{"a":1,}"#, "expected a string at byte 7"),
            (r#"{"a":1 "b":2}"#, "expected `,` or `}` at byte 7"),
            ("[1 2]", "expected `,` or `]` at byte 3"),
            ("[1,]", "expected a value at byte 3"),
            ("nul", "expected a value at byte 0"),
            ("01", "leading zero in a number at byte 2"),
            ("-", "expected a digit at byte 1"),
            ("1.", "expected a digit at byte 2"),
            ("1e", "expected a digit at byte 2"),
            ("\"abc", "unterminated string at byte 4"),
            ("\"a\nb\"", "control character in a string at byte 2"),
            (r#""\x""#, "invalid escape at byte 3"),
            (r#""\u12G4""#, "expected four hex digits at byte 5"),
            (r#""\ud83c""#, "lone surrogate in a \\u escape at byte 7"),
            (r#""\ud83c\u0041""#, "lone surrogate in a \\u escape at byte 13"),
            (r#""\udf89""#, "lone surrogate in a \\u escape at byte 7"),
            ("{} {}", "trailing characters at byte 3"),
        ] {
            assert_eq!(parse(text), Err(error.to_string()), "{text:?}");
        }
    }

    #[test]
    fn refuses_deep_nesting_without_overflowing() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(parse(&deep), Err("nested too deeply at byte 65".to_string()));
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
    }
}

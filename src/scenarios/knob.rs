//! Knobs: the settings a learner can change on a scenario, and the one parser that turns
//! untrusted text (a URL query, CLI flags) into a valid [`Config`].
//!
//! Why the parser never fails: a link pasted by a teacher or typed by a learner must always
//! open a runnable example. So every bad value is *repaired* (clamped into range, or replaced
//! by the default) and explained by a [`Message`], and nothing here panics, whatever the input.
//!
//! Keys are kebab-case (`latency-ms`); `_` is accepted in their place, so `--latency_ms`
//! and `?latency_ms=` work too. Four keys are reserved for the page, not the scenario, and
//! are parsed into [`PageOptions`]: `run`, `embed`, `lock` and `view`. No knob may use them.
//!
//! Percent-decoding is a dozen lines written here rather than the `percent-encoding`
//! crate: we need only decode (`%XX`, `+` as space) and a strict encoder for our own
//! ASCII values, and keeping the dependency list short keeps the wasm bundle small.

use std::fmt;

/// The kind of a knob, with its range and default.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KnobKind {
    /// A whole number in `min..=max`.
    Int { min: i64, max: i64, default: i64 },
    /// A real number in `min..=max` (milliseconds and the like).
    Float { min: f64, max: f64, default: f64 },
    /// On or off. In a query or on the command line a bare key (`?gil`, `--gil`) means on.
    Bool { default: bool },
    /// One of a fixed list of words; matched case-insensitively.
    Choice {
        options: &'static [&'static str],
        default: &'static str,
    },
}

/// One setting of a scenario: what it is called in URLs and the CLI, what the form shows,
/// and what values it accepts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KnobSpec {
    /// The URL and CLI name: kebab-case, never one of [`RESERVED_KEYS`].
    pub key: &'static str,
    /// The form label, also the subject of repair messages ("Pool size 99 is above...").
    pub label: &'static str,
    /// One line of help shown next to the control.
    pub help: &'static str,
    pub kind: KnobKind,
}

impl KnobSpec {
    /// The value this knob has when nothing is said about it.
    pub fn default_value(&self) -> KnobValue {
        match self.kind {
            KnobKind::Int { default, .. } => KnobValue::Int(default),
            KnobKind::Float { default, .. } => KnobValue::Float(default),
            KnobKind::Bool { default } => KnobValue::Bool(default),
            KnobKind::Choice { default, .. } => KnobValue::Choice(default),
        }
    }
}

/// Builds an integer knob (a `const fn` so scenario tables stay `static`).
pub const fn int(
    key: &'static str,
    label: &'static str,
    help: &'static str,
    min: i64,
    max: i64,
    default: i64,
) -> KnobSpec {
    KnobSpec {
        key,
        label,
        help,
        kind: KnobKind::Int { min, max, default },
    }
}

/// Builds a real-number knob.
pub const fn float(
    key: &'static str,
    label: &'static str,
    help: &'static str,
    min: f64,
    max: f64,
    default: f64,
) -> KnobSpec {
    KnobSpec {
        key,
        label,
        help,
        kind: KnobKind::Float { min, max, default },
    }
}

/// Builds an on/off knob.
pub const fn boolean(
    key: &'static str,
    label: &'static str,
    help: &'static str,
    default: bool,
) -> KnobSpec {
    KnobSpec {
        key,
        label,
        help,
        kind: KnobKind::Bool { default },
    }
}

/// Builds a knob that picks one word out of `options`.
pub const fn choice(
    key: &'static str,
    label: &'static str,
    help: &'static str,
    options: &'static [&'static str],
    default: &'static str,
) -> KnobSpec {
    KnobSpec {
        key,
        label,
        help,
        kind: KnobKind::Choice { options, default },
    }
}

/// A knob's current value. `Choice` points into the spec's own option list, so it is
/// always one of the allowed words.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KnobValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    Choice(&'static str),
}

impl fmt::Display for KnobValue {
    /// The text form used in queries and messages; parsing it back gives the same value
    /// (floats print in Rust's shortest round-trip form).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KnobValue::Int(v) => write!(f, "{v}"),
            KnobValue::Float(v) => write!(f, "{v}"),
            KnobValue::Bool(v) => write!(f, "{}", if *v { "1" } else { "0" }),
            KnobValue::Choice(v) => write!(f, "{v}"),
        }
    }
}

/// Keys the page uses for itself; they go to [`PageOptions`], never to a knob.
pub const RESERVED_KEYS: [&str; 4] = ["run", "embed", "lock", "view"];

/// Why a value was repaired or ignored, in words a learner can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The key concerned, as given (shortened if very long); empty if there was no key.
    pub key: String,
    /// The explanation; never empty.
    pub text: String,
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A full set of knob values for one scenario, in the spec's order.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    spec: &'static [KnobSpec],
    values: Vec<KnobValue>,
}

impl Config {
    /// Every knob at its default.
    pub fn defaults(spec: &'static [KnobSpec]) -> Config {
        Config {
            spec,
            values: spec.iter().map(KnobSpec::default_value).collect(),
        }
    }

    pub fn spec(&self) -> &'static [KnobSpec] {
        self.spec
    }

    /// `(key, value)` in the spec's order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, KnobValue)> + '_ {
        self.spec
            .iter()
            .zip(self.values.iter())
            .map(|(s, v)| (s.key, *v))
    }

    pub fn get(&self, key: &str) -> Option<KnobValue> {
        let index = self.index_of(key)?;
        self.values.get(index).copied()
    }

    /// The integer value of `key`, or `None` if there is no such integer knob.
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.get(key)? {
            KnobValue::Int(v) => Some(v),
            _ => None,
        }
    }

    pub fn float(&self, key: &str) -> Option<f64> {
        match self.get(key)? {
            KnobValue::Float(v) => Some(v),
            KnobValue::Int(v) => Some(v as f64),
            _ => None,
        }
    }

    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            KnobValue::Bool(v) => Some(v),
            _ => None,
        }
    }

    pub fn choice(&self, key: &str) -> Option<&'static str> {
        match self.get(key)? {
            KnobValue::Choice(v) => Some(v),
            _ => None,
        }
    }

    /// Sets one knob from text, repairing the value like the parser does. Returns the
    /// messages (empty when the text was a valid value). An unknown key is reported.
    pub fn set_text(&mut self, key: &str, raw: &str) -> Vec<Message> {
        let mut messages = Vec::new();
        match self.index_of(key) {
            Some(index) => {
                let spec = &self.spec[index];
                let value = validate(spec, raw, &mut messages);
                self.values[index] = value;
            }
            None => messages.push(unknown_key(self.spec, key)),
        }
        messages
    }

    /// The query string for this config (no leading `?`), keys in the spec's order.
    ///
    /// Only values that differ from their default are written: links stay short enough to
    /// read aloud in a classroom, and `parse_query(spec, config.to_query())` gives back the
    /// same config. Use [`Config::to_query_full`] to pin every value.
    pub fn to_query(&self) -> String {
        self.query(false)
    }

    /// Like [`Config::to_query`] but with every knob, defaults included.
    pub fn to_query_full(&self) -> String {
        self.query(true)
    }

    /// `--key value` arguments for the CLI, non-default values only.
    pub fn to_cli_args(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (spec, value) in self.spec.iter().zip(self.values.iter()) {
            if *value != spec.default_value() {
                out.push(format!("--{}", spec.key));
                out.push(value.to_string());
            }
        }
        out
    }

    /// Environment variables for running the scenario's Python text with this config
    /// (`WORKERS=8 python3 lock.py`): each knob key upper-cased with `-` as `_`, switches
    /// as `1`/`0`. Non-default values only, since the Python falls back to the same defaults.
    pub fn to_env(&self) -> Vec<(String, String)> {
        self.spec
            .iter()
            .zip(self.values.iter())
            .filter(|(spec, value)| **value != spec.default_value())
            .map(|(spec, value)| (env_name(spec.key), value.to_string()))
            .collect()
    }

    fn query(&self, all: bool) -> String {
        let mut parts = Vec::new();
        for (spec, value) in self.spec.iter().zip(self.values.iter()) {
            if all || *value != spec.default_value() {
                parts.push(format!(
                    "{}={}",
                    percent_encode(spec.key),
                    percent_encode(&value.to_string())
                ));
            }
        }
        parts.join("&")
    }

    fn index_of(&self, key: &str) -> Option<usize> {
        find_knob(self.spec, key)
    }
}

/// Options the example page reads from its URL, next to the knobs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageOptions {
    /// `run=1`: start the run as soon as the page loads.
    pub run: bool,
    /// `embed=1`: a bare page for an iframe (no catalogue chrome).
    pub embed: bool,
    /// `lock=pool,items`: knobs a teacher has fixed; the form shows them read-only.
    /// Only keys of real knobs are kept, in the order given, without repeats.
    pub locked: Vec<&'static str>,
    /// `view=...`: which panel or code view to open first. Kept as a short lowercase word
    /// (`[a-z0-9-]`, at most 32 characters); the UI decides what the words mean.
    pub view: Option<String>,
}

impl PageOptions {
    /// The page options as query pairs (no leading `?`), empty when all are defaults.
    pub fn to_query(&self) -> String {
        let mut parts = Vec::new();
        if self.run {
            parts.push("run=1".to_string());
        }
        if self.embed {
            parts.push("embed=1".to_string());
        }
        if !self.locked.is_empty() {
            parts.push(format!("lock={}", percent_encode(&self.locked.join(","))));
        }
        if let Some(view) = &self.view {
            parts.push(format!("view={}", percent_encode(view)));
        }
        parts.join("&")
    }
}

/// Everything read from one query string or command line.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    pub config: Config,
    pub page: PageOptions,
    /// One message per repaired or ignored input, in input order.
    pub messages: Vec<Message>,
}

/// The whole link for a configured example: knobs first, then page options.
pub fn link_query(config: &Config, page: &PageOptions) -> String {
    let knobs = config.to_query();
    let page = page.to_query();
    match (knobs.is_empty(), page.is_empty()) {
        (true, _) => page,
        (_, true) => knobs,
        _ => format!("{knobs}&{page}"),
    }
}

/// Parses `(key, value)` pairs. A `None` value means the key came bare (`?gil`, `--gil`).
/// Reserved keys fill [`PageOptions`]; everything else is a knob or reported as unknown.
pub fn parse_pairs_full<I, K, V>(spec: &'static [KnobSpec], pairs: I) -> Parsed
where
    I: IntoIterator<Item = (K, Option<V>)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut parsed = parse_uncapped(spec, pairs);
    cap_messages(&mut parsed.messages);
    parsed
}

fn parse_uncapped<I, K, V>(spec: &'static [KnobSpec], pairs: I) -> Parsed
where
    I: IntoIterator<Item = (K, Option<V>)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut config = Config::defaults(spec);
    let mut page = PageOptions::default();
    let mut messages = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (key, value) in pairs {
        let key = key.as_ref().trim();
        let value = value.as_ref().map(|v| v.as_ref());
        let normal = normalize_key(key);
        if normal.is_empty() {
            if value.is_some_and(|v| !v.trim().is_empty()) {
                messages.push(Message {
                    key: String::new(),
                    text: format!(
                        "a value '{}' came without a setting name; ignored",
                        shorten(value.unwrap_or_default())
                    ),
                });
            }
            continue;
        }
        let is_knob = find_knob(spec, &normal).is_some();
        let is_reserved = RESERVED_KEYS.contains(&normal.as_str());
        if (is_knob || is_reserved) && seen.contains(&normal) {
            messages.push(Message {
                key: shorten(key),
                text: format!(
                    "'{}' was given more than once; using the last value '{}'",
                    shorten(key),
                    shorten(value.unwrap_or_default())
                ),
            });
        } else if is_knob || is_reserved {
            seen.push(normal.clone());
        }
        if is_reserved {
            parse_page_option(spec, &normal, value, &mut page, &mut messages);
        } else if let Some(index) = find_knob(spec, &normal) {
            let knob = &spec[index];
            let value = match value {
                Some(v) => validate(knob, v, &mut messages),
                None => bare_key(knob, &mut messages),
            };
            config.values[index] = value;
        } else {
            messages.push(unknown_key(spec, key));
        }
    }
    Parsed {
        config,
        page,
        messages,
    }
}

/// At most this many messages come back; a link stuffed with junk gets a summary line
/// instead of a wall of text.
pub const MAX_MESSAGES: usize = 20;

fn cap_messages(messages: &mut Vec<Message>) {
    if messages.len() > MAX_MESSAGES {
        let hidden = messages.len() - (MAX_MESSAGES - 1);
        messages.truncate(MAX_MESSAGES - 1);
        messages.push(Message {
            key: String::new(),
            text: format!("...and {hidden} more problems with these settings"),
        });
    }
}

/// Parses `(key, value)` text pairs into a config. Reserved page keys are accepted
/// silently (use [`parse_pairs_full`] to read them); everything else is validated.
pub fn parse_pairs<I, K, V>(spec: &'static [KnobSpec], pairs: I) -> (Config, Vec<Message>)
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let parsed = parse_pairs_full(spec, pairs.into_iter().map(|(k, v)| (k, Some(v))));
    (parsed.config, parsed.messages)
}

/// Parses a URL query string: `a=1&b=two`, with or without a leading `?`, percent-decoded,
/// `+` read as a space, `;` not a separator. Empty segments (`a=1&&b=2`) are skipped.
pub fn parse_query(spec: &'static [KnobSpec], query: &str) -> Parsed {
    let query = query.strip_prefix('?').unwrap_or(query);
    let pairs =
        query
            .split('&')
            .filter(|s| !s.is_empty())
            .map(|segment| match segment.split_once('=') {
                Some((k, v)) => (percent_decode(k), Some(percent_decode(v))),
                None => (percent_decode(segment), None),
            });
    parse_pairs_full(spec, pairs)
}

/// Parses command-line arguments: `--key value`, `--key=value`, or a bare `--key`
/// (followed by another `--` argument or nothing), which means "on" for a switch.
/// A value may start with a single `-` (`--items -5` is read, then clamped).
/// Anything that is not a `--key` is reported and ignored. The CLI removes its own
/// options (`--trace FILE`) before calling this.
pub fn parse_cli<S: AsRef<str>>(spec: &'static [KnobSpec], args: &[S]) -> Parsed {
    let mut pairs: Vec<(String, Option<String>)> = Vec::new();
    let mut stray: Vec<Message> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_ref();
        if let Some(rest) = arg.strip_prefix("--") {
            if let Some((k, v)) = rest.split_once('=') {
                pairs.push((k.to_string(), Some(v.to_string())));
                i += 1;
            } else {
                match args.get(i + 1).map(|a| a.as_ref()) {
                    Some(next) if !next.starts_with("--") => {
                        pairs.push((rest.to_string(), Some(next.to_string())));
                        i += 2;
                    }
                    _ => {
                        pairs.push((rest.to_string(), None));
                        i += 1;
                    }
                }
            }
        } else {
            stray.push(Message {
                key: shorten(arg),
                text: format!(
                    "'{}' is not a setting (settings look like --pool 4); ignored",
                    shorten(arg)
                ),
            });
            i += 1;
        }
    }
    let mut parsed = parse_uncapped(spec, pairs);
    parsed.messages.extend(stray);
    cap_messages(&mut parsed.messages);
    parsed
}

fn parse_page_option(
    spec: &'static [KnobSpec],
    key: &str,
    value: Option<&str>,
    page: &mut PageOptions,
    messages: &mut Vec<Message>,
) {
    match key {
        "run" | "embed" => {
            let flag = match value {
                None => true,
                Some(v) => parse_bool(v).unwrap_or_else(|| {
                    messages.push(Message {
                        key: key.to_string(),
                        text: format!("'{key}' should be 1 or 0, not '{}'; using 0", shorten(v)),
                    });
                    false
                }),
            };
            if key == "run" {
                page.run = flag;
            } else {
                page.embed = flag;
            }
        }
        "lock" => {
            page.locked.clear();
            for name in value.unwrap_or_default().split(',') {
                let name = name.trim();
                if name.is_empty() {
                    continue;
                }
                match find_knob(spec, name) {
                    Some(index) => {
                        let k = spec[index].key;
                        if !page.locked.contains(&k) {
                            page.locked.push(k);
                        }
                    }
                    None => messages.push(Message {
                        key: "lock".to_string(),
                        text: format!(
                            "cannot lock '{}': this example has no such setting",
                            shorten(name)
                        ),
                    }),
                }
            }
        }
        _ => {
            let v = value.unwrap_or_default().trim().to_ascii_lowercase();
            let ok = !v.is_empty()
                && v.len() <= 32
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if ok {
                page.view = Some(v);
            } else {
                page.view = None;
                messages.push(Message {
                    key: "view".to_string(),
                    text: format!(
                        "'view' should be a short word like 'python', not '{}'; using the default view",
                        shorten(value.unwrap_or_default())
                    ),
                });
            }
        }
    }
}

/// A key with nothing after it: "on" for a switch, the default (with a message) otherwise.
fn bare_key(spec: &KnobSpec, messages: &mut Vec<Message>) -> KnobValue {
    match spec.kind {
        KnobKind::Bool { .. } => KnobValue::Bool(true),
        _ => {
            let default = spec.default_value();
            messages.push(Message {
                key: spec.key.to_string(),
                text: format!("{} needs a value; using {}", spec.label, default),
            });
            default
        }
    }
}

/// Turns text into a valid value for `spec`, explaining every repair.
fn validate(spec: &KnobSpec, raw: &str, messages: &mut Vec<Message>) -> KnobValue {
    let text = raw.trim();
    let mut note = |text: String| {
        messages.push(Message {
            key: spec.key.to_string(),
            text,
        })
    };
    if text.is_empty() {
        let default = spec.default_value();
        note(format!(
            "{} is empty; using the default {}",
            spec.label, default
        ));
        return default;
    }
    match spec.kind {
        KnobKind::Int { min, max, default } => {
            // One message per input: a rounded value that is also out of range is only
            // reported as out of range.
            let (number, rounded) = match parse_int(text) {
                IntParse::Exact(n) => (n, false),
                IntParse::Rounded(n) => (n, true),
                IntParse::TooBig => (i64::MAX, false),
                IntParse::TooSmall => (i64::MIN, false),
                IntParse::Invalid => {
                    note(format!(
                        "{} should be a whole number from {min} to {max}, not '{}'; using the default {default}",
                        spec.label,
                        shorten(text)
                    ));
                    return KnobValue::Int(default);
                }
            };
            if number > max {
                note(format!(
                    "{} {} is above the maximum {max}; using {max}",
                    spec.label,
                    shorten(text)
                ));
                KnobValue::Int(max)
            } else if number < min {
                note(format!(
                    "{} {} is below the minimum {min}; using {min}",
                    spec.label,
                    shorten(text)
                ));
                KnobValue::Int(min)
            } else {
                if rounded {
                    note(format!(
                        "{} must be a whole number; rounding {} to {number}",
                        spec.label,
                        shorten(text)
                    ));
                }
                KnobValue::Int(number)
            }
        }
        KnobKind::Float { min, max, default } => match parse_f64(text) {
            Some(v) if v.is_finite() || v.is_infinite() => {
                if v > max {
                    note(format!(
                        "{} {} is above the maximum {max}; using {max}",
                        spec.label,
                        shorten(text)
                    ));
                    KnobValue::Float(max)
                } else if v < min {
                    note(format!(
                        "{} {} is below the minimum {min}; using {min}",
                        spec.label,
                        shorten(text)
                    ));
                    KnobValue::Float(min)
                } else {
                    // Normalises -0 to 0 so the value prints and round-trips plainly.
                    KnobValue::Float(v + 0.0)
                }
            }
            _ => {
                note(format!(
                    "{} should be a number from {min} to {max}, not '{}'; using the default {default}",
                    spec.label,
                    shorten(text)
                ));
                KnobValue::Float(default)
            }
        },
        KnobKind::Bool { default } => match parse_bool(text) {
            Some(v) => KnobValue::Bool(v),
            None => {
                note(format!(
                    "{} should be on or off (1/0, true/false, yes/no), not '{}'; using {}",
                    spec.label,
                    shorten(text),
                    if default { "on" } else { "off" }
                ));
                KnobValue::Bool(default)
            }
        },
        KnobKind::Choice { options, default } => {
            match options.iter().find(|o| o.eq_ignore_ascii_case(text)) {
                Some(option) => KnobValue::Choice(option),
                None => {
                    note(format!(
                        "{} should be one of {}, not '{}'; using {default}",
                        spec.label,
                        options.join(", "),
                        shorten(text)
                    ));
                    KnobValue::Choice(default)
                }
            }
        }
    }
}

enum IntParse {
    Exact(i64),
    Rounded(i64),
    TooBig,
    TooSmall,
    Invalid,
}

/// Reads an integer, telling overflow (all digits, just too many) apart from garbage so the
/// learner hears "above the maximum" rather than "not a number".
fn parse_int(text: &str) -> IntParse {
    if let Ok(n) = text.parse::<i64>() {
        return IntParse::Exact(n);
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return if negative {
            IntParse::TooSmall
        } else {
            IntParse::TooBig
        };
    }
    match parse_f64(text) {
        Some(v) if v.is_nan() => IntParse::Invalid,
        Some(v) if v >= 9.2e18 => IntParse::TooBig,
        Some(v) if v <= -9.2e18 => IntParse::TooSmall,
        Some(v) => {
            let r = v.round() as i64;
            if (r as f64) == v {
                IntParse::Exact(r)
            } else {
                IntParse::Rounded(r)
            }
        }
        None => IntParse::Invalid,
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    let t = text.trim().to_ascii_lowercase();
    match t.as_str() {
        "1" | "true" | "yes" | "on" | "y" | "t" => Some(true),
        "0" | "false" | "no" | "off" | "n" | "f" => Some(false),
        _ => None,
    }
}

fn unknown_key(spec: &'static [KnobSpec], key: &str) -> Message {
    let known: Vec<&str> = spec.iter().map(|k| k.key).collect();
    let text = if known.is_empty() {
        format!(
            "unknown setting '{}' ignored: this example has no settings",
            shorten(key)
        )
    } else {
        format!(
            "unknown setting '{}' ignored (this example has: {})",
            shorten(key),
            known.join(", ")
        )
    };
    Message {
        key: shorten(key),
        text,
    }
}

/// The environment variable a Python text reads for a knob: `latency-ms` -> `LATENCY_MS`.
pub fn env_name(key: &str) -> String {
    key.to_ascii_uppercase().replace('-', "_")
}

/// Lowercase, trimmed, `_` read as `-`.
fn normalize_key(key: &str) -> String {
    key.trim().to_ascii_lowercase().replace('_', "-")
}

fn find_knob(spec: &[KnobSpec], key: &str) -> Option<usize> {
    let normal = normalize_key(key);
    spec.iter().position(|k| k.key == normal)
}

/// At most 40 characters of user text in a message, cut on a character boundary, with
/// control characters replaced, so a 1 MB value cannot flood the page.
fn shorten(text: &str) -> String {
    const LIMIT: usize = 40;
    let mut out: String = text
        .chars()
        .take(LIMIT)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    if text.chars().nth(LIMIT).is_some() {
        out.push('…');
    }
    out
}

/// Decodes `%XX` escapes and `+` (a space, as in HTML forms). A malformed escape is kept
/// as text; bytes that are not valid UTF-8 become U+FFFD. Never fails.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|b| (*b as char).to_digit(16));
                let lo = bytes.get(i + 2).and_then(|b| (*b as char).to_digit(16));
                match (hi, lo) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes everything except the URL-unreserved characters (`A-Z a-z 0-9 - . _ ~`) and `,`
/// (kept readable for `lock=pool,items`).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b',') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Reads a decimal number exactly as `text.parse::<f64>()` does: the same accepted
/// syntax (sign, digits, point, exponent, `inf`/`infinity`/`nan` in any case) and the same
/// correctly rounded value.
///
/// In the browser the digits are converted by JS's `parseFloat`, which also rounds
/// correctly, once [`is_rust_float_syntax`] has accepted the text: Rust's own parser
/// carries a 10 KB table of powers of five that gzip cannot shrink, about 11 KB of the
/// page. Natively it is Rust's parser.
pub fn parse_f64(text: &str) -> Option<f64> {
    #[cfg(target_arch = "wasm32")]
    {
        if !is_rust_float_syntax(text) {
            return None;
        }
        let unsigned = text.trim_start_matches(['+', '-']);
        let negative = text.starts_with('-');
        let special = match unsigned.to_ascii_lowercase().as_str() {
            "inf" | "infinity" => Some(f64::INFINITY),
            "nan" => Some(f64::NAN),
            _ => None,
        };
        match special {
            Some(v) if negative => Some(-v),
            Some(v) => Some(v),
            None => Some(js_sys::parse_float(text)),
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        text.parse().ok()
    }
}

/// Whether `text.parse::<f64>()` accepts `text`: an optional sign, then `inf`, `infinity`
/// or `nan` in any case, or digits with an optional point (a digit on at least one side)
/// and an optional exponent (`e` or `E`, optional sign, at least one digit). No spaces,
/// no underscores, no hex.
pub fn is_rust_float_syntax(text: &str) -> bool {
    let s = text.strip_prefix(['+', '-']).unwrap_or(text).as_bytes();
    if ["inf", "infinity", "nan"]
        .iter()
        .any(|w| s.eq_ignore_ascii_case(w.as_bytes()))
    {
        return true;
    }
    let digits = |s: &[u8], i: usize| s[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    let whole = digits(s, 0);
    let mut i = whole;
    let mut fraction = 0;
    if s.get(i) == Some(&b'.') {
        fraction = digits(s, i + 1);
        i += 1 + fraction;
    }
    if whole + fraction == 0 {
        return false;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exponent = digits(s, i);
        if exponent == 0 {
            return false;
        }
        i += exponent;
    }
    i == s.len()
}

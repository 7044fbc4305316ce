//! The site's hash routes (`#/`, `#/examples/<id>`, `#/environment`, `#/replay`), so any
//! static host serves every link. Platform-neutral, so the matching is tested natively;
//! the UI (`ui::app`) listens for hash changes and renders the matched page.
//!
//! Matched by hand rather than with yew-router: the page has four routes and one
//! navigation, and yew-router with its history and route-matching crates was about 22 KB
//! of the page's gzip size. The rules are the ones yew-router applied: one trailing slash
//! is ignored, an example id is a single non-empty path segment, percent-decoded, and
//! anything else is [`Route::NotFound`].

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Home,
    Example { id: String },
    Environment,
    Replay,
    NotFound,
}

impl Route {
    /// The route of a hash's path (what follows `#`, without the `?query`).
    pub fn recognize(path: &str) -> Route {
        let path = path.strip_suffix('/').unwrap_or(path);
        match path {
            "" => Route::Home,
            "/environment" => Route::Environment,
            "/replay" => Route::Replay,
            _ => match path.strip_prefix("/examples/") {
                Some(id) if !id.is_empty() && !id.contains('/') => match percent_decode(id) {
                    Some(id) => Route::Example { id },
                    None => Route::NotFound,
                },
                _ => Route::NotFound,
            },
        }
    }

    /// The hash path that leads to this route (without the `#`).
    pub fn path(&self) -> String {
        match self {
            Route::Home => "/".to_string(),
            Route::Example { id } => format!("/examples/{id}"),
            Route::Environment => "/environment".to_string(),
            Route::Replay => "/replay".to_string(),
            Route::NotFound => "/404".to_string(),
        }
    }
}

/// Decodes `%XX` escapes. A `%` not followed by two hex digits stays as it is; `None` when
/// the decoded bytes are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match escaped {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(id: &str) -> Route {
        Route::Example { id: id.to_string() }
    }

    #[test]
    fn recognizes_every_page() {
        assert_eq!(Route::recognize("/"), Route::Home);
        assert_eq!(Route::recognize(""), Route::Home);
        assert_eq!(Route::recognize("/examples/lock"), example("lock"));
        assert_eq!(Route::recognize("/examples/lock/"), example("lock"));
        assert_eq!(Route::recognize("/environment"), Route::Environment);
        assert_eq!(Route::recognize("/environment/"), Route::Environment);
        assert_eq!(Route::recognize("/replay"), Route::Replay);
        for path in [
            "/404",
            "/nope",
            "/examples",
            "/examples/",
            "/examples/a/b",
            "/Replay",
        ] {
            assert_eq!(Route::recognize(path), Route::NotFound, "{path}");
        }
    }

    #[test]
    fn example_ids_are_percent_decoded() {
        assert_eq!(Route::recognize("/examples/no%20such"), example("no such"));
        assert_eq!(Route::recognize("/examples/%E2%80%9Cx"), example("“x"));
        assert_eq!(Route::recognize("/examples/100%"), example("100%"));
        assert_eq!(Route::recognize("/examples/%zz"), example("%zz"));
        assert_eq!(Route::recognize("/examples/%FF"), Route::NotFound);
    }

    #[test]
    fn paths_lead_back_to_their_routes() {
        for r in [
            Route::Home,
            example("lock"),
            Route::Environment,
            Route::Replay,
            Route::NotFound,
        ] {
            assert_eq!(Route::recognize(&r.path()), r);
        }
    }
}

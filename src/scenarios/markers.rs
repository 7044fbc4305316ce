//! Cutting the code a learner reads out of a scenario module. This file has no
//! dependencies on purpose: `build.rs` compiles it too (`#[path]`), so the page ships only
//! the cut text and the library's [`extract_between_markers`] is the very same function.

/// The line that opens the shown code; it must be alone on its line (after trimming).
pub const MARKER_START: &str = "// ANCHOR: code";
/// The line that closes it.
pub const MARKER_END: &str = "// ANCHOR_END: code";

/// The text between the `// ANCHOR: code` line and the `// ANCHOR_END: code` line, without
/// the marker lines and without leading or trailing blank lines. Markers only count when
/// they stand alone on a line, so a string literal mentioning them is not a marker.
/// Returns `""` if either marker is missing or they come in the wrong order.
pub fn extract_between_markers(source: &str) -> &str {
    let mut start = None;
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let next = offset + line.len();
        let trimmed = line.trim();
        match start {
            None if trimmed == MARKER_START => start = Some(next),
            Some(begin) if trimmed == MARKER_END => {
                return trim_blank_lines(&source[begin..offset]);
            }
            _ => {}
        }
        offset = next;
    }
    ""
}

/// Drops whole blank lines at both ends but keeps the first line's indentation.
fn trim_blank_lines(text: &str) -> &str {
    let mut begin = 0;
    for line in text.split_inclusive('\n') {
        if line.trim().is_empty() {
            begin += line.len();
        } else {
            break;
        }
    }
    text[begin..].trim_end()
}

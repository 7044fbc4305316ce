//! Condition. Its catalogue entry (knobs, Python, lesson) is in [`super::catalog`]; the code
//! that runs goes between the markers below, which the page shows to the learner verbatim.

// ANCHOR: code
// (The Rust that runs this example is written here in the next round.)
// ANCHOR_END: code

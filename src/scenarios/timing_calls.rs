//! Timing a call, k at a time. Its catalogue entry (knobs, Python, lesson) is in [`super::catalog`]; the code
//! that runs goes between the markers below, which the page shows to the learner verbatim.

// ANCHOR: code
// (The Rust that runs this example is written here in the next round.)
// ANCHOR_END: code

// Not written yet: the next round puts the running code between the markers above.
pub fn run(_s: &super::runner::Scene) -> crate::engine::EngineResult<()> {
    Err(crate::engine::EngineError::Invalid(
        "this example is not runnable yet".into(),
    ))
}

pub fn threads_needed(_c: &super::knob::Config) -> usize {
    1
}

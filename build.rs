//! Cuts the code learners read out of each scenario module at build time, so the page
//! carries only those snippets instead of whole source files (tests, helpers and all).
//! The catalogue includes them from `OUT_DIR/shown_code/<stem>.rs`.

use std::path::Path;
use std::{env, fs};

// The same cutting function the library exports, so build and tests agree by construction.
#[path = "src/scenarios/markers.rs"]
mod markers;

fn main() {
    let source_dir = Path::new("src/scenarios");
    println!("cargo:rerun-if-changed={}", source_dir.display());
    println!("cargo:rerun-if-changed=build.rs");
    let out_dir = env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let shown_dir = Path::new(&out_dir).join("shown_code");
    fs::create_dir_all(&shown_dir).expect("create OUT_DIR/shown_code");
    let entries = fs::read_dir(source_dir).expect("read src/scenarios");
    for entry in entries {
        let path = entry.expect("list src/scenarios").path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let text = fs::read_to_string(&path).expect("read a scenario module");
        let shown = markers::extract_between_markers(&text);
        // Modules without markers get no file: a catalogue entry naming one then fails to
        // compile instead of showing an empty code panel.
        if shown.is_empty() {
            continue;
        }
        let name = path.file_name().expect("a file name");
        fs::write(shown_dir.join(name), shown).expect("write a cut snippet");
    }
}

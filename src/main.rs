//! Boot only: the browser app starts here (see `ui::start`). Natively this binary is empty;
//! the native front end is the `playground` CLI.

#[cfg(target_arch = "wasm32")]
fn main() {
    concurrency_playground::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "the app runs in the browser: use `trunk serve` (see README.md), or the `playground` CLI"
    );
}

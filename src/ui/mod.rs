//! The yew UI (wasm32 only). It reads trace events and scenario metadata, never engine
//! internals, and never blocks: events are drained once per animation frame.

pub mod app;
pub mod fetch;
pub mod frame;
pub mod history_store;
pub mod live_feed;
pub mod pages;
pub mod views_handle;
pub mod widgets;

/// Boot the app into `<body>` and start the worker pools.
pub fn start() {
    app::start_pools();
    yew::Renderer::<app::App>::new().render();
}

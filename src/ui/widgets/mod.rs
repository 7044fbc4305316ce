pub mod env_panel;
pub mod knob_form;
pub mod live_console;
pub mod pool_control;

// Share, embed, export and replay (issue 6).
pub mod embed;
pub mod flood_check;
pub mod recorded_run;
pub mod share_bar;

// Views of a run's trace (see `crate::ui::views_handle`).
pub mod code_view;
pub mod common;
pub mod console;
pub mod run_history;
pub mod speedup_chart;
pub mod state_panel;
pub mod timeline;
pub mod timings;

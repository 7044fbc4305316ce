pub mod env_panel;
pub mod knob_form;
pub mod live_console;
pub mod pool_control;

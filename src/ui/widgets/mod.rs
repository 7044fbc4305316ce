pub mod env_panel;
pub mod live_console;
pub mod pool_control;

pub mod environment;
pub mod example;
pub mod example_views;
pub mod home;
pub mod not_found;
pub mod replay;

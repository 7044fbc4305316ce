//! One module per curriculum pattern.

pub mod smoke;

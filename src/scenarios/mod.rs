//! One module per curriculum pattern.

//! How widgets receive the views of the trace: one shared, mutable `Views` (the page
//! applies each frame's events to it) plus a version number that changes whenever it does.
//! Props compare the version, so a widget re-renders exactly when its data changed,
//! without cloning 100k console lines per frame.

use crate::views::Views;
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Clone)]
pub struct ViewsHandle {
    inner: Rc<RefCell<Views>>,
    pub version: u64,
}

impl PartialEq for ViewsHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner) && self.version == other.version
    }
}

impl Default for ViewsHandle {
    fn default() -> Self {
        Self::new(Views::new())
    }
}

impl ViewsHandle {
    pub fn new(views: Views) -> Self {
        ViewsHandle {
            inner: Rc::new(RefCell::new(views)),
            version: 0,
        }
    }

    /// Read the views (during render).
    pub fn borrow(&self) -> std::cell::Ref<'_, Views> {
        self.inner.borrow()
    }

    /// Change the views and return the handle with a new version, for `use_state::set`.
    pub fn update(&self, f: impl FnOnce(&mut Views)) -> ViewsHandle {
        f(&mut self.inner.borrow_mut());
        ViewsHandle {
            inner: self.inner.clone(),
            version: self.version + 1,
        }
    }

    /// Replace the views wholesale (a new run, a replay seek).
    pub fn replace(&self, views: Views) -> ViewsHandle {
        *self.inner.borrow_mut() = views;
        ViewsHandle {
            inner: self.inner.clone(),
            version: self.version + 1,
        }
    }
}

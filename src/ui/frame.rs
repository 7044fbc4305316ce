//! A per-animation-frame callback: the one place the UI pulls events from running work.

use gloo::render::{request_animation_frame, AnimationFrame};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Call `tick` once per animation frame while the component is mounted.
#[hook]
pub fn use_frame_loop(tick: Callback<f64>) {
    let tick_ref = use_mut_ref(|| tick.clone());
    *tick_ref.borrow_mut() = tick;
    use_effect_with((), move |_| {
        let handle: Rc<RefCell<Option<AnimationFrame>>> = Rc::new(RefCell::new(None));
        schedule(handle.clone(), tick_ref);
        move || {
            handle.borrow_mut().take();
        }
    });
}

fn schedule(handle: Rc<RefCell<Option<AnimationFrame>>>, tick: Rc<RefCell<Callback<f64>>>) {
    let next = handle.clone();
    let frame = request_animation_frame(move |t| {
        tick.borrow().emit(t);
        // Unmounted components drop the handle; only reschedule while it is alive.
        if next.borrow().is_some() {
            schedule(next.clone(), tick.clone());
        }
    });
    *handle.borrow_mut() = Some(frame);
}

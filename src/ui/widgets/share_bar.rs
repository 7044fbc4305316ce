//! The share bar under an example's Run button: copy a link to the current config, get an
//! iframe snippet, download the run (Chrome trace, timings CSV, console text, our own
//! trace file), and replay it.
//!
//! The page hands over its collected events as a shared [`RunEvents`] rather than a
//! `Vec` prop: a run of a million events must not be cloned into props every frame. The
//! exports read it only when a button is pressed.

use crate::engine::trace::Event;
use crate::scenarios::knob::{self, Config, PageOptions};
use crate::ui::pages::example::Figure;
use crate::ui::views_handle::ViewsHandle;
use crate::views::export::{chrome_trace, save_trace, TraceFile};
use crate::views::timings::csv_field;
use crate::views::AppendLog;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

/// Every event of the current run, in the order the views applied them (by `seq`).
#[derive(Clone, Default)]
pub struct RunEvents(pub Rc<RefCell<AppendLog<Event>>>);

impl PartialEq for RunEvents {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl RunEvents {
    pub fn len(&self) -> usize {
        self.0.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy in one piece, for an export (only when a button asks for one).
    pub fn to_vec(&self) -> Vec<Event> {
        self.0.borrow().iter().cloned().collect()
    }
}

#[derive(Properties, PartialEq)]
pub struct ShareBarProps {
    pub scenario: &'static str,
    pub title: &'static str,
    pub config: Config,
    pub page: PageOptions,
    pub views: ViewsHandle,
    pub events: RunEvents,
    #[prop_or_default]
    pub figures: Vec<Figure>,
    /// A run has ended (done, failed or cancelled): exports and replay are offered.
    pub finished: bool,
}

/// The page's address without its hash (`https://host/path/`).
fn base_url() -> String {
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    href.split('#').next().unwrap_or_default().to_string()
}

fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// The full link for a config. `embed` adds `embed=1`; autostart is never carried.
pub fn share_url(id: &str, config: &Config, page: &PageOptions, embed: bool) -> String {
    let page = PageOptions {
        run: false,
        embed,
        ..page.clone()
    };
    let q = knob::link_query(config, &page);
    let base = base_url();
    if q.is_empty() {
        format!("{base}#/examples/{id}")
    } else {
        format!("{base}#/examples/{id}?{q}")
    }
}

/// The snippet a teacher pastes into a course page: the iframe and the height script.
pub fn embed_snippet(src: &str, title: &str, origin: &str) -> String {
    format!(
        r#"<iframe src="{src}" title="{title} (Concurrency Playground)"
  width="100%" height="900" style="border:0" loading="lazy"
  allow="cross-origin-isolated"></iframe>
<script>
  // Let the playground size its iframe to its content.
  addEventListener('message', (e) => {{
    if (e.origin !== '{origin}' || !e.data || e.data.type !== 'concurrency-playground:height') return;
    for (const f of document.querySelectorAll('iframe'))
      if (f.contentWindow === e.source) f.style.height = Math.ceil(e.data.height) + 'px';
  }});
</script>"#,
        src = src.replace('"', "%22"),
        title = title.replace(['"', '<', '>'], ""),
    )
}

/// Save `text` as a file through a Blob, an object URL and a temporary `<a download>`.
pub fn download_text(filename: &str, mime: &str, text: &str) -> Result<(), String> {
    let fail = |e: JsValue| format!("The download could not start: {e:?}");
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts).map_err(fail)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(fail)?
        .dyn_into()
        .map_err(|_| "not an anchor".to_string())?;
    a.set_href(&url);
    a.set_download(filename);
    a.set_hidden(true);
    if let Some(body) = document.body() {
        let _ = body.append_child(&a);
    }
    a.click();
    a.remove();
    // Revoke later: some browsers read the URL after `click` returns.
    gloo::timers::callback::Timeout::new(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

/// The timings CSV, followed by the figures the scenario measured.
fn timings_csv(views: &ViewsHandle, figures: &[Figure]) -> String {
    let mut s = views.borrow().timings.csv();
    if !figures.is_empty() {
        s.push_str("\nfigure,value,unit,text\n");
        for f in figures {
            s.push_str(&format!(
                "{},{},{},{}\n",
                csv_field(&f.key),
                f.value,
                csv_field(&f.unit),
                csv_field(&f.text)
            ));
        }
    }
    s
}

/// Hands a finished run to the replay page (which takes it when it opens).
pub fn trace_of_run(id: &str, config: &Config, events: &RunEvents) -> TraceFile {
    TraceFile::new(id, &config.to_query(), events.to_vec())
}

/// A file to hand to the browser's download.
struct Download {
    name: String,
    mime: &'static str,
    text: String,
}

impl Download {
    fn new(name: String, mime: &'static str, text: String) -> Self {
        Download { name, mime, text }
    }
}

/// A button's click handler that builds a file (only when clicked) and downloads it;
/// a failure is shown under the buttons.
///
/// `make` is boxed so the handler (with [`download_text`] inlined into it) exists once
/// rather than once per button.
fn download_button(
    error: &UseStateHandle<Option<String>>,
    make: Box<dyn Fn() -> Result<Download, String>>,
) -> Callback<MouseEvent> {
    let error = error.clone();
    Callback::from(move |_: MouseEvent| {
        let result = make().and_then(|d| download_text(&d.name, d.mime, &d.text));
        error.set(result.err());
    })
}

#[derive(Clone, PartialEq)]
enum CopyState {
    Idle,
    Copied,
    /// The clipboard refused: show the link to copy by hand.
    Refused,
}

#[function_component(ShareBar)]
pub fn share_bar(p: &ShareBarProps) -> Html {
    let copy_state = use_state(|| CopyState::Idle);
    let embed_open = use_state(|| false);
    let error = use_state(|| None::<String>);
    let link = share_url(p.scenario, &p.config, &p.page, false);

    let on_copy = {
        let (copy_state, link) = (copy_state.clone(), link.clone());
        Callback::from(move |_: MouseEvent| {
            let (copy_state, link) = (copy_state.clone(), link.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let ok = match clipboard() {
                    Some(c) => wasm_bindgen_futures::JsFuture::from(c.write_text(&link))
                        .await
                        .is_ok(),
                    None => false,
                };
                copy_state.set(if ok {
                    CopyState::Copied
                } else {
                    CopyState::Refused
                });
            });
        })
    };
    let on_embed = {
        let embed_open = embed_open.clone();
        Callback::from(move |_: MouseEvent| embed_open.set(!*embed_open))
    };
    let stem = p.scenario.to_string();
    let on_trace = {
        let (events, title, stem) = (p.events.clone(), p.title, stem.clone());
        download_button(
            &error,
            Box::new(move || {
                let text = chrome_trace(&events.to_vec(), title);
                Ok(Download::new(
                    format!("{stem}.trace.json"),
                    "application/json",
                    text,
                ))
            }),
        )
    };
    let on_csv = {
        let (views, figures, stem) = (p.views.clone(), p.figures.clone(), stem.clone());
        download_button(
            &error,
            Box::new(move || {
                let text = timings_csv(&views, &figures);
                Ok(Download::new(
                    format!("{stem}-timings.csv"),
                    "text/csv",
                    text,
                ))
            }),
        )
    };
    let on_console = {
        let (views, stem) = (p.views.clone(), stem.clone());
        download_button(
            &error,
            Box::new(move || {
                let text = views.borrow().console.plain_text();
                Ok(Download::new(
                    format!("{stem}-console.txt"),
                    "text/plain",
                    text,
                ))
            }),
        )
    };
    let on_save = {
        let (events, config, id, stem) =
            (p.events.clone(), p.config.clone(), p.scenario, stem.clone());
        download_button(
            &error,
            Box::new(move || {
                let text = save_trace(&trace_of_run(id, &config, &events))?;
                Ok(Download::new(
                    format!("{stem}.playground-trace.json"),
                    "application/json",
                    text,
                ))
            }),
        )
    };
    let on_replay = {
        let (events, config, id) = (p.events.clone(), p.config.clone(), p.scenario);
        Callback::from(move |_: MouseEvent| {
            crate::ui::pages::replay::hand_off(trace_of_run(id, &config, &events));
            crate::ui::app::navigate(&crate::ui::app::Route::Replay);
        })
    };

    let can_export = p.finished && !p.events.is_empty();
    let embed_src = share_url(p.scenario, &p.config, &p.page, true);
    html! {
        <section class="share-bar" aria-label="Share and export" data-testid="share-bar">
            <div class="buttons share-buttons">
                <button type="button" onclick={on_copy} data-testid="copy-link">{"Copy link"}</button>
                <button type="button" onclick={on_embed} aria-expanded={(*embed_open).to_string()}
                    aria-controls="embed-dialog" data-testid="embed-button">{"Embed"}</button>
                if *copy_state == CopyState::Copied {
                    <span role="status" data-testid="copied">{"Link copied"}</span>
                }
            </div>
            if *copy_state == CopyState::Refused {
                <label class="share-link">{"The clipboard is not available here; copy the link: "}
                    <input type="text" readonly=true value={link.clone()} data-testid="share-link"
                        onfocus={Callback::from(|e: FocusEvent| {
                            if let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() { i.select(); }
                        })} />
                </label>
            }
            if *embed_open {
                <div id="embed-dialog" class="embed-dialog" role="region" aria-label="Embed this example" data-testid="embed-dialog">
                    <label for="embed-snippet">{"Paste this into your course page:"}</label>
                    <textarea id="embed-snippet" readonly=true rows="12" data-testid="embed-snippet"
                        value={embed_snippet(&embed_src, p.title, &origin())} />
                    <p>{"Live threads in an iframe need a cross-origin isolated host: serve the course page with "}
                        <code>{"Cross-Origin-Opener-Policy: same-origin"}</code>{" and "}
                        <code>{"Cross-Origin-Embedder-Policy: require-corp"}</code>
                        {", keep "}<code>{"allow=\"cross-origin-isolated\""}</code>{" on the iframe, and load the playground from a server that answers with "}
                        <code>{"Cross-Origin-Resource-Policy: cross-origin"}</code>
                        {" (ours does). On a host without those headers the embed still loads, explains why the workers cannot start, and offers to open the example in a new tab. The script resizes the iframe to the playground's height."}</p>
                </div>
            }
            <div class="buttons export-buttons">
                <button type="button" onclick={on_trace} disabled={!can_export} data-testid="download-trace"
                    title="Chrome Trace Event JSON">{"Download trace"}</button>
                <button type="button" onclick={on_csv} disabled={!can_export} data-testid="download-csv">{"Download CSV"}</button>
                <button type="button" onclick={on_console} disabled={!can_export} data-testid="download-console">{"Download console"}</button>
                <button type="button" onclick={on_save} disabled={!can_export} data-testid="save-run">{"Save run"}</button>
                <button type="button" onclick={on_replay} disabled={!can_export} data-testid="replay-run">{"Replay this run"}</button>
            </div>
            <p class="hint">{"The trace opens at ui.perfetto.dev or chrome://tracing. \"Save run\" keeps every event, to replay later on the "}
                <a href="#/replay">{"replay page"}</a>{"."}</p>
            if let Some(m) = &*error {
                <div class="notice bad" role="alert" data-testid="share-error">{m.clone()}</div>
            }
        </section>
    }
}

/// `navigator.clipboard`, when the page may use it (secure contexts only).
fn clipboard() -> Option<web_sys::Clipboard> {
    let nav = web_sys::window()?.navigator();
    let c = js_sys::Reflect::get(&nav, &JsValue::from_str("clipboard")).ok()?;
    if c.is_undefined() || c.is_null() {
        None
    } else {
        Some(c.unchecked_into())
    }
}

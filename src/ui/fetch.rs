//! Fetching the site's own files (the recorded runs, the code an example shows).

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Fetch a same-origin file as bytes. `what` names it in the error ("recorded run",
/// "code"): every failure is a sentence for the learner.
pub async fn fetch_bytes(url: &str, what: &str) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|_| format!("could not fetch {url} (offline?)"))?
        .dyn_into()
        .map_err(|_| "the fetch did not give a response".to_string())?;
    if !response.ok() {
        return Err(format!("no {what} at {url} (HTTP {})", response.status()));
    }
    let unreadable = || format!("could not read the {what} at {url}");
    let buffer = response.array_buffer().map_err(|_| unreadable())?;
    let buffer = JsFuture::from(buffer).await.map_err(|_| unreadable())?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Fetch a same-origin UTF-8 text file.
pub async fn fetch_text(url: &str, what: &str) -> Result<String, String> {
    let bytes = fetch_bytes(url, what).await?;
    String::from_utf8(bytes).map_err(|_| format!("the {what} at {url} is not UTF-8 text"))
}

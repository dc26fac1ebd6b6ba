//! The browser build of the browser API: web-sys and js-sys calls. Every call copes with an API
//! that is missing or refuses (private mode, no wake lock, an iframe): the page carries on.

use wasm_bindgen::{closure::Closure, JsCast, JsValue};

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub fn load(key: &str) -> Option<String> {
    storage()?.get_item(key).ok()?
}

pub fn save(key: &str, value: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(key, value);
    }
}

pub fn forget(key: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(key);
    }
}

/// 128 random bits as 32 hex digits, from the browser's cryptographic source: a join id that
/// nobody else can guess (it fetches its owner's token, so it is as secret as one).
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    // Every browser that runs WebAssembly has crypto; never hand out a fixed id regardless.
    if !filled {
        bytes.iter_mut().for_each(|b| *b = (js_sys::Math::random() * 256.0) as u8);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Shows `path` in the address bar without a navigation, so that a reload comes back here.
pub fn replace_path(path: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(path));
    }
}

/// Milliseconds since the Unix epoch, by this device's clock.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Asks the browser to keep the screen on. `false` when it offers no wake lock; the page then
/// asks the person instead. Browsers release the lock when the page is hidden, so this is
/// called again whenever the page is shown.
pub fn keep_screen_on() -> bool {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else { return false };
    // Through Reflect: web-sys puts the wake lock behind unstable APIs.
    let Ok(wake_lock) = js_sys::Reflect::get(&navigator, &"wakeLock".into()) else { return false };
    if wake_lock.is_undefined() {
        return false;
    }
    let Ok(request) = js_sys::Reflect::get(&wake_lock, &"request".into()) else { return false };
    let Some(request) = request.dyn_ref::<js_sys::Function>() else { return false };
    match request.call1(&wake_lock, &"screen".into()) {
        Ok(promise) => {
            // Refused (battery saver, no user gesture yet): the hint stays useful, nothing breaks.
            if let Ok(promise) = promise.dyn_into::<js_sys::Promise>() {
                ignore_failure(&promise);
            }
            true
        }
        Err(_) => false,
    }
}

/// Buzzes the phone for `ms`, where the browser offers vibration (not iOS Safari: nothing).
pub fn vibrate(ms: u32) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().vibrate_with_duration(ms);
    }
}

/// Offers `content` as a file download named `filename`.
pub fn download(filename: &str, mime: &str, content: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(link) = document.create_element("a") else { return };
    let Ok(link) = link.dyn_into::<web_sys::HtmlAnchorElement>() else { return };
    let encoded = js_sys::encode_uri_component(content);
    link.set_href(&format!("data:{mime};charset=utf-8,{encoded}"));
    link.set_download(filename);
    link.click();
}

/// A Unix time in milliseconds as ISO 8601 (UTC), for exported files.
pub fn iso_time(ms: u64) -> String {
    js_sys::Date::new(&JsValue::from_f64(ms as f64)).to_iso_string().into()
}

/// A Unix time in milliseconds as this device's local time of day, for people.
pub fn local_time(ms: u64) -> String {
    js_sys::Date::new(&JsValue::from_f64(ms as f64)).to_locale_time_string("default").into()
}

/// Shows the page full screen, or leaves full screen if it is. Browsers allow this only in
/// answer to a key or a click, which is where the stage calls it.
pub fn toggle_full_screen() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    if document.fullscreen_element().is_some() {
        document.exit_fullscreen();
    } else if let Some(root) = document.document_element() {
        // Refused (an iframe without permission): the page stays as it is.
        let _ = root.request_fullscreen();
    }
}

/// Leaves full screen, if the page is in it.
pub fn leave_full_screen() {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        if document.fullscreen_element().is_some() {
            document.exit_fullscreen();
        }
    }
}

/// A short rising chime for a reveal, made on the spot by an oscillator (no audio file to
/// fetch): two notes, a fifth apart, fading out in about 0.6 s. Browsers allow sound only after
/// the person has interacted with the page; turning the sound on is that interaction.
pub fn play_reveal_sound() {
    let Ok(audio) = web_sys::AudioContext::new() else { return };
    let (Ok(tone), Ok(gain)) = (audio.create_oscillator(), audio.create_gain()) else { return };
    let start = audio.current_time();
    tone.set_type(web_sys::OscillatorType::Triangle);
    let pitch = tone.frequency();
    let _ = pitch.set_value_at_time(660.0, start);
    let _ = pitch.set_value_at_time(990.0, start + 0.15);
    let volume = gain.gain();
    let _ = volume.set_value_at_time(0.25, start);
    let _ = volume.exponential_ramp_to_value_at_time(0.001, start + 0.6);
    let wired =
        tone.connect_with_audio_node(&gain).and_then(|_| gain.connect_with_audio_node(&audio.destination()));
    if wired.is_err() || tone.start().is_err() || tone.stop_with_when(start + 0.65).is_err() {
        let _ = audio.close();
        return;
    }
    // Each context holds audio hardware: close it once the chime is over.
    let done = Closure::<dyn FnMut()>::once(move || {
        let _ = audio.close();
    });
    tone.set_onended(Some(done.as_ref().unchecked_ref()));
    done.forget();
}

/// Swallows a promise's rejection, so that a refusal the page copes with is not logged as an
/// uncaught error.
fn ignore_failure(promise: &js_sys::Promise) {
    let ignore = Closure::<dyn FnMut(JsValue)>::new(|_| {});
    let _ = promise.catch(&ignore);
    ignore.forget();
}

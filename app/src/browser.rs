//! The few browser APIs the screens use besides the socket: tokens in localStorage, the address
//! bar, the screen wake lock, file downloads and full screen. Like `ws_client`, this is browser-only; on the
//! server these do nothing, since pages only call them from effects and event handlers.

/// Where a screen keeps its secret for one raffle: `raffler.host.K7QX2M`, `raffler.player.K7QX2M`.
pub fn token_key(role: &str, code: &str) -> String {
    format!("raffler.{role}.{code}")
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub fn load(key: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    return storage()?.get_item(key).ok()?;
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        None
    }
}

pub fn save(key: &str, value: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = storage() {
        let _ = storage.set_item(key, value);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (key, value);
}

pub fn forget(key: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = storage() {
        let _ = storage.remove_item(key);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = key;
}

/// 128 random bits as 32 hex digits, from the browser's cryptographic source: a join id that
/// nobody else can guess (it fetches its owner's token, so it is as secret as one).
pub fn random_id() -> String {
    #[allow(unused_mut)]
    let mut bytes = [0u8; 16];
    #[cfg(feature = "hydrate")]
    {
        let filled = web_sys::window()
            .and_then(|w| w.crypto().ok())
            .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
        // Every browser that runs WebAssembly has crypto; never hand out a fixed id regardless.
        if !filled {
            bytes.iter_mut().for_each(|b| *b = (js_sys::Math::random() * 256.0) as u8);
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Shows `path` in the address bar without a navigation, so that a reload comes back here.
pub fn replace_path(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// Milliseconds since the Unix epoch, by this device's clock.
pub fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    return js_sys::Date::now();
    #[cfg(not(feature = "hydrate"))]
    0.0
}

/// Asks the browser to keep the screen on. `false` when it offers no wake lock; the page then
/// asks the person instead. Browsers release the lock when the page is hidden, so this is
/// called again whenever the page is shown.
pub fn keep_screen_on() -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(navigator) = web_sys::window().map(|w| w.navigator()) else { return false };
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
                    let ignore =
                        wasm_bindgen::closure::Closure::<dyn FnMut(wasm_bindgen::JsValue)>::new(|_| {});
                    let _ = promise.catch(&ignore);
                    ignore.forget();
                }
                true
            }
            Err(_) => false,
        }
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

/// Offers `content` as a file download named `filename`.
pub fn download(filename: &str, mime: &str, content: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
        let Ok(link) = document.create_element("a") else { return };
        let Ok(link) = link.dyn_into::<web_sys::HtmlAnchorElement>() else { return };
        let encoded = js_sys::encode_uri_component(content);
        link.set_href(&format!("data:{mime};charset=utf-8,{encoded}"));
        link.set_download(filename);
        link.click();
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (filename, mime, content);
}

/// A Unix time in milliseconds as ISO 8601 (UTC), for exported files.
pub fn iso_time(ms: u64) -> String {
    #[cfg(feature = "hydrate")]
    return js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64)).to_iso_string().into();
    #[cfg(not(feature = "hydrate"))]
    ms.to_string()
}

/// A Unix time in milliseconds as this device's local time of day, for people.
pub fn local_time(ms: u64) -> String {
    #[cfg(feature = "hydrate")]
    return js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64))
        .to_locale_time_string("default")
        .into();
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ms;
        String::new()
    }
}

/// Shows the page full screen, or leaves full screen if it is. Browsers allow this only in
/// answer to a key or a click, which is where the stage calls it.
pub fn toggle_full_screen() {
    #[cfg(feature = "hydrate")]
    {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
        if document.fullscreen_element().is_some() {
            document.exit_fullscreen();
        } else if let Some(root) = document.document_element() {
            // Refused (an iframe without permission): the page stays as it is.
            let _ = root.request_fullscreen();
        }
    }
}

/// Leaves full screen, if the page is in it.
pub fn leave_full_screen() {
    #[cfg(feature = "hydrate")]
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        if document.fullscreen_element().is_some() {
            document.exit_fullscreen();
        }
    }
}

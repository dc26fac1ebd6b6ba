//! The browser entry point: hydrate the server-rendered page and nothing else.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Async hydration: a lazy route (home, host, stage: see `app`) hydrates once its wasm
    // chunk has loaded; the phone's page, in the main wasm, hydrates at once.
    leptos::mount::hydrate_lazy(app::App);
}
